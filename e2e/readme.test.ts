/**
 * The README cannot drift: every fenced block of README.md and examples/<x>/README.md is type-checked
 * and run as written (the convention is in `helpers/readme-blocks.ts`).
 *
 * - One `npm start` (scripts/start.mjs, free ports) is the local broker, OpenAPI, credential server and web
 *   origin the samples run against; the README's "Run the samples" block, run by bash, gives the variables,
 *   and only the ports are pointed at this run's (`APSARAMQ_PORT`, `APSARAMQ_OPENAPI_ENDPOINT`).
 * - `ts`/`js` blocks: type-checked (strict) against the published declarations (`dist/*.d.ts`, through the
 *   package's own name), then run by Node from a folder of this checkout, so `apsaramq-mqtt-auth` resolves to
 *   `dist/` as in a user's project. A server block is run, asked, and stopped.
 * - `html` blocks: their scripts type-checked as JavaScript (the UMD global typed as the package), then saved as
 *   `examples/readme-test-<n>/index.html` (npm start serves every folder of examples/) and opened in Chromium.
 *   unpkg.com is answered with the files it would serve, from this checkout; any other request that would
 *   leave 127.0.0.1 fails the test.
 * - `js mini-program` blocks: type-checked as JavaScript (`wx` and `Page` loosely typed, the vendor files as the
 *   package), then run as a page of a mini-program holding examples/mini-program's `vendor/` (written by its
 *   `vendor.mjs`) in the sandbox of `helpers/mini-program.ts`, its `config.js` pointing at this npm start.
 * - `sh` blocks: bash -euo pipefail in an empty folder inside a project where the packed package is installed
 *   (`npm pack`, installed offline), so `npx apsaramq-mqtt-auth …` runs as it does for a user; no bin of this
 *   checkout is on the PATH, and npm is offline (an npx that would fetch fails).
 * - Some `text` blocks (program output) are compared with what the program prints.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { createClient } from 'redis';
import type { Browser, BrowserContext, Route } from 'playwright-core';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { summarize } from '../scripts/check-summary.mjs';
import { signatureCredentials } from '../src/index.js';
import { launchChromium, recordPage } from './helpers/chromium.js';
import { loadMiniProgram } from './helpers/mini-program.js';
import { nextMessage } from './helpers/mqtt.js';
import { ROOT } from './helpers/paths.js';
import { EPHEMERAL_START_PORTS, freePort } from './helpers/ports.js';
import { installPacked, type PackedProject } from './helpers/packed.js';
import { atExit, startProcess, type StartedProcess } from './helpers/process.js';
import { extractBlocks, kindOf, pageScripts, slug, type ReadmeBlock } from './helpers/readme-blocks.js';
import { startRedis, type RedisServer } from './helpers/redis.js';
import { WAIT, withTimeout } from './helpers/wait.js';

const run = promisify(execFile);

const FILES = ['README.md', ...readdirSync(join(ROOT, 'examples'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => `examples/${entry.name}/README.md`)
  .filter((file) => { try { readFileSync(join(ROOT, file)); return true; } catch { return false; } })];
const BLOCKS = FILES.flatMap((file) => extractBlocks(readFileSync(join(ROOT, file), 'utf8'), file));
const kindSafe = (block: ReadmeBlock) => { try { return kindOf(block); } catch { return undefined; } };
const CODE = BLOCKS.filter((block) => ['node-ts', 'node-js', 'mini-program', 'page'].includes(kindSafe(block) ?? ''));
const RUNNABLE = BLOCKS.filter((block) => ['node-ts', 'node-js', 'mini-program', 'page', 'shell'].includes(kindSafe(block) ?? ''));

const WORK = join(ROOT, '.tmp', 'readme');
const ENV_BLOCK = 'README.md#run-the-samples';
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

// ---------------------------------------------------------------------------------------------
// Type-checking: one program for the Node samples, one for the pages' scripts.

interface Source {
  block: ReadmeBlock;
  file: string;
  /** README line of the source's first line. */
  line: number;
}

