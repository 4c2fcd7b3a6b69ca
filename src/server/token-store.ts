/**
 * Where a token issuer keeps its tokens: the store interface, and the in-memory store every issuer
 * uses unless it is given another (`createRedisTokenStore` shares one cache across processes).
 * A store holds tokens and, optionally, coordinates who applies for them (`claim`) and how fast the
 * account may call ApplyToken (`admit`); the issuer keeps the policy (freshness, verification,
 * fallback to a still-valid token) and its own in-process single flight.
 * @module
 */
import { _checkedClock, type Clock } from '../clock.js';
import { _invalid } from '../errors.js';
import { _requireOptions } from '../credentials/validate.js';
import type { AppliedToken } from './records.js';

/** What {@link TokenCacheStore.claim} resolves to: a token another process published, or the right to apply. */
export type TokenClaim =
  /** Someone else applied meanwhile: serve this. */
  | { token: AppliedToken; release?: never }
  /** Apply now, store the token with `set`, then call `release` (also on failure). */
  | { token?: never; release: () => Promise<void> };

/**
 * The storage behind {@link createTokenIssuer}. Keys are opaque strings made by the issuer (they name
 * the AccessKey ID, the instance and the permission, never a secret). Every method may answer
 * synchronously or with a promise; a store that cannot reach its backend should degrade on its own
 * (as the Redis store does) rather than throw, or the issuer's callers see the error.
 */
export interface TokenCacheStore {
  /** The token stored under `key`, or `undefined`. It may be stale or expired: the issuer checks. */
  get(key: string): AppliedToken | undefined | Promise<AppliedToken | undefined>;
  /** Stores `token` under `key` for `ttl` ms (its remaining lifetime by the issuer's clock). */
  set(key: string, token: AppliedToken, ttl: number): void | Promise<void>;
  /**
   * Forgets `key` (only while it still holds the token `token`, when given, so a late report about an
   * old token never drops its replacement), or, without `key`, every key starting with `scope`.
   */
  delete(key: string | undefined, options?: { token?: string; scope?: string }): void | Promise<void>;
  /**
   * Called on a miss, after the issuer's own single flight: decides who applies. Without it, the
   * caller always applies (one process: the in-process single flight is enough).
   * @param fresh - whether a token found meanwhile is good enough to serve.
   */
  claim?(key: string, fresh: (token: AppliedToken) => boolean): Promise<TokenClaim>;
  /**
   * Books a turn for one ApplyToken call of `scope` (the AccessKey ID) at the pace of `rate` calls per
   * {@link RATE_WINDOW}: the milliseconds until the turn (`0`: now), after which the caller starts
   * without asking again; or `-1`, booking nothing, when the turn is more than `maxWait` ms away.
   * Without it, no pacing.
   */
  admit?(scope: string, rate: number, maxWait: number): number | Promise<number>;
  /** How many tokens this process holds (the in-memory store: all of them). */
  readonly size?: number;
}

/** The in-memory store: synchronous, with a rate window in this process. */
export interface MemoryTokenStore extends TokenCacheStore {
  /** The token under `key`, synchronously (this store is in memory). */
  get(key: string): AppliedToken | undefined;
  /** Stores `token` under `key` (it stays until dropped as least recently used, replaced or deleted). */
  set(key: string, token: AppliedToken, ttl?: number): void;
  /** Forgets `key` (only while it holds `token`, when given), or every key of `scope`. */
  delete(key: string | undefined, options?: { token?: string; scope?: string }): void;
  /** Books a turn in the rate window of `scope` (see {@link TokenCacheStore.admit}): ms until the turn, or -1 when it would wait more than `maxWait`. */
  admit(scope: string, rate: number, maxWait: number): number;
  /** How many keys are kept. */
  readonly size: number;
}

/** Options of {@link createMemoryTokenStore}. */
export interface MemoryTokenStoreOptions {
  /** How many keys are kept, least recently used dropped first (default 1000). */
  maxEntries?: number;
  /** The clock of the rate window (default: the real one; only its `now` is read); the issuer passes its own. */
  clock?: Clock;
}

