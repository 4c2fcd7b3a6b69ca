/**
 * The local broker with software nobody here wrote: Debian's python3-paho-mqtt (credentials and
 * OpenAPI signatures computed by Python's hmac in `independent/paho_client.py`) and mosquitto's
 * clients (passwords computed by the openssl command), over TCP and TLS (trusting `broker.caFile`),
 * MQTT 3.1.1 and 5. Each MQTT rule of the broker (ARCHITECTURE.md) is exercised the way the official
 * demos use it: order messages, the token demo's P2P publish, both upload key spellings, the limits.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBroker, type LocalBroker } from '../src/broker/broker-entry.js';
import { brokerEvent, closeAll, connect } from './broker-helpers.js';
import { startProcess, type StartedProcess } from './helpers/process.js';
import { WAIT, withTimeout } from './helpers/wait.js';
import { signatureCredentials } from '../src/index.js';

const PYTHON = process.env.DEBIAN_PYTHON3 ?? '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, 'independent/paho_client.py');
const INSTANCE = 'mqtt-cn-independent';
const AK = { accessKeyId: 'LTAI-independent', accessKeySecret: 'independent-secret/+=9' };
const DEVICE = { clientId: 'GID_ind@@@device-1', deviceAccessKeyId: 'DevKey-ind', deviceAccessKeySecret: 'device-secret-ind' };
const PARENT = 'demo';

let broker: LocalBroker;

beforeAll(async () => {
  broker = await startBroker({ instanceId: INSTANCE, accessKeys: [AK], devices: [DEVICE] });
  expect(broker.caFile).toBeDefined();
});

afterAll(async () => {
  await closeAll();
  await broker?.close();
});

interface PahoRun {
  code: number | null;
  events: Array<Record<string, unknown> & { event: string }>;
  output: string;
}

type Transport = 'tcp' | 'tls';

/** Starts paho_client.py with a plan; `result` resolves when it exits (within 30 s). */
function startPaho(plan: Record<string, unknown> & { transport?: Transport }): { child: StartedProcess; result: Promise<PahoRun> } {
  const { transport = 'tcp', ...rest } = plan;
  const full = {
    host: broker.host,
    port: transport === 'tls' ? broker.tlsPort : broker.tcpPort,
    ...(transport === 'tls' ? { tls: { cafile: broker.caFile } } : {}),
    ...rest,
  };
  const child = startProcess(PYTHON, [SCRIPT, JSON.stringify(full)], { name: 'paho_client.py' });
  return { child, result: collect(child) };
}

/** Runs paho_client.py with a plan to its end. */
const paho = (plan: Record<string, unknown> & { transport?: Transport }): Promise<PahoRun> => startPaho(plan).result;

async function collect(child: StartedProcess): Promise<PahoRun> {
  const exit = await withTimeout(child.exited, 30_000, 'paho_client.py to exit').finally(() => child.stop());
  const events = child
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as PahoRun['events'][number]);
  return { code: exit.code, events, output: `${child.stdout()}\n${child.stderr()}` };
}

const signature = { mode: 'signature', accessKeyId: AK.accessKeyId, secret: AK.accessKeySecret, instanceId: INSTANCE };
const tokenAuth = (tokens: Record<string, string>) => ({ mode: 'token', accessKeyId: AK.accessKeyId, instanceId: INSTANCE, tokens });
const of = (run: PahoRun, event: string) => run.events.filter((e) => e.event === event);
const expectDone = (run: PahoRun) => expect(run.events.at(-1), `paho_client.py output:\n${run.output}`).toEqual({ event: 'done' });

/** Base64(HMAC-SHA1(secret, clientId)) by the openssl command (values passed through the environment). */
async function opensslSignature(secret: string, clientId: string): Promise<string> {
  const child = startProcess('sh', ['-c', 'printf %s "$CLIENT_ID" | openssl dgst -sha1 -hmac "$SECRET" -binary | openssl base64 -A'], {
    env: { ...process.env, CLIENT_ID: clientId, SECRET: secret },
  });
  const exit = await withTimeout(child.exited, 10_000, 'openssl');
  expect(exit.code, child.stderr()).toBe(0);
  return child.stdout().trim();
}