function typeCheck(sources: Source[], options: ts.CompilerOptions, extraFiles: string[] = []): Map<string, string[]> {
  const program = ts.createProgram([...sources.map((s) => s.file), ...extraFiles], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
    ...options,
  });
  const problems = new Map<string, string[]>();
  for (const source of sources) {
    const file = program.getSourceFile(source.file);
    const diagnostics = file ? [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)] : [];
    const lines = diagnostics.map((d) => {
      const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0;
      return `${source.block.file}:${source.line + at}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    problems.set(source.block.id, [...(problems.get(source.block.id) ?? []), ...lines]);
  }
  return problems;
}

function typeCheckAll(): Map<string, string[]> {
  const dir = join(WORK, 'check');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const node: Source[] = [];
  const page: Source[] = [];
  const mini: Source[] = [];
  // A mini-program page: its vendor files are the package (and mqtt.js), its platform loosely typed.
  mkdirSync(join(dir, 'mini', 'vendor'), { recursive: true });
  mkdirSync(join(dir, 'mini', 'pages', 'readme'), { recursive: true });
  writeFileSync(join(dir, 'mini', 'vendor', 'apsaramq-mqtt-auth.d.ts'), "export * from 'apsaramq-mqtt-auth';\n");
  writeFileSync(join(dir, 'mini', 'vendor', 'mqtt.d.ts'), "export * from 'mqtt';\n");
  writeFileSync(join(dir, 'mini', 'config.d.ts'), 'export declare const instanceId: string, clientId: string, host: string, port: number, path: string, transport: "wx" | "wxs" | "ali" | "alis", credentialUrl: string, topic: string;\n');
  const miniGlobals = join(dir, 'mini', 'globals.d.ts');
  writeFileSync(miniGlobals, 'declare const wx: any;\ndeclare const my: any;\ndeclare function Page(page: Record<string, unknown> & ThisType<any>): void;\n');
  CODE.forEach((block, n) => {
    if (kindOf(block) === 'mini-program') {
      const file = join(dir, 'mini', 'pages', 'readme', `page-${n}.js`);
      writeFileSync(file, block.code);
      mini.push({ block, file, line: block.line + 1 });
    } else if (block.lang === 'html') {
      pageScripts(block.code).forEach((script, i) => {
        const file = join(dir, `page-${n}-${i}.${script.module ? 'mjs' : 'js'}`);
        // A classic script is checked as a module of its own, so two pages' globals do not collide.
        writeFileSync(file, script.module ? script.code : `${script.code}\nexport {};\n`);
        page.push({ block, file, line: block.line + 1 + block.code.slice(0, block.code.indexOf(script.code)).split('\n').length - 1 });
      });
    } else {
      const file = join(dir, `node-${n}.${block.lang === 'ts' ? 'ts' : 'mjs'}`);
      writeFileSync(file, block.code);
      node.push({ block, file, line: block.line + 1 });
    }
  });
  // The UMD file's global is the package's API; mqtt.js's browser bundle sets `mqtt`.
  const globals = join(dir, 'globals.d.ts');
  writeFileSync(globals, "declare global {\n  const ApsaraMqttAuth: typeof import('apsaramq-mqtt-auth');\n  const mqtt: typeof import('mqtt');\n}\nexport {};\n");
  return new Map([
    ...typeCheck(node, { lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: ['node'], allowJs: true, checkJs: true }),
    ...typeCheck(page, { lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'], types: [], allowJs: true, checkJs: true }, [globals]),
    // Mini-program JavaScript is untyped in practice: implicit any is allowed, the SDK's and mqtt.js's calls are checked.
    ...typeCheck(mini, { lib: ['lib.es2022.d.ts'], types: [], allowJs: true, checkJs: true, noImplicitAny: false, noImplicitThis: false }, [miniGlobals]),
  ]);
}

// ---------------------------------------------------------------------------------------------
// What the blocks run against.

interface Demo {
  process: StartedProcess;
  out: string;
  web: string;
  tcpPort: number;
  tlsPort: number;
  wsPort: number;
  http: string;
  caFile: string;
}

let types: Map<string, string[]>;
let demo: Demo;
let sampleEnv: Record<string, string>;
let redis: RedisServer;
let browser: Browser;
/** A project with the packed package installed: shell blocks run in a folder inside it, where `npx apsaramq-mqtt-auth` finds the bin. */
let cliProject: string;
let packDir: string;
const pageDirs: string[] = [];
const clients: MqttClient[] = [];
let releaseCleanup: () => void = () => {};

async function startDemo(): Promise<Demo> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('APSARAMQ_') && !name.startsWith('DEMO_')));
  const child = startProcess(process.execPath, ['scripts/start.mjs'], {
    name: 'npm start',
    cwd: ROOT,
    env: { ...base, ...EPHEMERAL_START_PORTS, TELEMETRY_INTERVAL_MS: '200' },
  });
  await child.waitForOutput(/Press Ctrl-C to stop\./, { timeout: 90_000, stream: 'stdout' });
  const out = child.stdout();
  const find = (pattern: RegExp) => {
    const match = out.match(pattern);
    if (!match) throw new Error(`npm start printed nothing like ${pattern}:\n${out}`);
    return match[1]!;
  };
  return {
    process: child,
    out,
    web: find(/Start page\s+(http:\/\/127\.0\.0\.1:\d+)\//),
    tcpPort: Number(find(/MQTT over TCP\s+mqtt:\/\/127\.0\.0\.1:(\d+)/)),
    tlsPort: Number(find(/MQTT over TLS\s+mqtts:\/\/127\.0\.0\.1:(\d+)/)),
    wsPort: Number(find(/MQTT over WebSocket\s+ws:\/\/127\.0\.0\.1:(\d+)/)),
    http: find(/onsmqtt OpenAPI\s+(http:\/\/127\.0\.0\.1:\d+\/)/),
    caFile: find(/TLS CA certificate\s+(\S+)/),
  };
}

/** The variables the "Run the samples" block exports, as bash sees them. */
async function documentedEnv(): Promise<Record<string, string>> {
  const block = BLOCKS.find((b) => b.id === ENV_BLOCK);
  if (!block) throw new Error(`README.md has no block under "Run the samples"`);
  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', `${block.code}\nenv -0`], { env: { PATH: process.env.PATH, HOME: process.env.HOME, XDG_STATE_HOME: process.env.XDG_STATE_HOME } });
  return Object.fromEntries(stdout.split('\0').filter((pair) => pair.startsWith('APSARAMQ_')).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
}

beforeAll(async () => {
  releaseCleanup = atExit(() => {
    for (const dir of pageDirs) rmSync(dir, { recursive: true, force: true });
    if (packDir) rmSync(packDir, { recursive: true, force: true });
  });
  mkdirSync(WORK, { recursive: true });
  packDir = await mkdtemp(join(tmpdir(), 'readme-packed-'));
  types = typeCheckAll();
  let packed: PackedProject;
  [demo, redis, browser, packed] = await Promise.all([startDemo(), startRedis(), launchChromium(), installPacked(packDir)]);
  cliProject = packed.dir;
  const documented = await documentedEnv();
  sampleEnv = {
    PATH: process.env.PATH!,
    HOME: process.env.HOME!,
    ...documented,
    // Where this run's npm start listens (the documented values are npm start's default ports).
    APSARAMQ_PORT: String(demo.tlsPort),
    APSARAMQ_OPENAPI_ENDPOINT: demo.http,
  };
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.endAsync().catch(() => {})));
  await browser?.close();
  await redis?.stop();
  await demo?.process.stop({ signal: 'SIGINT', timeout: 10_000 });
  for (const dir of pageDirs) rmSync(dir, { recursive: true, force: true });
  if (packDir) await rm(packDir, { recursive: true, force: true });
  releaseCleanup();
});

// ---------------------------------------------------------------------------------------------
// Runners.

async function transpiled(block: ReadmeBlock, name: string): Promise<string> {
  const dir = join(WORK, 'run');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.mjs`);
  const code = block.lang === 'ts' ? ts.transpileModule(block.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText : block.code;
  writeFileSync(file, code);
  return file;
}

/** Runs a Node block to its end (exit 0 unless `fails`); resolves with what it printed. */
async function runNode(block: ReadmeBlock, env: Record<string, string | undefined> = {}, fails = false): Promise<{ stdout: string; stderr: string }> {
  const file = await transpiled(block, `block-${BLOCKS.indexOf(block)}`);
  const merged = Object.fromEntries(Object.entries({ ...sampleEnv, ...env }).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const child = startProcess(process.execPath, [file], { name: block.id, cwd: dirname(file), env: merged });
  const exit = await withTimeout(child.exited, 30_000, `${block.id} to end by itself`).finally(() => child.stop());
  const output = `${block.id} (README line ${block.line})\n${child.stdout()}\n${child.stderr()}`;
  if (fails) expect(exit.code, output).not.toBe(0);
  else expect(exit, output).toEqual({ code: 0, signal: null });
  return { stdout: child.stdout(), stderr: child.stderr() };
}

/**
 * What a shell block gets: the user's PATH (no bin of this checkout on it: the CLI is reached as the README
 * writes it, `npx apsaramq-mqtt-auth`, from the project that installed the package), and npm kept offline, so
 * an npx that would fetch from the registry fails instead.
 */
const shellEnv = (env: Record<string, string> = {}) => ({ PATH: process.env.PATH, HOME: process.env.HOME, XDG_STATE_HOME: process.env.XDG_STATE_HOME, npm_config_offline: 'true', npm_config_update_notifier: 'false', ...env });

/** Runs a shell block in an empty folder inside a project that installed the packed package; resolves with stdout. */
async function runShell(block: ReadmeBlock, env: Record<string, string> = {}): Promise<{ stdout: string; dir: string }> {
  const dir = await mkdtemp(join(cliProject, 'readme-sh-'));
  try {
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', block.code], {
      cwd: dir,
      timeout: 30_000,
      env: shellEnv(env),
    }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`${block.id} (${block.file}:${block.line}) failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
    });
    return { stdout, dir };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Answers unpkg.com with the files it would serve (the package's `unpkg` file, mqtt.js's dist) from this checkout. */
async function unpkg(route: Route): Promise<void> {
  const url = new URL(route.request().url());
  const match = /^\/((?:@[^/]+\/)?[^/@]+)(?:@([^/]+))?(\/.*)?$/.exec(url.pathname);
  const roots: Record<string, string> = { 'apsaramq-mqtt-auth': ROOT, mqtt: join(ROOT, 'node_modules', 'mqtt') };
  const root = match && roots[match[1]!];
  if (!match || !root) return route.fulfill({ status: 404, body: 'not in this checkout' });
  const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string; unpkg?: string; main?: string };
  const [, name, version, path] = match;
  // A bare package URL is the package's `unpkg` file (unpkg.com redirects there; a redirect answered here would
  // not be intercepted again, so the file is the answer).
  const file = path ?? `/${(manifest.unpkg ?? manifest.main ?? 'index.js').replace(/^\.\//, '')}`;
  if (version && version !== manifest.version) return route.fulfill({ status: 404, body: `${name}@${version} is not this checkout's ${manifest.version}` });
  const body = await readFile(join(root, file)).catch(() => undefined);
  if (!body) return route.fulfill({ status: 404, body: `${file} is not in ${name}` });
  return route.fulfill({ status: 200, body, headers: { 'content-type': 'text/javascript; charset=utf-8', 'access-control-allow-origin': '*' } });
}

/** Opens an `html` block as a page of npm start's origin; returns the page once `ready` holds in it. */
async function runPage(block: ReadmeBlock, ready: string, what: string): Promise<void> {
  const folder = `readme-test-${process.pid}-${BLOCKS.indexOf(block)}`;
  const dir = join(ROOT, 'examples', folder);
  pageDirs.push(dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), block.code);
  const context: BrowserContext = await browser.newContext();
  const outside: string[] = [];
  await context.route('https://unpkg.com/**', unpkg);
  await context.route(/^(?!https?:\/\/(127\.0\.0\.1|unpkg\.com)[:/])/, (route) => {
    outside.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  const log = recordPage(page);
  try {
    await page.goto(`${demo.web}/${folder}/`);
    await page.waitForFunction(ready, undefined, { timeout: 20_000, polling: 100 }).catch((error: Error) => {
      throw new Error(`${block.id} (${block.file}:${block.line}): the page never showed ${what}: ${error.message}\n${log.text()}`);
    });
    expect(log.lines.filter((line) => /^\[(pageerror|requestfailed|console\.error)\]/.test(line)), log.text()).toEqual([]);
    expect(outside, 'requests that would have left the machine').toEqual([]);
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs a mini-program page block: examples/mini-program's `vendor.mjs` writes `vendor/` (as its README has a
 * developer do), the block becomes a page of a mini-program holding those files, and its `config.js` points at
 * this npm start. The page must list the demo device's telemetry, then unload.
 */
async function runMiniProgram(block: ReadmeBlock): Promise<void> {
  const example = join(ROOT, 'examples', 'mini-program');
  await run(process.execPath, [join(example, 'vendor.mjs')], { timeout: 30_000 });
  const root = join(WORK, `mini-program-${BLOCKS.indexOf(block)}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, 'pages', 'telemetry'), { recursive: true });
  cpSync(join(example, 'vendor'), join(root, 'vendor'), { recursive: true });
  cpSync(join(example, 'config.js'), join(root, 'config.js'));
  writeFileSync(join(root, 'pages', 'telemetry', 'telemetry.js'), block.code);
  const { instanceId, groupId, topic } = (await (await fetch(`${demo.web}/api/config`)).json()) as { instanceId: string; groupId: string; topic: string };
  const app = loadMiniProgram({
    platform: 'wx',
    root,
    pagePath: 'pages/telemetry/telemetry.js',
    modules: {
      'config.js': { instanceId, clientId: `${groupId}@@@page-readme-mini`, host: '127.0.0.1', port: demo.wsPort, path: '/mqtt', transport: 'wx', credentialUrl: `${demo.web}/api/mqtt-credentials`, topic },
    },
  });
  try {
    app.page.onLoad!();
    await vi.waitFor(() => expect(app.page.data.messages as string[], `${block.id}: the page to list the demo device's telemetry`).toContain('demo/sensor-1/telemetry'), { ...WAIT, timeout: 20_000 }).catch((error: Error) => {
      throw new Error(`${error.message}\nplatform: ${JSON.stringify(app.log)}\npage data: ${JSON.stringify(app.page.data)}\n${demo.process.stdout().split('\n').slice(-15).join('\n')}`);
    });
    expect(app.log.sockets).toEqual([`ws://127.0.0.1:${demo.wsPort}/mqtt`]);
    app.page.onUnload!();
    await vi.waitFor(() => expect(app.log.open, `${block.id}: the socket to close on unload`).toBe(0), WAIT);
  } finally {
    app.close();
  }
}

/** A client of npm start's broker, as the demo AccessKey (Signature over TCP). */
async function watcher(clientId: string): Promise<MqttClient> {
  const credentials = await signatureCredentials({ accessKeyId: sampleEnv.APSARAMQ_ACCESS_KEY_ID!, accessKeySecret: sampleEnv.APSARAMQ_ACCESS_KEY_SECRET!, instanceId: sampleEnv.APSARAMQ_INSTANCE_ID!, clientId });
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${demo.tcpPort}`, { clientId, ...credentials, reconnectPeriod: 0 });
  clients.push(client);
  return client;
}

/** What is checked for a block beyond "it type-checks and runs to exit 0"; keyed by block id. */
const CHECKS: Record<string, (block: ReadmeBlock) => Promise<void>> = {
  [ENV_BLOCK]: async (block) => {
    await runShell(block);
    const env = await documentedEnv();
    // The documented values are npm start's: its instance, its demo AccessKey, the CA file it prints.
    const config = JSON.parse(readFileSync(join(ROOT, 'examples/broker.json'), 'utf8')) as { instanceId: string; accessKeys: { accessKeyId: string; accessKeySecret: string }[]; httpPort: number };
    expect(env).toMatchObject({
      APSARAMQ_INSTANCE_ID: config.instanceId,
      APSARAMQ_HOST: '127.0.0.1',
      APSARAMQ_ACCESS_KEY_ID: config.accessKeys[0]!.accessKeyId,
      APSARAMQ_ACCESS_KEY_SECRET: config.accessKeys[0]!.accessKeySecret,
      APSARAMQ_OPENAPI_ENDPOINT: `http://127.0.0.1:${config.httpPort}/`,
      APSARAMQ_CA_FILE: demo.caFile,
    });
  },

  'README.md#install:2': (block) => runPage(block, "typeof ApsaraMqttAuth.connect === 'function' && typeof mqtt.connect === 'function'", 'the ApsaraMqttAuth and mqtt globals'),

  'README.md#node-a-trusted-service-with-an-accesskey': async (block) => {
    const watching = await watcher('GID_demo@@@readme-watcher');
    await watching.subscribeAsync('demo/node-1/telemetry', { qos: 1 });
    const message = nextMessage(watching, 'demo/node-1/telemetry', 30_000);
    await runNode(block);
    expect(JSON.parse(await message)).toEqual({ t: expect.any(Number) });
    // Without the CA the local broker is not trusted: the TLS handshake fails, and the sample says so.
    const { stderr } = await runNode(block, { APSARAMQ_CA_FILE: undefined }, true);
    expect(stderr).toMatch(/ERR_CONNECT_FAILED|self[- ]signed|certificate/i);
  },

  'README.md#browser-no-secret-on-the-page': (block) =>
    runPage(block, "[...document.querySelectorAll('#messages li')].some((li) => li.textContent.startsWith('demo/sensor-1/telemetry {'))", 'the demo device\'s telemetry'),

  'README.md#server-side-apsaramq-mqtt-authserver': async (block) => {
    const port = await freePort();
    const file = await transpiled(block, 'server-sample');
    const server = startProcess(process.execPath, [file], { name: 'the server sample', cwd: dirname(file), env: { ...sampleEnv, PORT: String(port) } });
    try {
      const [, url] = await server.waitForOutput(/credentials at (http:\/\/127\.0\.0\.1:\d+\/)/, { timeout: 20_000 });
      const clientId = 'GID_demo@@@dashboard-42';
      // As the README's curl line asks it.
      const answer = await fetch(`${url}?clientId=${encodeURIComponent(clientId)}`, { headers: { authorization: 'Bearer sample-user-token' } });
      const body = (await answer.json()) as { username: string; password: string; expiresAt: number; mode: string };
      expect(answer.status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({ mode: 'token', username: `Token|${sampleEnv.APSARAMQ_ACCESS_KEY_ID}|${sampleEnv.APSARAMQ_INSTANCE_ID}`, expiresAt: expect.any(Number) });
      // The token it handed out works on the broker, for the topics it granted.
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${demo.tcpPort}`, { clientId, username: body.username, password: body.password, reconnectPeriod: 0 });
      clients.push(client);
      await client.subscribeAsync('demo/+/telemetry');
      expect(await nextMessage(client, 'demo/sensor-1/telemetry', 20_000)).toMatch(/^\{/);
      // No sign-in, or another user's client id: 403.
      expect((await fetch(`${url}?clientId=${encodeURIComponent(clientId)}`)).status).toBe(403);
      expect((await fetch(`${url}?clientId=GID_demo@@@dashboard-7`, { headers: { authorization: 'Bearer sample-user-token' } })).status).toBe(403);
    } finally {
      await server.stop();
    }
  },

  'README.md#running-several-credential-servers': async (block) => {
    const { stdout } = await runNode(block, { REDIS_URL: redis.url });
    expect(stdout).toMatch(/^R token for demo\/\+\/telemetry, shared until \d{4}-\d\d-\d\dT/m);
    // The token is in Redis, under the sample's prefix, for every credential server to share.
    const inspector = await createClient({ url: redis.url }).connect();
    try {
      const keys = await inspector.keys('mqtt-auth:*:token');
      expect(keys).toEqual([expect.stringContaining(`mqtt-auth:{${sampleEnv.APSARAMQ_ACCESS_KEY_ID}|${sampleEnv.APSARAMQ_INSTANCE_ID}|`)]);
    } finally {
      inspector.destroy();
    }
  },

  'README.md#deploying-the-credential-server-on-alibaba-cloud': async (block) => {
    const line = /^R token until \d{4}-\d\d-\d\dT\S+Z, applied with ACS3-HMAC-SHA256\n$/;
    // Local work: the plain AccessKey of the APSARAMQ_* variables.
    expect((await runNode(block)).stdout).toMatch(line);
    // The same sample through @alicloud/credentials' default chain (here its environment step, as on Function Compute).
    const chain = { APSARAMQ_ACCESS_KEY_SECRET: undefined, ALIBABA_CLOUD_ACCESS_KEY_ID: sampleEnv.APSARAMQ_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: sampleEnv.APSARAMQ_ACCESS_KEY_SECRET };
    expect((await runNode(block, chain)).stdout).toMatch(line);
  },

  'README.md#running-several-credential-servers:2': async (block) => {
    expect((await runNode(block, { REDIS_URL: redis.url })).stdout).toBe('the store took it as: ioredis\n');
  },

  'README.md#react-native': async (block) => {
    expect((await runNode(block, { EXPO_PUBLIC_MQTT_SERVER: demo.web })).stdout).toBe('first message on demo/sensor-1/telemetry\n');
  },

  'README.md#local-broker-apsaramq-mqtt-authbroker-node-only': async (block) => {
    expect((await runNode(block)).stdout).toBe('received hello\n');
  },

  'README.md#command-line': async (block) => {
    const dir = await mkdtemp(join(cliProject, 'readme-cli-'));
    try {
      const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', block.code], { cwd: dir, timeout: 30_000, env: shellEnv() });
      expect(stdout).toContain('vI009IZJZVGRwBwZvnbwjfuXxVM='); // the documentation's known answer, from sign and explain
      expect(stdout).toMatch(/^match: /m);
      expect(await readFile(join(dir, '.env'), 'utf8')).toContain("APSARAMQ_USERNAME='DeviceCredential|dak|mqtt-xxxxx'");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },

  'README.md#the-broker-refuses-the-connection-connack-5-err_connect_refused': async (block) => {
    const { stdout } = await runShell(block);
    expect(stdout).toMatch(/^match: /m);
    expect(stdout).toContain('every part passes');
  },

  'README.md#the-broker-refuses-the-connection-connack-5-err_connect_refused:2': async (block) => {
    // The output shown: check with the secret as read from a file, newline included.
    const result = await run('bash', ['-c', "echo 'vI009IZJZVGRwBwZvnbwjfuXxVM=' | npx apsaramq-mqtt-auth check --username 'Signature|YYYYY|mqtt-xxxxx' --password-stdin --client-id GID_Test@@@0001"], {
      cwd: cliProject,
      env: shellEnv({ APSARAMQ_ACCESS_KEY_SECRET: 'XXXXX\n' }),
    }).catch((error: { code: number; stdout: string }) => error);
    expect('code' in result ? result.code : 0).toBe(1);
    for (const line of block.code.split('\n').filter((l) => l.trim())) expect(result.stdout).toContain(line.trimEnd());
  },

  'README.md#development': async (block) => {
    // check.sh's last lines, as scripts/check-summary.mjs prints them for the run the block describes.
    const { lines } = summarize({ report: { numPassedTests: 5320, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0 }, vitestExit: 0, checks: { passed: 6, failed: 1, failedNames: ['no test listens on a fixed port (npm test beside npm start)'] } });
    expect(block.code.trim()).toBe(lines.join('\n'));
  },

  'README.md#examples': async (block) => {
    // npm start's output, but for the ports (free ones here) and the CA file's folder.
    const normalise = (text: string) =>
      text.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT').replace(/(TLS CA certificate\s+)\S+/, '$1CA').replace(/(Bearer )[^)]+\)/, '$1SECRET)');
    // Lines of the broker and the node-service (`[broker] …`) may land in between: they are not the summary.
    const printed = demo.out
      .slice(demo.out.indexOf('apsaramq-mqtt-auth demo against'), demo.out.indexOf('Press Ctrl-C'))
      .split('\n')
      .filter((line) => !line.startsWith('['))
      .join('\n');
    expect(normalise(printed).trim()).toBe(normalise(block.code).trim());
  },

  'examples/script-tag/README.md#script-tag-page-two-script-tags-and-ten-lines': (block) =>
    runPage(block, "document.querySelector('#messages')?.textContent.includes('demo/sensor-1/telemetry {')", "the demo device's telemetry"),
};

// ---------------------------------------------------------------------------------------------

describe('the README convention', () => {
  it('every block of README.md and examples/*/README.md has a language the test runs or an exemption with its reason', () => {
    const broken = BLOCKS.flatMap((block) => {
      try {
        kindOf(block);
        return [];
      } catch (error) {
        return [(error as Error).message];
      }
    });
    expect(broken).toEqual([]);
    expect(FILES.length).toBeGreaterThan(1);
  });

  it('every command line of the CLI in a shell block is `npx apsaramq-mqtt-auth …` (the bare name is not on a user\'s PATH)', () => {
    const bare = BLOCKS.filter((block) => block.lang === 'sh')
      .flatMap((block) => block.code.split('\n').map((line) => ({ block, line })))
      .filter(({ line }) => /(?:^|[|;&(]\s*)apsaramq-mqtt-auth\s/.test(line.replace(/#.*$/, '').trim()))
      .map(({ block, line }) => `${block.file}:${block.line}: ${line.trim()}`);
    expect(bare).toEqual([]);
  });

  it('every check above names a block that exists (a renamed heading cannot drop one silently)', () => {
    const ids = new Set(BLOCKS.map((block) => block.id));
    expect(Object.keys(CHECKS).filter((id) => !ids.has(id))).toEqual([]);
  });

  it("every link to a heading in a README points at one of that file's headings", () => {
    const broken = FILES.flatMap((file) => {
      const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[^]*?```/g, '');
      const anchors = new Set([...text.matchAll(/^#{1,6}\s+(.*?)\s*$/gm)].map((m) => slug(m[1]!)));
      return [...text.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!).filter((anchor) => !anchors.has(anchor)).map((anchor) => `${file}: #${anchor}`);
    });
    expect(broken).toEqual([]);
  });
});

describe('npm start, as the README uses it', () => {
  it('serves a page saved in a folder of examples/ (the browser samples run that way), not the files at the top of examples/', async () => {
    const folder = `readme-test-${process.pid}-folder`;
    const dir = join(ROOT, 'examples', folder);
    pageDirs.push(dir);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>mine</title>');
    try {
      const page = await fetch(`${demo.web}/${folder}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>mine</title>');
      expect((await fetch(`${demo.web}/${folder}`, { redirect: 'manual' })).headers.get('location')).toBe(`/${folder}/`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect((await fetch(`${demo.web}/broker.json`)).status).toBe(404);
    expect((await fetch(`${demo.web}/${folder}/`)).status).toBe(404);
  });
});

describe.each(RUNNABLE.map((block) => [block.id, block] as const))('%s', (_id, block) => {
  it(`type-checks and runs as written (${block.file}:${block.line}, ${block.lang})`, async () => {
    expect(types.get(block.id) ?? [], 'type errors').toEqual([]);
    const check = CHECKS[block.id];
    if (check) return check(block);
    const kind = kindOf(block);
    if (kind === 'shell') return void (await runShell(block));
    if (kind === 'page') return runPage(block, 'document.readyState === "complete"', 'a loaded page');
    if (kind === 'mini-program') return runMiniProgram(block);
    await runNode(block);
  }, 60_000);
});

describe.each(BLOCKS.filter((block) => kindSafe(block) === 'output' && CHECKS[block.id]).map((block) => [block.id, block] as const))('%s', (_id, block) => {
  it(`is what the program prints (${block.file}:${block.line})`, () => CHECKS[block.id]!(block), 30_000);
});
