/**
 * `apsaramq-mqtt-auth broker`: the command run in-process with its real config loader, a real
 * broker and a real client; stopped by an injected SIGINT, as Ctrl-C would.
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customCredentials, signatureCredentials, tokenCredentials } from '../src/index.js';
import { loadBrokerConfig, parseBrokerConfig, type LocalBroker } from '../src/broker/index.js';
import { createOnsMqttClient } from '../src/server/index.js';
import { BROKER_HELP, runBrokerCommand } from '../src/cli/broker-command.js';
import { closeAll, connect } from './broker-helpers.js';

const EXAMPLE = join(import.meta.dirname, '../examples/broker.json');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'broker-cli-'));
});

afterAll(async () => {
  await closeAll();
  await rm(dir, { recursive: true, force: true });
});

function capture() {
  let text = '';
  return { stream: { write: (s: string) => (text += s) }, text: () => text };
}

/** Starts the command on ephemeral ports; resolves once it listens. */
async function start(args: string[]) {
  const out = capture();
  const err = capture();
  const signals = new EventEmitter();
  let ready!: (broker: LocalBroker) => void;
  const listening = new Promise<LocalBroker>((resolve) => (ready = resolve));
  const exit = runBrokerCommand([...args, '--tcp-port', '0', '--tls-port', '0', '--ws-port', '0', '--wss-port=0', '--http-port=0'], {
    stdout: out.stream,
    stderr: err.stream,
    signals: signals as never,
    onReady: ready,
  });
  const broker = await Promise.race([listening, exit.then((code) => Promise.reject(new Error(`exited ${code}: ${err.text()}`)))]);
  return { broker, out, err, signals, exit };
}

describe('broker command', () => {
  it('runs examples/broker.json, prints the URLs, logs clients, and stops on SIGINT', async () => {
    const { broker, out, signals, exit } = await start(['--config', EXAMPLE]);
    expect(out.text()).toContain(`ApsaraMQ-compatible broker for instance mqtt-local-demo`);
    expect(out.text()).toContain(broker.url('tcp'));
    expect(out.text()).toContain(broker.url('ws'));
    expect(out.text()).toContain(`${broker.url('http')}/control`);
    expect(out.text()).toContain(broker.url('tls'));
    expect(out.text()).toContain(broker.url('wss'));
    expect(broker.caFile).toBeDefined();
    expect(out.text()).toContain(`TLS CA certificate:          ${broker.caFile}`);
    // The OpenAPI is served as with `npm start`: a token applied with the config's AccessKey works at once.
    const api = createOnsMqttClient({ accessKeyId: 'LTAI-demo-access-key-id', accessKeySecret: 'demo-access-key-secret-not-real', endpoint: `${broker.url('http')}/`, instanceId: 'mqtt-local-demo' });
    const applied = await api.applyToken({ resources: ['demo/cli/#'], actions: 'R,W', expireTime: Date.now() + 3600_000 });
    const overTls = await connect(broker, {
      clientId: 'GID_demo@@@cli-tls',
      credentials: tokenCredentials({ accessKeyId: 'LTAI-demo-access-key-id', instanceId: 'mqtt-local-demo', tokens: { RW: applied.token } }),
      transport: 'tls',
    });
    await overTls.publishAsync('demo/cli/tls', 'over TLS', { qos: 1 });
    await overTls.endAsync();

    const clientId = 'GID_demo@@@cli-test';
    const credentials = await signatureCredentials({ accessKeyId: 'LTAI-demo-access-key-id', accessKeySecret: 'demo-access-key-secret-not-real', instanceId: 'mqtt-local-demo', clientId });
    const client = await connect(broker, { clientId, credentials, transport: 'ws' });
    const tokenUser = await connect(broker, {
      clientId: 'GID_demo@@@token-user',
      credentials: tokenCredentials({ accessKeyId: 'LTAI-demo-access-key-id', instanceId: 'mqtt-local-demo', tokens: { RW: 'demo-token-telemetry-read-write' } }),
    });
    await tokenUser.publishAsync('demo/truck-1/telemetry', '{}', { qos: 1 });
    const signedId = 'GID_demo@@@signed';
    await (await connect(broker, { clientId: signedId, credentials: await customCredentials({ username: 'demo-signed-user', secret: 'demo-signed-secret-not-real', signMode: 'SIGNED', clientId: signedId }) })).endAsync();
    await Promise.all([client.endAsync(), tokenUser.endAsync()]);
    expect(out.text()).toContain(`connected    ${clientId} (Signature, MQTT 3.1.1)`);

    signals.emit('SIGINT');
    expect(await exit).toBe(0);
    expect(out.text()).toMatch(/stopped\n$/);
    expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
    expect(out.text()).not.toContain('not-real');
  });

  it('stops on SIGTERM and when its abort signal fires', async () => {
    const first = await start(['--config', EXAMPLE, '--quiet']);
    first.signals.emit('SIGTERM');
    expect(await first.exit).toBe(0);
    const controller = new AbortController();
    const exit = runBrokerCommand(['--config', EXAMPLE, '--tcp-port', '0', '--tls-port', '0', '--ws-port', '0', '--wss-port', '0', '--http-port', '0'], {
      stdout: capture().stream,
      signal: controller.signal,
      onReady: () => controller.abort(),
      signals: new EventEmitter() as never,
    });
    expect(await exit).toBe(0);
  });

  it.each([
    [['--tcp-port', '70000', '--config', 'x.json'], '--tcp-port must be a port number from 0 to 65535 (got "70000")'],
    [['--tcp-port'], '--tcp-port needs a value'],
    [['--verbose'], 'unknown option "--verbose" (see --help)'],
    [[], '--config <file> is required'],
    [['--config', '/nonexistent/broker.json'], 'config file "/nonexistent/broker.json" could not be read (ENOENT)'],
  ])('exits 2 with a one-line error for %j', async (args, message) => {
    const err = capture();
    expect(await runBrokerCommand(args, { stdout: capture().stream, stderr: err.stream })).toBe(2);
    expect(err.text()).toContain(message);
    expect(err.text().trim().split('\n')).toHaveLength(1);
  });

  it('exits 2 naming the setting for a bad config, without echoing secrets', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ instanceId: 'mqtt-x', accessKeys: [{ accessKeyId: 'A', accessKeySecret: 'TopSecret-123', permisions: {} }] }));
    const err = capture();
    expect(await runBrokerCommand(['--config', file], { stdout: capture().stream, stderr: err.stream })).toBe(2);
    expect(err.text()).toContain('accessKeys[0].permisions is not a broker setting');
    expect(err.text()).not.toContain('TopSecret-123');
    await writeFile(file, '{ "instanceId": "mqtt-x", "accessKeys": [{ "accessKeySecret": "TopSecret-123" ');
    const err2 = capture();
    expect(await runBrokerCommand(['--config', file], { stdout: capture().stream, stderr: err2.stream })).toBe(2);
    expect(err2.text()).toContain('is not valid JSON');
    expect(err2.text()).not.toContain('TopSecret-123');
  });

  it('exits 1 when a port is taken', async () => {
    const { broker, signals, exit } = await start(['--config', EXAMPLE, '--quiet']);
    const err = capture();
    const code = await runBrokerCommand(['--config', EXAMPLE, '--tcp-port', String(broker.tcpPort), '--tls-port', '0', '--wss-port', '0'], { stdout: capture().stream, stderr: err.stream });
    expect(code).toBe(1);
    expect(err.text()).toContain(`tcpPort ${broker.tcpPort} on 127.0.0.1 could not be bound (EADDRINUSE)`);
    signals.emit('SIGINT');
    expect(await exit).toBe(0);
  });

  it('prints --help', async () => {
    const out = capture();
    expect(await runBrokerCommand(['--help'], { stdout: out.stream })).toBe(0);
    expect(out.text()).toBe(BROKER_HELP);
    for (const flag of ['--config', '--tcp-port', '--tls-port', '--ws-port', '--wss-port', '--http-port']) expect(BROKER_HELP).toContain(flag);
  });
});

