/**
 * A clock that only moves when told to: for tests and demos of anything that takes `{ clock }`.
 * @module
 */
import type { Clock } from './clock.js';
import { _invalid } from './errors.js';

/**
 * A {@link Clock} that only moves when told to. One manual clock can drive the broker, the server
 * side and managed connections together: pass it as `{ clock }` to each.
 */
export interface ManualClock extends Clock {
  /** The current time, in ms since the epoch. */
  now(): number;
  /** Moves the clock forward by `ms` and runs every timer that falls due, in order. */
  advance(ms: number): void;
  /**
   * {@link ManualClock.advance} for code that awaits between timers (a managed connection, a
   * provider): before each due timer and at the end, the promise callbacks already queued run first,
   * so a timer that an answer schedules on the way still fires within the same call if it falls due.
   */
  advanceAsync(ms: number): Promise<void>;
  /** Moves the clock to `time` (never backwards) and runs the timers that fall due. */
  set(time: number): void;
  /** How many timers are waiting. */
  pending(): number;
  /** When each waiting timer falls due (ms since the epoch), soonest first. */
  dueTimes(): number[];
}

interface Timer {
  at: number;
  seq: number;
  callback: () => void;
}

/** Turns of the microtask queue {@link ManualClock.advanceAsync} gives queued promise callbacks. */
const SETTLE_TURNS = 50;

async function settle(): Promise<void> {
  for (let i = 0; i < SETTLE_TURNS; i++) await Promise.resolve();
}

/**
 * A manual clock for tests and demos: time stands still until `advance` or `set` moves it, and
 * the timers that fall due run synchronously, in due order (`advanceAsync`: with the promise
 * callbacks they queue run in between).
 *
 * @example
 * ```ts
 * const clock = createManualClock(Date.UTC(2026, 0, 1))
 * const broker = await startBroker({ ...config, clock })
 * clock.advance(10 * 60_000) // tokens expiring in the next 10 minutes expire now
 * ```
 */
export function createManualClock(start = 0): ManualClock {
  if (!Number.isFinite(start)) throw _invalid('start', 'must be a finite UNIX time in milliseconds');
  let time = start;
  let nextId = 1;
  const queue = new Map<number, Timer>();
  /** The timer that falls due first (ties: the one set first), if it is due by `target`. */
  const dueBy = (target: number): [number, Timer] | undefined => {
    let due: [number, Timer] | undefined;
    for (const entry of queue) {
      if (entry[1].at > target) continue;
      if (!due || entry[1].at < due[1].at || (entry[1].at === due[1].at && entry[1].seq < due[1].seq)) due = entry;
    }
    return due;
  };
  const fire = ([id, timer]: [number, Timer]) => {
    queue.delete(id);
    time = Math.max(time, timer.at);
    timer.callback();
  };
  const checkTarget = (target: number) => {
    if (typeof target !== 'number' || !Number.isFinite(target)) throw _invalid('time', 'must be a finite number of milliseconds');
    if (target < time) throw _invalid('time', 'must not go backwards (a manual clock never does)');
  };
  const checkStep = (ms: number) => {
    if (typeof ms !== 'number' || !(ms >= 0)) throw _invalid('ms', 'must be a number of milliseconds ≥ 0');
  };
  const set = (target: number) => {
    checkTarget(target);
    for (let due = dueBy(target); due; due = dueBy(target)) fire(due);
    time = target;
  };
  const timers: Pick<Clock, 'setTimeout' | 'clearTimeout'> = {
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
    setTimeout: timers.setTimeout,
    clearTimeout: timers.clearTimeout,
    advance: (ms) => {
      checkStep(ms);
      set(time + ms);
    },
    advanceAsync: async (ms) => {
      checkStep(ms);
      const target = time + ms;
      checkTarget(target);
      for (;;) {
        await settle();
        const due = dueBy(target);
        if (!due) break;
        fire(due);
      }
      time = Math.max(time, target);
      await settle();
    },
    set,
    pending: () => queue.size,
    dueTimes: () => [...queue.values()].map((t) => t.at).sort((a, b) => a - b),
  };
}
