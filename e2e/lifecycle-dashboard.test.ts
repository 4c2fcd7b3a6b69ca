/**
 * The dashboard (examples/dashboard, served by `npm start`) tells the truth about the managed
 * connection, in Chromium: a credential server that fails during a manual refresh leaves the banner
 * "connected" while telemetry flows; an unreachable broker shows "backing off" with the time of each
 * next attempt; a refusal shows a Retry button that works; buttons that cannot act are disabled
 * while an action runs; a 403 to a renewal while connected shows "renewal stopped" with its cause and
 * a Retry; the attempt counts are those of the current run (since the connection was last lost).
 * The page holds at a 390 px wide viewport and in dark mode (screenshots in artifacts/, and no
 * horizontal overflow).
 *
 * Failures are made with playwright's routing (the credential requests and the WebSocket), so the
 * demo itself runs unchanged.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchChromium, recordPage, screenshot, type PageLog } from './helpers/chromium.js';
import { ROOT } from './helpers/paths.js';
import { EPHEMERAL_START_PORTS } from './helpers/ports.js';
import { startProcess, type StartedProcess } from './helpers/process.js';
import { WAIT } from './helpers/wait.js';

interface View {
  state: string;
  detail: string;
  refreshing: boolean;
  failures: number;
  attempts: number;
  connects: number;
  refreshes: number;
  busy: string;
  nextAttempt?: { at: number; action: string };
}

let browser: Browser;
let demo: StartedProcess;
let dashboardUrl: string;
let context: BrowserContext | undefined;

beforeAll(async () => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('APSARAMQ_') && !name.startsWith('DEMO_')));
  demo = startProcess(process.execPath, ['scripts/start.mjs'], {
    name: 'npm start',
    cwd: ROOT,
    env: { ...env, ...EPHEMERAL_START_PORTS, TELEMETRY_INTERVAL_MS: '200', DEMO_RUN_ID: randomUUID() },
  });
  await demo.waitForOutput(/Press Ctrl-C to stop\./, { timeout: 90_000, stream: 'stdout' });
  dashboardUrl = demo.stdout().match(/^\s+Dashboard\s+(http:\/\/127\.0\.0\.1:\d+\/\S*)$/m)![1]!;
  browser = await launchChromium();
});
afterEach(async () => {
  await context?.close();
  context = undefined;
});
afterAll(async () => {
  await browser?.close();
  await demo?.stop({ signal: 'SIGINT', timeout: 15_000 });
});

const view = (page: Page) =>
  page.evaluate(() => {
    const { client: _client, history: _history, ...rest } = (window as unknown as { dashboard: View & { client?: unknown; history?: unknown } }).dashboard;
    return rest as View;
  });

async function until(page: Page, log: PageLog, what: string, check: string): Promise<View> {
  try {
    await page.waitForFunction(`(() => { const d = window.dashboard; return d && (${check}); })()`, undefined, { timeout: 20_000, polling: 50 });
  } catch (error) {
    throw new Error(`the dashboard did not reach ${what}: ${(error as Error).message}\n${JSON.stringify(await view(page).catch(() => undefined))}\n${log.text()}`);
  }
  return view(page);
}

async function open(device: string, options: Parameters<Browser['newContext']>[0] = {}): Promise<{ page: Page; log: PageLog }> {
  context = await browser.newContext(options);
  const page = await context.newPage();
  return { page, log: recordPage(page) };
}

/** The page is no wider than the viewport: nothing makes it scroll sideways. */
const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('the dashboard shows the session as the SDK sees it', () => {
  it('the credential server fails during a manual refresh: still "connected" while telemetry flows; the retry time shows; buttons wait', async () => {
    const { page, log } = await open('truth');
    await page.goto(`${dashboardUrl}?device=dashboard-truth`);
    await until(page, log, 'connected', `d.state === 'connected'`);
    const row = page.locator('#devices tr[data-device="sensor-1"]');
    await row.waitFor({ timeout: 10_000 });

    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/mqtt-credentials', async (route) => {
      await held; // a slow server, then a failing one
      await route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: { code: 'ERR_INTERNAL', message: 'down for maintenance' } }) });
    });
    await page.click('#refresh');
    const during = await until(page, log, 'a refresh under way', `d.refreshing`);
    expect(during.state).toBe('connected');
    expect(await page.locator('#refreshing').isVisible()).toBe(true);
    for (const id of ['#refresh', '#rotate', '#retry']) expect(await page.locator(id).isDisabled(), id).toBe(true);
    release();
    const after = await until(page, log, 'the failed refresh', `!d.refreshing && d.nextAttempt && d.nextAttempt.action === 'credentials'`);
    expect(after.state).toBe('connected');
    expect(await page.locator('#state').textContent()).toBe('connected');
    expect(await page.locator('#next').textContent()).toMatch(/^next credentials request at .+ \(in \d+ s\)$/);
    expect(await page.locator('#log').textContent()).toContain('credentials request failed: the credential server answered 500 ERR_INTERNAL: down for maintenance');
    const seq = Number(await row.getAttribute('data-seq'));
    await vi.waitFor(async () => expect(Number(await row.getAttribute('data-seq')), 'telemetry after the failed refresh').toBeGreaterThan(seq), WAIT);
    expect(await page.locator('#refresh').isDisabled()).toBe(false);
    await page.unroute('**/api/mqtt-credentials');

    // The server caches tokens: a refresh that brings back the same one says so instead of seeming to do nothing.
    await page.click('#refresh');
    await until(page, log, 'the refresh with the server back', `d.refreshes >= 1 && !d.refreshing && !d.busy`);
    expect(await page.locator('#expires').textContent()).toMatch(/^Token, expires .+; the server handed out the same token again/);
    expect(await page.locator('#next').isHidden()).toBe(true); // nothing to retry any more
  });

  it('an unreachable broker: "backing off", each retry with the time of the next attempt, then connected', async () => {
    const { page, log } = await open('backoff', { viewport: { width: 390, height: 844 } });
    let refused = 0;
    let reachable = false;
    await page.routeWebSocket(/\/mqtt$/, (ws) => {
      if (reachable) ws.connectToServer();
      else (refused++, ws.close());
    });
    await page.goto(`${dashboardUrl}?device=dashboard-backoff`);
    const first = await until(page, log, 'backing off', `d.state === 'backing-off' && d.failures >= 1`);
    expect(first.nextAttempt?.action).toBe('connect');
    expect(await page.locator('#next').textContent()).toMatch(/^next reconnect at .+ \(in \d+ s\)$/);
    await until(page, log, 'a second retry', `d.failures >= 2`);
    expect(await page.locator('#attempts').textContent()).toMatch(/^\d+ connection attempts since the page opened; \d+ failures in a row$/);
    expect(await page.locator('#retry').isVisible()).toBe(true);
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await screenshot(page, 'lifecycle-dashboard-backing-off-390');
    reachable = true;
    const connected = await until(page, log, 'connected once the broker is reachable', `d.state === 'connected'`);
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#next').isHidden()).toBe(true);
    // Counts of this run: how many attempts it took, not "N failures in a row" beside "connected".
    const run = (await page.locator('#attempts').textContent())!;
    expect(run).toMatch(new RegExp(`^connected since .+, after ${connected.attempts} attempts$`));
    expect(run).not.toContain('failure');
  });

  it('refused by the credential server: "refused" with the reason, nothing retried by itself, and a Retry button that works', async () => {
    const { page, log } = await open('refused');
    let requests = 0;
    let allow = false;
    await page.route('**/api/mqtt-credentials', async (route) => {
      requests++;
      if (allow) return route.continue();
      await route.fulfill({ status: 403, contentType: 'application/json', body: JSON.stringify({ error: { code: 'ERR_FORBIDDEN', message: 'sign in first' } }) });
    });
    await page.goto(`${dashboardUrl}?device=dashboard-refused`);
    await until(page, log, 'refused', `d.state === 'refused'`);
    expect(await page.locator('#detail').textContent()).toContain('403 ERR_FORBIDDEN: sign in first');
    expect(await page.locator('#retry').isEnabled()).toBe(true);
    for (const id of ['#refresh', '#rotate', '#revoke']) expect(await page.locator(id).isDisabled(), id).toBe(true);
    await new Promise((r) => setTimeout(r, 1500)); // a backoff step would have come by now
    expect(requests).toBe(1);
    allow = true;
    await page.click('#retry');
    await until(page, log, 'connected after the retry', `d.state === 'connected'`);
    expect(requests).toBe(2);
    expect(await page.locator('#retry').isHidden()).toBe(true);
  });
});

