/**
 * README's bundler path, as an app's developer takes it: the package and mqtt installed side by side
 * in an app's `node_modules` (the package copied as npm installs it, mqtt.js linked in), a small app
 * that imports `connectAsync` from `apsaramq-mqtt-auth` and never passes the `mqtt` option, built for
 * the browser by esbuild (`--bundle --splitting --format=esm --platform=browser`), Vite 7 (`vite build`)
 * and webpack 5 (`webpack --mode production --target web`) into a temporary folder, served on
 * 127.0.0.1 and loaded in Chromium, where it connects to the local broker over WebSocket in
 * Signature mode, subscribes, publishes and reads its own message. Each bundler must find mqtt.js by
 * itself through the browser build's lazy `import('mqtt')` and keep it out of what the page loads up
 * front (the entry chunk and the chunks it imports statically): a chunk of its own, fetched at the
 * first connect. An app that only signs gets no mqtt.js in what it loads at all.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { build as esbuild } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type LocalBroker } from '../src/broker/broker-entry.js';
import { DOC_VECTOR } from '../test/helpers/vectors.js';
import { launchChromium, recordPage, screenshot } from './helpers/chromium.js';
import { ROOT } from './helpers/paths.js';
import { atExit } from './helpers/process.js';
import { startStaticServer, type StaticServer } from './helpers/static-server.js';

const run = promisify(execFile);

/** A string mqtt.js's browser bundle carries (its debug namespace) and minifiers keep: where mqtt.js went. */
const MQTT_MARK = 'mqttjs:client';
const instanceId = 'mqtt-cn-bundled';
const pageKey = { accessKeyId: 'LTAI-bundled-page', accessKeySecret: 'bundled-page-AccessKeySecret' };

/** The app: connects without an `mqtt` option, round-trips one message, reports on `window.__result`. */
const CONNECT_APP = `import { connectAsync, signatureCredentials } from 'apsaramq-mqtt-auth';

async function main() {
  const { endpoint, accessKeyId, accessKeySecret, instanceId, clientId, topic } = await (await fetch('./config.json')).json();
  const client = await connectAsync({
    ...endpoint, instanceId, clientId, reconnectPeriod: 0,
    credentials: signatureCredentials({ accessKeyId, accessKeySecret, instanceId, clientId }),
  });
  const received = new Promise((resolve) => client.on('message', (t, payload) => resolve(new TextDecoder().decode(payload))));
  await client.subscribeAsync(topic, { qos: 1 });
  await client.publishAsync(topic, 'from a bundled page', { qos: 1 });
  const text = await received;
  await client.endAsync();
  return { ok: true, text };
}
main().then((result) => (window.__result = result), (error) => (window.__result = { ok: false, code: error.code, message: String(error.message) }));
`;

/** An app that only signs (a page that shows a Username/Password, say). */
const SIGN_APP = `import { signatureCredentials } from 'apsaramq-mqtt-auth';

signatureCredentials(${JSON.stringify({ accessKeyId: DOC_VECTOR.accessKeyId, accessKeySecret: DOC_VECTOR.accessKeySecret, instanceId: DOC_VECTOR.instanceId, clientId: DOC_VECTOR.clientId })})
  .then((c) => (window.__result = { ok: true, text: c.username + ' ' + c.password }), (error) => (window.__result = { ok: false, code: error.code, message: String(error.message) }));
`;

type AppName = 'connect' | 'sign';
const APPS: Record<AppName, string> = { connect: CONNECT_APP, sign: SIGN_APP };

/** What a build produced: its folder, the page to open, and the JavaScript loaded up front vs. later. */
interface Built {
  dir: string;
  page: string;
  upFront: string[];
  lazy: string[];
}

let work: string;
let broker: LocalBroker;
let server: StaticServer;
let browser: Browser;
let forget: () => void;

