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
   * the broker's own expiry notice; capped at half the credentials' lifetime.
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

/** @internal */
export const TUNING_DEFAULTS: Tuning = { refreshMargin: 300_000, minBackoff: 1000, maxBackoff: 60_000, credentialsTimeout: 30_000, random: Math.random };

/**
 * @internal How long a connection must stay up before the backoff starts again from `minBackoff`:
 * a broker that accepts and then drops a client keeps it backing off.
 */
export const STABLE_AFTER = 30_000;

function duration(value: unknown, field: string, fallback: number, positive = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw _invalid(field, `must be a finite number of milliseconds${positive ? ' above 0' : ', 0 or more'}`);
  }
  return value;
}

/** @internal Checks the tuning and applies the defaults; throws `ERR_INVALID_ARGUMENT` naming the field. */
export function _checkTuning(input: RefreshOptions): Tuning {
  const d = TUNING_DEFAULTS;
  const minBackoff = duration(input.minBackoff, 'minBackoff', d.minBackoff);
  const maxBackoff = duration(input.maxBackoff, 'maxBackoff', Math.max(d.maxBackoff, minBackoff));
  if (minBackoff > maxBackoff) throw _invalid('minBackoff', `must not be more than maxBackoff (${maxBackoff} ms)`);
  if (input.random !== undefined && typeof input.random !== 'function') throw _mustBe('random', 'a function returning a number in [0, 1)', input.random);
  return {
    refreshMargin: duration(input.refreshMargin, 'refreshMargin', d.refreshMargin),
    minBackoff,
    maxBackoff,
    credentialsTimeout: duration(input.credentialsTimeout, 'credentialsTimeout', d.credentialsTimeout, true),
    random: input.random ?? d.random,
  };
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
  let failures = 0;
  return {
    get failures() {
      return failures;
    },
    next: () => Math.min(maxBackoff, minBackoff * 2 ** Math.min(failures++, 52)) * (0.5 + random() / 2),
    reset: () => void (failures = 0),
  };
}
