/**
 * The managed connection's state machine against a fake broker and fake credential servers, on the
 * manual clock (runs in Node and Chromium): every transition, and every failure mode run for an
 * hour of the client's time with its connections and provider calls counted against a stated bound.
 */
import { describe, expect, it } from 'vitest';
import { ApsaraMqttAuthError, type ProvidedCredentials, type ProviderContext, type SessionState } from '../../src/index.js';
import { _createMachine, type Machine } from '../../src/lifecycle/machine.js';
import { _checkTuning, STABLE_AFTER, type RefreshOptions } from '../../src/lifecycle/tuning.js';
import { manualClock, type ManualClock } from '../helpers/manual-clock.js';

const HOUR = 3_600_000;
const CONNECT_TIMEOUT = 10_000; // mqtt.js's connect timeout (CONNECT_DEFAULTS), which ends a silent attempt

/** What the fake broker does with each connection attempt. */
type Broker =
  | { kind: 'accept' }
  | { kind: 'refuse'; code?: number }
  | { kind: 'unreachable' }
  | { kind: 'silent' }
  | { kind: 'kick'; after: number; notice?: number };

type Answer = ProvidedCredentials | 'fail-500' | 'fail-403' | 'garbage' | 'hang' | 'throw';

function harness(options: { broker?: Broker; answers?: (n: number, context: ProviderContext) => Answer; tuning?: RefreshOptions; autoReconnect?: boolean } = {}) {
  const clock = manualClock();
  let broker: Broker = options.broker ?? { kind: 'accept' };
  let calls = 0;
  let connects = 0;
  const reasons: string[] = [];
  const installed: string[] = [];
  const uploads: string[] = [];
  const events: [string, unknown][] = [];
  let issued = 0;
  const token = (): ProvidedCredentials => ({ username: 'Token|AK|mqtt-x', password: `RW|t${++issued}`, expiresAt: clock.now() + HOUR });
  const answers = options.answers ?? (() => token());
  const later = (fn: () => void, ms = 1) => clock.setTimeout(fn, ms);

  const machine: Machine = _createMachine({
    provider: (context) => {
      calls++;
      reasons.push(context.reason);
      const answer = answers(calls, context);
      if (answer === 'hang') return new Promise<never>(() => undefined);
      if (answer === 'garbage') return Promise.resolve({ nonsense: true } as never);
      if (answer === 'throw') return Promise.reject(new Error('ECONNRESET'));
      if (answer === 'fail-500' || answer === 'fail-403') {
        const status = answer === 'fail-500' ? 500 : 403;
        return Promise.reject(new ApsaraMqttAuthError('ERR_CREDENTIALS_UNAVAILABLE', `the credential server answered ${status}`, { returnCode: status }));
      }
      return Promise.resolve(answer);
    },
    context: { clientId: 'GID_fleet@@@1', instanceId: 'mqtt-x' },
    clock,
    tuning: _checkTuning({ random: () => 0.5, ...options.tuning }),
    autoReconnect: options.autoReconnect ?? true,
    ports: {
      install: (fresh) => void installed.push(fresh.password),
      connect() {
        connects++;
        const b = broker;
        if (b.kind === 'accept') later(() => machine.connected());
        else if (b.kind === 'refuse') later(() => (machine.refused(b.code ?? 5, Object.assign(new Error('Connection refused: Not authorized'), { code: b.code ?? 5 })), later(() => machine.closed())));
        else if (b.kind === 'unreachable') later(() => machine.closed());
        else if (b.kind === 'silent') later(() => machine.closed(), CONNECT_TIMEOUT);
        else {
          later(() => {
            machine.connected();
            later(() => {
              if (b.notice !== undefined) machine.tokenInvalid({ code: b.notice, reason: 'unknown' });
              later(() => machine.closed());
            }, b.after);
          });
        }
      },
      upload: (fresh, previous) => void (previous && previous.password !== fresh.password && uploads.push(fresh.password)),
      emit: (event, payload) => void events.push([event, payload]),
      park: () => void events.push(['park', undefined]),
    },
  });
  const states = () => events.filter(([e]) => e === 'state').map(([, s]) => (s as SessionState).state);
  return {
    clock,
    machine,
    calls: () => calls,
    connects: () => connects,
    reasons,
    installed,
    uploads,
    events,
    states,
    /** The distinct states passed through, in order. */
    path: () => states().filter((s, i, all) => s !== all[i - 1]),
    errors: (name: string) => events.filter(([e]) => e === name).map(([, p]) => p as ApsaraMqttAuthError),
    setBroker: (next: Broker) => void (broker = next),
    token,
  };
}

