/**
 * The timing of a managed connection: its tuning (checked before any I/O) and the one backoff that
 * paces both credential requests and reconnects.
 * @module
 */
import { _invalid } from '../errors.js';
import { _mustBe } from '../internal/bytes.js';

/** Tuning of a managed connection's refreshes and retries; every field has a default. */
export interface RefreshOptions {
  /**
   * Fetch new credentials this long before they expire (ms). Default 5 minutes, the lead time of
   * the broker's own expiry notice. Short-lived credentials (a remaining life under three times the
   * margin) are renewed once two thirds of their remaining life have passed instead (90-second
   * tokens after 60 s), never sooner than `minBackoff`; a renewal answered with the same credentials
   * (a server's cache) is asked again at two thirds of what is then left, and at least one backoff
   * step later.
   */
  refreshMargin?: number;
  /** First retry delay after a failed credential request or connection (ms). Default 1 s. */
  minBackoff?: number;
  /** Longest retry delay (ms). Default 60 s. */
  maxBackoff?: number;
  /**
   * A credentials provider that has not answered within this (ms) is abandoned (its `signal` is
   * aborted) and asked again after a backoff. Default 30 s.
   */
  credentialsTimeout?: number;
  /** Random source in [0, 1) for the jitter; injectable for tests. */
  random?: () => number;
}

/** @internal {@link RefreshOptions} with every default applied. */
export type Tuning = Required<RefreshOptions>;

/**
 * @internal How long a connection must stay up before the backoff starts again from `minBackoff`:
 * a broker that accepts and then drops a client keeps it backing off.
 */
export const STABLE_AFTER = 30_000;

/** A duration in ms: finite and ≥ 0 (> 0 with `positive`), `fallback` when not given. */
function ms(value: unknown, field: string, fallback: number, positive?: boolean): number {
  if (value === undefined) return fallback;
  // `!(x >= 0)` also refuses NaN and every non-number.
  if (typeof value !== 'number' || !(value >= 0) || value === Infinity || (positive && !value)) {
    throw _invalid(field, `must be a finite number of milliseconds${positive ? ' above 0' : ', 0 or more'}`);
  }
  return value;
}

/** @internal Checks the tuning and applies the defaults; throws `ERR_INVALID_ARGUMENT` naming the field. */
export function _checkTuning(input: RefreshOptions): Tuning {
  const minBackoff = ms(input.minBackoff, 'minBackoff', 1000);
  const maxBackoff = ms(input.maxBackoff, 'maxBackoff', Math.max(60_000, minBackoff));
  if (minBackoff > maxBackoff) throw _invalid('minBackoff', 'must not be more than maxBackoff');
  const { random = Math.random } = input;
  if (typeof random !== 'function') throw _mustBe('random', 'a function', random);
  return { refreshMargin: ms(input.refreshMargin, 'refreshMargin', 300_000), minBackoff, maxBackoff, credentialsTimeout: ms(input.credentialsTimeout, 'credentialsTimeout', 30_000, true), random };
}

/** @internal Consecutive failures and the delay before the next attempt. */
export interface Backoff {
  readonly failures: number;
  /** The delay before the next attempt, counting one more failure. */
  next(): number;
  /** Called once a connection has stayed up: the next failure waits `minBackoff` again. */
  reset(): void;
}

/**
 * @internal Exponential backoff with jitter in the upper half (0.5–1 × the step): a fleet's retries
 * spread out, and no retry comes at once.
 */
export function _createBackoff({ minBackoff, maxBackoff, random }: Pick<Tuning, 'minBackoff' | 'maxBackoff' | 'random'>): Backoff {
  const backoff = {
    failures: 0,
    next: () => Math.min(maxBackoff, minBackoff * 2 ** Math.min(backoff.failures++, 52)) * (0.5 + random() / 2),
    reset: () => void (backoff.failures = 0),
  };
  return backoff;
}