describe('renewal stops while connected', () => {
  it('the credential server answers 403 to a renewal: "connected" with a renewal-stopped warning, its cause and a Retry that works', async () => {
    const { page, log } = await open('renewal', { viewport: { width: 390, height: 844 } });
    await page.goto(`${dashboardUrl}?device=dashboard-renewal`);
    await until(page, log, 'connected', `d.state === 'connected'`);
    expect(await page.locator('#renewal').isHidden()).toBe(true);
    let requests = 0;
    await page.route('**/api/mqtt-credentials', async (route) => {
      requests++;
      await route.fulfill({ status: 403, contentType: 'application/json', body: JSON.stringify({ error: { code: 'ERR_FORBIDDEN', message: 'the session was signed out' } }) });
    });
    await page.click('#refresh'); // a renewal, as the schedule makes one
    const stopped = await until(page, log, 'renewal stopped', `d.renewalStopped !== ''`);
    expect(stopped.state).toBe('connected');
    expect(await page.locator('#state').textContent()).toBe('connected');
    expect(await page.locator('#renewal-badge').isVisible()).toBe(true);
    expect(await page.locator('#status').getAttribute('data-renewal')).toBe('stopped');
    expect(await page.locator('#renewal').textContent()).toMatch(
      /^Renewal stopped: the credential server answered 403 ERR_FORBIDDEN: the session was signed out\. The connection ends when the credentials expire, at .+ \(in \d+ s\)\. Retry asks again\.$/,
    );
    expect(await page.locator('#retry').isVisible()).toBe(true);
    expect(await page.locator('#retry').isEnabled()).toBe(true);
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await screenshot(page, 'lifecycle-dashboard-renewal-stopped-390');
    await new Promise((r) => setTimeout(r, 1500)); // a backoff step would have come by now: a 403 is not retried
    expect(requests).toBe(1);
    await page.unroute('**/api/mqtt-credentials');
    await page.click('#retry');
    await until(page, log, 'renewal resumed', `d.renewalStopped === '' && !d.refreshing && !d.busy`);
    expect(await page.locator('#renewal').isHidden()).toBe(true);
    expect(await page.locator('#renewal-badge').isHidden()).toBe(true);
    expect(await page.locator('#retry').isHidden()).toBe(true);
    expect(await page.locator('#state').textContent()).toBe('connected');
  });

  it('after a drop and a reconnect, the counts are those of the new run', async () => {
    const { page, log } = await open('run');
    let drop = false;
    await page.routeWebSocket(/\/mqtt$/, (ws) => {
      if (drop) ws.close();
      else ws.connectToServer();
    });
    await page.goto(`${dashboardUrl}?device=dashboard-run`);
    await until(page, log, 'connected', `d.state === 'connected'`);
    expect(await page.locator('#attempts').textContent()).toMatch(/^connected since .+, at the first attempt$/);
    drop = true;
    await page.click('#revoke'); // the broker disconnects the page; reconnects are refused until `drop` is cleared
    await until(page, log, 'two failed reconnects', `d.state === 'backing-off' && d.failures >= 2`);
    expect(await page.locator('#attempts').textContent()).toMatch(/^\d+ connection attempts? since the connection was lost; \d+ failures in a row$/);
    drop = false;
    const back = await until(page, log, 'connected again', `d.state === 'connected'`);
    const run = (await page.locator('#attempts').textContent())!;
    expect(run).toMatch(/^connected since .+, after \d+ attempts$/);
    expect(Number(run.match(/after (\d+) attempts/)![1])).toBe(back.attempts - (back as View & { runFrom: number }).runFrom);
    expect(Number(run.match(/after (\d+) attempts/)![1])).toBeLessThan(back.attempts);
  });
});

