/**
 * `npm start` as a user runs it: `node scripts/start.mjs` in a child process (ephemeral ports), its
 * printed URLs opened in Chromium. The dashboard shows live telemetry from the node-service child,
 * stays "connected" while its token is rotated in band, goes through "backing off" when it is revoked
 * at the broker and comes back to "connected"; the script-tag page shows telemetry too; no response any page
 * received carries a secret; a client id the demo does not serve is refused with the reason and
 * not retried. SIGINT stops everything: exit 0, every port closed, no child left.
 *
 * The same with the APSARAMQ_* variables: a broker started here plays the ApsaraMQ instance (and its
 * OpenAPI); `npm start` starts no broker of its own and sends pages and service there. Pointed at a
 * broker that does not know its tokens, the dashboard shows the broker's refusal and stops.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOpenApiService, startBroker, type LocalBroker } from '../src/broker/broker-entry.js';
import { launchChromium, recordPage, recordResponses, screenshot, type PageLog, type SeenResponse } from './helpers/chromium.js';
import { ROOT } from './helpers/paths.js';
import { accepts, EPHEMERAL_START_PORTS } from './helpers/ports.js';
import { startProcess, type StartedProcess } from './helpers/process.js';
import { WAIT, withTimeout } from './helpers/wait.js';

interface DemoConfig {
  accessKeys: { accessKeyId: string; accessKeySecret: string }[];
  devices: { deviceAccessKeySecret: string }[];
  customIdentities: { secret: string }[];
}
const DEMO = JSON.parse(readFileSync(join(ROOT, 'examples/broker.json'), 'utf8')) as DemoConfig;
/** Every secret `npm start` knows in local mode: none may reach a page. */
const LOCAL_SECRETS = [...DEMO.accessKeys.map((k) => k.accessKeySecret), ...DEMO.devices.map((d) => d.deviceAccessKeySecret), ...DEMO.customIdentities.map((c) => c.secret)];

/** A running `npm start`, with the URLs it printed. */
interface Started {
  process: StartedProcess;
  runId: string;
  urls: Record<'startPage' | 'dashboard' | 'scriptTag' | 'signatureTool', string>;
  /** Every `http://127.0.0.1:<port>` and `ws://…` the output names, for the closed-ports check. */
  ports: number[];
}

/** Processes (node-service, above all) started by the `npm start` with this run id, read from /proc. */
function processesOf(runId: string): number[] {
  const marker = `DEMO_RUN_ID=${runId}`;
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker);
      } catch {
        return false; // gone meanwhile, or not ours to read
      }
    })
    .map(Number);
}

async function startDemo(env: Record<string, string>): Promise<Started> {
  const runId = randomUUID();
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('APSARAMQ_') && !name.startsWith('DEMO_')));
  const child = startProcess(process.execPath, ['scripts/start.mjs'], {
    name: 'npm start',
    cwd: ROOT,
    env: { ...base, ...EPHEMERAL_START_PORTS, TELEMETRY_INTERVAL_MS: '250', DEMO_RUN_ID: runId, ...env },
  });
  // A build on a stale checkout takes about 30 s; the e2e project builds first, so this is quick.
  await child.waitForOutput(/Press Ctrl-C to stop\./, { timeout: 90_000, stream: 'stdout' });
  const out = child.stdout();
  const url = (name: string) => {
    const match = out.match(new RegExp(`^\\s+${name}\\s+(http://127\\.0\\.0\\.1:\\d+/\\S*)$`, 'm'));
    if (!match) throw new Error(`npm start printed no ${name} URL:\n${out}`);
    return match[1]!;
  };
  const ports = [...new Set([...out.matchAll(/(?:https?|wss?|mqtts?):\/\/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1])))];
  return { process: child, runId, urls: { startPage: url('Start page'), dashboard: url('Dashboard'), scriptTag: url('Script-tag page'), signatureTool: url('Signature tool') }, ports };
}

