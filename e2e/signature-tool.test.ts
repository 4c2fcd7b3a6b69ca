/**
 * examples/signature-tool in Debian's Chromium through playwright-core, from three kinds of origin:
 * file:// and http://127.0.0.1 (secure contexts: WebCrypto signs) and http://signature.test, a
 * made-up host mapped to 127.0.0.1 (not a secure context: no crypto.subtle, so noble signs).
 * Each time: fill in, click, compare with the documentation's known answer, copy, screenshot,
 * and check that the page requested nothing but its own files.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOC_VECTOR, hexOf } from '../test/helpers/vectors.js';
import { launchChromium, recordPage, screenshot, type PageLog } from './helpers/chromium.js';
import { ROOT } from './helpers/paths.js';
import { startStaticServer, type StaticServer } from './helpers/static-server.js';

/** The page, with its vendor/ copy of the UMD build (written by `npm run build`, run by check.sh first). */
const TOOL_DIR = join(ROOT, 'examples/signature-tool');
const { accessKeyId, accessKeySecret, instanceId, clientId, username, password } = DOC_VECTOR;
const INSECURE_HOST = 'signature.test';

let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  server = await startStaticServer({ roots: { '/': TOOL_DIR } });
  browser = await launchChromium({ args: [`--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`] });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

interface Origin {
  name: string;
  url: () => string;
  /** What the page's own files look like from this origin. */
  ownPrefix: () => string;
  secure: boolean;
  backend: 'webcrypto' | 'noble';
}

const ORIGINS: Origin[] = [
  { name: 'file', url: () => pathToFileURL(join(TOOL_DIR, 'index.html')).href, ownPrefix: () => pathToFileURL(TOOL_DIR).href + '/', secure: true, backend: 'webcrypto' },
  { name: 'localhost-http', url: () => server.url('/'), ownPrefix: () => server.url('/'), secure: true, backend: 'webcrypto' },
  { name: 'insecure-http', url: () => server.url('/', INSECURE_HOST), ownPrefix: () => server.url('/', INSECURE_HOST), secure: false, backend: 'noble' },
];

const OWN_FILES = ['index.html', 'tool.css', 'tool.js', 'vendor/apsaramq-mqtt-auth.full.umd.min.js'];

interface Opened {
  context: BrowserContext;
  page: Page;
  /** Every URL the page requested, as Chromium saw it. */
  requests: string[];
  log: PageLog;
}

async function open(origin: Origin): Promise<Opened> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  const log = recordPage(page);
  await page.goto(origin.url());
  return { context, page, requests, log };
}

async function fillDocVector(page: Page): Promise<void> {
  await page.fill('#access-key-id', accessKeyId);
  await page.fill('#secret', accessKeySecret);
  await page.fill('#instance-id', instanceId);
  await page.fill('#client-id', clientId);
  await page.click('#compute');
  await expect.poll(() => page.inputValue('#password')).toBe(password);
}

