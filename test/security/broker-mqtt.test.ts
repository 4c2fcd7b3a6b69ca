/**
 * The local broker over MQTT: no forged `$SYS` notice (a Will, a retained message, anything
 * not sent by the broker itself) reaches a client; a revoked token's Will is never published; a
 * subscriber that stops reading is cut off instead of buffered for; the token store forgets tokens
 * that are revoked or expired. Real mqtt.js clients against a real broker on 127.0.0.1.
 */
import { createConnection, type Socket } from 'node:net';
import type { MqttClient } from 'mqtt';
import { generate } from 'mqtt-packet';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signatureCredentials, tokenCredentials } from '../../src/index.js';
import { createManualClock, startBroker, SYS_TOPICS, TokenStore, TOKEN_INVALID_CODES, type LocalBroker } from '../../src/broker/broker-entry.js';
import { AK, INSTANCE, brokerEvent, closeAll, closed, connect, nextMessage } from '../../e2e/broker-helpers.js';

let broker: LocalBroker;
const sockets: Socket[] = [];
beforeAll(async () => {
  broker = await startBroker({ instanceId: INSTANCE, accessKeys: [AK], limits: { maxOutboundBytes: 256 * 1024 } });
});
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await closeAll();
});
afterAll(async () => {
  await broker?.close();
});

const signature = (clientId: string) => signatureCredentials({ ...AK, instanceId: INSTANCE, clientId });

/** Every message a client receives, from now on. */
function record(client: MqttClient): { topic: string; text: string }[] {
  const seen: { topic: string; text: string }[] = [];
  client.on('message', (topic, payload) => seen.push({ topic, text: payload.toString('utf8') }));
  return seen;
}

/**
 * A message the client (subscribed to `topic`) sends itself through the broker, received:
 * everything published before it has been dealt with.
 */
async function roundTrip(client: MqttClient, topic: string): Promise<void> {
  const back = nextMessage(client, topic);
  await client.publishAsync(topic, 'marker', { qos: 1 });
  await back;
}

describe('no forged $SYS notice reaches a client', () => {
  it('a Will on $SYS/tokenInvalidNotice (retained) is never delivered, nor kept for later subscribers', async () => {
    const watcher = await connect(broker, { clientId: 'GID_sec@@@watcher', credentials: await signature('GID_sec@@@watcher') });
    const seen = record(watcher);
    await watcher.subscribeAsync(['fleet/#', 'sys/#'], { qos: 1 });
    const forger = await connect(broker, {
      clientId: 'GID_sec@@@forger',
      credentials: await signature('GID_sec@@@forger'),
      options: { will: { topic: SYS_TOPICS.TOKEN_INVALID_NOTICE, payload: Buffer.from('{"code":3,"type":"RW"}'), qos: 1, retain: true } },
    });
    const gone = brokerEvent(broker, 'clientDisconnected', (d) => d.clientId === 'GID_sec@@@forger');
    // An abrupt end: the broker publishes a Will only when the client does not say goodbye.
    (forger as unknown as { stream: { destroy(): void } }).stream.destroy();
    await gone;
    await roundTrip(watcher, 'fleet/marker');
    const late = await connect(broker, { clientId: 'GID_sec@@@late', credentials: await signature('GID_sec@@@late') });
    const lateSeen = record(late);
    await late.subscribeAsync(['fleet/#', 'sys/#'], { qos: 1 });
    await roundTrip(late, 'fleet/late-marker');
    expect([...seen, ...lateSeen].filter((m) => m.topic.startsWith('$'))).toEqual([]);
  });

  it('a Token client whose token was revoked has no Will published', async () => {
    const token = broker.tokens.apply({ resources: 'fleet/#', actions: 'R,W', expireTime: Date.now() + 3_600_000, accessKeyId: AK.accessKeyId });
    const watcher = await connect(broker, { clientId: 'GID_sec@@@watcher2', credentials: await signature('GID_sec@@@watcher2') });
    const seen = record(watcher);
    await watcher.subscribeAsync('fleet/#', { qos: 1 });
    const holder = await connect(broker, {
      clientId: 'GID_sec@@@holder',
      credentials: tokenCredentials({ accessKeyId: AK.accessKeyId, instanceId: INSTANCE, tokens: { RW: token } }),
      options: { will: { topic: 'fleet/last-words', payload: Buffer.from('revoked but speaking'), qos: 1, retain: false } },
    });
    broker.tokens.revoke(token);
    await closed(holder);
    await roundTrip(watcher, 'fleet/marker2');
    expect(seen.filter((m) => m.topic === 'fleet/last-words')).toEqual([]);
  });

  it('a retained PUBLISH is delivered as an ordinary message and not kept; one on $SYS is refused', async () => {
    const publisher = await connect(broker, { clientId: 'GID_sec@@@retainer', credentials: await signature('GID_sec@@@retainer') });
    await publisher.publishAsync('fleet/retained', 'kept?', { qos: 1, retain: true });
    const late = await connect(broker, { clientId: 'GID_sec@@@late2', credentials: await signature('GID_sec@@@late2') });
    const seen = record(late);
    await late.subscribeAsync('fleet/#', { qos: 1 });
    await roundTrip(late, 'fleet/late-marker2');
    expect(seen.filter((m) => m.topic === 'fleet/retained')).toEqual([]);
    const denied = brokerEvent(broker, 'denied', (d) => d.clientId === 'GID_sec@@@retainer');
    publisher.publish(SYS_TOPICS.TOKEN_INVALID_NOTICE, '{"code":3}', { qos: 1, retain: true });
    expect(await denied).toMatchObject({ denial: 'system' });
  });
});