/** Runs mosquitto_pub / mosquitto_sub; resolves with the exit code and output (within 20 s). */
async function mosquitto(
  command: 'mosquitto_pub' | 'mosquitto_sub',
  input: { clientId: string; username: string; password: string; transport: Transport; version?: 'mqttv311' | 'mqttv5'; args: string[] },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = [
    '-h', broker.host,
    '-p', String(input.transport === 'tls' ? broker.tlsPort : broker.tcpPort),
    '-i', input.clientId,
    '-u', input.username,
    '-P', input.password,
    '-V', input.version ?? 'mqttv311',
    ...(input.transport === 'tls' ? ['--cafile', broker.caFile!] : []),
    ...input.args,
  ];
  const child = startProcess(command, args, { name: command });
  const exit = await withTimeout(child.exited, 20_000, command).finally(() => child.stop());
  return { code: exit.code, stdout: child.stdout(), stderr: child.stderr() };
}

describe('mosquitto clients (passwords from openssl)', () => {
  it.each([
    ['mqttv311', 'tcp', 'tls'],
    ['mqttv5', 'tls', 'tcp'],
  ] as const)('%s: mosquitto_sub over %s receives what mosquitto_pub sends over %s (Signature, DeviceCredential)', async (version, subOver, pubOver) => {
    const topic = `${PARENT}/mosquitto/${version}`;
    const subId = `GID_ind@@@mosq-sub-${version}`;
    const subscribed = brokerEvent(broker, 'clientConnected', (s) => s.clientId === subId);
    const sub = mosquitto('mosquitto_sub', {
      clientId: subId,
      username: `Signature|${AK.accessKeyId}|${INSTANCE}`,
      password: await opensslSignature(AK.accessKeySecret, subId),
      transport: subOver,
      version,
      args: ['-t', topic, '-q', '1', '-C', '1', '-W', '15'],
    });
    await subscribed;
    // The SUBSCRIBE follows the CONNACK: publish until the subscriber has its message and exits.
    const pub = () =>
      mosquitto('mosquitto_pub', {
        clientId: DEVICE.clientId,
        username: `DeviceCredential|${DEVICE.deviceAccessKeyId}|${INSTANCE}`,
        password: opensslPassword,
        transport: pubOver,
        version,
        args: ['-t', topic, '-m', 'from mosquitto_pub', '-q', '1'],
      });
    const opensslPassword = await opensslSignature(DEVICE.deviceAccessKeySecret, DEVICE.clientId);
    let received: { code: number | null; stdout: string; stderr: string } | undefined;
    void sub.then((r) => (received = r));
    await vi.waitFor(
      async () => {
        const published = await pub();
        expect(published.code, published.stderr).toBe(0);
        expect(received, 'mosquitto_sub to receive').toBeDefined();
      },
      { ...WAIT, timeout: 15_000 },
    );
    expect(received!.code, received!.stderr).toBe(0);
    expect(received!.stdout.trim(), received!.stderr).toBe('from mosquitto_pub');
  });

  it('mosquitto_pub enables ordered sending ($SYS/enableOrderMsg, QoS 1) and uploads a token with the older "Token" key: both acknowledged', async () => {
    const clientId = 'GID_ind@@@mosq-token';
    const token = broker.tokens.apply({ resources: `${PARENT}/#`, actions: 'R,W', expireTime: Date.now() + 3600_000, accessKeyId: AK.accessKeyId });
    const fresh = broker.tokens.apply({ resources: `${PARENT}/#`, actions: 'R,W', expireTime: Date.now() + 7200_000, accessKeyId: AK.accessKeyId });
    const credentials = { clientId, username: `Token|${AK.accessKeyId}|${INSTANCE}`, password: `RW|${token}`, transport: 'tls' as const };
    const ordered = await mosquitto('mosquitto_pub', { ...credentials, args: ['-t', '$SYS/enableOrderMsg', '-m', '{"order":"true"}', '-q', '1'] });
    expect(ordered.code, ordered.stderr).toBe(0);
    const installed = brokerEvent(broker, 'tokenInstalled', (t) => t.clientId === clientId);
    const uploaded = await mosquitto('mosquitto_pub', { ...credentials, args: ['-t', '$SYS/uploadToken', '-m', JSON.stringify({ Token: fresh, type: 'RW' }), '-q', '1'] });
    expect(uploaded.code, uploaded.stderr).toBe(0);
    expect(await installed).toMatchObject({ type: 'RW', expireTime: broker.tokens.describe(fresh)!.expireTime });
  });
});

