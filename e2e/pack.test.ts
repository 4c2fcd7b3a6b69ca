/**
 * The package as a user gets it: `npm pack`, installed from the tarball into an empty project
 * (offline, from files packed from this checkout: nothing but loopback is contacted), then used by name with `import`,
 * `require`, TypeScript and a `<script>` tag; and linted with publint and arethetypeswrong.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOC_VECTOR } from '../test/helpers/vectors.js';
import { launchChromium, recordPage, screenshot } from './helpers/chromium.js';
import { ROOT } from './helpers/paths.js';
import { installPacked } from './helpers/packed.js';
import { atExit } from './helpers/process.js';
import { startStaticServer, type StaticServer } from './helpers/static-server.js';

const run = promisify(execFile);
const BIN = join(ROOT, 'node_modules', '.bin');

let dir: string;
let tarball: string;
let consumer: string;
let installed: string;
let manifest: { name: string; unpkg: string; exports: Record<string, unknown> };
let releaseCleanup: () => void;

/** Runs `node` in the consumer project and returns its stdout parsed as JSON. */
async function nodeJson(args: string[]): Promise<unknown> {
  const { stdout } = await run(process.execPath, args, { cwd: consumer, timeout: 30_000 });
  return JSON.parse(stdout);
}

const { accessKeyId, accessKeySecret, instanceId, clientId, username, password } = DOC_VECTOR;
const SIGN = `{ accessKeyId: ${JSON.stringify(accessKeyId)}, accessKeySecret: ${JSON.stringify(accessKeySecret)}, instanceId: ${JSON.stringify(instanceId)}, clientId: ${JSON.stringify(clientId)} }`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'apsaramq-pack-'));
  releaseCleanup = atExit(() => void rm(dir, { recursive: true, force: true }));
  ({ dir: consumer, tarball } = await installPacked(dir));
  installed = join(consumer, 'node_modules', 'apsaramq-mqtt-auth');
  manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8'));
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  releaseCleanup?.();
});

