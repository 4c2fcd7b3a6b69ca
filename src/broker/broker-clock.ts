/**
 * Time for the broker: the token notices and expiries run on the broker's {@link Clock} (a manual
 * one in tests, so token expiry is exercised without sleeping).
 * @module
 */
import type { Clock } from '../clock.js';

export { createManualClock, type ManualClock } from '../manual-clock.js';

/** Node's timers take at most 2^31-1 ms; longer waits are re-armed in steps. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * @internal Runs `callback` once the clock has reached `at`, re-arming across long waits and early
 * wake-ups (a manual clock may jump). Returns a cancel function.
 */
export function _runAt(at: number, callback: () => void, clock: Clock): () => void {
  let handle: unknown;
  let cancelled = false;
  const arm = () => {
    if (cancelled) return;
    const delay = at - clock.now();
    if (delay <= 0) {
      handle = undefined;
      callback();
      return;
    }
    handle = clock.setTimeout(arm, Math.min(delay, MAX_DELAY));
  };
  arm();
  return () => {
    cancelled = true;
    if (handle !== undefined) clock.clearTimeout(handle);
  };
}
