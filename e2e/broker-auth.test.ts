/**
 * The local broker's CONNECT checks, with real mqtt.js clients over TCP, TLS, WebSocket and
 * WebSocket over TLS (trusting `broker.ca`), MQTT 3.1.1 and 5: every auth mode accepted, every kind
 * of bad credential refused with the documented code; retained messages and wills as ApsaraMQ
 * answers them (not supported).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customCredentials, deviceCredentials, signatureCredentials, tokenCredentials } from '../src/index.js';
import { startBroker, type LocalBroker } from '../src/broker/broker-entry.js';
import { AK, INSTANCE, brokerEvent, closeAll, closed, connect, disconnectReason, nextMessage, refusalCode } from './broker-helpers.js';

const DEVICE = { clientId: 'GID_dev@@@sensor-1', deviceAccessKeyId: 'DevKey-1', deviceAccessKeySecret: 'device-secret-1' };
const ORIGIN = { username: 'dashboard-user', secret: 'origin-secret', signMode: 'ORIGIN' as const };
const SIGNED = { username: 'signed-user', secret: 'signed-secret', signMode: 'SIGNED' as const };

let broker: LocalBroker;
let token: string;

beforeAll(async () => {
  broker = await startBroker({
    instanceId: INSTANCE,
    accessKeys: [AK],
    devices: [DEVICE],
    customIdentities: [ORIGIN, SIGNED],
  });
  token = broker.tokens.apply({ resources: ['fleet/#'], actions: 'R,W', expireTime: Date.now() + 3600_000 });
});

afterAll(async () => {
  await closeAll();
  await broker?.close();
});

const signature = (clientId: string, over: Partial<typeof AK & { instanceId: string }> = {}) =>
  signatureCredentials({ ...AK, instanceId: INSTANCE, clientId, ...over });

describe.each([
  ['tcp', 4],
  ['tcp', 5],
  ['tls', 4],
  ['tls', 5],
  ['ws', 4],
  ['ws', 5],
  ['wss', 4],
  ['wss', 5],
] as const)('over %s, MQTT protocol level %i', (transport, protocolVersion) => {
  const id = (name: string) => `GID_auth@@@${name}-${transport}-${protocolVersion}`;
  const badCredentials = protocolVersion === 5 ? 0x86 : 5;
  const notAuthorized = protocolVersion === 5 ? 0x87 : 5;

  it('accepts Signature credentials and round-trips a message', async () => {
    const clientId = id('sig');
    const client = await connect(broker, { clientId, credentials: await signature(clientId), transport, protocolVersion });
    await client.subscribeAsync('fleet/echo', { qos: 1 });
    const got = new Promise<string>((resolve) => client.once('message', (_t, p) => resolve(p.toString())));
    await client.publishAsync('fleet/echo', 'hello', { qos: 1 });
    expect(await got).toBe('hello');
    expect(broker.sessions().find((s) => s.clientId === clientId)).toMatchObject({ mode: 'Signature', id: AK.accessKeyId, protocolVersion });
    await client.endAsync();
  });

  it('carries QoS 0/1/2 and unsubscribe (MQTT 5 is translated for aedes)', async () => {
    const rx = await connect(broker, { clientId: id('rx'), credentials: await signature(id('rx')), transport, protocolVersion });
    const tx = await connect(broker, { clientId: id('tx'), credentials: await signature(id('tx')), transport, protocolVersion });
    const topic = `fleet/qos/${transport}${protocolVersion}`;
    const granted = await rx.subscribeAsync([topic, `${topic}/end`], { qos: 2 });
    expect(granted.map((g) => g.qos)).toEqual([2, 2]);
    const received: Array<[string, number]> = [];
    rx.on('message', (_t, payload, packet) => received.push([payload.toString(), packet.qos]));
    for (const qos of [0, 1, 2] as const) await tx.publishAsync(topic, `q${qos}`, { qos });
    await rx.unsubscribeAsync(topic);
    await tx.publishAsync(topic, 'after unsubscribe', { qos: 1 });
    const end = nextMessage(rx, `${topic}/end`);
    await tx.publishAsync(`${topic}/end`, 'end', { qos: 1 });
    await end;
    expect(received).toEqual([['q0', 0], ['q1', 1], ['q2', 2], ['end', 1]]);
    await Promise.all([rx.endAsync(), tx.endAsync()]);
  });

  it('keeps no retained message and publishes no will, as ApsaraMQ (MQTT 5: announced in the CONNACK, a retained PUBLISH ends the connection with 0x9A)', async () => {
    const topic = `fleet/retain/${transport}${protocolVersion}`;
    const willTopic = `fleet/will/${transport}${protocolVersion}`;
    const rx = await connect(broker, { clientId: id('rrx'), credentials: await signature(id('rrx')), transport, protocolVersion });
    await rx.subscribeAsync([topic, willTopic], { qos: 1 });
    const tx = await connect(broker, {
      clientId: id('rtx'),
      credentials: await signature(id('rtx')),
      transport,
      protocolVersion,
      options: { will: { topic: willTopic, payload: Buffer.from('gone'), qos: 1, retain: false } },
    });
    if (protocolVersion === 5) {
      expect((tx as unknown as { connackPacket: { properties?: object } }).connackPacket.properties).toMatchObject({
        retainAvailable: false,
        sharedSubscriptionAvailable: false,
        wildcardSubscriptionAvailable: true,
        maximumPacketSize: 128 * 1024,
        topicAliasMaximum: 30,
      });
      const reason = disconnectReason(tx);
      const denied = brokerEvent(broker, 'denied', (d) => d.clientId === id('rtx'));
      tx.publish(topic, 'kept', { qos: 1, retain: true });
      expect(await reason).toBe(0x9a);
      expect(await denied).toMatchObject({ action: 'publish', denial: 'retained' });
    } else {
      // Delivered as an ordinary message (retain flag off), and not kept for later subscribers.
      const live = new Promise<boolean>((resolve) => rx.once('message', (_t, _p, packet) => resolve(packet.retain)));
      await tx.publishAsync(topic, 'kept', { qos: 1, retain: true });
      expect(await live).toBe(false);
      const later = await connect(broker, { clientId: id('later'), credentials: await signature(id('later')), transport, protocolVersion });
      const first = new Promise<string>((resolve) => later.once('message', (_t, payload) => resolve(payload.toString())));
      await later.subscribeAsync(topic, { qos: 1 });
      await tx.publishAsync(topic, 'marker', { qos: 1 });
      expect(await first).toBe('marker');
      await later.endAsync();
      const gone = brokerEvent(broker, 'clientDisconnected', (d) => d.clientId === id('rtx'));
      tx.stream.destroy();
      await gone;
    }
    // The will (if any were published, it would come before this marker from the same broker loop).
    const next = new Promise<string>((resolve) => rx.on('message', (t, payload) => t === willTopic && resolve(payload.toString())));
    await rx.publishAsync(willTopic, 'marker', { qos: 1 });
    expect(await next).toBe('marker');
    await rx.endAsync();
  });

  if (protocolVersion === 5) {
    it('refuses a Will to retain with 0x9A, as a broker without retained messages must', async () => {
      const clientId = id('will-retain');
      const refused = brokerEvent(broker, 'clientRefused', (e) => e.clientId === clientId);
      const code = await refusalCode(broker, {
        clientId,
        credentials: await signature(clientId),
        transport,
        protocolVersion,
        options: { will: { topic: 'fleet/will', payload: Buffer.from('x'), qos: 0, retain: true } },
      });
      expect(code).toBe(0x9a);
      expect(await refused).toMatchObject({ kind: 'unsupported', returnCode: 0x9a });
    });
  }

  it('accepts Token, DeviceCredential and custom ORIGIN / SIGNED credentials', async () => {
    const clients = [
      await connect(broker, { clientId: id('tok'), credentials: tokenCredentials({ accessKeyId: AK.accessKeyId, instanceId: INSTANCE, tokens: { RW: token } }), transport, protocolVersion }),
      await connect(broker, {
        clientId: DEVICE.clientId,
        credentials: await deviceCredentials({ ...DEVICE, instanceId: INSTANCE }),
        transport,
        protocolVersion,
      }),
      await connect(broker, { clientId: id('origin'), credentials: await customCredentials({ ...ORIGIN, clientId: id('origin') }), transport, protocolVersion }),
      await connect(broker, { clientId: id('signed'), credentials: await customCredentials({ ...SIGNED, clientId: id('signed') }), transport, protocolVersion }),
    ];
    const modes = broker.sessions().filter((s) => clients.some((c) => c.options.clientId === s.clientId)).map((s) => s.mode);
    expect(modes.sort()).toEqual(['Custom', 'Custom', 'DeviceCredential', 'Token']);
    await Promise.all(clients.map((c) => c.endAsync()));
  });

  it('refuses a Signature made with the wrong secret', async () => {
    const clientId = id('wrong');
    const refused = brokerEvent(broker, 'clientRefused', (e) => e.clientId === clientId);
    expect(await refusalCode(broker, { clientId, credentials: await signature(clientId, { accessKeySecret: 'not-the-secret' }), transport, protocolVersion })).toBe(badCredentials);
    expect(await refused).toMatchObject({ kind: 'bad-credentials', returnCode: badCredentials });
  });

  it('refuses a Signature made for another client id', async () => {
    const credentials = await signature(id('someone-else'));
    expect(await refusalCode(broker, { clientId: id('me'), credentials, transport, protocolVersion })).toBe(badCredentials);
  });

  it('refuses an unknown AccessKey id', async () => {
    const clientId = id('unknown-ak');
    expect(await refusalCode(broker, { clientId, credentials: await signature(clientId, { accessKeyId: 'LTAI-nobody' }), transport, protocolVersion })).toBe(badCredentials);
  });

  it('refuses a Username naming another instance (not authorized)', async () => {
    const clientId = id('other-instance');
    expect(await refusalCode(broker, { clientId, credentials: await signature(clientId, { instanceId: 'mqtt-someone-else' }), transport, protocolVersion })).toBe(notAuthorized);
  });

  it('refuses a device credential used by another client id, and a wrong device secret', async () => {
    const other = id('not-the-device');
    const stolen = await deviceCredentials({ ...DEVICE, instanceId: INSTANCE, clientId: other });
    expect(await refusalCode(broker, { clientId: other, credentials: stolen, transport, protocolVersion })).toBe(notAuthorized);
    const wrong = await deviceCredentials({ ...DEVICE, deviceAccessKeySecret: 'nope', instanceId: INSTANCE });
    expect(await refusalCode(broker, { clientId: DEVICE.clientId, credentials: wrong, transport, protocolVersion })).toBe(badCredentials);
  });

  it('refuses custom identities with the wrong secret in both sign modes', async () => {
    for (const identity of [ORIGIN, SIGNED]) {
      const clientId = id(`custom-${identity.signMode}`);
      const credentials = await customCredentials({ ...identity, secret: 'wrong', clientId });
      expect(await refusalCode(broker, { clientId, credentials, transport, protocolVersion })).toBe(badCredentials);
    }
  });

  it('refuses tokens that are unknown, tampered, expired-type or of the wrong permission type', async () => {
    const tok = (tokens: Record<string, string>) => tokenCredentials({ accessKeyId: AK.accessKeyId, instanceId: INSTANCE, tokens });
    const clientId = id('tok-bad');
    expect(await refusalCode(broker, { clientId, credentials: tok({ RW: 'never-issued' }), transport, protocolVersion })).toBe(badCredentials);
    const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    const refused = brokerEvent(broker, 'clientRefused', (e) => e.clientId === clientId);
    expect(await refusalCode(broker, { clientId, credentials: tok({ RW: tampered }), transport, protocolVersion })).toBe(badCredentials);
    expect((await refused).tokenCode).toBe(8);
    const readOnly = broker.tokens.apply({ resources: 'fleet/#', actions: 'R', expireTime: Date.now() + 3600_000 });
    expect(await refusalCode(broker, { clientId, credentials: tok({ W: readOnly }), transport, protocolVersion })).toBe(notAuthorized);
  });

  it('refuses an invalid client id with "identifier rejected"', async () => {
    const clientId = 'not-a-group@@@x';
    const credentials = { username: `Signature|${AK.accessKeyId}|${INSTANCE}`, password: 'irrelevant' };
    // createConnectOptions validates client ids itself, so build the options by hand here.
    const mqtt = await import('mqtt');
    const client = mqtt.connect(broker.url(transport), { clientId, ...credentials, protocolVersion, reconnectPeriod: 0, ca: broker.ca });
    client.on('error', () => {});
    const code = await new Promise<number>((resolve) => client.once('error', (e) => resolve((e as { code: number }).code)));
    client.end(true);
    expect(code).toBe(protocolVersion === 5 ? 0x85 : 2);
  });

  it('lets a newer connection with the same client id take over, disconnecting the older', async () => {
    const clientId = id('dup');
    const credentials = await signature(clientId);
    const older = await connect(broker, { clientId, credentials, transport, protocolVersion });
    const reason = disconnectReason(older);
    const olderClosed = closed(older);
    const newer = await connect(broker, { clientId, credentials, transport, protocolVersion });
    await olderClosed;
    expect(await reason).toBe(protocolVersion === 5 ? 0x8e : undefined);
    expect(newer.connected).toBe(true);
    await newer.subscribeAsync('fleet/after-takeover');
    expect(broker.sessions().filter((s) => s.clientId === clientId)).toHaveLength(1);
    await newer.endAsync();
  });
});