describe('packed package', () => {
  it('contains the builds, their types, the README and nothing from src or tests', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/cli.js', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', manifest.unpkg.replace(/^\.\//, '')]));
    expect(files.filter((f) => /^(src|test|e2e|scripts)\//.test(f))).toEqual([]);
  });

  it('passes publint (strict)', async () => {
    const { messages, pkg } = await publint({ pkgDir: installed, strict: true, level: 'suggestion' });
    expect(messages.map((m) => formatMessage(m, pkg))).toEqual([]);
  });

  it('passes arethetypeswrong for every entry point', async () => {
    const result = await run(join(BIN, 'attw'), [tarball, '--format', 'json', '--profile', 'node16'], { timeout: 110_000 }).catch((e: { stdout: string }) => e);
    const report = JSON.parse(result.stdout) as { analysis: { problems: unknown[]; entrypoints: Record<string, unknown> } };
    expect(report.analysis.problems).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints)).toEqual(expect.arrayContaining(['.', './server', './broker']));
  }, 120_000);

  it('works by name with import (ESM)', async () => {
    const out = await nodeJson([
      '--input-type=module',
      '-e',
      `import * as m from 'apsaramq-mqtt-auth';
       const a = await m.signatureCredentials(${SIGN});
       const b = await m.signatureCredentials({ ...${SIGN}, hmac: m.nobleHmacSha1 });
       console.log(JSON.stringify({ a, b, backend: m.hmacBackend(), url: m.createConnectOptions({ instanceId: 'i', clientId: ${JSON.stringify(clientId)}, credentials: a }).url }));`,
    ]);
    expect(out).toEqual({ a: { username, password }, b: { username, password }, backend: 'node', url: 'mqtts://i.mqtt.aliyuncs.com:8883' });
  });

  it('works by name with require (CJS), including the lazily loaded noble backend', async () => {
    const out = await nodeJson([
      '-e',
      `const m = require('apsaramq-mqtt-auth');
       Promise.all([m.signatureCredentials(${SIGN}), m.signatureCredentials({ ...${SIGN}, hmac: m.nobleHmacSha1 })])
         .then(([a, b]) => console.log(JSON.stringify({ a, b, isError: new m.ApsaraMqttAuthError('ERR_INVALID_ARGUMENT', 'x') instanceof Error })));`,
    ]);
    expect(out).toEqual({ a: { username, password }, b: { username, password }, isError: true });
  });

  it('serves apsaramq-mqtt-auth/server by name, with one error class shared with the main entry', async () => {
    const handle = `const h = s.createCredentialHandler({ instanceId: ${JSON.stringify(instanceId)}, accessKeyId: ${JSON.stringify(accessKeyId)}, accessKeySecret: ${JSON.stringify(accessKeySecret)}, authorize: () => ({ mode: 'signature' }) });
       h(new Request('http://127.0.0.1/?clientId=${encodeURIComponent(clientId)}')).then((r) => r.json()).then((b) => console.log(JSON.stringify({ password: b.password, shared: s.ApsaraMqttAuthError === m.ApsaraMqttAuthError })));`;
    const esm = await nodeJson(['--input-type=module', '-e', `import * as s from 'apsaramq-mqtt-auth/server'; import * as m from 'apsaramq-mqtt-auth';
${handle}`]);
    const cjs = await nodeJson(['-e', `const s = require('apsaramq-mqtt-auth/server'); const m = require('apsaramq-mqtt-auth');
${handle}`]);
    expect([esm, cjs]).toEqual([{ password, shared: true }, { password, shared: true }]);
  });

  it('runs the bin by name: npx apsaramq-mqtt-auth sign', async () => {
    const args = ['--no-install', 'apsaramq-mqtt-auth', 'sign', '--access-key-id', accessKeyId, '--instance-id', instanceId, '--client-id', clientId, '--json'];
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', APSARAMQ_ACCESS_KEY_SECRET: accessKeySecret };
    const { stdout } = await run('npx', args, { cwd: consumer, env, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ username, password });
  });

  it('type-checks a TypeScript consumer under node16 resolution, as ESM and as CJS', async () => {
    const body = `const c = await signatureCredentials(${SIGN});
const u: string = c.username;
const t = tokenCredentials({ accessKeyId: 'a', instanceId: 'i', tokens: { RW: 'x' } });
const o = createConnectOptions({ instanceId: 'i', clientId: 'GID_Test@@@1', credentials: t, transport: 'wss', keepalive: 30 });
const e: ApsaraMqttAuthErrorCode = 'ERR_INVALID_CLIENT_ID';
const h: (request: Request) => Promise<Response> = createCredentialHandler({ instanceId: 'i', authorize: () => ({ mode: 'token', resources: ['a'], actions: 'R' }) });
export { u, o, e, h };
`;
    const imports = `import { signatureCredentials, tokenCredentials, createConnectOptions, type ApsaraMqttAuthErrorCode } from 'apsaramq-mqtt-auth';
import { createCredentialHandler } from 'apsaramq-mqtt-auth/server';\n`;
    await writeFile(join(consumer, 'esm.mts'), imports + body);
    await writeFile(join(consumer, 'cjs.cts'), imports + `async function main() {\n${body.replace(/^export .*$/m, '')}}\nvoid main;\n`);
    const tsc = join(BIN, 'tsc');
    const flags = ['--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules/@types')];
    const result = await run(tsc, [...flags, 'esm.mts', 'cjs.cts'], { cwd: consumer, timeout: 110_000 }).catch((e: { stdout: string }) => e);
    expect(result.stdout).toBe('');
  }, 120_000);

  describe('<script> tag from the unpkg/jsdelivr file', () => {
    let server: StaticServer;
    let browser: Browser;

    beforeAll(async () => {
      await writeFile(
        join(consumer, 'index.html'),
        `<!doctype html><meta charset="utf-8"><title>pack</title>
<script src="/node_modules/apsaramq-mqtt-auth/${manifest.unpkg.replace(/^\.\//, '')}"></script>
<p id="out">…</p>
<script>
  ApsaraMqttAuth.signatureCredentials(${SIGN}).then((c) => { document.getElementById('out').textContent = c.username + ' ' + c.password; });
</script>`,
      );
      server = await startStaticServer({ roots: { '/': consumer } });
      browser = await launchChromium();
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it('defines the ApsaraMqttAuth global and signs the documentation vector', async () => {
      expect(JSON.parse(JSON.stringify(manifest))).toMatchObject({ jsdelivr: manifest.unpkg });
      const page = await browser.newPage();
      const log = recordPage(page);
      await page.goto(server.url('/index.html'));
      await page.waitForFunction(() => document.getElementById('out')?.textContent !== '…', undefined, { timeout: 10_000 });
      expect(await page.textContent('#out'), log.text()).toBe(`${username} ${password}`);
      await screenshot(page, 'pack-script-tag');
    });
  });
});
