/**
 * Token mode on the local broker: resources and actions enforced on PUBLISH and SUBSCRIBE (with
 * wildcards and P2P), `$SYS/uploadToken` with its PUBACK after installation, expiry notices and
 * invalid-token notices, with an injected clock so that nothing sleeps.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureCredentials, tokenCredentials, type TokenSet } from '../src/index.js';
import { createManualClock, startBroker, SYS_TOPICS, type LocalBroker } from '../src/broker/broker-entry.js';
import { AK, INSTANCE, brokerEvent, closeAll, closed, connect, disconnectReason, nextMessage } from './broker-helpers.js';

const AK2 = { accessKeyId: 'LTAI-second-account', accessKeySecret: 'second-secret' };
const HOUR = 3600_000;
const clock = createManualClock(Date.UTC(2026, 10, 1, 12, 0, 0));
let broker: LocalBroker;

beforeAll(async () => {
  broker = await startBroker({ instanceId: INSTANCE, accessKeys: [AK, AK2], clock, httpPort: false });
});

afterAll(async () => {
  await closeAll();
  await broker?.close();
});

let serial = 0;
const newId = (name: string) => `GID_tok@@@${name}-${++serial}`;
const apply = (resources: string, actions: string, ttl = HOUR, accessKeyId?: string) =>
  broker.tokens.apply({ resources, actions, expireTime: clock.now() + ttl, ...(accessKeyId ? { accessKeyId } : {}) });

async function tokenClient(tokens: TokenSet, options: { protocolVersion?: 4 | 5; transport?: 'tcp' | 'ws'; name?: string } = {}): Promise<MqttClient> {
  const clientId = newId(options.name ?? 'c');
  const credentials = tokenCredentials({ accessKeyId: AK.accessKeyId, instanceId: INSTANCE, tokens });
  return connect(broker, { clientId, credentials, ...options });
}

async function signatureClient(name: string): Promise<MqttClient> {
  const clientId = newId(name);
  return connect(broker, { clientId, credentials: await signatureCredentials({ ...AK, instanceId: INSTANCE, clientId }) });
}

/** The JSON of the next message on a `$SYS` notice topic. */
const notice = (client: MqttClient, topic: string) => nextMessage(client, topic).then((m) => JSON.parse(m.text) as Record<string, unknown>);

describe('resources and actions', () => {
  it('allows publishing and subscribing inside the resources, with + and # wildcards', async () => {
    const token = apply('fleet/+/telemetry,fleet/cmd/#', 'R,W');
    const client = await tokenClient({ RW: token });
    await client.subscribeAsync(['fleet/+/telemetry', 'fleet/cmd/#', 'fleet/cmd/a/b', 'fleet/truck-1/telemetry'], { qos: 1 });
    const got = nextMessage(client, 'fleet/cmd/reboot/now');
    await client.publishAsync('fleet/truck-1/telemetry', '{"speed":1}', { qos: 1 });
    await client.publishAsync('fleet/cmd/reboot/now', 'go', { qos: 1 });
    expect((await got).text).toBe('go');
    expect(client.connected).toBe(true);
    await client.endAsync();
  });

  it.each([4, 5] as const)('disconnects on a PUBLISH outside the resources, notice code 4 (MQTT %i)', async (protocolVersion) => {
    const client = await tokenClient({ RW: apply('fleet/+/telemetry', 'R,W') }, { protocolVersion });
    const invalid = notice(client, SYS_TOPICS.TOKEN_INVALID_NOTICE);
    const reason = disconnectReason(client);
    const denied = brokerEvent(broker, 'denied', (e) => e.topic === 'fleet/truck-1/secrets');
    client.publish('fleet/truck-1/secrets', 'x', { qos: 1 });
    expect(await invalid).toEqual({ code: 4, type: 'RW' });
    expect(await denied).toMatchObject({ action: 'publish', denial: 'resource', tokenCode: 4 });
    expect(await reason).toBe(protocolVersion === 5 ? 0x87 : undefined);
    await closed(client);
  });

  it('disconnects on a SUBSCRIBE wider than the resources (fleet/# against fleet/+/telemetry)', async () => {
    const client = await tokenClient({ RW: apply('fleet/+/telemetry', 'R,W') });
    const invalid = notice(client, SYS_TOPICS.TOKEN_INVALID_NOTICE);
    client.subscribe('fleet/#');
    expect(await invalid).toEqual({ code: 4, type: 'RW' });
    await closed(client);
  });

  it('disconnects a read-only token that publishes (code 5, permission type) and a write-only one that subscribes', async () => {
    const reader = await tokenClient({ R: apply('fleet/#', 'R') });
    const readerNotice = notice(reader, SYS_TOPICS.TOKEN_INVALID_NOTICE);
    reader.publish('fleet/a', 'x', { qos: 1 });
    expect(await readerNotice).toEqual({ code: 5, type: 'R' });
    await closed(reader);

    const writer = await tokenClient({ W: apply('fleet/#', 'W') });
    const writerNotice = notice(writer, SYS_TOPICS.TOKEN_INVALID_NOTICE);
    writer.subscribe('fleet/a');
    expect(await writerNotice).toEqual({ code: 5, type: 'W' });
    await closed(writer);
  });

  it('combines an R and a W token given together (R|t1|W|t2)', async () => {
    const client = await tokenClient({ R: apply('fleet/in/#', 'R'), W: apply('fleet/out/#', 'W') });
    await client.subscribeAsync('fleet/in/#', { qos: 1 });
    await client.publishAsync('fleet/out/x', 'ok', { qos: 1 });
    const invalid = notice(client, SYS_TOPICS.TOKEN_INVALID_NOTICE);
    client.publish('fleet/in/x', 'not mine to write', { qos: 1 });
    expect(await invalid).toEqual({ code: 5, type: 'W' });
    await closed(client);
  });

  it('never lets a client publish to $SYS topics other than uploadToken', async () => {
    const client = await signatureClient('sys');
    const denied = brokerEvent(broker, 'denied', (e) => e.topic === SYS_TOPICS.TOKEN_INVALID_NOTICE);
    client.publish(SYS_TOPICS.TOKEN_INVALID_NOTICE, '{"code":3}');
    expect(await denied).toMatchObject({ denial: 'system' });
    await closed(client);
  });

  it('does not deliver to a token client what its token may not read (a signature publisher on a wider topic)', async () => {
    const reader = await tokenClient({ R: apply('fleet/a', 'R') });
    await reader.subscribeAsync('fleet/a', { qos: 1 });
    const publisher = await signatureClient('pub');
    const got = nextMessage(reader, 'fleet/a');
    await publisher.publishAsync('fleet/a', 'for reader', { qos: 1 });
    expect((await got).text).toBe('for reader');
    await Promise.all([reader.endAsync(), publisher.endAsync()]);
  });
});

