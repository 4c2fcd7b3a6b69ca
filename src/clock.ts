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

/**
 * @internal The clock an option names: `clock` checked (a wrong shape is refused), else `fallback`.
 * The caller's time is checked when read: what it throws or answers that is no time is refused
 * naming `clock`, never passed on.
 */
export function _checkedClock(clock: unknown, fallback: Clock = systemClock): Clock {
  const c = _checkClock(clock);
  if (c === undefined) return fallback;
  return { now: checkedTime(() => c.now()), setTimeout: (callback, ms) => c.setTimeout(callback, ms), clearTimeout: (handle) => c.clearTimeout(handle) };
}

function checkedTime(read: () => number): () => number {
  return () => {
    let t: unknown;
    try {
      t = read();
    } catch {
      throw _invalid('clock', 'threw');
    }
    if (typeof t !== 'number' || !Number.isFinite(t)) throw _invalid('clock', 'must return a finite number of UNIX milliseconds');
    return t;
  };
}
