/**
 * The README's Node sample (`transport: 'tls'`) as written, run against the local broker over TLS:
 * the block is taken from README.md, its types stripped by TypeScript, and run by Node as a user's
 * program would (importing the package by name), with the variables the README names, trusting the
 * CA file the broker keeps.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBroker, type LocalBroker } from '../src/broker/index.js';
import { signatureCredentials } from '../src/index.js';
import { brokerEvent, closeAll, connect, nextMessage } from './broker-helpers.js';
import { ROOT } from './helpers/paths.js';
import { startProcess } from './helpers/process.js';
import { withTimeout } from './helpers/wait.js';

const INSTANCE = 'mqtt-local-readme';
const AK = { accessKeyId: 'LTAI-readme', accessKeySecret: 'readme-secret' };
let broker: LocalBroker;

beforeAll(async () => {
  broker = await startBroker({ instanceId: INSTANCE, accessKeys: [AK] });
});

afterAll(async () => {
  await closeAll();
  await broker?.close();
});

/** The first ```ts block under `heading` in README.md. */
async function readmeBlock(heading: string): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  const block = /```ts\n([^]*?)```/.exec(section);
  if (!block) throw new Error(`README.md has no ts block under ${heading}`);
  return block[1]!;
}

it("runs the README's Node sample over TLS against the local broker, trusting broker.caFile", async () => {
  const source = await readmeBlock('## Node (a trusted service with an AccessKey)');
  expect(source).toContain("transport: 'tls'");
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  // Inside the package folder, so that `apsaramq-mqtt-auth` resolves to this checkout's dist/ through its own `exports`.
  const dir = join(ROOT, '.tmp', 'readme-node');
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'sample.mjs');
  await writeFile(file, outputText);

  const watcherId = 'GID_telemetry@@@readme-watcher';
  const watcher = await connect(broker, { clientId: watcherId, credentials: await signatureCredentials({ ...AK, instanceId: INSTANCE, clientId: watcherId }) });
  await watcher.subscribeAsync('telemetry/node-1', { qos: 1 });
  const message = nextMessage(watcher, 'telemetry/node-1');
  const connected = brokerEvent(broker, 'clientConnected', (s) => s.clientId === 'GID_telemetry@@@node-1');
  const child = startProcess(process.execPath, [file], {
    name: 'README sample',
    env: {
      PATH: process.env.PATH,
      APSARAMQ_INSTANCE_ID: INSTANCE,
      APSARAMQ_HOST: broker.host,
      APSARAMQ_PORT: String(broker.tlsPort),
      APSARAMQ_CA_FILE: broker.caFile!,
      APSARAMQ_ACCESS_KEY_ID: AK.accessKeyId,
      APSARAMQ_ACCESS_KEY_SECRET: AK.accessKeySecret,
    },
  });
  const exit = await withTimeout(child.exited, 20_000, 'the README sample to exit').finally(() => child.stop());
  expect(exit, child.stderr()).toEqual({ code: 0, signal: null });
  expect(await connected).toMatchObject({ mode: 'Signature', id: AK.accessKeyId });
  expect(JSON.parse((await message).text)).toEqual({ t: expect.any(Number) });
  await watcher.endAsync();
});

it('the same sample, without the CA, is refused by the TLS handshake (the broker is not trusted by default)', async () => {
  const source = await readmeBlock('## Node (a trusted service with an AccessKey)');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  const dir = join(ROOT, '.tmp', 'readme-node');
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'sample-untrusted.mjs');
  await writeFile(file, outputText);
  const child = startProcess(process.execPath, [file], {
    name: 'README sample without CA',
    env: {
      PATH: process.env.PATH,
      APSARAMQ_INSTANCE_ID: INSTANCE,
      APSARAMQ_HOST: broker.host,
      APSARAMQ_PORT: String(broker.tlsPort),
      APSARAMQ_ACCESS_KEY_ID: AK.accessKeyId,
      APSARAMQ_ACCESS_KEY_SECRET: AK.accessKeySecret,
    },
  });
  const exit = await withTimeout(child.exited, 20_000, 'the README sample to fail').finally(() => child.stop());
  expect(exit.code).not.toBe(0);
  expect(child.stderr()).toMatch(/ERR_CONNECT_FAILED|self[- ]signed|certificate/i);
});
