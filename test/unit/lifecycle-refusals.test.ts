/**
 * Refusals of one publish or subscribe (runs in Node and Chromium): the topic rules checked before
 * sending, the ledger naming the refused call however the broker said no, the error each becomes,
 * and the session over a fake mqtt.js client on a manual clock, in both orders mqtt.js releases fail
 * an unanswered call (before `close`: 5.10–5.12; after: 5.13 on).
 */
import { describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { ApsaraMqttAuthError } from '../../src/index.js';
import { _createLedger, _notAuthorized } from '../../src/lifecycle/ledger.js';
import { _startSession } from '../../src/lifecycle/session.js';
import { _checkTuning } from '../../src/lifecycle/tuning.js';
import { clientTopicProblem } from '../../src/protocol/topics.js';
import { manualClock } from '../helpers/manual-clock.js';

describe('topics ApsaraMQ documents as refused, named by rule before anything is sent', () => {
  const refused: [string, 'publish' | 'subscribe', string][] = [
    ['$share/g1/demo/x', 'subscribe', 'shared-subscription'],
    ['$queue/demo/x', 'subscribe', 'shared-subscription'],
    ['$share/g1/demo/x', 'publish', 'shared-subscription'],
    [`demo/${'x'.repeat(60)}`, 'subscribe', 'length'],
    [`demo/${'x'.repeat(60)}`, 'publish', 'length'],
    ['demo/a.b', 'publish', 'characters'],
    ['demo/ä', 'subscribe', 'characters'],
    ['demo/#/x', 'subscribe', 'characters'],
    ['', 'publish', 'characters'],
    ['demo/+/x', 'publish', 'wildcard-in-publish'],
    ['demo/#', 'publish', 'wildcard-in-publish'],
    ['$SYS/tokenInvalidNotice', 'subscribe', 'system-topic'],
    ['$SYS/uploadToken', 'subscribe', 'system-topic'],
    ['$SYS/other', 'publish', 'system-topic'],
    ['$delayed/10/demo', 'publish', 'system-topic'],
  ];
  it.each(refused)('%s (%s): %s', (topic, action, rule) => {
    expect(clientTopicProblem(topic, action)).toMatchObject({ rule, problem: expect.any(String) });
  });

  const accepted: [string, 'publish' | 'subscribe'][] = [
    ['demo/x', 'publish'],
    ['demo/+/x', 'subscribe'],
    ['demo/#', 'subscribe'],
    [`demo/${'x'.repeat(59)}`, 'publish'], // 64 characters
    ['demo/p2p/GID_a@@@device-1', 'publish'],
    ['$SYS/uploadToken', 'publish'],
    ['$SYS/enableOrderMsg', 'publish'],
  ];
  it.each(accepted)('%s (%s): accepted', (topic, action) => {
    expect(clientTopicProblem(topic, action)).toBeUndefined();
  });
});

describe('the ledger names the refused call whichever way the broker said no', () => {
  it('MQTT 5: a DISCONNECT with a refusal reason (0x9E) names the unanswered subscribe, with the Reason String', () => {
    const ledger = _createLedger(5);
    ledger.sent({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'demo/x' }] });
    expect(ledger.received({ cmd: 'disconnect', reasonCode: 0x9e, properties: { reasonString: 'Shared subscriptions are not supported' } })).toEqual([]);
    const notice = { code: 0x9e, reason: 'not-authorized', reasonString: 'Shared subscriptions are not supported', action: 'subscribe', topic: 'demo/x' };
    expect(ledger.closed()).toEqual({ notice, refused: { action: 'subscribe', topics: ['demo/x'], messageId: 1, notice } });
  });

  it('MQTT 5: a DISCONNECT about the connection (0x8E session taken over), or none, names nothing', () => {
    const ledger = _createLedger(5);
    ledger.sent({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'demo/x' }] });
    ledger.received({ cmd: 'disconnect', reasonCode: 0x8e });
    expect(ledger.closed()).toEqual({});
    ledger.sent({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'demo/x' }] });
    expect(ledger.closed()).toEqual({});
  });

  it('MQTT 3.1.1: a clean close while a subscribe or QoS 1 publish awaits its answer names the oldest (code 0, connection-closed)', () => {
    const ledger = _createLedger(4);
    ledger.sent({ cmd: 'publish', topic: 'demo/ok', qos: 0 });
    ledger.sent({ cmd: 'publish', topic: 'demo/denied', qos: 1, messageId: 5 });
    ledger.sent({ cmd: 'subscribe', messageId: 6, subscriptions: [{ topic: 'demo/later' }] });
    expect(ledger.closed()).toMatchObject({ notice: { code: 0, reason: 'connection-closed', action: 'publish', topic: 'demo/denied' }, refused: { messageId: 5 } });
  });

  it('MQTT 3.1.1: not when something else explains the close (socket error, keep-alive timeout, end, a token notice, expiry), nor with only QoS 0 publishes pending', () => {
    const ledger = _createLedger(4);
    ledger.sent({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'demo/x' }] });
    ledger.explained();
    expect(ledger.closed()).toEqual({});
    ledger.sent({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'demo/x' }] }); // a clean slate: explained() was for the last one
    expect(ledger.closed()).toMatchObject({ refused: { topics: ['demo/x'] } });
    ledger.sent({ cmd: 'publish', topic: 'demo/x', qos: 0 });
    expect(ledger.closed()).toEqual({});
  });

  it('the error: ERR_INVALID_TOPIC for a reason about the topic, ERR_NOT_AUTHORIZED otherwise; topic, action and reason in the message', () => {
    const shared = _notAuthorized({ code: 0x9e, reason: 'not-authorized', action: 'subscribe', topic: '$share/g/x', reasonString: 'Shared subscriptions are not supported' });
    expect(shared).toMatchObject({ code: 'ERR_INVALID_TOPIC', field: 'topic', returnCode: 0x9e });
    expect(shared.message).toBe('the broker refused subscribe "$share/g/x" (MQTT reason code 0x9e "Shared subscriptions are not supported"): the topic is not accepted; not retried');
    const denied = _notAuthorized({ code: 0x87, reason: 'not-authorized', action: 'publish', topic: 'other/x' });
    expect(denied).toMatchObject({ code: 'ERR_NOT_AUTHORIZED', returnCode: 0x87 });
    expect(denied.message).toContain('publish "other/x" (MQTT reason code 0x87): the credentials do not allow it');
    const retained = _notAuthorized({ code: 0x9a, reason: 'not-authorized', action: 'publish', topic: 'demo/x' });
    expect(retained).toMatchObject({ code: 'ERR_NOT_AUTHORIZED', returnCode: 0x9a });
    expect(retained.message).toContain('(MQTT reason code 0x9a): publish without retain; not retried');
    const closed = _notAuthorized({ code: 0, reason: 'connection-closed', action: 'subscribe', topic: 'other/#' });
    expect(closed).toMatchObject({ code: 'ERR_NOT_AUTHORIZED', returnCode: undefined });
    expect(closed.message).toContain('MQTT 3.1.1 carries no reason code');
  });
});