describe('configured permissions for non-token identities', () => {
  it('enforces an AccessKey\'s resources and actions when the config gives them (no token notice: just a disconnect)', async () => {
    const limited = await startBroker({
      instanceId: INSTANCE,
      accessKeys: [{ ...AK, permissions: { resources: 'fleet/#', actions: 'R' } }],
      httpPort: false,
      wsPort: false,
    });
    try {
      const clientId = newId('limited');
      const client = await connect(limited, { clientId, credentials: await signatureCredentials({ ...AK, instanceId: INSTANCE, clientId }) });
      await client.subscribeAsync('fleet/+/telemetry', { qos: 1 });
      const notices: string[] = [];
      client.on('message', (t) => notices.push(t));
      const denied = brokerEvent(limited, 'denied', (e) => e.clientId === clientId);
      client.publish('fleet/a/telemetry', 'x', { qos: 1 });
      expect(await denied).toEqual({ clientId, action: 'publish', topic: 'fleet/a/telemetry', denial: 'action' });
      await closed(client);
      expect(notices).toEqual([]);
    } finally {
      await limited.close();
    }
  });
});

describe('point-to-point topics', () => {
  it('delivers <parent>/p2p/<clientId> to its target without a subscription, and to nobody else', async () => {
    const target = await tokenClient({ RW: apply('fleet/#', 'R,W') }, { name: 'target' });
    const bystander = await signatureClient('bystander');
    await bystander.subscribeAsync('fleet/#', { qos: 1 });
    // W on the parent topic alone is what sending P2P takes.
    const sender = await tokenClient({ W: apply('fleet,fleet/marker', 'W') }, { name: 'sender' });
    const topic = `fleet/p2p/${target.options.clientId}`;
    const leaked: string[] = [];
    bystander.on('message', (t) => leaked.push(t));
    const got = nextMessage(target, topic);
    await sender.publishAsync(topic, 'direct', { qos: 1 });
    expect(await got).toMatchObject({ text: 'direct', qos: 1 });
    // A message after the p2p one, on a topic the bystander does get, proves the p2p one was skipped.
    const marker = nextMessage(bystander, 'fleet/marker');
    await sender.publishAsync('fleet/marker', 'm', { qos: 1 });
    await marker;
    expect(leaked).toEqual(['fleet/marker']);
    await Promise.all([target.endAsync(), bystander.endAsync(), sender.endAsync()]);
  });

  it('delivers a p2p message once to a target that also subscribed to the parent', async () => {
    const target = await signatureClient('target2');
    await target.subscribeAsync('fleet/#', { qos: 1 });
    const topic = `fleet/p2p/${target.options.clientId}`;
    const seen: string[] = [];
    target.on('message', (t) => seen.push(t));
    const marker = nextMessage(target, 'fleet/marker2');
    await target.publishAsync(topic, 'to myself', { qos: 1 });
    await target.publishAsync('fleet/marker2', 'm', { qos: 1 });
    await marker;
    expect(seen).toEqual([topic, 'fleet/marker2']);
    await target.endAsync();
  });
});

