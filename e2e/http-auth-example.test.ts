/**
 * examples/http-auth as its README runs it, three real processes: the endpoint
 * (createHttpAuthHandler behind Node's http), the CLI broker started with the example's
 * broker.json (httpAuth pointing at the endpoint), and the meter client, which must report an
 * allowed CONNECT, SUBSCRIBE and PUBLISH, a refused PUBLISH outside its rules and a denied CONNECT.
 * The endpoint must never log a password.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ROOT } from './helpers/paths.js';
import { freePorts } from './helpers/ports.js';
import { startProcess, type StartedProcess } from './helpers/process.js';

const started: StartedProcess[] = [];
let dir: string | undefined;

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop({ timeout: 5000 })));
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('the meter client behaves as the README says, against the CLI broker and the example endpoint', async () => {
  const [authPort, tcpPort] = await freePorts(2);
  const endpoint = startProcess(process.execPath, ['examples/http-auth/endpoint.mjs'], { name: 'endpoint', cwd: ROOT, env: { ...process.env, HTTP_AUTH_PORT: String(authPort) } });
  started.push(endpoint);
  await endpoint.waitForOutput(/listening on http:\/\/127\.0\.0\.1:\d+/);

  // The example's broker.json, on free ports.
  const config = JSON.parse(await readFile(join(ROOT, 'examples/http-auth/broker.json'), 'utf8')) as { tcpPort: number; httpAuth: { url: string } };
  config.tcpPort = tcpPort!;
  config.httpAuth.url = config.httpAuth.url.replace(':8090', `:${authPort}`);
  dir = await mkdtemp(join(tmpdir(), 'http-auth-example-'));
  await writeFile(join(dir, 'broker.json'), JSON.stringify(config));
  const broker = startProcess(process.execPath, ['dist/cli.js', 'broker', '--config', join(dir, 'broker.json')], { name: 'broker', cwd: ROOT });
  started.push(broker);
  await broker.waitForOutput(/MQTT over TCP:\s+mqtt:\/\/127\.0\.0\.1:\d+/);

  const client = startProcess(process.execPath, ['examples/http-auth/client.mjs'], { name: 'client', cwd: ROOT, env: { ...process.env, BROKER_URL: `mqtt://127.0.0.1:${tcpPort}` } });
  started.push(client);
  const exit = await client.exited;
  const lines = client.stdout().trim().split('\n');
  expect(lines.every((line) => line.startsWith('[meter-1] ok ')), client.stdout() + client.stderr()).toBe(true);
  expect(lines).toHaveLength(5);
  expect(exit.code).toBe(0);

  await broker.waitForOutput(/refused\s+GID_meters@@@meter-2: the HTTP authentication endpoint answered deny/);
  expect(endpoint.stdout()).toMatch(/GID_meters@@@meter-1 as "meter-1": allow/);
  expect(endpoint.stdout()).toMatch(/GID_meters@@@meter-2 as "meter-1": deny/);
  expect(endpoint.stdout() + broker.stdout()).not.toMatch(/demo-meter-1-secret|password/i);
});