/** Just what the session drives on an mqtt.js client, recording what it is asked to send. */
function fakeClient(protocolVersion: 4 | 5) {
  const listeners = new Map<string, ((...args: unknown[]) => void)[]>();
  const calls: { method: string; args: unknown[] }[] = [];
  const client = {
    options: { protocolVersion, reconnectPeriod: 2_147_483_647 } as Record<string, unknown>,
    outgoing: {} as Record<number, { cb: unknown }>,
    _resubscribeTopics: {} as Record<string, unknown>,
    stream: {},
    disconnected: false,
    connected: false,
    on(event: string, listener: (...args: unknown[]) => void) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      return client;
    },
    off(event: string, listener: unknown) {
      listeners.set(event, (listeners.get(event) ?? []).filter((l) => l !== listener));
      return client;
    },
    listenerCount: (event: string) => listeners.get(event)?.length ?? 0,
    emit(event: string, ...args: unknown[]) {
      for (const listener of listeners.get(event) ?? []) listener(...args);
      return true;
    },
    connect: () => void calls.push({ method: 'connect', args: [] }),
    reconnect: () => void calls.push({ method: 'reconnect', args: [] }),
    end: (...args: unknown[]) => void calls.push({ method: 'end', args }),
    removeOutgoingMessage: (id: number) => void delete client.outgoing[id],
    publish: (...args: unknown[]) => void calls.push({ method: 'publish', args }),
    subscribe: (...args: unknown[]) => {
      calls.push({ method: 'subscribe', args });
      client._resubscribeTopics[String(args[0])] = { qos: 1 };
    },
    unsubscribe: (...args: unknown[]) => void calls.push({ method: 'unsubscribe', args }),
  };
  return { client, calls };
}

