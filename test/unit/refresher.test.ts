/** The refresh schedule of a managed connection, on a manual clock (runs in Node and Chromium). */
import { describe, expect, it } from 'vitest';
import { ApsaraMqttAuthError, type ProvidedCredentials } from '../../src/index.js';
import { _createRefresher } from '../../src/lifecycle/refresher.js';
import { manualClock, type ManualClock } from '../helpers/manual-clock.js';

function setup(answers: (() => ProvidedCredentials | Promise<ProvidedCredentials>)[], options: { refreshMargin?: number } = {}) {
  const clock = manualClock();
  const updates: { password: string; reason: string }[] = [];
  const errors: ApsaraMqttAuthError[] = [];
  let calls = 0;
  const refresher = _createRefresher({
    ...options,
    provider: async () => answers[Math.min(calls++, answers.length - 1)]!(),
    context: { clientId: 'GID_Test@@@1', instanceId: 'mqtt-x' },
    clock,
    random: () => 0.5,
    onUpdate: (c, reason) => updates.push({ password: c.password, reason }),
    onError: (e) => errors.push(e),
  });
  return { clock, refresher, updates, errors, calls: () => calls };
}

describe('credentials refresher', () => {
  it('fetches single-flight: concurrent refreshes share one provider call', async () => {
    const { refresher, calls } = setup([() => ({ username: 'u', password: 'p1' })]);
    const all = await Promise.all(Array.from({ length: 100 }, () => refresher.refresh('connect')));
    expect(calls()).toBe(1);
    expect(new Set(all.map((c) => c.password))).toEqual(new Set(['p1']));
  });

  it('refreshes ahead of expiry by the margin, and again for each new expiry', async () => {
    const t0 = manualClock().now();
    const { clock, refresher, updates } = setup(
      [
        () => ({ username: 'u', password: 'p1', expiresAt: t0 + 3_600_000 }),
        () => ({ username: 'u', password: 'p2', expiresAt: t0 + 7_200_000 }),
        () => ({ username: 'u', password: 'p3', expiresAt: t0 + 10_800_000 }),
      ],
      { refreshMargin: 300_000 },
    );
    await refresher.refresh('connect');
    expect(clock.dueTimes()).toEqual([t0 + 3_600_000 - 300_000]);
    await clock.advanceAsync(3_600_000 - 300_000 - 1);
    expect(updates.map((u) => u.password)).toEqual(['p1']);
    await clock.advanceAsync(1);
    expect(updates).toEqual([
      { password: 'p1', reason: 'connect' },
      { password: 'p2', reason: 'expiring' },
    ]);
    expect(clock.dueTimes()).toEqual([t0 + 7_200_000 - 300_000]);
    refresher.stop();
    expect(clock.dueTimes()).toEqual([]);
  });

  it('renews short-lived credentials once two thirds of their remaining life have passed', async () => {
    const t0 = manualClock().now();
    const { clock, refresher } = setup([() => ({ username: 'u', password: 'p', expiresAt: t0 + 120_000 })], { refreshMargin: 300_000 });
    await refresher.refresh('connect');
    expect(clock.dueTimes()).toEqual([t0 + 80_000]);
  });

  it('the rule: refreshMargin before expiry when the life left is at least three margins, else at two thirds of it; never sooner than minBackoff', async () => {
    for (const [life, margin, due] of [
      [3_600_000, 300_000, 3_300_000],
      [900_000, 300_000, 600_000],
      [600_000, 300_000, 400_000],
      [90_000, 300_000, 60_000],
      [1200, 300_000, 1000],
    ] as const) {
      const t0 = manualClock().now();
      const { clock, refresher } = setup([() => ({ username: 'u', password: 'p', expiresAt: t0 + life })], { refreshMargin: margin });
      await refresher.refresh('connect');
      expect(clock.dueTimes(), `${life} ms`).toEqual([t0 + due]);
    }
  });

  it('90-second tokens from a server that caches them until 20 s before expiry: asked 3 times in 110 s, not 6', async () => {
    // A credential server like createTokenIssuer({ ttl: 90_000, refreshMargin: 20_000 }).
    const clock0 = manualClock().now();
    let token: { n: number; expiresAt: number } | undefined;
    let now = () => clock0;
    const { clock, refresher, calls, updates } = setup([
      () => {
        if (!token || now() >= token.expiresAt - 20_000) token = { n: (token?.n ?? 0) + 1, expiresAt: now() + 90_000 };
        return { username: 'Token|AK|mqtt-x', password: `RW|t${token.n}`, expiresAt: token.expiresAt };
      },
    ]);
    now = () => clock.now();
    await refresher.refresh('connect');
    await clock.advanceAsync(110_000);
    // 0 s: t1; 60 s: t1 again (30 s left, cached); 80 s (two thirds of those 30 s): t2, renewed at 140 s.
    expect(calls()).toBe(3);
    expect(updates.map((u) => u.password)).toEqual(['RW|t1', 'RW|t1', 'RW|t2']);
    expect(clock.dueTimes()).toEqual([clock0 + 80_000 + 60_000]);
  });

  it('the same credentials handed back again are asked for at two thirds of what is left and a backoff step later, never past expiry', async () => {
    const t0 = manualClock().now();
    const asked: number[] = [];
    const { clock, refresher } = setup([() => (asked.push(clock.now() - t0), { username: 'u', password: 'same', expiresAt: t0 + 30_000 })], { refreshMargin: 300_000 });
    await refresher.refresh('connect');
    await clock.advanceAsync(40_000);
    // 20 s (two thirds of 30), 26.7 s (of the 10 left), 28.9 s (of the 3.3 left); then the backoff's third
    // step (0.75, 1.5, 3 s) outgrows the 1.1 s left, and nothing is scheduled past the expiry.
    expect(asked.map((t) => Math.round(t / 100) / 10)).toEqual([0, 20, 26.7, 28.9]);
    expect(clock.dueTimes()).toEqual([]);
  });

  it('judges expiry by the lifetime the provider states (expiresIn), not by expiresAt on a wrong clock, and learns the offset', async () => {
    const t0 = manualClock().now();
    const serverNow = t0 + 2 * 3_600_000; // this device is 2 h slow
    const { clock, refresher } = setup([() => ({ username: 'u', password: 'p', expiresAt: serverNow + 90_000, expiresIn: 90 })]);
    const fresh = await refresher.refresh('connect');
    expect(fresh).toEqual({ username: 'u', password: 'p', expiresAt: t0 + 90_000 });
    expect(refresher.offset).toBe(2 * 3_600_000);
    expect(clock.dueTimes()).toEqual([t0 + 60_000]);
  });

  it('a device 2 h fast: credentials that look expired by its clock are taken when the provider states their lifetime', async () => {
    const t0 = manualClock().now();
    const serverNow = t0 - 2 * 3_600_000;
    const late = setup([() => ({ username: 'u', password: 'p', expiresAt: serverNow + 90_000 })]);
    await expect(late.refresher.refresh('connect')).rejects.toMatchObject({ code: 'ERR_CREDENTIALS_UNAVAILABLE', field: 'provider.expiresAt', message: expect.stringContaining("by this device's clock") });
    late.refresher.stop();
    const { refresher } = setup([() => ({ username: 'u', password: 'p', expiresAt: serverNow + 90_000, expiresIn: 90 })]);
    expect((await refresher.refresh('connect')).expiresAt).toBe(t0 + 90_000);
    expect(refresher.offset).toBe(-2 * 3_600_000);
  });

  it('does not schedule anything for credentials without expiry', async () => {
    const { clock, refresher } = setup([() => ({ username: 'u', password: 'p' })]);
    await refresher.refresh('connect');
    expect(clock.dueTimes()).toEqual([]);
  });

  it('retries failures with exponential backoff (jittered) and reports each failure, typed', async () => {
    const t0 = manualClock().now();
    const fail = () => {
      throw new Error('server down');
    };
    const { clock, refresher, errors, updates, calls } = setup([fail, fail, fail, () => ({ username: 'u', password: 'ok' })]);
    await expect(refresher.refresh('connect')).rejects.toMatchObject({ code: 'ERR_CREDENTIALS_UNAVAILABLE' });
    // random() = 0.5 → factor 0.75: 750 ms, then 1500 ms, then 3000 ms.
    expect(clock.dueTimes()).toEqual([t0 + 750]);
    await clock.advanceAsync(750);
    expect(clock.dueTimes()).toEqual([t0 + 750 + 1500]);
    await clock.advanceAsync(1500);
    expect(clock.dueTimes()).toEqual([t0 + 2250 + 3000]);
    await clock.advanceAsync(3000);
    expect(calls()).toBe(4);
    expect(errors).toHaveLength(3);
    expect(errors.every((e) => e instanceof ApsaraMqttAuthError && e.code === 'ERR_CREDENTIALS_UNAVAILABLE')).toBe(true);
    expect(updates).toEqual([{ password: 'ok', reason: 'connect' }]);
  });

  it('rejects a malformed answer, naming the field, without echoing it', async () => {
    const { refresher } = setup([() => ({ username: 'u', password: '' })]);
    await expect(refresher.refresh('connect')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'provider.password' });
  });
});

describe("remoteCredentials' lifetime from the server's answer", () => {
  it("counts from the answer's issuedAt, else from its Date header (whole seconds: taken at the end of that second), else not at all", async () => {
    const { _lifetime } = await import('../../src/lifecycle/provider.js');
    const serverNow = Date.UTC(2026, 11, 7, 12, 0, 0);
    expect(_lifetime(serverNow + 90_000, serverNow, null)).toBe(90);
    expect(_lifetime(serverNow + 90_000, serverNow, 'Mon, 07 Dec 2026 09:00:00 GMT')).toBe(90); // issuedAt wins
    expect(_lifetime(serverNow + 90_000, undefined, new Date(serverNow).toUTCString())).toBe(89);
    expect(_lifetime(serverNow + 90_000, 'not a time', 'not a date')).toBeUndefined();
    expect(_lifetime(serverNow - 5000, serverNow, null)).toBe(0);
  });
});