describe('session state machine: transitions', () => {
  it('idle → connecting → connected: one provider call, one connection, credentials installed first', async () => {
    const h = harness();
    expect(h.machine.snapshot().state).toBe('idle');
    h.machine.start(true);
    await h.clock.advanceAsync(10);
    expect(h.path()).toEqual(['connecting', 'connected']);
    expect([h.calls(), h.connects()]).toEqual([1, 1]);
    expect(h.installed).toEqual(['RW|t1']);
    expect(h.machine.snapshot()).toMatchObject({ state: 'connected', attempts: 1, failures: 0, credentials: { reason: 'connect', changed: true } });
    expect(h.machine.snapshot().nextAttempt).toMatchObject({ action: 'renew' });
  });

  it('start without connecting (manualConnect): fetches the credentials and stays idle', async () => {
    const h = harness();
    h.machine.start(false);
    await h.clock.advanceAsync(HOUR / 2);
    expect(h.machine.snapshot().state).toBe('idle');
    expect([h.calls(), h.connects()]).toEqual([1, 0]);
  });

  it('connecting → backing-off on a failed credential request (500) → connecting on the retry → connected', async () => {
    const h = harness({ answers: (n) => (n < 3 ? 'fail-500' : h.token()) });
    h.machine.start(true);
    await h.clock.advanceAsync(0);
    expect(h.machine.snapshot()).toMatchObject({ state: 'backing-off', failures: 1, nextAttempt: { action: 'credentials' } });
    await h.clock.advanceAsync(750 + 1500 + 10);
    expect(h.path()).toEqual(['connecting', 'backing-off', 'connecting', 'connected']);
    expect(h.errors('credentialsError').map((e) => e.returnCode)).toEqual([500, 500]);
    expect([h.calls(), h.connects()]).toEqual([3, 1]);
  });

  it('connecting → refused when the credential server says no (403); refreshCredentials is the retry', async () => {
    const h = harness({ answers: (n) => (n === 1 ? 'fail-403' : h.token()) });
    h.machine.start(true);
    await h.clock.advanceAsync(HOUR);
    expect(h.machine.snapshot()).toMatchObject({ state: 'refused', lastError: { returnCode: 403 } });
    expect(h.machine.snapshot().nextAttempt).toBeUndefined();
    expect([h.calls(), h.connects()]).toEqual([1, 0]);
    await h.machine.refresh();
    await h.clock.advanceAsync(10);
    expect(h.path()).toEqual(['connecting', 'refused', 'connecting', 'connected']);
    expect(h.reasons).toEqual(['connect', 'manual']);
  });

  it('connected → backing-off on a drop → connecting after the backoff → connected', async () => {
    const h = harness();
    h.machine.start(true);
    await h.clock.advanceAsync(STABLE_AFTER + 10);
    h.machine.closed();
    const at = h.clock.now() + 750;
    expect(h.machine.snapshot()).toMatchObject({ state: 'backing-off', nextAttempt: { at, action: 'connect' } });
    await h.clock.advanceAsync(749);
    expect(h.connects()).toBe(1);
    await h.clock.advanceAsync(10);
    expect(h.path()).toEqual(['connecting', 'connected', 'backing-off', 'connecting', 'connected']);
    expect([h.calls(), h.connects()]).toEqual([1, 2]); // the credentials were still good
  });

  it('a refused CONNACK is answered by one refresh and one retry, which connects (no error)', async () => {
    const h = harness({ broker: { kind: 'refuse' } });
    h.machine.start(true);
    await h.clock.advanceAsync(0); // credentials, then the refused attempt
    h.setBroker({ kind: 'accept' });
    await h.clock.advanceAsync(10);
    expect(h.path()).toEqual(['connecting', 'connected']);
    expect(h.reasons).toEqual(['connect', 'refused']);
    expect(h.connects()).toBe(2);
    expect(h.errors('error')).toEqual([]);
  });

  it('refused again with fresh credentials → refused, one typed error; refreshCredentials retries once', async () => {
    const h = harness({ broker: { kind: 'refuse' } });
    h.machine.start(true);
    await h.clock.advanceAsync(HOUR);
    expect(h.machine.snapshot().state).toBe('refused');
    expect(h.errors('error')).toEqual([expect.objectContaining({ code: 'ERR_CONNECT_REFUSED', returnCode: 5 })]);
    expect(h.events.filter(([e]) => e === 'park')).toHaveLength(1); // the client is closed for good until the retry
    expect([h.calls(), h.connects()]).toEqual([2, 2]);
    await h.machine.refresh();
    await h.clock.advanceAsync(HOUR);
    // The retry goes out once and is refused at once: the broker has not accepted anything since.
    expect([h.calls(), h.connects()]).toEqual([3, 3]);
    expect(h.machine.snapshot().state).toBe('refused');
  });

  it('refused credentials that had expired by the time of the refusal: likelyCause token-expired, in the message too', async () => {
    // Each answer lives 1 ms: it has expired when the (fake) broker's refusal comes 1 ms after the CONNECT.
    const h = harness({ broker: { kind: 'refuse' }, answers: (n) => ({ username: 'Token|AK|mqtt-x', password: `RW|t${n}`, expiresAt: h.clock.now() + 1 }) });
    h.machine.start(true);
    await h.clock.advanceAsync(HOUR);
    expect(h.machine.snapshot().state).toBe('refused');
    expect(h.errors('error')).toEqual([expect.objectContaining({ code: 'ERR_CONNECT_REFUSED', likelyCause: 'token-expired', message: expect.stringContaining('likely because the credentials it sent had expired') })]);
  });

  it('a refusal of Signature credentials signed for another instance names it (likelyCause instance-mismatch)', async () => {
    const h = harness({ broker: { kind: 'refuse', code: 0x86 }, answers: () => ({ username: 'Signature|AK|mqtt-elsewhere', password: 'sig' }) });
    h.machine.start(true);
    await h.clock.advanceAsync(HOUR);
    expect(h.errors('error')).toEqual([expect.objectContaining({ returnCode: 0x86, likelyCause: 'instance-mismatch' })]);
  });

  it('a provider that answers a refusal with the same credentials ends in refused without a second attempt', async () => {
    const fixed = { username: 'Signature|AK|mqtt-x', password: 'c2FtZQ==' };
    const h = harness({ broker: { kind: 'refuse' }, answers: () => fixed });
    h.machine.start(true);
    await h.clock.advanceAsync(HOUR);
    expect([h.calls(), h.connects()]).toEqual([2, 1]);
    expect(h.machine.snapshot().state).toBe('refused');
  });

  it('tokenInvalidNotice 3 (revoked): new credentials at once, reconnect with them after the backoff; the credentials row says invalid meanwhile', async () => {
    const h = harness();
    h.machine.start(true);
    await h.clock.advanceAsync(10);
    h.machine.tokenInvalid({ code: 3, reason: 'revoked' });
    expect(h.machine.snapshot().credentials?.invalid).toBe('revoked');
    await h.clock.advanceAsync(0);
    expect(h.uploads).toEqual([]); // the broker is about to disconnect: no in-band upload
    h.machine.closed();
    await h.clock.advanceAsync(760);
    expect(h.reasons).toEqual(['connect', 'token-invalid']);
    expect(h.installed).toEqual(['RW|t1', 'RW|t2']);
    expect(h.machine.snapshot()).toMatchObject({ state: 'connected', credentials: { reason: 'token-invalid' } });
    expect(h.machine.snapshot().credentials?.invalid).toBeUndefined();
  });

  it('tokenInvalidNotice 4 or 5 (a call outside the token): no new credentials, the same ones reconnect', async () => {
    for (const code of [4, 5]) {
      const h = harness();
      h.machine.start(true);
      await h.clock.advanceAsync(10);
      h.machine.tokenInvalid({ code, reason: 'resource-mismatch' });
      h.machine.closed();
      await h.clock.advanceAsync(1000);
      expect([h.calls(), h.connects(), h.machine.snapshot().state]).toEqual([1, 2, 'connected']);
    }
  });

  it('renews ahead of expiry while connected and rotates in band; the expiry notice triggers a renewal only when it is not stale', async () => {
    const h = harness();
    h.machine.start(true);
    await h.clock.advanceAsync(10);
    await h.clock.advanceAsync(HOUR - 300_000);
    expect(h.reasons).toEqual(['connect', 'expiring']);
    expect(h.uploads).toEqual(['RW|t2']);
    h.machine.tokenExpiring({ expireTime: h.clock.now() + 1 }); // about the old token: nothing to do
    await h.clock.advanceAsync(0);
    expect(h.calls()).toBe(2);
    // About the current one, an hour ahead, far beyond the notice's 5-minute lead: the clocks moved since
    // the schedule was made (the broker's is ahead now), so the notice is believed.
    h.machine.tokenExpiring({ expireTime: h.clock.now() + HOUR });
    await h.clock.advanceAsync(0);
    expect(h.calls()).toBe(3);
  });

  it('the expiry notice asks for new credentials when nothing renews them before the expiry it names', async () => {
    const h = harness({ answers: (n) => ({ username: 'Token|AK|mqtt-x', password: `RW|t${n}` }) }); // no expiry known
    h.machine.start(true);
    await h.clock.advanceAsync(10);
    h.machine.tokenExpiring({ expireTime: h.clock.now() + 300_000 });
    await h.clock.advanceAsync(0);
    expect(h.reasons).toEqual(['connect', 'expiring']);
  });

  it('90-second tokens: the notice that comes at once (inside its 5-minute lead) asks nothing; the renewal comes at 60 s', async () => {
    const h = harness({ answers: (n) => ({ username: 'Token|AK|mqtt-x', password: `RW|t${n}`, expiresAt: h.clock.now() + 90_000 }) });
    h.machine.start(true);
    await h.clock.advanceAsync(10);
    h.machine.tokenExpiring({ expireTime: h.clock.now() + 90_000 - 10 });
    await h.clock.advanceAsync(59_000);
    expect(h.reasons).toEqual(['connect']);
    await h.clock.advanceAsync(1_000);
    expect(h.reasons).toEqual(['connect', 'expiring']);
  });

  it("an issuer's clock 2 h ahead: notices are read on the issuer's clock, and the state reports the offset", async () => {
    const AHEAD = 2 * HOUR;
    const h = harness({ answers: (n) => ({ username: 'Token|AK|mqtt-x', password: `RW|t${n}`, expiresAt: h.clock.now() + AHEAD + 90_000, expiresIn: 90 }) });
    h.machine.start(true);
    await h.clock.advanceAsync(10);
    const { credentials } = h.machine.snapshot();
    expect(credentials).toMatchObject({ expiresAt: h.clock.now() - 10 + 90_000, clockOffset: AHEAD });
    // The broker's notice names the expiry on its own clock: the same token, renewed at 60 s anyway.
    h.machine.tokenExpiring({ expireTime: h.clock.now() - 10 + AHEAD + 90_000 });
    await h.clock.advanceAsync(0);
    expect(h.reasons).toEqual(['connect']);
    await h.clock.advanceAsync(60_000);
    expect(h.reasons).toEqual(['connect', 'expiring']);
  });

  it('a provider that keeps handing out the same token is asked at two thirds of what is left, a backoff step apart, not in a tightening loop', async () => {
    let fixed: ProvidedCredentials | undefined;
    const h = harness({ answers: () => (fixed ??= { username: 'Token|AK|mqtt-x', password: 'RW|cached', expiresAt: 1_700_000_000_000 + 120_000 }) });
    h.machine.start(true);
    await h.clock.advanceAsync(119_000);
    // Renewals at 80 s (two thirds of 120), 106.7 s, 115.6 s, 118.6 s; the next backoff step (6 s) would end after the expiry.
    expect(h.calls()).toBe(5);
    expect(h.events.filter(([e, p]) => e === 'credentials' && !(p as { changed: boolean }).changed).length).toBe(h.calls() - 1);
    // A server's cache is no failure: the connection's failures in a row stay at 0.
    expect(h.machine.snapshot().failures).toBe(0);
  });

  it('expired credentials are replaced before a reconnect, not sent', async () => {
    const h = harness({ answers: (n) => ({ username: 'Token|AK|mqtt-x', password: `RW|t${n}`, expiresAt: 1_700_000_000_000 + 90_000 }) });
    h.machine.start(true);
    await h.clock.advanceAsync(10);
    h.setBroker({ kind: 'unreachable' });
    h.machine.closed();
    // The renewal at 45 s reached the provider, which answered with the same expiry; by the time the
    // broker is back the token is past it and a fresh one is asked for before connecting.
    await h.clock.advanceAsync(100_000);
    const before = h.calls();
    h.setBroker({ kind: 'accept' });
    await h.clock.advanceAsync(HOUR);
    expect(h.calls()).toBeGreaterThan(before);
  });

  it('a hung credential request is abandoned after credentialsTimeout, its signal aborted, and asked again after a backoff', async () => {
    const signals: AbortSignal[] = [];
    const h = harness({ answers: (n, context) => (signals.push(context.signal!), n === 1 ? 'hang' : h.token()), tuning: { credentialsTimeout: 5000 } });
    h.machine.start(true);
    await h.clock.advanceAsync(4999);
    expect(h.calls()).toBe(1);
    await h.clock.advanceAsync(1);
    expect(signals[0]!.aborted).toBe(true);
    expect(h.errors('credentialsError')[0]?.message).toMatch(/did not answer within 5000 ms/);
    await h.clock.advanceAsync(760);
    expect([h.calls(), h.machine.snapshot().state]).toEqual([2, 'connected']);
  });

  it('reconnectPeriod 0 (autoReconnect off): a drop leaves the session idle, with nothing scheduled but the renewal', async () => {
    const h = harness({ autoReconnect: false });
    h.machine.start(true);
    await h.clock.advanceAsync(10);
    h.machine.closed();
    await h.clock.advanceAsync(60_000);
    expect([h.machine.snapshot().state, h.connects()]).toEqual(['idle', 1]);
  });

  it('an attempt the app makes itself (client.reconnect) cancels the pending retry', async () => {
    const h = harness();
    h.machine.start(true);
    await h.clock.advanceAsync(10);
    h.machine.closed();
    h.machine.attempted();
    expect(h.machine.snapshot()).toMatchObject({ state: 'connecting' });
    expect(h.machine.snapshot().nextAttempt?.action).not.toBe('connect');
    h.machine.connected();
    await h.clock.advanceAsync(60_000);
    expect(h.connects()).toBe(1); // the session's own retry never went out
  });

  it('refreshCredentials while backing off reconnects right after the answer', async () => {
    const h = harness();
    h.machine.start(true);
    await h.clock.advanceAsync(10);
    h.machine.closed();
    await h.machine.refresh();
    await h.clock.advanceAsync(5);
    expect(h.machine.snapshot().state).toBe('connected');
    expect(h.reasons).toEqual(['connect', 'manual']);
  });

  it('ended: nothing left scheduled, nothing asked, refreshCredentials refused with a typed error', async () => {
    const h = harness({ answers: (n) => (n === 1 ? 'hang' : h.token()) });
    h.machine.start(true);
    await h.clock.advanceAsync(10);
    h.machine.end();
    expect(h.clock.dueTimes()).toEqual([]);
    await h.clock.advanceAsync(HOUR);
    expect([h.calls(), h.machine.snapshot().state]).toEqual([1, 'ended']);
    await expect(h.machine.refresh()).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'client' });
  });

  it('the backoff starts over only after a connection stayed up STABLE_AFTER', async () => {
    const h = harness({ broker: { kind: 'kick', after: 5000 } });
    const delays = () =>
      h.events
        .filter(([e, s]) => e === 'state' && (s as SessionState).state === 'backing-off')
        .map(([, s]) => (s as SessionState).nextAttempt!.at - (s as SessionState).since);
    h.machine.start(true);
    await h.clock.advanceAsync(5 * 5000 + 750 + 1500 + 3000 + 6000 + 100);
    expect(delays()).toEqual([750, 1500, 3000, 6000, 12000]);
    h.setBroker({ kind: 'kick', after: STABLE_AFTER + 1000 });
    await h.clock.advanceAsync(12_000 + STABLE_AFTER + 1000);
    expect(h.machine.snapshot()).toMatchObject({ state: 'backing-off', failures: 1 });
    expect(delays().at(-1)).toBe(750);
  });
});