describe('the dashboard holds at 390 px and in dark mode, with a live chart per device', () => {
  for (const [name, options] of [
    ['390-dark', { viewport: { width: 390, height: 844 }, colorScheme: 'dark' as const }],
    ['390-light', { viewport: { width: 390, height: 844 }, colorScheme: 'light' as const }],
    ['desktop-dark', { viewport: { width: 1280, height: 900 }, colorScheme: 'dark' as const }],
  ] as const) {
    it(`${name}: no horizontal overflow; the chart draws sensor-1 and grows`, async () => {
      const { page, log } = await open(name, options);
      await page.goto(`${dashboardUrl}?device=dashboard-${name}`);
      await until(page, log, 'connected', `d.state === 'connected'`);
      const line = page.locator('#chart polyline[data-device="sensor-1"]');
      await line.waitFor({ timeout: 10_000 });
      const points = async () => Number(await line.getAttribute('data-points'));
      const before = await points();
      await vi.waitFor(async () => expect(await points(), 'the chart to grow').toBeGreaterThanOrEqual(Math.min(before + 3, 60)), WAIT);
      expect(await page.locator('#legend').textContent()).toMatch(/sensor-1: \d+(\.\d)? °C/);
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(background).toBe(options.colorScheme === 'dark' ? 'rgb(18, 21, 27)' : 'rgb(246, 247, 249)');
      await screenshot(page, `lifecycle-dashboard-${name}`);
    });
  }
});
