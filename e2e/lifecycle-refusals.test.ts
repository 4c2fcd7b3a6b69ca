/**
 * Refusals are typed and final in every authentication mode, MQTT version, transport and mqtt.js
 * release of the peer range (the lowest and the latest; one when scripts/mqtt-matrix.mjs runs it).
 *
 * Each case is a managed client (`connectAsync`) whose credentials allow `fleet/#` only:
 * - topics ApsaraMQ's documented limits rule out fail with ERR_INVALID_TOPIC, the rule named, and
 *   no byte of them is sent;
 * - a subscribe and a QoS 1 publish outside the permissions fail once, typed, naming topic, action
 *   and reason, and are never sent again; the connection comes back at most once per refusal and
 *   the app keeps receiving on its allowed topic.
 * Against the local broker (Token mode: tokenInvalidNotice 4 then a disconnect; other modes: a
 * DISCONNECT with reason 0x87 under MQTT 5, a bare disconnect under 3.1.1) and against mosquitto
 * with an ACL that denies the topic (SUBACK 0x80/0x87, PUBACK 0x87 under MQTT 5).
 *
 * The clients' timers run on a manual clock (the local broker shares it) moved in 250 ms steps;
 * network waits are on events.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createManualClock, startBroker, type LocalBroker, type ManualClock } from '../src/broker/broker-entry.js';
import {
  ApsaraMqttAuthError,
  connectAsync,
  customCredentials,
  deviceCredentials,
  onSessionEvent,
  sessionState,
  signatureCredentials,
  tokenCredentials,
  type Credentials,
  type ProvidedCredentials,
  type TokenInvalidNotice,
} from '../src/index.js';
import { createHttpAuthHandler, credentialsMatch, toNodeListener } from '../src/server/server-entry.js';
import { mqttReleases, type MqttRelease } from '../test/helpers/mqtt-releases.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { advanceUntil } from './helpers/manual-time.js';

const INSTANCE = 'mqtt-refusals-test';
const AK_SIGNATURE = { accessKeyId: 'LTAI-refusal-sig', accessKeySecret: 'refusal-sig-secret-4' };
const AK_TOKEN = { accessKeyId: 'LTAI-refusal-token', accessKeySecret: 'refusal-token-secret-5' };
const CUSTOM = { username: 'refusal-custom', secret: 'refusal-custom-secret', signMode: 'SIGNED' as const };
const METER_SECRET = 'refusal-meter-secret-6';
const ALLOWED = 'fleet/#';
const FORBIDDEN = 'other/topic';
const SECOND = 1000;

const MODES = ['Signature', 'DeviceCredential', 'custom', 'Token', 'HTTP authentication'] as const;
type Mode = (typeof MODES)[number];
const VERSIONS = [4, 5] as const;
const TRANSPORTS = ['tcp', 'ws'] as const;
const RELEASES = mqttReleases();

/** Every case, with a client id of its own (a device credential belongs to one client id). */
const CASES = RELEASES.flatMap((release, r) =>
  MODES.flatMap((mode, m) =>
    VERSIONS.flatMap((protocolVersion) =>
      TRANSPORTS.map((transport) => ({ release, mode, protocolVersion, transport, clientId: `GID_fleet@@@r${r}-m${m}-v${protocolVersion}-${transport}` })),
    ),
  ),
);
type Case = (typeof CASES)[number];
const title = ({ release, mode, protocolVersion, transport }: Case) => `${release.name} · ${mode} · MQTT ${protocolVersion === 5 ? '5' : '3.1.1'} · ${transport}`;

const deviceOf = (clientId: string) => ({ clientId, deviceAccessKeyId: `dev-${clientId.slice(-16).replace(/[^\w-]/g, '')}`, deviceAccessKeySecret: `secret-of-${clientId.slice(-16)}` });

const clients = new Set<MqttClient>();
afterEach(async () => {
  await Promise.all([...clients].map((c) => c.endAsync(true).catch(() => undefined)));
  clients.clear();
});

const tick = () => new Promise((r) => setTimeout(r, 5));


const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as ApsaraMqttAuthError,
  );

/** What went out on the wire, by packet type and topic, and how many connections were opened. */
function wire(client: MqttClient) {
  const sent: string[] = [];
  let connections = 1; // the one connectAsync made
  client.on('packetsend', (p: { cmd: string; topic?: string; subscriptions?: { topic: string }[] }) => {
    if (p.cmd === 'connect') connections++;
    if (p.cmd === 'publish') sent.push(`publish ${p.topic}`);
    if (p.cmd === 'subscribe') for (const s of p.subscriptions ?? []) sent.push(`subscribe ${s.topic}`);
  });
  return { sent, connections: () => connections };
}