/**
 * The stated bound: one attempt per backoff step, each step at least half of min(maxBackoff,
 * minBackoff·2ⁿ) (the jitter is 0.5–1×); over `duration` that is at most
 * 1 + log2(maxBackoff / minBackoff) + 1 + duration / (maxBackoff / 2) attempts.
 */
const bound = (duration: number, min = 1000, max = 60_000) => 2 + Math.ceil(Math.log2(max / min)) + Math.ceil(duration / (max / 2));

describe('session state machine: no failure mode loops (one hour of the client time, worst-case jitter)', () => {
  const worst = { random: () => 0 }; // the shortest delays the jitter allows
  const modes: { name: string; broker?: Broker; answers?: (n: number) => Answer; maxCalls: number; maxConnects: number }[] = [
    { name: 'the broker refuses every CONNACK', broker: { kind: 'refuse' }, maxCalls: 2, maxConnects: 2 },
    // One provider call to start, one renewal 5 minutes before the 1-hour token expires.
    { name: 'the broker is unreachable', broker: { kind: 'unreachable' }, maxCalls: 2, maxConnects: bound(HOUR) },
    { name: 'the broker accepts and kicks at once', broker: { kind: 'kick', after: 100 }, maxCalls: 2, maxConnects: bound(HOUR) },
    { name: 'the broker kicks with tokenInvalidNotice 2 each time', broker: { kind: 'kick', after: 100, notice: 2 }, maxCalls: 1 + bound(HOUR), maxConnects: bound(HOUR) },
    { name: 'the broker never answers CONNECT', broker: { kind: 'silent' }, maxCalls: 2, maxConnects: bound(HOUR) },
    { name: 'the credential server answers 500', answers: () => 'fail-500', maxCalls: bound(HOUR), maxConnects: 0 },
    { name: 'the credential server answers garbage', answers: () => 'garbage', maxCalls: bound(HOUR), maxConnects: 0 },
    { name: 'the credential server is unreachable', answers: () => 'throw', maxCalls: bound(HOUR), maxConnects: 0 },
    { name: 'the credential server hangs', answers: () => 'hang', maxCalls: bound(HOUR), maxConnects: 0 },
    { name: 'the credential server says no (403)', answers: () => 'fail-403', maxCalls: 1, maxConnects: 0 },
  ];
  for (const mode of modes) {
    it(`${mode.name}: at most ${mode.maxCalls} provider calls and ${mode.maxConnects} connections`, async () => {
      const h = harness({ broker: mode.broker, answers: mode.answers && ((n) => mode.answers!(n)), tuning: worst });
      h.machine.start(true);
      await h.clock.advanceAsync(HOUR);
      console.info(`[bounds] ${mode.name}: ${h.calls()} provider calls, ${h.connects()} connections in 1 h (bound ${mode.maxCalls} / ${mode.maxConnects})`);
      expect(h.calls()).toBeLessThanOrEqual(mode.maxCalls);
      expect(h.connects()).toBeLessThanOrEqual(mode.maxConnects);
      // Still trying (or parked), never stuck: something is scheduled unless the state says why not.
      const { state } = h.machine.snapshot();
      if (state !== 'refused') expect(h.clock.pending()).toBeGreaterThan(0);
    });
  }
});
