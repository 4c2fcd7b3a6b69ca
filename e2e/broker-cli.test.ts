/**
 * `apsaramq-mqtt-auth broker`: the command run in-process through the CLI's own dispatcher (the same
 * flag parser, help and usage errors as every command) with its real config loader, a real broker
 * and real clients; stopped by an injected SIGINT, as Ctrl-C would.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customCredentials, signatureCredentials, tokenCredentials } from '../src/index.js';
import { createManualClock, loadBrokerConfig, parseBrokerConfig, type LocalBroker } from '../src/broker/broker-entry.js';
import { createOnsMqttClient } from '../src/server/server-entry.js';
import { _makeCa, _makeServerCertificate } from '../src/broker/certificates.js';
import { BROKER } from '../src/cli/broker-command.js';
import type { CliIo } from '../src/cli/io.js';
import { run } from '../src/cli/run.js';
import { helpText } from '../src/cli/spec.js';
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

/** A process as the command sees it: output captured, signals from an emitter the test fires. */
function fakeIo() {
  const out: string[] = [];
  const err: string[] = [];
  const signals = new EventEmitter();
  let ready!: () => void;
  const listening = new Promise<void>((resolve) => (ready = resolve));
  const io: CliIo = {
    out: (line) => {
      out.push(line);
      if (line === 'Press Ctrl-C to stop.') ready();
    },
    err: (line) => void err.push(line),
    env: {},
    stdinIsTTY: false,
    readStdin: async () => '',
    signals,
  };
  return { io, signals, listening, out: () => out.map((line) => `${line}\n`).join(''), err: () => err.map((line) => `${line}\n`).join('') };
}

/** The broker as its printed URLs (and CA file) describe it: what a user of the command knows. */
function printedBroker(out: string): LocalBroker {
  const instanceId = /for instance (\S+)/.exec(out)![1]!;
  const port = (label: string) => Number(new RegExp(`${label}: +\\w+://127\\.0\\.0\\.1:(\\d+)`).exec(out)![1]);
  const ports = { tcp: port('MQTT over TCP'), tls: port('MQTT over TLS'), ws: port('MQTT over WebSocket'), wss: port('MQTT over WebSocket on TLS') };
  const caFile = /TLS CA certificate: +(\S+)/.exec(out)?.[1];
  const ca = caFile ? readFileSync(caFile, 'utf8') : undefined;
  return {
    instanceId,
    tcpPort: ports.tcp,
    caFile,
    endpoint: (transport: keyof typeof ports) => ({
      transport,
      host: '127.0.0.1',
      port: ports[transport],
      ...(transport === 'ws' || transport === 'wss' ? { path: '/mqtt' } : {}),
      ...(transport === 'tls' || transport === 'wss' ? { ca } : {}),
    }),
  } as unknown as LocalBroker;
}

/** Starts `broker <args>` on ephemeral ports; resolves once it listens. */
async function start(args: string[]) {
  const fake = fakeIo();
  const exit = run(['broker', ...args, '--tcp-port', '0', '--tls-port', '0', '--ws-port', '0', '--wss-port=0', '--http-port=0'], fake.io);
  await Promise.race([fake.listening, exit.then((code) => Promise.reject(new Error(`exited ${code}: ${fake.err()}`)))]);
  return { ...fake, broker: printedBroker(fake.out()), exit };
}