describe.each(['tcp', 'tls'] as const)('paho-mqtt (credentials from Python hmac) over %s', (transport) => {
  const id = (name: string) => `GID_ind@@@paho-${name}-${transport}`;

  it('connects with a Signature password and round-trips a message (MQTT 3.1.1 and 5)', async () => {
    for (const protocol of [4, 5]) {
      const topic = `${PARENT}/paho/${transport}/${protocol}`;
      const run = await paho({
        transport,
        protocol,
        clientId: id(`sig${protocol}`),
        auth: signature,
        steps: [{ subscribe: topic }, { publish: topic, payload: 'hello from paho' }, { expect: topic }],
      });
      expectDone(run);
      expect(of(run, 'message')).toEqual([{ event: 'message', topic, bytes: 15, payload: 'hello from paho', retain: false }]);
    }
  });

  it('order demo: {"order":"true"} to $SYS/enableOrderMsg at QoS 1 right after connecting is acknowledged, the client stays connected and its session is ordered', async () => {
    const clientId = id('order');
    const go = `${PARENT}/go/${transport}`;
    const running = paho({
      transport,
      clientId,
      auth: signature,
      steps: [
        { subscribe: go },
        { publish: '$SYS/enableOrderMsg', payload: { json: { order: 'true' } } },
        { expect: go, timeout: 20 },
        { publish: `${PARENT}/ordered`, payload: 'first in order' },
      ],
    });
    await vi.waitFor(() => expect(broker.sessions().find((s) => s.clientId === clientId)?.ordered, 'the session to be ordered').toBe(true), { ...WAIT, timeout: 20_000 });
    const controller = await connect(broker, { clientId: id('go'), credentials: await signatureCredentials({ ...AK, instanceId: INSTANCE, clientId: id('go') }) });
    await controller.publishAsync(go, 'go', { qos: 1 });
    const run = await running;
    expectDone(run);
    expect(of(run, 'puback')).toHaveLength(2);
    expect(of(run, 'disconnect')).toEqual([{ event: 'disconnect', rc: 0 }]);
    await controller.endAsync();
  });

  it('token demo: ApplyToken for <parent>/testMq4Iot (R,W) through the OpenAPI, RW|<token>, then publish to it and to <parent>/p2p/<own client id>: both delivered', async () => {
    const clientId = id('token-demo');
    const mq4IotTopic = `${PARENT}/testMq4Iot`;
    const p2p = `${PARENT}/p2p/${clientId}`;
    const run = await paho({
      transport,
      clientId,
      auth: {
        mode: 'token',
        accessKeyId: AK.accessKeyId,
        instanceId: INSTANCE,
        apply: { endpoint: `${broker.url('http')}/`, accessKeyId: AK.accessKeyId, secret: AK.accessKeySecret, instanceId: INSTANCE, resources: [mq4IotTopic], actions: 'R,W', type: 'RW' },
      },
      steps: [{ subscribe: mq4IotTopic }, { publish: mq4IotTopic, payload: 'hello mq4Iot pub sub msg' }, { expect: mq4IotTopic }, { publish: p2p, payload: 'hello mq4Iot p2p msg' }, { expect: p2p }],
    });
    expectDone(run);
    expect(of(run, 'applied')).toHaveLength(1);
    expect(of(run, 'message').map((m) => [m.topic, m.payload])).toEqual([
      [mq4IotTopic, 'hello mq4Iot pub sub msg'],
      [p2p, 'hello mq4Iot p2p msg'],
    ]);
    expect(broker.openApi?.calls.ApplyToken).toBeGreaterThan(0);
  });

  it('uploads tokens in band with both key spellings, "token" and "Token": acknowledged, no disconnect', async () => {
    const clientId = id('upload');
    const grant = () => broker.tokens.apply({ resources: `${PARENT}/#`, actions: 'R,W', expireTime: Date.now() + 3600_000, accessKeyId: AK.accessKeyId });
    const [first, lower, upper] = [grant(), grant(), grant()];
    const installs: string[] = [];
    const onInstalled = (t: { clientId: string; expireTime: number }) => t.clientId === clientId && installs.push(String(t.expireTime));
    broker.on('tokenInstalled', onInstalled);
    const topic = `${PARENT}/after-upload/${transport}`;
    const run = await paho({
      transport,
      clientId,
      auth: tokenAuth({ RW: first }),
      steps: [
        { publish: '$SYS/uploadToken', payload: { json: { token: lower, type: 'RW' } } },
        { publish: '$SYS/uploadToken', payload: { json: { Token: upper, type: 'RW' } } },
        { subscribe: topic },
        { publish: topic, payload: 'still connected' },
        { expect: topic },
      ],
    });
    broker.off('tokenInstalled', onInstalled);
    expectDone(run);
    expect(installs).toHaveLength(2);
    expect(of(run, 'disconnect')).toEqual([{ event: 'disconnect', rc: 0 }]);
  });

  it('a message body over 64 KB is acknowledged and discarded; topics over 64 characters end the connection', async () => {
    const topic = `${PARENT}/big/${transport}`;
    const discarded = brokerEvent(broker, 'discarded', (d) => d.clientId === id('big'));
    const run = await paho({
      transport,
      clientId: id('big'),
      auth: signature,
      steps: [{ subscribe: topic }, { publish: topic, bytes: 70_000 }, { publish: topic, payload: 'marker' }, { expect: topic }],
    });
    expectDone(run);
    expect(of(run, 'puback')).toHaveLength(2);
    expect(of(run, 'message').map((m) => m.payload)).toEqual(['marker']);
    expect(await discarded).toEqual({ clientId: id('big'), topic, bytes: 70_000, reason: 'payload-too-large' });

    const long = `${PARENT}/${'x'.repeat(64 - PARENT.length)}`;
    const denied = brokerEvent(broker, 'denied', (d) => d.clientId === id('long'));
    const refused = await paho({ transport, clientId: id('long'), auth: signature, steps: [{ publish: long, payload: 'x', expectDisconnect: true }, { expectDisconnect: true }] });
    expectDone(refused);
    expect(await denied).toMatchObject({ action: 'publish', topic: long, denial: 'invalid-topic' });
  });

  it('caps Keep Alive at 8 minutes: MQTT 3.1.1 held to 480 s, MQTT 5 told so in the CONNACK (Server Keep Alive)', async () => {
    const clientId = id('keepalive');
    const go = `${PARENT}/go-ka/${transport}`;
    const running = startPaho({ transport, clientId, keepalive: 600, auth: signature, steps: [{ subscribe: go }, { expect: go, timeout: 20 }] });
    await running.child.waitForOutput(/"event": "suback"/, { timeout: 20_000 });
    expect(broker.sessions().find((s) => s.clientId === clientId)?.keepalive).toBe(480);
    const controller = await connect(broker, { clientId: id('ka-go'), credentials: await signatureCredentials({ ...AK, instanceId: INSTANCE, clientId: id('ka-go') }) });
    await controller.publishAsync(go, 'go', { qos: 1 });
    expectDone(await running.result);
    await controller.endAsync();

    const v5 = await paho({ transport, protocol: 5, clientId: id('keepalive5'), keepalive: 600, auth: signature });
    expectDone(v5);
    expect(of(v5, 'connack')[0]).toMatchObject({
      rc: 0,
      properties: { ServerKeepAlive: 480, RetainAvailable: 0, SharedSubscriptionAvailable: 0, MaximumPacketSize: 131072, TopicAliasMaximum: 30, WildcardSubscriptionAvailable: 1 },
    });
  });

  it('MQTT 5: shared subscriptions ($share) end the connection with 0x9E, retained PUBLISH with 0x9A, $delayed with 0x87, a Will to retain is refused with 0x9A', async () => {
    const share = await paho({ transport, protocol: 5, clientId: id('share'), auth: signature, steps: [{ subscribe: `$share/g/${PARENT}/x`, expectDisconnect: true }, { expectDisconnect: true }] });
    expect(of(share, 'disconnect')).toEqual([{ event: 'disconnect', rc: 0x9e }]);
    const retained = await paho({ transport, protocol: 5, clientId: id('retain'), auth: signature, steps: [{ publish: `${PARENT}/r`, retain: true, payload: 'kept', expectDisconnect: true }, { expectDisconnect: true }] });
    expect(of(retained, 'disconnect')).toEqual([{ event: 'disconnect', rc: 0x9a }]);
    const delayed = await paho({ transport, protocol: 5, clientId: id('delayed'), auth: signature, steps: [{ publish: `$delayed/10/${PARENT}/x`, payload: 'later', expectDisconnect: true }, { expectDisconnect: true }] });
    expect(of(delayed, 'disconnect')).toEqual([{ event: 'disconnect', rc: 0x87 }]);
    const will = await paho({ transport, protocol: 5, clientId: id('will'), auth: signature, will: { topic: `${PARENT}/will`, retain: true }, expectRefusal: true });
    expect(will.events.at(-1)).toEqual({ event: 'done', refused: 0x9a });
  });
});
