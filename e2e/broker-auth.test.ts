/**
 * The local broker's CONNECT checks, with real mqtt.js clients over TCP and WebSocket, MQTT 3.1.1
 * and 5: every auth mode accepted, every kind of bad credential refused with the documented code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customCredentials, deviceCredentials, signatureCredentials, tokenCredentials } from '../src/index.js';
import { startBroker, type LocalBroker } from '../src/broker/index.js';
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
  ['ws', 4],
  ['ws', 5],
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

  it('carries QoS 0/1/2, retained messages, unsubscribe and a will through (MQTT 5 is translated for aedes)', async () => {
    const rx = await connect(broker, { clientId: id('rx'), credentials: await signature(id('rx')), transport, protocolVersion });
    const willTopic = `fleet/will/${transport}${protocolVersion}`;
    const tx = await connect(broker, {
      clientId: id('tx'),
      credentials: await signature(id('tx')),
      transport,
      protocolVersion,
      options: { will: { topic: willTopic, payload: Buffer.from('gone'), qos: 1, retain: false } },
    });
    const topic = `fleet/qos/${transport}${protocolVersion}`;
    const granted = await rx.subscribeAsync([topic, willTopic], { qos: 2 });
    expect(granted.map((g) => g.qos)).toEqual([2, 2]);
    const received: Array<[string, number]> = [];
    rx.on('message', (_t, payload, packet) => received.push([payload.toString(), packet.qos]));
    for (const qos of [0, 1, 2] as const) await tx.publishAsync(topic, `q${qos}`, { qos });
    await tx.publishAsync(`${topic}/retained`, 'kept', { qos: 1, retain: true });
    const retained = nextMessage(rx, `${topic}/retained`);
    await rx.subscribeAsync(`${topic}/retained`, { qos: 1 });
    expect((await retained).text).toBe('kept');
    await rx.unsubscribeAsync(topic);
    await tx.publishAsync(topic, 'after unsubscribe', { qos: 1 });
    const will = nextMessage(rx, willTopic);
    tx.stream.destroy();
    expect((await will).text).toBe('gone');
    expect(received).toEqual([['q0', 0], ['q1', 1], ['q2', 2], ['kept', 1], ['gone', 1]]);
    await rx.endAsync();
  });

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
    const client = mqtt.connect(broker.url(transport), { clientId, ...credentials, protocolVersion, reconnectPeriod: 0 });
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