describe('a subscriber that stops reading is cut off, not buffered for', () => {
  it('disconnects it once more than limits.maxOutboundBytes wait (QoS 0 and 1), and keeps serving the rest', async () => {
    for (const qos of [0, 1] as const) {
      const slowId = `GID_sec@@@slow-${qos}`;
      // A client that subscribes and then never reads a byte: its socket's buffers fill, then the broker's.
      const subscribed = brokerEvent(broker, 'clientConnected', (s) => s.clientId === slowId);
      const slow = createConnection(broker.tcpPort, '127.0.0.1');
      sockets.push(slow);
      slow.on('error', () => undefined);
      slow.pause();
      const { username, password } = await signature(slowId);
      slow.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: slowId, keepalive: 60, username, password: Buffer.from(password) }));
      slow.write(generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'load/#', qos }] }));
      await subscribed;
      const cut = brokerEvent(broker, 'slowConsumer', (s) => s.clientId === slowId);
      const publisher = await connect(broker, { clientId: `GID_sec@@@loader-${qos}`, credentials: await signature(`GID_sec@@@loader-${qos}`) });
      const payload = Buffer.alloc(60 * 1024, 7);
      let stop = false;
      void cut.then(() => (stop = true));
      // At most 64 MB: far more than the socket buffers hold, bounded if the broker never cuts.
      for (let i = 0; i < 1024 && !stop; i++) await publisher.publishAsync('load/data', payload, { qos: 1 });
      expect(await cut).toEqual({ clientId: slowId });
      // The broker's end of it is gone: reading what was left in flight ends in the close.
      const gone = new Promise((resolve) => slow.once('close', resolve));
      slow.resume();
      await gone;
      // The publisher was served all along and still is.
      await publisher.subscribeAsync('after/#', { qos: 1 });
      await roundTrip(publisher, 'after/cut');
      await publisher.endAsync();
    }
  }, 120_000);

  it('checks limits.maxOutboundBytes when the broker starts', async () => {
    await expect(startBroker({ instanceId: 'mqtt-sec-lim', limits: { maxOutboundBytes: 10 } })).rejects.toMatchObject({ field: 'limits.maxOutboundBytes' });
  });
});

describe('the token store forgets revoked and expired tokens', () => {
  it('keeps only live applied tokens, and still tells a forgotten one as expired (2) or revoked (3)', () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const store = new TokenStore({ instanceId: 'mqtt-sec-tokens', clock });
    const live = store.apply({ resources: 'a/#', actions: 'R', expireTime: clock.now() + 3_600_000 });
    const expiring = Array.from({ length: 1000 }, () => store.apply({ resources: 'a/#', actions: 'R', expireTime: clock.now() + 60_000 }));
    const revoked = Array.from({ length: 1000 }, () => store.apply({ resources: 'a/#', actions: 'R', expireTime: clock.now() + 3_600_000 }));
    for (const token of revoked) expect(store.revoke(token)).toBe(true);
    expect(store.size).toBe(1001);
    clock.advance(2 * 60_000);
    expect(store.size).toBe(1);
    expect(store.check(expiring[0]!, { type: 'R' })).toMatchObject({ valid: false, code: TOKEN_INVALID_CODES.EXPIRED });
    expect(store.check(revoked[0]!, { type: 'R' })).toMatchObject({ valid: false, code: TOKEN_INVALID_CODES.REVOKED });
    expect(store.query(revoked[0]!)).toBe(false);
    expect(store.revoke(revoked[0]!)).toBe(true);
    expect(store.check(live, { type: 'R' })).toMatchObject({ valid: true });
    // A tampered token is still told apart from a forgotten one.
    const tampered = revoked[1]!.slice(0, 5) + (revoked[1]![5] === 'A' ? 'B' : 'A') + revoked[1]!.slice(6);
    expect(store.check(tampered, { type: 'R' })).toMatchObject({ code: TOKEN_INVALID_CODES.INVALID_SIGNATURE });
  });

  it('20,000 tokens applied and revoked through the store leave it empty', () => {
    const store = new TokenStore({ instanceId: 'mqtt-sec-tokens2' });
    for (let i = 0; i < 20_000; i++) store.revoke(store.apply({ resources: ['a/b', 'c/#'], actions: 'R,W', expireTime: Date.now() + 3_600_000 }));
    expect(store.size).toBe(0);
  });
});