/**
 * The pace of {@link TokenCacheStore.admit}: `rate` calls per 1.25 s, spaced evenly (`RATE_WINDOW / rate`
 * ms apart) with up to a tenth of them at once. A fifth below the service's own limit per second, and
 * spread out rather than in bursts, so the time between admission and arrival at the service (network,
 * signing, the service's own queue) never packs more than `rate` calls into one of its seconds.
 */
export const RATE_WINDOW = 1250;

/** @internal The spacing and burst tolerance of the pace, ms. */
export function _pace(rate: number): { interval: number; tolerance: number } {
  const interval = RATE_WINDOW / rate;
  return { interval, tolerance: (Math.max(1, Math.floor(rate / 10)) - 1) * interval };
}

/**
 * @internal The generic cell rate algorithm per scope, in this process (the twin of the Redis script):
 * each scope has a theoretical arrival time (`tat`); a call's turn is when `tat` is at most `tolerance`
 * ahead, and booking it moves `tat` one interval on, so callers queue in order without asking twice.
 */
export function _rateWindow(now: () => number): (scope: string, rate: number, maxWait: number) => number {
  const due = new Map<string, number>();
  return (scope, rate, maxWait) => {
    if (typeof scope !== 'string') throw _invalid('scope', 'must be a string');
    if (typeof rate !== 'number' || !(rate > 0) || !Number.isFinite(rate)) throw _invalid('rate', 'must be a positive number of calls');
    if (typeof maxWait !== 'number' || !(maxWait >= 0)) throw _invalid('maxWait', 'must be a number of milliseconds ≥ 0');
    const t = now();
    const { interval, tolerance } = _pace(rate);
    const tat = Math.max(due.get(scope) ?? t, t);
    const delay = Math.max(0, Math.ceil(tat - tolerance - t));
    if (delay > maxWait) return -1;
    due.set(scope, tat + interval);
    // Scopes whose every turn is past are forgotten, so the map holds only busy AccessKeys.
    for (const [old, at] of due) if (at < t) due.delete(old);
    return delay;
  };
}

function requireKey(key: unknown): string {
  if (typeof key !== 'string') throw _invalid('key', 'must be a string');
  return key;
}

/**
 * The default store: a `Map` in this process, least recently used keys dropped beyond `maxEntries`,
 * and a pace of ApplyToken calls per AccessKey. A fleet of processes each with its own sees N ApplyToken calls
 * per permission where one would do: share `createRedisTokenStore` instead.
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` for a bad option.
 */
export function createMemoryTokenStore(options: MemoryTokenStoreOptions = {}): MemoryTokenStore {
  if (options === null || typeof options !== 'object') throw _invalid('options', 'must be an options object');
  const maxEntries = options.maxEntries ?? 1000;
  if (typeof maxEntries !== 'number' || !Number.isSafeInteger(maxEntries) || maxEntries < 1) throw _invalid('maxEntries', 'must be an integer of at least 1');
  const clock = _checkedClock(options.clock);
  const cache = new Map<string, AppliedToken>();
  const admit = _rateWindow(() => clock.now());
  return Object.freeze({
    get(key: string) {
      const token = cache.get(requireKey(key));
      if (token !== undefined) {
        // Map order is the LRU order: move the key to the end.
        cache.delete(key);
        cache.set(key, token);
      }
      return token;
    },
    set(key: string, token: AppliedToken) {
      if (token === null || typeof token !== 'object') throw _invalid('token', 'must be a token (see AppliedToken)');
      cache.delete(requireKey(key));
      cache.set(key, token);
      for (const old of cache.keys()) {
        if (cache.size <= maxEntries) break;
        cache.delete(old);
      }
    },
    delete(key: string | undefined, deleteOptions: { token?: string; scope?: string } = {}) {
      if (key !== undefined) requireKey(key);
      deleteOptions = _requireOptions(deleteOptions, 'options');
      if (deleteOptions.scope !== undefined && typeof deleteOptions.scope !== 'string') throw _invalid('scope', 'must be a string');
      if (key !== undefined) {
        if (deleteOptions.token === undefined || cache.get(key)?.token === deleteOptions.token) cache.delete(key);
        return;
      }
      const scope = deleteOptions.scope ?? '';
      for (const old of [...cache.keys()]) if (old.startsWith(scope)) cache.delete(old);
    },
    admit,
    get size() {
      return cache.size;
    },
  });
}