describe('$SYS/uploadToken', () => {
  it('installs the token before the PUBACK, so the next publish already uses it', async () => {
    const client = await tokenClient({ RW: apply('fleet/a', 'R,W') });
    const fresh = apply('fleet/a,fleet/b', 'R,W', 2 * HOUR);
    const order: string[] = [];
    broker.once('tokenInstalled', (e) => order.push(`installed ${e.type}`));
    const puback = client.publishAsync(SYS_TOPICS.UPLOAD_TOKEN, JSON.stringify({ token: fresh, type: 'RW' }), { qos: 1 }).then(() => order.push('puback'));
    // Sent before the PUBACK arrives: the broker handles a client's packets in order.
    const next = client.publishAsync('fleet/b', 'allowed by the new token', { qos: 1 });
    await puback;
    await next;
    expect(order).toEqual(['installed RW', 'puback']);
    const session = broker.sessions().find((s) => s.clientId === client.options.clientId)!;
    expect(session.tokens).toEqual([{ type: 'RW', resources: ['fleet/a', 'fleet/b'], actions: 'R,W', expireTime: clock.now() + 2 * HOUR }]);
    expect(client.connected).toBe(true);
    await client.endAsync();
  });

  it('lets no client subscribe to $SYS/# (the notices reach their client without a subscription), so uploaded tokens reach no one else', async () => {
    const spy = await signatureClient('spy');
    const denied = brokerEvent(broker, 'denied', (d) => d.topic === '$SYS/#');
    await expect(spy.subscribeAsync('$SYS/#', { qos: 0 })).rejects.toThrow();
    expect(await denied).toMatchObject({ action: 'subscribe', denial: 'system' });
    const listener = await signatureClient('listener');
    await listener.subscribeAsync('fleet/#', { qos: 1 });
    const client = await tokenClient({ RW: apply('fleet/a', 'R,W') });
    const seen: string[] = [];
    listener.on('message', (t, payload) => seen.push(`${t} ${payload.toString()}`));
    const fresh = apply('fleet/a', 'R,W', 2 * HOUR);
    await client.publishAsync(SYS_TOPICS.UPLOAD_TOKEN, JSON.stringify({ token: fresh, type: 'RW' }), { qos: 1 });
    await listener.publishAsync('fleet/x', 'flush', { qos: 1 });
    await nextMessage(listener, 'fleet/x');
    expect(seen.some((s) => s.includes(fresh))).toBe(false);
    await Promise.all([listener.endAsync(), client.endAsync()]);
  });

  const cases: Array<[string, () => { token: string; type: string } | string, number]> = [
    ['an unknown token', () => ({ token: 'never-issued', type: 'RW' }), 1],
    ['a payload that is not JSON', () => 'token=abc', 1],
    ['a tampered token', () => ({ token: apply('fleet/a', 'R,W').replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), type: 'RW' }), 8],
    ['a revoked token', () => {
      const t = apply('fleet/a', 'R,W');
      broker.tokens.revoke(t);
      return { token: t, type: 'RW' };
    }, 3],
    ['a token of another account', () => ({ token: apply('fleet/a', 'R,W', HOUR, AK2.accessKeyId), type: 'RW' }), -1],
    ['a read-only token declared RW', () => ({ token: apply('fleet/a', 'R'), type: 'RW' }), 5],
    ['a token that no longer covers a held subscription', () => ({ token: apply('fleet/b', 'R,W'), type: 'RW' }), 4],
  ];
  it.each(cases)('refuses %s: tokenInvalidNotice with its code, no PUBACK, disconnect', async (_name, payload, code) => {
    const client = await tokenClient({ RW: apply('fleet/a', 'R,W') });
    await client.subscribeAsync('fleet/a', { qos: 1 });
    const invalid = notice(client, SYS_TOPICS.TOKEN_INVALID_NOTICE);
    let acked = false;
    const body = payload();
    client.publish(SYS_TOPICS.UPLOAD_TOKEN, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 }, (error) => {
      if (!error) acked = true;
    });
    expect(await invalid).toEqual({ code, type: 'RW' });
    await closed(client);
    expect(acked).toBe(false);
  });

  it('refuses an expired token (code 2)', async () => {
    const client = await tokenClient({ RW: apply('fleet/a', 'R,W', 10 * HOUR) });
    const old = apply('fleet/a', 'R,W', 2 * 60_000);
    clock.advance(3 * 60_000);
    const invalid = notice(client, SYS_TOPICS.TOKEN_INVALID_NOTICE);
    client.publish(SYS_TOPICS.UPLOAD_TOKEN, JSON.stringify({ token: old, type: 'RW' }), { qos: 1 });
    expect(await invalid).toEqual({ code: 2, type: 'RW' });
    await closed(client);
  });
});

