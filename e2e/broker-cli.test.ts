/**
 * `apsaramq-mqtt-auth broker`: the command run in-process through the CLI's own dispatcher (the same
 * flag parser, help and usage errors as every command) with its real config loader, a real broker
 * and real clients; stopped by an injected SIGINT, as Ctrl-C would.
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customCredentials, signatureCredentials, tokenCredentials } from '../src/index.js';
import { loadBrokerConfig, parseBrokerConfig, type LocalBroker } from '../src/broker/index.js';
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

/** The broker as its printed URLs describe it: what a user of the command knows. */
function printedBroker(out: string): LocalBroker {
  const instanceId = /for instance (\S+)/.exec(out)![1]!;
  const port = (label: string) => Number(new RegExp(`${label}: +\\w+://127\\.0\\.0\\.1:(\\d+)`).exec(out)![1]);
  const ports = { tcp: port('MQTT over TCP'), ws: port('MQTT over WebSocket') };
  return {
    instanceId,
    tcpPort: ports.tcp,
    endpoint: (transport: 'tcp' | 'ws') => ({ transport, host: '127.0.0.1', port: ports[transport], ...(transport === 'ws' ? { path: '/mqtt' } : {}) }),
  } as unknown as LocalBroker;
}

/** Starts `broker <args>` on ephemeral ports; resolves once it listens. */
async function start(args: string[]) {
  const fake = fakeIo();
  const exit = run(['broker', ...args, '--tcp-port', '0', '--ws-port', '0', '--http-port=0'], fake.io);
  await Promise.race([fake.listening, exit.then((code) => Promise.reject(new Error(`exited ${code}: ${fake.err()}`)))]);
  return { ...fake, broker: printedBroker(fake.out()), exit };
}

describe('broker command', () => {
  it('runs examples/broker.json, prints the URLs, logs clients, and stops on SIGINT', async () => {
    const { broker, out, signals, exit } = await start(['--config', EXAMPLE]);
    expect(out()).toContain(`ApsaraMQ-compatible broker for instance mqtt-local-demo`);
    expect(out()).toMatch(/MQTT over TCP: +mqtt:\/\/127\.0\.0\.1:\d+\n/);
    expect(out()).toMatch(/MQTT over WebSocket: ws:\/\/127\.0\.0\.1:\d+\/mqtt\n/);
    expect(out()).toMatch(/control API: +http:\/\/127\.0\.0\.1:\d+\/control\n/);

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
    [['--config', '/nonexistent/broker.json'], '--config file "/nonexistent/broker.json" could not be read (ENOENT)'],
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
    expect(await run(['broker', '--config', EXAMPLE, '--tcp-port', String(broker.tcpPort), '--ws-port', '0', '--http-port', '0'], fake.io)).toBe(1);
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
    for (const flag of ['--config <file>', '--tcp-port <n>', '--ws-port <n>', '--http-port <n>', '--quiet', '-h, --help']) expect(outputs[0]).toContain(flag);
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
    expect(config).toMatchObject({ instanceId: 'mqtt-local-demo', tcpPort: 1883, wsPort: 8083, httpPort: 8088 });
    expect(config.devices![0]!.deviceAccessKeySecret).toBe('demo-device-secret-not-real');
  });
});