describe.each(ORIGINS)('signature tool from $name', (origin) => {
  let opened: Opened;
  beforeAll(async () => {
    opened = await open(origin);
  });
  afterAll(async () => {
    await opened?.context.close();
  });

  it(`is ${origin.secure ? 'a secure context with' : 'NOT a secure context, without'} crypto.subtle`, async () => {
    const facts = await opened.page.evaluate(() => ({ secure: window.isSecureContext, subtle: typeof globalThis.crypto?.subtle, sdk: typeof (window as { ApsaraMqttAuth?: unknown }).ApsaraMqttAuth }));
    expect(facts).toEqual({ secure: origin.secure, subtle: origin.secure ? 'object' : 'undefined', sdk: 'object' });
  });

  it('computes the documentation vector, with the explain details', async () => {
    const { page } = opened;
    await fillDocVector(page);
    expect(await page.inputValue('#username')).toBe(username);
    expect(await page.textContent('#message-hex')).toBe(hexOf(clientId));
    expect(await page.textContent('#message-bytes')).toBe('15');
    expect(await page.textContent('#key-bytes')).toBe('5');
    expect(await page.textContent('#hmac-hex')).toBe('bc8d34f48649655191c01c19be76f08dfb97c553');
    expect(await page.textContent('#hmac-base64')).toBe(password);
    expect(await page.getAttribute('#backend', 'data-backend')).toBe(origin.backend);
    const checks = await page.$$eval('#checks > li', (items) => items.map((li) => `${li.className} ${(li as HTMLElement).dataset.field}`));
    expect(checks).toEqual(['ok accessKeyId', 'ok instanceId', 'ok clientId', 'ok groupId', 'ok deviceId', 'ok accessKeySecret']);
    // The secret is only ever in its own input, never in the page's text.
    expect(await page.evaluate(() => document.body.innerText.includes('XXXXX'))).toBe(false);
    await screenshot(page, `signature-tool-${origin.name}`);
  });

  it('copies the Password and the Username to the clipboard', async () => {
    const { page } = opened;
    // What the clipboard holds, read back the way a user would: paste into a scratch field.
    const pasted = async () => {
      await page.evaluate(() => document.body.append(Object.assign(document.createElement('textarea'), { id: 'scratch' })));
      await page.focus('#scratch');
      await page.keyboard.press('Control+V');
      const value = await page.inputValue('#scratch');
      await page.evaluate(() => document.getElementById('scratch')!.remove());
      return value;
    };
    await page.click('button[data-copy="password"]');
    await expect.poll(() => page.textContent('#copy-status')).toBe('Password copied.');
    expect(await pasted()).toBe(password);
    await page.click('button[data-copy="username"]');
    await expect.poll(() => page.textContent('#copy-status')).toBe('Username copied.');
    expect(await pasted()).toBe(username);
  });

  it('requested nothing but its own files, and stored nothing', async () => {
    const { page, requests, log } = opened;
    const own = new Set([origin.ownPrefix(), ...OWN_FILES.map((file) => origin.ownPrefix() + file)]);
    const foreign = requests.filter((url) => !own.has(url) && url !== 'data:,');
    expect(foreign).toEqual([]);
    expect(requests).toContain(origin.ownPrefix() + 'vendor/apsaramq-mqtt-auth.full.umd.min.js');
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie])).toEqual([0, 0, '']);
    // No CSP violation, error or failed request was logged.
    expect(log.lines).toEqual([]);
  });
});

describe('signature tool behaviour', () => {
  let opened: Opened;
  let firstRequest: number;
  beforeAll(async () => {
    firstRequest = server.requests.length;
    opened = await open(ORIGINS[1]!);
  });
  afterAll(async () => {
    await opened?.context.close();
  });

  it('the Content-Security-Policy stops any request the page might try to make', async () => {
    const { page } = opened;
    const outcome = await page.evaluate(async (url) => {
      try {
        await fetch(url);
        return 'sent';
      } catch (error) {
        return (error as Error).name;
      }
    }, server.url('/should-never-arrive'));
    expect(outcome).toBe('TypeError');
    expect(server.requests.slice(firstRequest).map((r) => r.url)).toEqual(['/', '/tool.css', '/vendor/apsaramq-mqtt-auth.full.umd.min.js', '/tool.js']);
    expect(opened.log.text()).toMatch(/Content Security Policy/);
  });

  it('signs an invalid client id anyway, and lists each broken rule per part', async () => {
    const { page } = opened;
    await page.fill('#secret', accessKeySecret);
    await page.fill('#client-id', 'GID@@@dev/1');
    await expect.poll(() => page.textContent('#message-hex')).toBe(hexOf('GID@@@dev/1'));
    expect(await page.inputValue('#password')).toMatch(/^[A-Za-z0-9+/]{27}=$/);
    const group = page.locator('#checks > li[data-field="groupId"]');
    expect(await group.getAttribute('class')).toBe('fail');
    // Messages name the parts as the page labels them, not by the SDK's code names.
    expect(await group.locator('li').allTextContents()).toEqual([
      'GroupId must start with "GID_" or "GID-"',
      'GroupId has 3 characters: use 7 to 64',
    ]);
    expect(await page.textContent('#message')).toMatch(/2 parts break a rule/);
  });

  it('flags a trailing space in the secret without showing the secret', async () => {
    const { page } = opened;
    await page.fill('#client-id', clientId);
    await page.fill('#secret', 'S3cr3t-value ');
    await expect.poll(() => page.textContent('#key-bytes')).toBe('13');
    const secretCheck = page.locator('#checks > li[data-field="accessKeySecret"]');
    expect(await secretCheck.getAttribute('class')).toBe('fail');
    expect(await secretCheck.textContent()).toMatch(/AccessKey secret ends with white space/);
    expect(await page.evaluate(() => document.body.innerText.includes('S3cr3t-value'))).toBe(false);
  });

  it('DeviceCredential mode renames the fields and the Username', async () => {
    const { page } = opened;
    await page.selectOption('#mode', 'device');
    await page.fill('#access-key-id', 'dak-1');
    await page.fill('#secret', accessKeySecret);
    await page.fill('#instance-id', instanceId);
    await expect.poll(() => page.inputValue('#username')).toBe(`DeviceCredential|dak-1|${instanceId}`);
    expect(await page.inputValue('#password')).toBe(password);
    expect(await page.textContent('#key-id-label')).toBe('DeviceAccessKeyId');
    expect(await page.textContent('#secret-label')).toBe('DeviceAccessKeySecret');
  });

  it('Clear empties every field and hides the result', async () => {
    const { page } = opened;
    await page.click('#clear');
    expect(await page.inputValue('#secret')).toBe('');
    expect(await page.inputValue('#password')).toBe('');
    expect(await page.isHidden('#result')).toBe(true);
    expect(await page.textContent('#message')).toBe('Fill in the AccessKey secret and the Client ID.');
  });
});