describe('expiry and revocation, on the injected clock', () => {
  it('sends tokenExpireNotice 5 minutes ahead, then tokenInvalidNotice code 2 and disconnects at expiry', async () => {
    const client = await tokenClient({ RW: apply('fleet/a', 'R,W', 20 * 60_000) }, { protocolVersion: 5 });
    const expireTime = broker.sessions().find((s) => s.clientId === client.options.clientId)!.tokens[0]!.expireTime;
    const expiring = notice(client, SYS_TOPICS.TOKEN_EXPIRE_NOTICE);
    clock.advance(14 * 60_000);
    expect(client.connected).toBe(true);
    clock.advance(60_000);
    expect(await expiring).toEqual({ expireTime, type: 'RW' });
    const invalid = notice(client, SYS_TOPICS.TOKEN_INVALID_NOTICE);
    const reason = disconnectReason(client);
    clock.advance(5 * 60_000);
    expect(await invalid).toEqual({ code: 2, type: 'RW' });
    expect(await reason).toBe(0x87);
    await closed(client);
  });

  it('sends the expire notice right after CONNACK when the token is already inside the lead time', async () => {
    const token = apply('fleet/a', 'R,W', 2 * 60_000);
    const clientId = newId('late');
    const credentials = tokenCredentials({ accessKeyId: AK.accessKeyId, instanceId: INSTANCE, tokens: { R: token } });
    const noticed = brokerEvent(broker, 'notice', (e) => e.clientId === clientId);
    const client = await connect(broker, { clientId, credentials });
    expect(await noticed).toMatchObject({ topic: SYS_TOPICS.TOKEN_EXPIRE_NOTICE, payload: { type: 'R' } });
    await client.endAsync();
  });

  it('keeps a client whose token was rotated in-band past the old expiry', async () => {
    const client = await tokenClient({ RW: apply('fleet/a', 'R,W', 10 * 60_000) });
    await client.publishAsync(SYS_TOPICS.UPLOAD_TOKEN, JSON.stringify({ token: apply('fleet/a', 'R,W', HOUR), type: 'RW' }), { qos: 1 });
    clock.advance(30 * 60_000);
    await client.publishAsync('fleet/a', 'still here', { qos: 1 });
    expect(client.connected).toBe(true);
    await client.endAsync();
  });

  it('honours a configured lead time', async () => {
    const custom = await startBroker({ instanceId: INSTANCE, accessKeys: [AK], clock, expireNoticeLeadMs: 60_000, httpPort: false, wsPort: false });
    try {
      const token = custom.tokens.apply({ resources: 'fleet/a', actions: 'R', expireTime: clock.now() + 10 * 60_000 });
      const clientId = newId('lead');
      const client = await connect(custom, { clientId, credentials: tokenCredentials({ accessKeyId: AK.accessKeyId, instanceId: INSTANCE, tokens: { R: token } }) });
      const sent: number[] = [];
      custom.on('notice', () => sent.push(clock.now()));
      const expiring = notice(client, SYS_TOPICS.TOKEN_EXPIRE_NOTICE);
      clock.advance(8 * 60_000);
      expect(sent).toEqual([]);
      clock.advance(60_000);
      await expiring;
      expect(sent).toHaveLength(1);
      await client.endAsync();
    } finally {
      await custom.close();
    }
  });

  it('sends tokenInvalidNotice code 3 and disconnects every client of a revoked token; QueryToken turns false', async () => {
    const token = apply('fleet/#', 'R,W');
    const a = await tokenClient({ RW: token }, { transport: 'ws' });
    const b = await tokenClient({ RW: token });
    const notices = [notice(a, SYS_TOPICS.TOKEN_INVALID_NOTICE), notice(b, SYS_TOPICS.TOKEN_INVALID_NOTICE)];
    expect(broker.tokens.query(token)).toBe(true);
    expect(broker.tokens.revoke(token)).toBe(true);
    expect(broker.tokens.query(token)).toBe(false);
    expect(await Promise.all(notices)).toEqual([{ code: 3, type: 'RW' }, { code: 3, type: 'RW' }]);
    await Promise.all([closed(a), closed(b)]);
  });
});