interface DashboardView {
  state: string;
  detail: string;
  history: { state: string; detail: string }[];
  messages: number;
  connects: number;
  tokenUploads: number;
  clientId: string;
}

const dashboard = (page: Page) => page.evaluate(() => {
  const { client: _client, ...view } = (window as unknown as { dashboard: DashboardView & { client?: unknown } }).dashboard;
  return view as DashboardView;
});

/** Waits until the dashboard satisfies `check` (evaluated in the page); fails with the page's log. */
async function waitForDashboard(page: Page, log: PageLog, what: string, check: string): Promise<DashboardView> {
  try {
    await page.waitForFunction(`(() => { const d = window.dashboard; return d && (${check}); })()`, undefined, { timeout: 20_000, polling: 50 });
  } catch (error) {
    const view = await dashboard(page).catch(() => undefined);
    throw new Error(`the dashboard did not reach ${what}: ${(error as Error).message}\n${JSON.stringify(view, null, 2)}\n${log.text()}`);
  }
  return dashboard(page);
}

/**
 * Records every state the page's status line shows, as a user would see it change: the `#state`
 * text, plus " (refreshing credentials)" while that badge is shown.
 */
async function recordStateTexts(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const seen: string[] = ((window as unknown as { __stateTexts: string[] }).__stateTexts = []);
    new MutationObserver(() => {
      const state = document.getElementById('state')?.textContent;
      const refreshing = document.getElementById('refreshing');
      const text = state && `${state}${refreshing && !refreshing.hidden ? ' (refreshing credentials)' : ''}`;
      if (text && seen[seen.length - 1] !== text) seen.push(text);
    }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['hidden'] });
  });
}
const stateTexts = (page: Page) => page.evaluate(() => (window as unknown as { __stateTexts: string[] }).__stateTexts);

/** Whether `sequence` occurs in `list` in order (not necessarily adjacent). */
function inOrder(list: readonly string[], sequence: readonly string[]): boolean {
  let i = 0;
  for (const item of list) if (item === sequence[i]) i++;
  return i === sequence.length;
}

function expectNoSecrets(seen: readonly SeenResponse[], secrets: readonly string[]): void {
  expect(seen.length).toBeGreaterThan(0);
  for (const { url, body } of seen) for (const secret of secrets) expect(body.includes(secret), `a secret in the response from ${url}`).toBe(false);
}

const credentialAnswers = (seen: readonly SeenResponse[]) =>
  seen.filter((r) => r.url.endsWith('/api/mqtt-credentials') && r.status === 200).map((r) => JSON.parse(r.body) as { username: string; tokens: { token: string }[] });

/** Stops `npm start` with SIGINT and checks it left nothing behind. */
async function expectCleanStop(started: Started, closedPorts: readonly number[]): Promise<void> {
  // `npm start` and its node-service child carry the run id: the check below can see them.
  expect(processesOf(started.runId)).toHaveLength(2);
  const exit = await started.process.stop({ signal: 'SIGINT', timeout: 15_000 });
  expect(exit, started.process.stdout() + started.process.stderr()).toEqual({ code: 0, signal: null });
  expect(started.process.stdout()).toMatch(/\[node-service\] stopped: \d+ samples acknowledged/);
  expect(started.process.stdout()).toMatch(/^stopped$/m);
  expect(closedPorts.length).toBeGreaterThan(0);
  for (const port of closedPorts) expect(await accepts(port), `port ${port} still open`).toBe(false);
  expect(processesOf(started.runId)).toEqual([]);
}

let browser: Browser;
let context: BrowserContext | undefined;
beforeAll(async () => {
  browser = await launchChromium();
});
afterEach(async () => {
  await context?.close();
  context = undefined;
});
afterAll(async () => {
  await browser?.close();
});

