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

  it('caps the margin at half the lifetime of short-lived credentials', async () => {
    const t0 = manualClock().now();
    const { clock, refresher } = setup([() => ({ username: 'u', password: 'p', expiresAt: t0 + 120_000 })], { refreshMargin: 300_000 });
    await refresher.refresh('connect');
    expect(clock.dueTimes()).toEqual([t0 + 60_000]);
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
