/**
 * Time for the broker: a clock and timers that tests replace, so token expiry is exercised without sleeping.
 * @module
 */
import { _invalid } from '../errors.js';

/** Timers the broker schedules token notices and expiry with. */
export interface BrokerTimers {
  /** Runs `callback` once after `ms`; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a scheduled callback. */
  clearTimeout(handle: unknown): void;
}

/** The real timers (unref'd: a pending token expiry never keeps a process alive on its own). */
export const systemTimers: BrokerTimers = {
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** Node's timers take at most 2^31-1 ms; longer waits are re-armed in steps. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * @internal Runs `callback` once `now()` has reached `at`, re-arming across long waits and early
 * wake-ups (a manual clock may jump). Returns a cancel function.
 */
export function _runAt(at: number, callback: () => void, now: () => number, timers: BrokerTimers): () => void {
  let handle: unknown;
  let cancelled = false;
  const arm = () => {
    if (cancelled) return;
    const delay = at - now();
    if (delay <= 0) {
      handle = undefined;
      callback();
      return;
    }
    handle = timers.setTimeout(arm, Math.min(delay, MAX_DELAY));
  };
  arm();
  return () => {
    cancelled = true;
    if (handle !== undefined) timers.clearTimeout(handle);
  };
}

/**
 * A clock that only moves when told to: pass `now` and `timers` to `startBroker`. It is also a
 * `Clock` of the client API (`now`, `setTimeout`, `clearTimeout`), so one manual clock can drive
 * the broker and managed connections together.
 */
export interface ManualClock extends BrokerTimers {
  /** The current time, in ms since the epoch. */
  now(): number;
  /** Timers driven by {@link ManualClock.advance} / {@link ManualClock.set} (the same as the clock's own). */
  readonly timers: BrokerTimers;
  /** Moves the clock forward by `ms` and runs every timer that falls due, in order. */
  advance(ms: number): void;
  /** Moves the clock to `time` (never backwards) and runs the timers that fall due. */
  set(time: number): void;
  /** How many timers are waiting. */
  pending(): number;
}

/**
 * A manual clock for tests and demos: time stands still until `advance` or `set` moves it, and
 * the timers that fall due run synchronously, in due order.
 *
 * @example
 * ```ts
 * const clock = createManualClock(Date.UTC(2026, 0, 1))
 * const broker = await startBroker({ ...config, now: clock.now, timers: clock.timers })
 * clock.advance(10 * 60_000) // tokens expiring in the next 10 minutes expire now
 * ```
 */
export function createManualClock(start = 0): ManualClock {
  if (!Number.isFinite(start)) throw _invalid('start', 'must be a finite UNIX time in milliseconds');
  let time = start;
  let nextId = 1;
  const queue = new Map<number, { at: number; seq: number; callback: () => void }>();
  const set = (target: number) => {
    if (typeof target !== 'number' || !Number.isFinite(target)) throw _invalid('time', 'must be a finite number of milliseconds');
    if (target < time) throw _invalid('time', 'must not go backwards (a manual clock never does)');
    for (;;) {
      let due: [number, { at: number; seq: number; callback: () => void }] | undefined;
      for (const entry of queue) {
        if (entry[1].at > target) continue;
        if (!due || entry[1].at < due[1].at || (entry[1].at === due[1].at && entry[1].seq < due[1].seq)) due = entry;
      }
      if (!due) break;
      queue.delete(due[0]);
      time = Math.max(time, due[1].at);
      due[1].callback();
    }
    time = target;
  };
  const timers: BrokerTimers = {
    setTimeout(callback, ms) {
      if (typeof callback !== 'function') throw _invalid('callback', 'must be a function');
      const id = nextId++;
      // Like a real timer: a delay that is not a number ≥ 0 counts as 0.
      queue.set(id, { at: time + (typeof ms === 'number' && ms > 0 ? Math.min(ms, Number.MAX_SAFE_INTEGER) : 0), seq: id, callback });
      return id;
    },
    clearTimeout(handle) {
      queue.delete(handle as number);
    },
  };
  return {
    now: () => time,
    timers,
    setTimeout: timers.setTimeout,
    clearTimeout: timers.clearTimeout,
    advance: (ms) => {
      if (typeof ms !== 'number' || !(ms >= 0)) throw _invalid('ms', 'must be a number of milliseconds ≥ 0');
      set(time + ms);
    },
    set,
    pending: () => queue.size,
  };
}
