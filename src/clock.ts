/**
 * Time, injected: the one clock type of the SDK. Every part that keeps time (managed connections,
 * `remoteCredentials`, the token issuer and stores, the OpenAPI client, the local broker and its
 * stores) takes it as `{ clock }`, so one manual clock (`createManualClock`) drives them all in a
 * test, without sleeping.
 * @module
 */
import { _invalid } from './errors.js';
import { _mustBe } from './internal/bytes.js';

/** The time and the timers of whatever takes it as `{ clock }`. */
export interface Clock {
  /** The current time, ms since the UNIX epoch. */
  now(): number;
  /** Runs `callback` once, `ms` from now; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer that has not run yet. */
  clearTimeout(handle: unknown): void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * The timer half of a {@link Clock}, which the local broker used to take apart from its time.
 * @deprecated A {@link Clock} holds both: pass `{ clock }` where `{ now, timers }` was passed.
 */
export interface BrokerTimers {
  /** Runs `callback` once, `ms` from now; returns a handle for {@link BrokerTimers.clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer that has not run yet. */
  clearTimeout(handle: unknown): void;
}

/**
 * @internal The real clock whose timers never keep a process alive on their own (Node's `unref`):
 * the local broker's default, so a token's pending expiry does not hold a test run open.
 */
export const _backgroundClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    (handle as { unref?: () => void }).unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** @internal `clock` if it is a {@link Clock}, `undefined` if not given; anything else is refused, naming `field`. */
export function _checkClock(clock: unknown, field = 'clock'): Clock | undefined {
  const c = clock as Clock | undefined;
  if (c === undefined) return undefined;
  if (typeof c?.now !== 'function' || typeof c.setTimeout !== 'function' || typeof c.clearTimeout !== 'function') {
    throw _mustBe(field, 'an object with now(), setTimeout() and clearTimeout()', clock);
  }
  return c;
}

/** @internal The options that name a clock: `clock`, or the older `now` (and, for the broker, `timers`). */
export interface _ClockOptions {
  clock?: Clock | undefined;
  now?: (() => number) | undefined;
  timers?: BrokerTimers | undefined;
}

/**
 * @internal The clock `options` ask for: `clock`; else one made of the older `now` and `timers`
 * (each missing half taken from `fallback`); else `fallback`. The caller's time is checked when read:
 * what it throws or answers that is no time is refused naming the option it came from, never passed
 * on. `clock` beside either older option is refused: which time would be meant?
 */
export function _clockOption(options: _ClockOptions, fallback: Clock = systemClock): Clock {
  const { clock, now, timers } = options;
  if (clock !== undefined) {
    if (now !== undefined || timers !== undefined) throw _invalid('clock', `replaces ${now !== undefined ? 'now' : 'timers'}: give only clock`);
    const c = _checkClock(clock)!;
    return { now: checkedTime(() => c.now(), 'clock'), setTimeout: (callback, ms) => c.setTimeout(callback, ms), clearTimeout: (handle) => c.clearTimeout(handle) };
  }
  if (now !== undefined && typeof now !== 'function') throw _mustBe('now', 'a function returning UNIX milliseconds', now);
  if (timers !== undefined && (typeof timers?.setTimeout !== 'function' || typeof timers.clearTimeout !== 'function')) {
    throw _invalid('timers', 'must have setTimeout(callback, ms) and clearTimeout(handle)');
  }
  if (now === undefined && timers === undefined) return fallback;
  const t = timers ?? fallback;
  return {
    now: now === undefined ? () => fallback.now() : checkedTime(now, 'now'),
    setTimeout: (callback, ms) => t.setTimeout(callback, ms),
    clearTimeout: (handle) => t.clearTimeout(handle),
  };
}

function checkedTime(read: () => number, field: string): () => number {
  return () => {
    let t: unknown;
    try {
      t = read();
    } catch {
      throw _invalid(field, 'threw');
    }
    if (typeof t !== 'number' || !Number.isFinite(t)) throw _invalid(field, 'must return a finite number of UNIX milliseconds');
    return t;
  };
}