/** `<work>/node_modules`: the package as npm installs it (package.json and dist/), mqtt.js and @noble/hashes beside it. */
function installPackages(): void {
  const modules = join(work, 'node_modules');
  const installed = join(modules, 'apsaramq-mqtt-auth');
  mkdirSync(installed, { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(installed, 'package.json'));
  cpSync(join(ROOT, 'dist'), join(installed, 'dist'), { recursive: true });
  mkdirSync(join(modules, '@noble'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules/@noble/hashes'), join(modules, '@noble/hashes'), 'dir');
  symlinkSync(join(ROOT, 'node_modules/mqtt'), join(modules, 'mqtt'), 'dir');
  writeFileSync(join(work, 'package.json'), '{ "name": "bundled-app", "private": true, "type": "module" }\n');
}

/** `<work>/<bundler>-<app>/`: the app's source, an index.html for it, and the bundler's output in `out/`. */
function appFolder(bundler: string, app: AppName, html: string): string {
  const dir = join(work, `${bundler}-${app}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'main.js'), APPS[app]);
  writeFileSync(join(dir, 'index.html'), `<!doctype html>\n<meta charset="utf-8" />\n<title>${app}</title>\n${html}\n`);
  return dir;
}

const jsFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.js'))
    .map((f) => join(dir, f));

/** Files reached from `entries` by static imports (`import … from './chunk.js'`), as a browser loads them before running the entry. */
function staticClosure(entries: string[]): string[] {
  const seen = new Set(entries);
  for (const file of seen) {
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:^|[;}\s])import\s*(?:[\w${}\s,*]+from\s*)?["'](\.{1,2}\/[^"']+)["']/g)) seen.add(join(file, '..', spec!));
  }
  return [...seen];
}

function split(out: string, upFront: string[]): Built {
  const all = jsFiles(out);
  return { dir: out, page: 'index.html', upFront, lazy: all.filter((f) => !upFront.includes(f)) };
}

const BUILDERS: Record<string, (app: AppName) => Promise<Built>> = {
  async esbuild(app) {
    const dir = appFolder('esbuild', app, '<script type="module" src="./main.js"></script>');
    const out = join(dir, 'out');
    await esbuild({ entryPoints: [join(dir, 'main.js')], absWorkingDir: dir, bundle: true, splitting: true, format: 'esm', platform: 'browser', minify: true, outdir: out, logLevel: 'error' });
    cpSync(join(dir, 'index.html'), join(out, 'index.html'));
    return split(out, staticClosure([join(out, 'main.js')]));
  },
  async vite(app) {
    const dir = appFolder('vite', app, '<script type="module" src="./main.js"></script>');
    const out = join(dir, 'out');
    await run(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', out, '--emptyOutDir', '--base', './', '--logLevel', 'warn'], { cwd: dir, timeout: 120_000 });
    // What index.html loads: its module script and the chunks Vite preloads for it.
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const referenced = [...html.matchAll(/(?:src|href)="\.?\/?([^"]+\.js)"/g)].map(([, file]) => join(out, file!));
    return split(out, staticClosure(referenced));
  },
  async webpack(app) {
    const dir = appFolder('webpack', app, '<script src="./main.js"></script>');
    const out = join(dir, 'out');
    await run(process.execPath, [join(ROOT, 'node_modules/webpack-cli/bin/cli.js'), '--entry', './main.js', '--output-path', out, '--mode', 'production', '--target', 'web', '--no-devtool'], { cwd: dir, timeout: 120_000 });
    cpSync(join(dir, 'index.html'), join(out, 'index.html'));
    return split(out, [join(out, 'main.js')]);
  },
};

const carriesMqtt = (file: string) => readFileSync(file, 'utf8').includes(MQTT_MARK);
const names = (built: Built, files: string[]) => files.map((f) => relative(built.dir, f));

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'apsaramq-bundlers-'));
  forget = atExit(() => rmSync(work, { recursive: true, force: true }));
  installPackages();
  broker = await startBroker({ instanceId, accessKeys: [pageKey] });
  server = await startStaticServer({ roots: { '/': work } });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await broker?.close();
  rmSync(work, { recursive: true, force: true });
  forget?.();
});

/** Opens the built page and returns what it reported, with the URLs it fetched. */
async function load(built: Built, config?: unknown): Promise<{ result: { ok: boolean; text?: string; code?: string; message?: string }; fetched: string[] }> {
  if (config) writeFileSync(join(built.dir, 'config.json'), JSON.stringify(config));
  const page = await browser.newPage();
  const log = recordPage(page);
  const fetched: string[] = [];
  page.on('request', (r) => fetched.push(r.url()));
  try {
    await page.goto(server.url(`/${relative(work, built.dir)}/${built.page}`));
    await page.waitForFunction(() => (window as { __result?: unknown }).__result, undefined, { timeout: 20_000 }).catch(async (error) => {
      await screenshot(page, `bundlers-${relative(work, built.dir).replace(/\W+/g, '-')}`);
      throw new Error(`${(error as Error).message}\n${log.text()}`);
    });
    const result = (await page.evaluate(() => (window as { __result?: unknown }).__result)) as { ok: boolean; text?: string };
    return { result, fetched };
  } finally {
    await page.close();
  }
}

describe.each(Object.keys(BUILDERS))('%s builds an app that imports apsaramq-mqtt-auth, mqtt installed beside it', (bundler) => {
  it('connectAsync without the mqtt option: the page connects over WebSocket and reads its own message; mqtt.js is a lazy chunk, not in the entry', async () => {
    const built = await BUILDERS[bundler]!('connect');
    expect(built.upFront.length).toBeGreaterThan(0);
    expect(names(built, built.upFront.filter(carriesMqtt)), 'mqtt.js in what the page loads up front').toEqual([]);
    const mqttChunks = built.lazy.filter(carriesMqtt);
    expect(names(built, mqttChunks), 'mqtt.js in a lazy chunk').toHaveLength(1);

    const clientId = `GID_bundled@@@${bundler}`;
    const { result, fetched } = await load(built, { endpoint: broker.endpoint('ws'), ...pageKey, instanceId, clientId, topic: `bundled/${bundler}` });
    expect(result).toEqual({ ok: true, text: 'from a bundled page' });
    // The lazy chunk was fetched, by the connect.
    expect(fetched.some((url) => url.endsWith(`/${relative(work, mqttChunks[0]!)}`))).toBe(true);
  }, 180_000);

  it('an app that only signs loads no mqtt.js', async () => {
    const built = await BUILDERS[bundler]!('sign');
    const { result, fetched } = await load(built);
    expect(result).toEqual({ ok: true, text: `${DOC_VECTOR.username} ${DOC_VECTOR.password}` });
    const loaded = built.upFront.concat(built.lazy).filter((f) => fetched.some((url) => url.endsWith(`/${relative(work, f)}`)));
    expect(names(built, loaded.filter(carriesMqtt)), 'mqtt.js fetched by a page that only signs').toEqual([]);
  }, 180_000);
});
