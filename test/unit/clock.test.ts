/**
 * The one clock: how an options object's `clock` becomes the clock a factory keeps time with, and the
 * manual clock the tests drive time with.
 */
import { describe, expect, it } from 'vitest';
import { _checkedClock, systemClock, type Clock } from '../../src/clock.js';
import { createManualClock } from '../../src/manual-clock.js';
import { manualClock, T0 } from '../helpers/manual-clock.js';

const fails = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error as { code?: string; field?: string };
  }
  throw new Error('expected a failure');
};

describe('_checkedClock: the clock an options object names', () => {
  it('nothing given: the fallback itself', () => {
    expect(_checkedClock(undefined)).toBe(systemClock);
    const fallback = manualClock();
    expect(_checkedClock(undefined, fallback)).toBe(fallback);
  });

  it('clock: its time and its timers', () => {
    const clock = manualClock();
    const chosen = _checkedClock(clock);
    expect(chosen.now()).toBe(T0);
    let fired = 0;
    chosen.setTimeout(() => fired++, 10);
    const cancelled = chosen.setTimeout(() => fired++, 10);
    chosen.clearTimeout(cancelled);
    clock.advance(10);
    expect([fired, chosen.now()]).toEqual([1, T0 + 10]);
  });

  it('a clock of the wrong shape is refused, naming clock', () => {
    for (const clock of [5, { now: () => 0 }, null, { setTimeout() {}, clearTimeout() {} }]) {
      expect(fails(() => _checkedClock(clock))).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'clock' });
    }
  });

  it("the caller's time is checked when read: one that throws or is no time is refused naming clock", () => {
    const throwing: Clock = { ...systemClock, now: () => { throw new Error('the secret clock broke'); } };
    const error = fails(() => _checkedClock(throwing).now());
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'clock' });
    expect(String((error as Error).message)).not.toContain('secret');
    for (const answer of [Number.NaN, Infinity, '1700000000000', undefined]) {
      expect(fails(() => _checkedClock({ ...systemClock, now: () => answer as number }).now())).toMatchObject({ field: 'clock' });
    }
  });
});

describe('the manual clock', () => {
  it('dueTimes() lists the waiting timers soonest first; pending() counts them', () => {
    const clock = createManualClock(1000);
    clock.setTimeout(() => undefined, 30);
    const b = clock.setTimeout(() => undefined, 10);
    clock.setTimeout(() => undefined, 20);
    expect(clock.dueTimes()).toEqual([1010, 1020, 1030]);
    clock.clearTimeout(b);
    expect([clock.dueTimes(), clock.pending()]).toEqual([[1020, 1030], 2]);
  });

  it('advanceAsync fires a timer that an awaited answer schedules on the way; advance, which does not wait, leaves it', async () => {
    const schedule = (clock: ReturnType<typeof createManualClock>, fired: number[]) =>
      clock.setTimeout(async () => {
        await Promise.resolve('an answer');
        clock.setTimeout(() => fired.push(clock.now()), 1);
      }, 10);

    const sync = createManualClock(0);
    const syncFired: number[] = [];
    schedule(sync, syncFired);
    sync.advance(20);
    expect(syncFired).toEqual([]);

    const async = createManualClock(0);
    const asyncFired: number[] = [];
    schedule(async, asyncFired);
    await async.advanceAsync(20);
    expect(asyncFired).toEqual([11]);
    expect(async.now()).toBe(20);
  });

  it('advanceAsync fires timers in due order, each at its own time, and refuses what advance refuses', async () => {
    const clock = createManualClock(0);
    const seen: [string, number][] = [];
    clock.setTimeout(() => seen.push(['b', clock.now()]), 20);
    clock.setTimeout(() => seen.push(['a', clock.now()]), 10);
    clock.setTimeout(() => seen.push(['a2', clock.now()]), 10);
    await clock.advanceAsync(15);
    expect(seen).toEqual([['a', 10], ['a2', 10]]);
    await clock.advanceAsync(5);
    expect(seen).toEqual([['a', 10], ['a2', 10], ['b', 20]]);
    for (const ms of [-1, Number.NaN, '5']) await expect(clock.advanceAsync(ms as number)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'ms' });
    await expect(clock.advanceAsync(Infinity)).rejects.toMatchObject({ field: 'time' });
  });

  it('the test helper starts at T0', () => {
    expect(manualClock().now()).toBe(T0);
    expect(manualClock(5).now()).toBe(5);
  });
});
