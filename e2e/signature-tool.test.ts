/**
 * examples/signature-tool in Debian's Chromium through playwright-core, from three kinds of origin:
 * file:// and http://127.0.0.1 (secure contexts: WebCrypto signs) and http://signature.test, a
 * made-up host mapped to 127.0.0.1 (not a secure context: no crypto.subtle, so noble signs).
 * Each time: fill in, click, compare with the documentation's known answer, copy, screenshot,
 * and check that the page requested nothing but its own files.
 */
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOC_VECTOR, hexOf } from '../test/helpers/vectors.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../vitest.config.js';
import { ROOT, ensureBuilt } from './helpers/ensure-built.js';

const TOOL_DIR = join(ROOT, 'examples/signature-tool');
const ARTIFACTS = join(ROOT, 'artifacts');
const { accessKeyId, accessKeySecret, instanceId, clientId, username, password } = DOC_VECTOR;
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

let server: Server;
let port: number;
let browser: Browser;
/** Every path the static server was asked for, in order. */
const served: string[] = [];

/** Serves examples/signature-tool at `/` (GET only, nothing outside the folder). */
function startServer(): Promise<void> {
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    served.push(path);
    const file = normalize(join(TOOL_DIR, path === '/' ? 'index.html' : path));
    if (req.method !== 'GET' || !file.startsWith(TOOL_DIR + '/')) {
      res.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
}

beforeAll(async () => {
  ensureBuilt('dist/apsaramq-mqtt-auth.umd.min.js', 'examples/signature-tool/vendor/apsaramq-mqtt-auth.umd.min.js');
  mkdirSync(ARTIFACTS, { recursive: true });
  await startServer();
  port = (server.address() as AddressInfo).port;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP signature.test 127.0.0.1'],
    timeout: 30_000,
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
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
  { name: 'localhost-http', url: () => `http://127.0.0.1:${port}/`, ownPrefix: () => `http://127.0.0.1:${port}/`, secure: true, backend: 'webcrypto' },
  { name: 'insecure-http', url: () => `http://signature.test:${port}/`, ownPrefix: () => `http://signature.test:${port}/`, secure: false, backend: 'noble' },
];

const OWN_FILES = ['index.html', 'tool.css', 'tool.js', 'vendor/apsaramq-mqtt-auth.umd.min.js'];

interface Opened {
  context: BrowserContext;
  page: Page;
  requests: string[];
  problems: string[];
}

async function open(origin: Origin): Promise<Opened> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  await page.goto(origin.url());
  return { context, page, requests, problems };
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
    await page.screenshot({ path: join(ARTIFACTS, `signature-tool-${origin.name}.png`), fullPage: true });
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
    const { page, requests, problems } = opened;
    const own = new Set([origin.ownPrefix(), ...OWN_FILES.map((file) => origin.ownPrefix() + file)]);
    const foreign = requests.filter((url) => !own.has(url) && url !== 'data:,');
    expect(foreign).toEqual([]);
    expect(requests).toContain(origin.ownPrefix() + 'vendor/apsaramq-mqtt-auth.umd.min.js');
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie])).toEqual([0, 0, '']);
    expect(problems).toEqual([]);
  });
});

describe('signature tool behaviour', () => {
  let opened: Opened;
  beforeAll(async () => {
    served.length = 0;
    opened = await open(ORIGINS[1]!);
  });
  afterAll(async () => {
    await opened?.context.close();
  });

  it('the Content-Security-Policy stops any request the page might try to make', async () => {
    const { page } = opened;
    const before = served.length;
    const outcome = await page.evaluate(async (url) => {
      try {
        await fetch(url);
        return 'sent';
      } catch (error) {
        return (error as Error).name;
      }
    }, `http://127.0.0.1:${port}/should-never-arrive`);
    expect(outcome).toBe('TypeError');
    expect(served.slice(before)).toEqual([]);
    expect(served).toEqual(['/', '/tool.css', '/vendor/apsaramq-mqtt-auth.umd.min.js', '/tool.js']);
  });

  it('signs an invalid client id anyway, and lists each broken rule per part', async () => {
    const { page } = opened;
    await page.fill('#secret', accessKeySecret);
    await page.fill('#client-id', 'GID@@@dev/1');
    await expect.poll(() => page.textContent('#message-hex')).toBe(hexOf('GID@@@dev/1'));
    expect(await page.inputValue('#password')).toMatch(/^[A-Za-z0-9+/]{27}=$/);
    const group = page.locator('#checks > li[data-field="groupId"]');
    expect(await group.getAttribute('class')).toBe('fail');
    expect(await group.locator('li').allTextContents()).toEqual([
      'groupId "GID" must start with "GID_" or "GID-"',
      'groupId "GID" must be 7 to 64 characters long (it has 3)',
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
    expect(await secretCheck.textContent()).toMatch(/ends with white space/);
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
    expect(await page.textContent('#message')).toBe('Fill in the AccessKey secret and the client id.');
  });
});