async function managed(protocolVersion: 4 | 5) {
  const clock = manualClock();
  const { client, calls } = fakeClient(protocolVersion);
  const mqtt = client as unknown as MqttClient;
  _startSession(mqtt, { provider: () => ({ username: 'u', password: 'p' }), clientId: 'GID_a@@@1', instanceId: 'mqtt-x', clock, tuning: _checkTuning({}) }, true);
  await clock.advanceAsync(0);
  mqtt.emit('connect', { cmd: 'connack' } as never);
  return { client, mqtt, calls, clock };
}

const outcome = (start: (callback: (error?: Error | null) => void) => void) => new Promise<Error | null | undefined>((resolve) => start(resolve));

describe('the session over a fake mqtt.js client (manual clock)', () => {
  it('a topic the limits rule out fails with ERR_INVALID_TOPIC and never reaches mqtt.js', async () => {
    const { mqtt, calls } = await managed(5);
    const error = await outcome((cb) => mqtt.subscribe('$share/g1/demo/x', { qos: 1 }, cb));
    expect(error).toBeInstanceOf(ApsaraMqttAuthError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_TOPIC', cause: { action: 'subscribe', topic: '$share/g1/demo/x', rule: 'shared-subscription' } });
    expect((await outcome((cb) => mqtt.publish('demo/+', 'x', { qos: 1 }, cb)))!.message).toContain('ApsaraMQ rule: wildcard-in-publish');
    expect(calls.filter((c) => c.method === 'subscribe' || c.method === 'publish')).toEqual([]);
  });

  for (const order of ['callback, then close (mqtt.js 5.10–5.12)', 'close, then callback (5.13 on)'] as const) {
    it(`MQTT 3.1.1, the broker closes on an unanswered subscribe; ${order}: ERR_NOT_AUTHORIZED, and it is not renewed on reconnecting`, async () => {
      const { client, mqtt, calls } = await managed(4);
      const result = outcome((cb) => mqtt.subscribe('other/#', { qos: 1 }, cb));
      const { args } = calls.find((c) => c.method === 'subscribe')!;
      mqtt.emit('packetsend', { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'other/#', qos: 1 }] } as never);
      const callback = args[2] as (error: Error) => void;
      if (order.startsWith('callback')) {
        callback(new Error('Connection closed'));
        mqtt.emit('close');
      } else {
        mqtt.emit('close');
        await Promise.resolve();
        callback(new Error('Connection closed'));
      }
      const error = await result;
      expect(error).toMatchObject({ code: 'ERR_NOT_AUTHORIZED', cause: { reason: 'connection-closed', action: 'subscribe', topic: 'other/#' } });
      expect(client._resubscribeTopics).toEqual({});
    });
  }

  it('a socket error before the close: the unanswered subscribe fails with mqtt.js\'s error and is renewed (a network drop is no refusal)', async () => {
    const { client, mqtt, calls } = await managed(4);
    mqtt.on('error', () => undefined);
    const result = outcome((cb) => mqtt.subscribe('demo/#', { qos: 1 }, cb));
    mqtt.emit('packetsend', { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'demo/#', qos: 1 }] } as never);
    mqtt.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    (calls.find((c) => c.method === 'subscribe')!.args[2] as (error: Error) => void)(new Error('Connection closed'));
    mqtt.emit('close');
    expect((await result)!.message).toBe('Connection closed');
    expect(client._resubscribeTopics).toHaveProperty(['demo/#']);
  });
});