describe('config files', () => {
  it('resolves { "env": ... } secrets and expiresInMs, and keeps secrets out of dumps', async () => {
    const config = parseBrokerConfig(
      {
        instanceId: 'mqtt-x',
        accessKeys: [{ accessKeyId: 'A', accessKeySecret: { env: 'BROKER_TEST_SECRET' } }],
        tokens: [{ token: 'tok-DoNotLeak', resources: 'a', actions: 'R', expiresInMs: 60_000 }],
      },
      { env: { BROKER_TEST_SECRET: 'from-env-DoNotLeak' }, now: 1000 },
    );
    expect(config.accessKeys![0]!.accessKeySecret).toBe('from-env-DoNotLeak');
    expect(config.tokens![0]).toMatchObject({ token: 'tok-DoNotLeak', expireTime: 61_000 });
    const dump = inspect(config, { depth: 10, showHidden: true }) + JSON.stringify(config) + JSON.stringify({ ...config.accessKeys![0] });
    expect(dump).not.toContain('DoNotLeak');
    expect(() => parseBrokerConfig({ instanceId: 'x', accessKeys: [{ accessKeyId: 'A', accessKeySecret: { env: 'MISSING_VAR' } }] }, { env: {} })).toThrow(
      expect.objectContaining({ field: 'accessKeys[0].accessKeySecret', message: expect.stringContaining('MISSING_VAR, which is not set') }),
    );
    expect(() => parseBrokerConfig({ instanceId: 'x', tcpport: 1 })).toThrow(expect.objectContaining({ field: 'tcpport' }));
  });

  it('loads examples/broker.json', async () => {
    const config = await loadBrokerConfig(EXAMPLE);
    expect(config).toMatchObject({ instanceId: 'mqtt-local-demo', tcpPort: 1883, tlsPort: 8883, wsPort: 8083, wssPort: 8084, httpPort: 8088 });
    expect(config.devices![0]!.deviceAccessKeySecret).toBe('demo-device-secret-not-real');
  });
});