describe('broker command', () => {
  it('runs examples/broker.json, prints the URLs, logs clients, and stops on SIGINT', async () => {
    const { broker, out, signals, exit } = await start(['--config', EXAMPLE]);
    expect(out()).toContain(`ApsaraMQ-compatible broker for instance mqtt-local-demo`);
    expect(out()).toMatch(/MQTT over TCP: +mqtt:\/\/127\.0\.0\.1:\d+\n/);
    expect(out()).toMatch(/MQTT over TLS: +mqtts:\/\/127\.0\.0\.1:\d+\n/);
    expect(out()).toMatch(/MQTT over WebSocket: +ws:\/\/127\.0\.0\.1:\d+\/mqtt\n/);
    expect(out()).toMatch(/MQTT over WebSocket on TLS: +wss:\/\/127\.0\.0\.1:\d+\/mqtt\n/);
    expect(out()).toMatch(/onsmqtt OpenAPI: +http:\/\/127\.0\.0\.1:\d+\/ {2}\(control API: http:\/\/127\.0\.0\.1:\d+\/control\)\n/);
    expect(out()).toMatch(/TLS CA certificate: +\S+cert\.pem/);
    // The control API's secret, printed for whoever drives it: it answers with it, and only with it.
    const [, control, secret] = /control API: (\S+)\/control\)[\s\S]*control API secret: +(\S+)/.exec(out())!;
    expect((await fetch(`${control}/control`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    expect((await fetch(`${control}/control`)).status).toBe(401);

    // The OpenAPI is served as by `npm start`: a token applied with the config's AccessKey works at
    // once, here over TLS trusting the printed CA file.
    const openApi = /onsmqtt OpenAPI: +(\S+)/.exec(out())![1]!;
    const api = createOnsMqttClient({ accessKeyId: 'LTAI-demo-access-key-id', accessKeySecret: 'demo-access-key-secret-not-real', endpoint: openApi, instanceId: 'mqtt-local-demo' });
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
    expect(out()).toContain(`connected    ${clientId} (Signature, MQTT 3.1.1)`);

    signals.emit('SIGINT');
    expect(await exit).toBe(0);
    expect(out()).toMatch(/stopped\n$/);
    expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
    expect(out()).not.toContain('not-real');
  });

  it('stops on SIGTERM too, leaving no listener behind', async () => {
    const { signals, exit, out } = await start(['--config', EXAMPLE, '--quiet']);
    signals.emit('SIGTERM');
    expect(await exit).toBe(0);
    expect(out()).toMatch(/stopped\n$/);
    expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
  });

  it.each([
    [['--tcp-port', '70000', '--config', 'x.json'], '--tcp-port must be a port number from 0 to 65535 (got "70000")'],
    [['--tcp-port', 'Qz7CANARYaks1', '--config', 'x.json'], '--tcp-port must be a port number from 0 to 65535'],
    [['--tcp-port'], '--tcp-port needs a value'],
    [['--config', 'x.json', '--tcp-port', '--quiet'], '--tcp-port needs a value'],
    [['--verbose'], '--verbose is not an option of "broker" (apsaramq-mqtt-auth broker --help lists them)'],
    [['--conifg', 'x.json'], '--conifg is not an option of "broker": did you mean --config?'],
    [['--client-id', 'x'], '--client-id is not an option of "broker": --client-id is an option of "sign"'],
    [['stray'], 'broker takes no positional arguments'],
    [[], '--config is required (see examples/broker.json)'],
    // The path is not echoed: a secret typed where the path was expected must not come back.
    [['--config', '/nonexistent/broker.json'], '--config file could not be read (ENOENT)'],
  ])('exits 2 with a one-line error for %j', async (args, message) => {
    const fake = fakeIo();
    expect(await run(['broker', ...args], fake.io)).toBe(2);
    expect(fake.err()).toMatch(/^apsaramq-mqtt-auth broker: /);
    expect(fake.err()).toContain(message);
    expect(fake.err().trim().split('\n')).toHaveLength(1);
    expect(fake.err()).not.toContain('Qz7CANARY');
  });

  it('exits 2 naming the setting for a bad config, without echoing secrets', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ instanceId: 'mqtt-x', accessKeys: [{ accessKeyId: 'A', accessKeySecret: 'TopSecret-123', permisions: {} }] }));
    const fake = fakeIo();
    expect(await run(['broker', '--config', file], fake.io)).toBe(2);
    expect(fake.err()).toContain('accessKeys[0].permisions is not a broker setting');
    expect(fake.err()).not.toContain('TopSecret-123');
    await writeFile(file, '{ "instanceId": "mqtt-x", "accessKeys": [{ "accessKeySecret": "TopSecret-123" ');
    const fake2 = fakeIo();
    expect(await run(['broker', '--config', file], fake2.io)).toBe(2);
    expect(fake2.err()).toContain('is not valid JSON');
    expect(fake2.err()).not.toContain('TopSecret-123');
  });

  it('exits 1 when a port is taken, naming the flag that chose it', async () => {
    const { broker, signals, exit } = await start(['--config', EXAMPLE, '--quiet']);
    const fake = fakeIo();
    expect(await run(['broker', '--config', EXAMPLE, '--tcp-port', String(broker.tcpPort), '--tls-port', '0', '--ws-port', '0', '--wss-port', '0', '--http-port', '0'], fake.io)).toBe(1);
    expect(fake.err()).toBe(`apsaramq-mqtt-auth broker: failed: --tcp-port ${broker.tcpPort} on 127.0.0.1 could not be bound (EADDRINUSE)\n`);
    signals.emit('SIGINT');
    expect(await exit).toBe(0);
  });

  it('prints --help (and -h, and "help broker") generated from its flag table', async () => {
    const outputs: string[] = [];
    for (const argv of [['broker', '--help'], ['broker', '-h'], ['help', 'broker'], ['broker', '--verbose', '--help']]) {
      const fake = fakeIo();
      expect(await run(argv, fake.io)).toBe(0);
      outputs.push(fake.out());
    }
    expect(new Set(outputs).size).toBe(1);
    expect(outputs[0]).toBe(`${helpText(BROKER)}\n`);
    expect(outputs[0]).toContain('Usage: apsaramq-mqtt-auth broker --config <file>');
    for (const flag of ['--config <file>', '--tcp-port <n>', '--tls-port <n>', '--ws-port <n>', '--wss-port <n>', '--http-port <n>', '--quiet', '-h, --help']) expect(outputs[0]).toContain(flag);
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
      { env: { BROKER_TEST_SECRET: 'from-env-DoNotLeak' }, clock: createManualClock(1000) },
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

  it('reads a TLS certificate from files named relative to the config (the key kept out of dumps), and a state folder', async () => {
    const ca = _makeCa(Date.now());
    const leaf = _makeServerCertificate(ca, ['localhost'], Date.now());
    await mkdir(join(dir, 'certs'), { recursive: true });
    await writeFile(join(dir, 'certs', 'server.pem'), leaf.cert);
    await writeFile(join(dir, 'certs', 'server-key.pem'), leaf.key);
    await writeFile(join(dir, 'certs', 'ca.pem'), ca.cert);
    const file = join(dir, 'tls.json');
    await writeFile(file, JSON.stringify({ instanceId: 'mqtt-x', tls: { certFile: 'certs/server.pem', keyFile: 'certs/server-key.pem', caFile: 'certs/ca.pem' }, limits: { maxPayloadBytes: 1024 } }));
    const config = await loadBrokerConfig(file);
    expect(config.tls).toMatchObject({ cert: leaf.cert, ca: ca.cert });
    expect(config.tls!.key).toBe(leaf.key);
    expect(inspect(config, { depth: 5, showHidden: false }) + JSON.stringify(config)).not.toContain('PRIVATE KEY');
    expect(config.limits).toEqual({ maxPayloadBytes: 1024 });

    await writeFile(file, JSON.stringify({ instanceId: 'mqtt-x', tls: { stateDir: 'state' } }));
    expect((await loadBrokerConfig(file)).tls).toEqual({ stateDir: join(dir, 'state') });
    await writeFile(file, JSON.stringify({ instanceId: 'mqtt-x', tls: { keyFile: 'nowhere.pem' } }));
    await expect(loadBrokerConfig(file)).rejects.toMatchObject({ field: 'tls.keyFile' });
    expect(() => parseBrokerConfig({ instanceId: 'x', tls: { cert: 'inline' } })).toThrow(expect.objectContaining({ field: 'tls.cert' }));
  });
});
