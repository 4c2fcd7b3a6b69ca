/**
 * Time, injectable so that lifecycle tests run without sleeping.
 * @module
 */

/** The clock and timers a managed connection uses. */
export interface Clock {
  /** The time, ms since the epoch. */
  now(): number;
  /** Runs `callback` once after `ms`; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a callback {@link Clock.setTimeout} scheduled. */
  clearTimeout(handle: unknown): void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
