/**
 * The smaller units of the managed connection (runs in Node and Chromium): tuning checked before
 * any I/O, the publish gate, the refusal ledger, and `remoteCredentials`' timeout on a manual clock.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApsaraMqttAuthError, connect, connectAsync, remoteCredentials, type MqttModule } from '../../src/index.js';
import { _createGate } from '../../src/lifecycle/gate.js';
import { _createLedger } from '../../src/lifecycle/ledger.js';
import { _createRefresher } from '../../src/lifecycle/refresher.js';
import { manualClock, type ManualClock } from '../helpers/manual-clock.js';

const INPUT = { instanceId: 'mqtt-x', clientId: 'GID_test@@@1', credentials: { username: 'u', password: 'p' }, transport: 'tcp', host: '127.0.0.1' } as const;

describe('tuning is checked before any I/O, with the field named', () => {
  const bad: [string, object][] = [
    ['refreshMargin', { refreshMargin: Number.NaN }],
    ['refreshMargin', { refreshMargin: -1 }],
    ['minBackoff', { minBackoff: Number.POSITIVE_INFINITY }],
    ['maxBackoff', { maxBackoff: '60000' }],
    ['minBackoff', { minBackoff: 5000, maxBackoff: 1000 }],
    ['credentialsTimeout', { credentialsTimeout: 0 }],
    ['random', { random: 0.5 }],
    ['clock', { clock: { now: () => 0 } }],
  ];
  for (const [field, tuning] of bad) {
    it(`${JSON.stringify(tuning, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}: ERR_INVALID_ARGUMENT on ${field}, mqtt.js never called`, async () => {
      let opened = 0;
      const mqtt = { connect: () => (opened++, {}) } as unknown as MqttModule;
      expect(() => connect({ ...INPUT, ...tuning, mqtt })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', field }));
      await expect(connectAsync({ ...INPUT, ...tuning, mqtt })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field });
      if (field !== 'clock') {
        const refresher = () => _createRefresher({ ...tuning, provider: () => INPUT.credentials, context: { clientId: 'c', instanceId: 'i' }, clock: manualClock(), onUpdate() {}, onError() {} });
        expect(refresher).toThrow(expect.objectContaining({ field }));
      }
      expect(opened).toBe(0);
    });
  }

  it('remoteCredentials: timeout must be a positive finite number', () => {
    for (const timeout of [0, -5, Number.NaN, '1000']) {
      expect(() => remoteCredentials('/x', {}, { timeout: timeout as number })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', field: 'timeout' }));
    }
  });
});

describe('publish gate', () => {
  it('holds calls while an upload is in flight and releases them in order when it is acknowledged', () => {
    const sent: number[] = [];
    const gate = _createGate<number>((n) => sent.push(n));
    expect(gate.hold(1)).toBe(false);
    const done = gate.begin();
    expect([gate.hold(2), gate.hold(3)]).toEqual([true, true]);
    expect(sent).toEqual([]);
    done();
    done(); // twice is harmless
    expect(sent).toEqual([2, 3]);
    expect(gate.hold(4)).toBe(false);
  });

  it('two uploads share the gate: it opens when the last is acknowledged; an upload of an older connection cannot reopen it', () => {
    const sent: number[] = [];
    const gate = _createGate<number>((n) => sent.push(n));
    const first = gate.begin();
    gate.hold(1);
    const second = gate.begin();
    gate.hold(2);
    first();
    expect(sent).toEqual([]);
    second();
    expect(sent).toEqual([1, 2]);
    const stale = gate.begin();
    gate.release(); // the connection closed
    const fresh = gate.begin();
    gate.hold(3);
    stale();
    expect(sent).toEqual([1, 2]);
    fresh();
    expect(sent).toEqual([1, 2, 3]);
  });
});

describe('refusal ledger', () => {
  const notice = { code: 4, reason: 'resource-mismatch' as const, type: 'RW' };

  it('a notice is pinned on the oldest unanswered subscribe/publish when the connection closes, not on one answered meanwhile', () => {
    const ledger = _createLedger(4);
    ledger.sent({ cmd: 'publish', topic: 'fleet/a', qos: 1, messageId: 1 });
    ledger.sent({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'telemetry/#' }] });
    ledger.sent({ cmd: 'publish', topic: 'fleet/b', qos: 1, messageId: 3 });
    ledger.noticed(notice);
    ledger.received({ cmd: 'puback', messageId: 1 }); // answered after the notice: not the one
    expect(ledger.closed()).toEqual({
      notice: { ...notice, action: 'subscribe', topic: 'telemetry/#' },
      refused: { action: 'subscribe', topics: ['telemetry/#'], messageId: 2, notice: { ...notice, action: 'subscribe', topic: 'telemetry/#' } },
    });
    expect(ledger.closed()).toEqual({}); // a clean slate for the next connection
  });

  it('QoS 0 publishes are blamed only when nothing answerable is pending and they all went to one topic', () => {
    const ledger = _createLedger(4);
    ledger.sent({ cmd: 'publish', topic: 'a/1', qos: 0 });
    ledger.sent({ cmd: 'publish', topic: 'a/1', qos: 0 });
    ledger.noticed(notice);
    expect(ledger.closed().refused).toMatchObject({ action: 'publish', topics: ['a/1'] });
    ledger.sent({ cmd: 'publish', topic: 'a/1', qos: 0 });
    ledger.sent({ cmd: 'publish', topic: 'a/2', qos: 0 });
    ledger.noticed(notice);
    expect(ledger.closed()).toEqual({ notice }); // ambiguous: reported without a topic
  });

  it('QoS 0 publishes sent before an answered packet were read by the broker: not blamed', () => {
    const ledger = _createLedger(4);
    ledger.sent({ cmd: 'publish', topic: 'ok/1', qos: 0 });
    ledger.sent({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 'ok/#' }] });
    ledger.received({ cmd: 'suback', messageId: 7, granted: [1] });
    ledger.sent({ cmd: 'publish', topic: 'bad/1', qos: 0 });
    ledger.noticed(notice);
    expect(ledger.closed().refused).toMatchObject({ topics: ['bad/1'] });
  });

  it('reason codes: 0x87/0x8F/0x97 on SUBACK and PUBACK, and 0x80 on an MQTT 3.1.1 SUBACK only', () => {
    const v4 = _createLedger(4);
    v4.sent({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'ok/#' }, { topic: 'no/#' }] });
    expect(v4.received({ cmd: 'suback', messageId: 1, granted: [1, 0x80] })).toEqual([
      { action: 'subscribe', topics: ['no/#'], notice: { code: 0x80, reason: 'not-authorized', action: 'subscribe', topic: 'no/#' } },
    ]);
    const v5 = _createLedger(5);
    v5.sent({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'x/#' }] });
    expect(v5.received({ cmd: 'suback', messageId: 1, granted: [0x80] })).toEqual([]); // unspecified error: not ours
    for (const code of [0x87, 0x8f, 0x97]) {
      v5.sent({ cmd: 'publish', topic: 'p/q', qos: 1, messageId: code });
      expect(v5.received({ cmd: 'puback', messageId: code, reasonCode: code })).toMatchObject([{ action: 'publish', topics: ['p/q'], notice: { code } }]);
    }
    v5.sent({ cmd: 'publish', topic: 'p/q', qos: 1, messageId: 9 });
    expect(v5.received({ cmd: 'puback', messageId: 9, reasonCode: 0x10 })).toEqual([]); // no matching subscribers: fine
  });
});

describe('remoteCredentials timeout', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('a request that is not answered in time is aborted and fails typed, naming the timeout; the session signal aborts it too', async () => {
    const aborted: AbortSignal[] = [];
    vi.stubGlobal('fetch', (_url: string, init: RequestInit) => {
      aborted.push(init.signal!);
      return new Promise((_, reject) => init.signal!.addEventListener('abort', () => reject(new Error('aborted'))));
    });
    const clock = manualClock();
    const provider = remoteCredentials('http://127.0.0.1:9/credentials', {}, { timeout: 2000, clock });
    const pending = Promise.resolve(provider({ clientId: 'c', instanceId: 'i', reason: 'connect' })).then(
      () => undefined,
      (e: unknown) => e,
    );
    await clock.advanceAsync(1999);
    expect(aborted[0]!.aborted).toBe(false);
    await clock.advanceAsync(1);
    const error = await pending;
    expect(error).toBeInstanceOf(ApsaraMqttAuthError);
    expect(error).toMatchObject({ code: 'ERR_CREDENTIALS_UNAVAILABLE', message: expect.stringContaining('did not answer within 2000 ms') });
    expect(clock.dueTimes()).toEqual([]);

    const session = new AbortController();
    const second = Promise.resolve(provider({ clientId: 'c', instanceId: 'i', reason: 'connect', signal: session.signal })).catch((e: unknown) => e);
    await clock.advanceAsync(0);
    session.abort();
    expect(await second).toMatchObject({ code: 'ERR_CREDENTIALS_UNAVAILABLE', message: expect.stringContaining('could not be reached') });
    expect(aborted[1]!.aborted).toBe(true);
  });
});