describe('npm start with the local broker', () => {
  let demo: Started | undefined;
  beforeAll(async () => {
    demo = await startDemo({});
  });
  afterAll(async () => {
    await demo?.process.stop({ timeout: 10_000 });
  });

  it('prints the local broker, the credential server and the pages; the node-service publishes', async () => {
    const out = demo!.process.stdout();
    expect(out).toMatch(/demo against the local broker \(instance mqtt-local-demo\)/);
    expect(out).toMatch(/^ {2}MQTT over TCP {8}mqtt:\/\/127\.0\.0\.1:\d+$/m);
    expect(out).toMatch(/^ {2}MQTT over WebSocket {2}ws:\/\/127\.0\.0\.1:\d+\/mqtt$/m);
    await demo!.process.waitForOutput(/\[node-service\] publishing to demo\/sensor-1\/telemetry every 250 ms \(QoS 1\)/, { stream: 'stdout' });
    for (const secret of LOCAL_SECRETS) expect(out + demo!.process.stderr()).not.toContain(secret);
    // The start page is listed first, at the origin's root; every listed page is served.
    expect(out).toMatch(/Open in a browser:\n {2}Start page {7}http:\/\/127\.0\.0\.1:\d+\/\n {2}Dashboard/);
    expect(new URL(demo!.urls.startPage).pathname).toBe('/');
    for (const url of Object.values(demo!.urls)) expect((await fetch(url)).status, url).toBe(200);
  });

  it('the start page at / is styled, links every page, and says what is running', async () => {
    context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const log = recordPage(page);
    await page.goto(demo!.urls.startPage);
    await page.locator('#running dt', { hasText: 'Broker' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('#running').innerText()).toMatch(/Broker\s+the local broker \(instance mqtt-local-demo\)\s+Pages connect to\s+ws:\/\/127\.0\.0\.1:\d+\/mqtt, topic demo\//);
    const links = await page.$$eval('.pages a', (anchors) => anchors.map((a) => new URL((a as HTMLAnchorElement).href).pathname));
    expect(links).toEqual(['/dashboard/', '/script-tag/', '/signature-tool/']);
    for (const path of links) expect(Object.values(demo!.urls).map((url) => new URL(url).pathname)).toContain(path);
    // Styled: the page's own style sheet lays the links out as cards, and nothing overflows a phone screen.
    const look = await page.evaluate(() => {
      const card = getComputedStyle(document.querySelector('.pages a')!);
      return {
        list: getComputedStyle(document.querySelector('.pages')!).display,
        cardBorder: card.borderTopStyle,
        cardRadius: card.borderTopLeftRadius,
        underline: card.textDecorationLine,
        bodyMargin: getComputedStyle(document.body).marginTop,
        scrollWidth: document.documentElement.scrollWidth,
      };
    });
    expect(look).toEqual({ list: 'grid', cardBorder: 'solid', cardRadius: '10px', underline: 'none', bodyMargin: '0px', scrollWidth: 390 });
    await screenshot(page, 'start-page-390px');
    expect(log.lines).toEqual([]);
  });

  it('dashboard: live telemetry; in-band rotation stays "connected" (refreshing credentials), revocation goes through "backing off" back to "connected"; no secret reaches the page', async () => {
    context = await browser.newContext();
    await recordStateTexts(context);
    const page = await context.newPage();
    const log = recordPage(page);
    const responses = recordResponses(page);
    await page.goto(`${demo!.urls.dashboard}?device=dashboard-e2e`);

    let view = await waitForDashboard(page, log, 'connected', `d.state === 'connected'`);
    expect(view.clientId).toBe('GID_demo@@@dashboard-e2e');
    expect(await page.locator('#state').textContent()).toBe('connected');
    const row = page.locator('#devices tr[data-device="sensor-1"]');
    await row.waitFor({ timeout: 10_000 });
    const seqOf = async () => Number(await row.getAttribute('data-seq'));
    const firstSeq = await seqOf();
    await vi.waitFor(async () => expect(await seqOf(), 'a newer sample from sensor-1 on the page').toBeGreaterThan(firstSeq), WAIT);
    expect(await row.locator('td').nth(2).textContent()).toMatch(/^\d+(\.\d)? °C$/);

    // Rotation: the server forgets its cached token, the page fetches a new one and uploads it to
    // $SYS/uploadToken; the connection stays up.
    let mark = (await stateTexts(page)).length;
    await page.click('#rotate');
    view = await waitForDashboard(page, log, 'an in-band token upload', `d.tokenUploads === 1 && d.state === 'connected'`);
    expect(view.connects).toBe(1);
    // The connection stays up the whole time: the SDK's state never leaves "connected".
    expect(inOrder((await stateTexts(page)).slice(mark), ['connected (refreshing credentials)', 'connected'])).toBe(true);
    expect((await stateTexts(page)).slice(mark).every((t) => t.startsWith('connected'))).toBe(true);

    // Revocation at the broker (its control API), of the token the page holds now: the broker sends
    // $SYS/tokenInvalidNotice and disconnects; the page gets a new token and reconnects.
    const current = credentialAnswers(await responses.all()).at(-1)!.tokens[0]!.token;
    const [, control, secret] = demo!.process.stdout().match(/control API\s+(http:\/\/127\.0\.0\.1:\d+)\/control\s+\(Authorization: Bearer (\S+)\)/)!;
    mark = (await stateTexts(page)).length;
    const historyMark = view.history.length;
    const revoked = await fetch(`${control}/control/tokens/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ token: current }),
    });
    expect(await revoked.json()).toEqual({ revoked: true });
    view = await waitForDashboard(page, log, 'connected again after the revocation', `d.connects === 2 && d.state === 'connected'`);
    expect(inOrder((await stateTexts(page)).slice(mark), ['backing off', 'connected'])).toBe(true);
    expect(view.history.slice(historyMark)).toContainEqual({ state: 'connected', detail: 'the broker says the token is revoked' });
    const afterRevocation = await seqOf();
    await vi.waitFor(async () => expect(await seqOf(), 'telemetry after the reconnect').toBeGreaterThan(afterRevocation), WAIT);
    expect(await page.locator('#state').textContent()).toBe('connected');
    await screenshot(page, 'start-dashboard');

    const seen = await responses.all();
    const answers = credentialAnswers(seen);
    expect(answers.map((a) => a.username)).toEqual(Array(3).fill('Token|LTAI-demo-access-key-id|mqtt-local-demo'));
    expect(new Set(answers.map((a) => a.tokens[0]!.token)).size).toBe(3); // first, rotated, after revocation
    expectNoSecrets(seen, LOCAL_SECRETS);
  });

  it('script-tag page: shows telemetry with credentials from the server, and no secret reaches it', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    const log = recordPage(page);
    const responses = recordResponses(page);
    await page.goto(demo!.urls.scriptTag);
    await page.locator('#state', { hasText: /^connected$/ }).waitFor({ timeout: 20_000 }).catch((error: Error) => {
      throw new Error(`${error.message}\n${log.text()}`);
    });
    const messages = page.locator('#messages');
    await vi.waitFor(async () => {
      const samples = ((await messages.textContent()) ?? '').split('\n').filter((l) => l.startsWith('demo/sensor-1/telemetry'));
      expect(samples.length, 'telemetry samples on the script-tag page').toBeGreaterThanOrEqual(2);
    }, WAIT);
    expect(JSON.parse(((await messages.textContent()) ?? '').split('\n')[0]!.replace(/^demo\/sensor-1\/telemetry {2}/, ''))).toMatchObject({ deviceId: 'sensor-1' });
    await screenshot(page, 'start-script-tag');
    const seen = await responses.all();
    expect(seen.map((r) => new URL(r.url).pathname)).toEqual(
      expect.arrayContaining(['/script-tag/', '/node_modules/mqtt/dist/mqtt.min.js', '/dist/apsaramq-mqtt-auth.umd.min.js', '/api/config', '/api/mqtt-credentials']),
    );
    expect(credentialAnswers(seen)).toHaveLength(1);
    expectNoSecrets(seen, LOCAL_SECRETS);
  });

  it('a dashboard the demo does not serve shows "refused" with the reason and does not ask again', async () => {
    context = await browser.newContext();
    await recordStateTexts(context);
    const page = await context.newPage();
    const log = recordPage(page);
    let credentialRequests = 0;
    let webSockets = 0;
    page.on('request', (r) => void (r.url().endsWith('/api/mqtt-credentials') && credentialRequests++));
    page.on('websocket', () => void webSockets++);
    // A fake clock lets two minutes of page time pass at once: any retry would show.
    await page.clock.install();
    await page.goto(`${demo!.urls.dashboard}?device=intruder-1`);
    const view = await waitForDashboard(page, log, 'refused', `d.state === 'refused'`);
    expect(await page.locator('#state').textContent()).toBe('refused');
    const detail = (await page.locator('#detail').textContent()) ?? '';
    expect(detail).toMatch(/the credential server answered 403 ERR_FORBIDDEN/);
    expect(detail).toContain('GID_demo@@@dashboard-*');
    expect(view.detail).toBe(detail);
    await page.clock.runFor(120_000);
    expect(credentialRequests).toBe(1);
    expect(webSockets).toBe(0);
    expect((await dashboard(page)).state).toBe('refused');
    expect(await page.locator('#refresh').isDisabled()).toBe(true);
    await screenshot(page, 'start-dashboard-refused');
  });

  it('SIGINT stops everything: exit 0, every port closed, no process left', async () => {
    const started = demo!;
    demo = undefined;
    expect(started.ports).toHaveLength(6); // web, MQTT over TCP, TLS, WebSocket, WebSocket over TLS, the HTTP listener (OpenAPI and control API)
    await expectCleanStop(started, started.ports);
  });
});

describe('npm start with APSARAMQ_* set (a broker started here stands in for the instance)', () => {
  const INSTANCE = 'mqtt-cn-e2e-cloud';
  const AK = { accessKeyId: 'LTAI-e2e-cloud', accessKeySecret: 'e2e-cloud-AccessKeySecret-7' };
  let cloud: LocalBroker;
  let service: ReturnType<typeof createOpenApiService>;
  let demo: Started | undefined;

  const instanceEnv = (ws: LocalBroker) => ({
    APSARAMQ_INSTANCE_ID: INSTANCE,
    APSARAMQ_ACCESS_KEY_ID: AK.accessKeyId,
    APSARAMQ_ACCESS_KEY_SECRET: AK.accessKeySecret,
    APSARAMQ_OPENAPI_ENDPOINT: `${cloud.url('http')}/`,
    APSARAMQ_HOST: '127.0.0.1',
    // The stand-in speaks plain TCP and WebSocket; an instance gets the defaults, tls and wss.
    APSARAMQ_TRANSPORT: 'tcp',
    APSARAMQ_PORT: String(cloud.tcpPort),
    APSARAMQ_WS_TRANSPORT: 'ws',
    APSARAMQ_WS_PORT: String(ws.wsPort),
    APSARAMQ_GROUP_ID: 'GID_cloud',
    APSARAMQ_PARENT_TOPIC: 'plant',
  });

  beforeAll(async () => {
    cloud = await startBroker({ instanceId: INSTANCE, accessKeys: [AK] });
    service = createOpenApiService({ accessKeys: [AK], instanceId: INSTANCE, tokens: cloud.tokens });
    cloud.addRoute(service);
    demo = await startDemo(instanceEnv(cloud));
  });
  afterAll(async () => {
    await demo?.process.stop({ timeout: 10_000 });
    await cloud?.close();
  });

  it('starts no broker of its own; the node-service signs in with Signature; the dashboard gets a token from the OpenAPI and shows telemetry', async () => {
    const out = demo!.process.stdout();
    expect(out).toContain(`demo against ApsaraMQ instance ${INSTANCE}`);
    expect(out).not.toMatch(/MQTT over TCP|control API/);
    expect(out).toMatch(new RegExp(`MQTT over WebSocket {2}ws://127\\.0\\.0\\.1:${cloud.wsPort}/mqtt {2}\\(pages\\)`));
    await vi.waitFor(() => expect(cloud.sessions().map((s) => s.clientId), 'the node-service at the instance').toContain('GID_cloud@@@node-service-1'), WAIT);
    expect(cloud.sessions().find((s) => s.clientId === 'GID_cloud@@@node-service-1')).toMatchObject({ mode: 'Signature', id: AK.accessKeyId });

    context = await browser.newContext();
    const page = await context.newPage();
    const log = recordPage(page);
    const responses = recordResponses(page);
    await page.goto(`${demo!.urls.dashboard}?device=dashboard-cloud`);
    await waitForDashboard(page, log, 'connected', `d.state === 'connected'`);
    expect(await page.locator('#target').textContent()).toBe(`ApsaraMQ instance ${INSTANCE}`);
    await page.locator('#devices tr[data-device="node-service-1"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#topic').textContent()).toBe('plant/+/telemetry');
    expect(cloud.sessions().find((s) => s.clientId === 'GID_cloud@@@dashboard-cloud')).toMatchObject({ mode: 'Token' });
    expect(service.calls.ApplyToken).toBe(1);
    await screenshot(page, 'start-instance-dashboard');
    expectNoSecrets(await responses.all(), [AK.accessKeySecret]);
    for (const text of [out, demo!.process.stdout(), demo!.process.stderr()]) expect(text).not.toContain(AK.accessKeySecret);
  });

  it('SIGINT: exit 0, the web port closed, the node-service disconnected from the instance', async () => {
    const started = demo!;
    demo = undefined;
    const webPort = Number(new URL(started.urls.dashboard).port);
    await expectCleanStop(started, [webPort]);
    await vi.waitFor(() => expect(cloud.sessions().map((s) => s.clientId), 'the node-service to leave the instance').not.toContain('GID_cloud@@@node-service-1'), WAIT);
  });

  it('pointed at a broker that does not know its tokens, the dashboard shows the refusal and stops', async () => {
    // Same instance id and AccessKey, but its own token store: the tokens the OpenAPI issued are
    // unknown there, as with APSARAMQ_HOST naming another instance's broker.
    const other = await startBroker({ instanceId: INSTANCE, accessKeys: [AK] });
    let misdirected: Started | undefined;
    try {
      misdirected = await startDemo(instanceEnv(other));
      context = await browser.newContext();
      const page = await context.newPage();
      const log = recordPage(page);
      let webSockets = 0;
      page.on('websocket', () => void webSockets++);
      await page.clock.install();
      await page.goto(`${misdirected.urls.dashboard}?device=dashboard-lost`);
      await waitForDashboard(page, log, 'refused', `d.state === 'refused'`);
      const detail = (await page.locator('#detail').textContent()) ?? '';
      expect(detail).toMatch(/not authorized \(code 5\)/);
      // The refusal was answered by one refresh; the server checked its token (still valid at the
      // OpenAPI) and handed out the same one, so the SDK gave up instead of retrying it.
      expect(webSockets).toBe(1);
      await page.clock.runFor(120_000);
      expect(webSockets).toBe(1);
      await screenshot(page, 'start-instance-refused');
      const exit = await withTimeout(misdirected.process.stop({ signal: 'SIGINT', timeout: 15_000 }), 20_000, 'npm start to stop');
      expect(exit).toEqual({ code: 0, signal: null });
    } finally {
      await misdirected?.process.stop({ timeout: 5000 });
      await other.close();
    }
  });
});