/** The documented limits: each refused before anything is sent, with its rule named. */
async function expectPrechecks(client: MqttClient, sent: string[]): Promise<void> {
  const cases: [Promise<unknown>, string][] = [
    [client.subscribeAsync('$share/g1/fleet/x', { qos: 1 }), 'shared-subscription'],
    [client.subscribeAsync('$queue/fleet/x', { qos: 1 }), 'shared-subscription'],
    [client.subscribeAsync(`fleet/${'x'.repeat(70)}`, { qos: 1 }), 'length'],
    [client.subscribeAsync('fleet/a.b', { qos: 1 }), 'characters'],
    [client.publishAsync('fleet/+/x', 'x', { qos: 1 }), 'wildcard-in-publish'],
    [client.publishAsync('$SYS/other', 'x', { qos: 1 }), 'system-topic'],
    [client.subscribeAsync('$SYS/#', { qos: 1 }), 'system-topic'],
  ];
  for (const [call, rule] of cases) {
    const error = await failure(call);
    expect(error).toBeInstanceOf(ApsaraMqttAuthError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_TOPIC', field: 'topic', cause: expect.objectContaining({ rule }) });
    expect(error!.message).toContain(`ApsaraMQ rule: ${rule}`);
  }
  expect(sent).toEqual([]);
}

interface Scenario {
  clock: ManualClock;
  kase: Case;
  endpoint: { transport: 'tcp' | 'ws'; host: string; port: number; path?: string };
  credentials: () => ProvidedCredentials | Promise<ProvidedCredentials>;
  /** What a refusal reports: the notice fields, and whether the connection is cut for it. */
  refusal: (action: 'subscribe' | 'publish') => { notice: Partial<TokenInvalidNotice>; returnCode?: number; disconnects: boolean } | undefined;
}

/** The whole story on one managed client; every bound of the module's comment. */
async function refusedThenWorking({ clock, kase, endpoint, credentials, refusal }: Scenario): Promise<void> {
  let asked = 0;
  const client = await connectAsync({
    instanceId: INSTANCE,
    clientId: kase.clientId,
    protocolVersion: kase.protocolVersion,
    ...endpoint,
    mqtt: kase.release.mqtt,
    credentials: () => (asked++, credentials()),
    clock,
    random: () => 0.5,
  });
  clients.add(client);
  const { sent, connections } = wire(client);
  const invalid: TokenInvalidNotice[] = [];
  onSessionEvent(client, 'tokenInvalid', (n) => invalid.push(n));
  const received: string[] = [];
  client.on('message', (topic) => received.push(topic));

  await expectPrechecks(client, sent);

  // A subscription outside the permissions: typed, named, once.
  const subscribed = refusal('subscribe')!;
  const error = await failure(client.subscribeAsync(FORBIDDEN, { qos: 1 }));
  expect(error).toBeInstanceOf(ApsaraMqttAuthError);
  expect(error).toMatchObject({ code: 'ERR_NOT_AUTHORIZED', field: 'topic', returnCode: subscribed.returnCode, cause: expect.objectContaining({ action: 'subscribe', topic: FORBIDDEN, ...subscribed.notice }) });
  expect(error!.message).toContain(`subscribe "${FORBIDDEN}"`);
  const allowed = client.subscribeAsync('fleet/+/telemetry', { qos: 1 });
  await advanceUntil(clock, () => client.connected, 'the reconnect');
  await allowed;

  // A QoS 1 publish outside them (mosquitto under MQTT 3.1.1 drops it silently: no refusal to see).
  const published = refusal('publish');
  if (published) {
    const error = await failure(client.publishAsync(FORBIDDEN, 'x', { qos: 1 }));
    expect(error).toMatchObject({ code: 'ERR_NOT_AUTHORIZED', returnCode: published.returnCode, cause: expect.objectContaining({ action: 'publish', topic: FORBIDDEN, ...published.notice }) });
    expect(error!.message).toContain(`publish "${FORBIDDEN}"`);
    await advanceUntil(clock, () => client.connected, 'the reconnect');
  }

  // 20 s of the client's life: nothing is sent again, nothing loops.
  for (let t = 0; t < 20 * SECOND; t += 250) {
    clock.advance(250);
    await tick();
  }
  expect(client.connected).toBe(true);
  expect(sessionState(client).state).toBe('connected');
  expect(sent.filter((s) => s.endsWith(` ${FORBIDDEN}`))).toEqual(published ? [`subscribe ${FORBIDDEN}`, `publish ${FORBIDDEN}`] : [`subscribe ${FORBIDDEN}`]);
  const cuts = Number(subscribed.disconnects) + Number(published?.disconnects ?? false);
  expect(connections()).toBe(1 + cuts); // back once per refusal that cut the connection
  expect(asked).toBeLessThanOrEqual(1 + cuts);
  expect(invalid.map((n) => `${n.action} ${n.topic}`)).toEqual(published ? [`subscribe ${FORBIDDEN}`, `publish ${FORBIDDEN}`] : [`subscribe ${FORBIDDEN}`]);

  // And the app keeps working on its allowed topic.
  await client.publishAsync('fleet/dev-1/telemetry', 'ok', { qos: 1 });
  await vi.waitFor(() => expect(received).toEqual(['fleet/dev-1/telemetry']));
}

describe('the local broker', () => {
  let clock: ManualClock;
  let broker: LocalBroker;
  let endpoint: Server;

  beforeAll(async () => {
    const http = createHttpAuthHandler({
      authenticate: async (c) => {
        const expected = await customCredentials({ username: c.username, secret: METER_SECRET, clientId: c.clientId, signMode: 'SIGNED' });
        return credentialsMatch(c, expected) ? { result: 'allow', acl: [{ effect: 'allow', action: ['publish', 'subscribe'], topic: ALLOWED }] } : { result: 'deny' };
      },
    });
    endpoint = createServer(toNodeListener(http));
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    clock = createManualClock(Date.UTC(2026, 11, 7, 12));
    const permissions = { resources: [ALLOWED], actions: 'R,W' };
    broker = await startBroker({
      instanceId: INSTANCE,
      clock,
      httpPort: false,
      accessKeys: [{ ...AK_SIGNATURE, permissions }, AK_TOKEN],
      devices: CASES.map((c) => deviceOf(c.clientId)),
      devicePermissions: permissions,
      customIdentities: [{ ...CUSTOM, permissions }],
      httpAuth: { url: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/mqtt/auth` },
    });
  });
  afterAll(async () => {
    await broker?.close();
    endpoint?.closeAllConnections();
    await new Promise((resolve) => endpoint?.close(resolve));
  });

  const credentialsFor = (kase: Case) => (): ProvidedCredentials | Promise<ProvidedCredentials> => {
    const { clientId } = kase;
    switch (kase.mode) {
      case 'Signature':
        return signatureCredentials({ ...AK_SIGNATURE, instanceId: INSTANCE, clientId });
      case 'DeviceCredential':
        return deviceCredentials({ ...deviceOf(clientId), instanceId: INSTANCE });
      case 'custom':
        return customCredentials({ ...CUSTOM, clientId });
      case 'HTTP authentication':
        return customCredentials({ username: `meter-${clientId.slice(-12)}`, secret: METER_SECRET, clientId, signMode: 'SIGNED' });
      case 'Token': {
        const expireTime = clock.now() + 30 * 60 * SECOND;
        const token = broker.tokens.apply({ resources: [ALLOWED], actions: 'R,W', expireTime, accessKeyId: AK_TOKEN.accessKeyId });
        return { ...tokenCredentials({ accessKeyId: AK_TOKEN.accessKeyId, instanceId: INSTANCE, tokens: { RW: token } }), expiresAt: expireTime };
      }
    }
  };

  it.each(CASES.map((c) => [title(c), c] as const))('%s: limits refused before sending; a subscribe and a publish refused once, typed; back once each; still receiving', async (_title, kase) => {
    let denials = 0;
    const onDenied = (d: { clientId: string }) => void (d.clientId === kase.clientId && denials++);
    broker.on('denied', onDenied);
    try {
      await refusedThenWorking({
        clock,
        kase,
        endpoint: broker.endpoint(kase.transport) as Scenario['endpoint'],
        credentials: credentialsFor(kase),
        refusal: () =>
          kase.mode === 'Token'
            ? { notice: { code: 4, reason: 'resource-mismatch' }, returnCode: 4, disconnects: true }
            : kase.protocolVersion === 5
              ? { notice: { code: 0x87, reason: 'not-authorized', reasonString: 'Not authorized' }, returnCode: 0x87, disconnects: true }
              : { notice: { code: 0, reason: 'connection-closed' }, returnCode: undefined, disconnects: true },
      });
    } finally {
      broker.off('denied', onDenied);
    }
    expect(denials).toBe(2); // the broker saw each refused call once
  });

  it('MQTT 5, a retained QoS 1 publish (the service keeps none): DISCONNECT 0x9A becomes ERR_NOT_AUTHORIZED saying so, the message is not sent again', async () => {
    const kase = CASES.find((c) => c.mode === 'Signature' && c.protocolVersion === 5 && c.transport === 'tcp')!;
    const client = await connectAsync({ instanceId: INSTANCE, clientId: kase.clientId, protocolVersion: 5, ...broker.endpoint('tcp'), mqtt: kase.release.mqtt, credentials: credentialsFor(kase), clock, random: () => 0.5 });
    clients.add(client);
    const { sent, connections } = wire(client);
    const error = await failure(client.publishAsync('fleet/retained', 'x', { qos: 1, retain: true }));
    expect(error).toMatchObject({ code: 'ERR_NOT_AUTHORIZED', returnCode: 0x9a, cause: expect.objectContaining({ action: 'publish', topic: 'fleet/retained', reasonString: 'Retained messages are not supported' }) });
    expect(error!.message).toContain('publish without retain');
    await advanceUntil(clock, () => client.connected, 'the reconnect');
    for (let t = 0; t < 10 * SECOND; t += 250) {
      clock.advance(250);
      await tick();
    }
    expect(sent).toEqual(['publish fleet/retained']);
    expect(connections()).toBe(2);
    await client.publishAsync('fleet/not-retained', 'x', { qos: 1 });
  });
});

describe('mosquitto with an ACL that denies the topic', () => {
  let mosquitto: Mosquitto;
  const users = new Map<string, Credentials>();

  /** Every case's credentials, computed once: mosquitto's password file holds them. */
  async function credentialsOf(kase: Case): Promise<Credentials> {
    const { clientId } = kase;
    switch (kase.mode) {
      case 'Signature':
        // An AccessKey per case: mosquitto keeps one password per Username, and the password signs the client id.
        return signatureCredentials({ accessKeyId: `LTAI-${clientId.slice(-12)}`, accessKeySecret: AK_SIGNATURE.accessKeySecret, instanceId: INSTANCE, clientId });
      case 'DeviceCredential':
        return deviceCredentials({ ...deviceOf(clientId), instanceId: INSTANCE });
      case 'custom':
        return customCredentials({ username: `custom-${clientId.slice(-12)}`, secret: CUSTOM.secret, clientId, signMode: 'SIGNED' });
      case 'HTTP authentication':
        return customCredentials({ username: `meter-${clientId.slice(-12)}`, secret: METER_SECRET, clientId, signMode: 'SIGNED' });
      case 'Token':
        // One Username for every Token-mode case, so one password: the same token.
        return tokenCredentials({ accessKeyId: AK_TOKEN.accessKeyId, instanceId: INSTANCE, tokens: { RW: 'token-for-mosquitto' } });
    }
  }

  beforeAll(async () => {
    for (const kase of CASES) users.set(kase.clientId, await credentialsOf(kase));
    const accounts = new Map([...users.values()].map((u) => [u.username, u]));
    mosquitto = await startMosquitto({
      users: [...accounts.values()],
      acl: [...accounts.keys()].map((username) => ({ username, subscribe: [ALLOWED], publish: [ALLOWED] })),
    });
  });
  afterAll(async () => {
    await mosquitto?.stop();
  });

  it.each(CASES.map((c) => [title(c), c] as const))(
    '%s: limits refused before sending; SUBACK (and MQTT 5 PUBACK) refusals typed and final; the connection stays up',
    async (_title, kase) => {
      const v5 = kase.protocolVersion === 5;
      await refusedThenWorking({
        clock: createManualClock(Date.UTC(2026, 11, 7, 12)),
        kase,
        endpoint: kase.transport === 'tcp' ? { transport: 'tcp', host: '127.0.0.1', port: mosquitto.tcpPort } : { transport: 'ws', host: '127.0.0.1', port: mosquitto.wsPort, path: '/mqtt' },
        credentials: () => users.get(kase.clientId)!,
        refusal: (action) =>
          action === 'subscribe'
            ? { notice: { code: v5 ? 0x87 : 0x80, reason: 'not-authorized' }, returnCode: v5 ? 0x87 : 0x80, disconnects: false }
            : v5
              ? { notice: { code: 0x87, reason: 'not-authorized' }, returnCode: 0x87, disconnects: false }
              : undefined,
      });
    },
  );
});