describe('signature tool on a 390 px phone screen', () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    page = await context.newPage();
    await page.goto(server.url('/'));
  });
  afterAll(async () => {
    await context?.close();
  });

  /** Elements whose box reaches past the screen's right edge, and the page's own scroll width. */
  const overflow = () =>
    page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
      beyond: Array.from(document.querySelectorAll('body *'))
        .filter((el) => el.getClientRects().length > 0 && el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
        .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}`),
    }));

  it('fits the screen: no horizontal scrolling, no field past the edge, with long values and every check shown', async () => {
    expect(await overflow()).toEqual({ scrollWidth: 390, clientWidth: 390, beyond: [] });
    await page.fill('#access-key-id', 'LTAI5t' + 'X'.repeat(40));
    await page.fill('#secret', 'S3cr3t-value ');
    await page.fill('#instance-id', 'mqtt-cn-' + '0'.repeat(40));
    await page.fill('#client-id', 'GID@@@' + 'd'.repeat(60) + '/1');
    // Client id (too long), GroupId, DeviceId and the secret each break a rule.
    await expect.poll(() => page.locator('#checks > li.fail').count()).toBe(4);
    expect(await overflow()).toEqual({ scrollWidth: 390, clientWidth: 390, beyond: [] });
    await page.selectOption('#mode', 'device');
    await expect.poll(() => page.textContent('#secret-label')).toBe('DeviceAccessKeySecret');
    expect(await overflow()).toEqual({ scrollWidth: 390, clientWidth: 390, beyond: [] });
    await screenshot(page, 'signature-tool-390px');
  });

  it('keeps a check\'s status, part and value apart, in the text as on screen', async () => {
    const items = await page.$$eval('#checks > li', (lis) => lis.map((li) => Array.from(li.children).filter((c) => c.tagName !== 'UL').map((c) => c.textContent).join('|') + '#' + li.firstChild!.nextSibling!.textContent));
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(item).toMatch(/^(ok|problem)\|[^|]+\|[^|]+# $/);
    const group = await page.locator('#checks > li[data-field="groupId"]').evaluate((li) => li.textContent!);
    expect(group.startsWith('problem GroupId "GID"')).toBe(true);
    // Laid out as columns: the status ends before the part's name begins.
    const [verdict, part] = await page.locator('#checks > li[data-field="groupId"] > span').evaluateAll((spans) => spans.map((s) => s.getBoundingClientRect()));
    expect(verdict!.right).toBeLessThan(part!.left);
  });

  it('names parts by their labels, never by code names, in every mode', async () => {
    const codeNames = /\b(accessKeyId|accessKeySecret|deviceAccessKeyId|deviceAccessKeySecret|instanceId|clientId|groupId|deviceId)\b/;
    const texts = async () => (await page.locator('#checks').innerText()) + (await page.locator('#message').innerText());
    expect(await texts()).toMatch(/DeviceAccessKeySecret ends with white space/);
    expect(await texts()).not.toMatch(codeNames);
    await page.selectOption('#mode', 'signature');
    await page.fill('#instance-id', 'mqtt|x');
    await expect.poll(() => page.locator('#checks > li[data-field="instanceId"]').getAttribute('class')).toBe('fail');
    expect(await page.locator('#checks > li[data-field="instanceId"] li').allTextContents()).toEqual(['Instance ID must not contain "|" or white space']);
    expect(await texts()).not.toMatch(codeNames);
  });
});
