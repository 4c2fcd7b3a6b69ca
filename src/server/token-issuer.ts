/**
 * Tokens for many clients from few ApplyToken calls: one cached token per (resources, actions),
 * applied for again ahead of its expiry, with concurrent requests for the same key sharing one call.
 * ApplyToken is rate-limited (about 100 calls/s per account) and billed per call, so a fleet that
 * reconnects at once must not turn into a stampede: the calls that are needed queue behind a rate
 * window, and with a shared store (`createRedisTokenStore`) one call serves every process.
 * @module
 */
import { _checkedClock, type Clock } from '../clock.js';
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { _requireOptions, _requireSegment } from '../credentials/validate.js';
import { MAX_TOKEN_TTL, MIN_TOKEN_LIFETIME, _requireActions, _requireResources, type TokenActions } from '../protocol/token-rules.js';
import type { ApplyTokenOptions } from './onsmqtt-client.js';
import { OpenApiError } from './openapi-error.js';
import type { AppliedToken } from './records.js';
import { RATE_WINDOW, createMemoryTokenStore, type TokenCacheStore } from './token-store.js';
import { ONSMQTT_CONTRACT } from '../openapi/onsmqtt-contract.js';

/** What a token is asked for: topics and actions. */
export interface TokenPermission {
  /** Topics (sorted and de-duplicated before they become the cache key). */
  resources: readonly string[] | string;
  /** `R`, `W` or `R,W`. */
  actions: TokenActions;
}

/** The part of {@link OnsMqttClient} the issuer uses, so a test double or another transport fits too. */
export interface TokenApplier {
  /** The AccessKey ID the tokens are applied with (it goes in the Token-mode Username). */
  readonly accessKeyId: string;
  /** The default instance. */
  readonly instanceId?: string;
  /** ApplyToken. */
  applyToken(options: ApplyTokenOptions): Promise<AppliedToken>;
  /** QueryToken; without it, `issue(…, { verify: true })` cannot check and serves the cached token. */
  queryToken?(options: { token: string; instanceId?: string }): Promise<boolean>;
  /** RevokeToken; needed by {@link TokenIssuer.revoke} only. */
  revokeToken?(options: { token: string; instanceId?: string }): Promise<void>;
}

/** Options of {@link TokenIssuer.issue}. */
export interface IssueOptions {
  /**
   * A client said its token was refused or invalid (revoked, say): ask QueryToken whether the cached
   * token still stands, and apply for a new one only if it does not. One QueryToken call per token
   * however many clients complain within `verifyReuse`, so a client cannot make the server call the
   * billed, rate-limited ApplyToken just by saying so.
   */
  verify?: boolean;
}

/** Inputs of {@link createTokenIssuer}. */
export interface TokenIssuerOptions {
  /** The OpenAPI client that applies for tokens (from `createOnsMqttClient`). */
  client: TokenApplier;
  /** The instance (default: the client's). */
  instanceId?: string;
  /** How long each token lives, ms (default 1 hour; from `MIN_TOKEN_LIFETIME` (70 s) plus the margin up to 30 days). */
  ttl?: number;
  /** How long before expiry a cached token is replaced, ms (default 5 minutes; less than `ttl`). */
  refreshMargin?: number;
  /**
   * Where tokens are kept (default: a new `createMemoryTokenStore({ maxEntries, clock })` of this issuer).
   * Pass `createRedisTokenStore(...)` to share one cache, one ApplyToken per permission and one rate
   * window among several processes.
   */
  store?: TokenCacheStore;
  /** How many (resources, actions) keys the default store keeps, least recently used dropped first (default 1000). */
  maxEntries?: number;
  /**
   * ApplyToken calls per second the AccessKey is allowed, across every process sharing the store
   * (default 100, the documented limit per account; `false`: no pacing). Calls are paced a fifth
   * below it, evenly spaced (up to a tenth at once), and wait their turn rather than be throttled.
   */
  rateLimit?: number | false;
  /** How long a call may wait for its turn, ms (default 10 s); one that would wait longer fails at once with `Throttling.Local`. */
  queueTimeout?: number;
  /** How long a QueryToken answer is reused for the same token, ms (default 2 s). */
  verifyReuse?: number;
  /**
   * The clock of token lifetimes and the rate window (default: the real one; only its `now` is read);
   * pass the same one to the OpenAPI client.
   */
  clock?: Clock;
}

/** A cache of tokens in front of ApplyToken. */
export interface TokenIssuer {
  /** The AccessKey ID the tokens belong to. */
  readonly accessKeyId: string;
  /** The instance the tokens are for. */
  readonly instanceId: string;
  /** The lifetime asked for each token, ms. */
  readonly ttl: number;
  /** The replacement margin, ms. */
  readonly refreshMargin: number;
  /**
   * A token for the permission: the cached one while it has more than `refreshMargin` left, else a
   * new one (one ApplyToken call however many callers wait for it). Failures are not cached: the next
   * call tries again. If a replacement fails while the cached token has not yet expired, that token
   * is returned; an expired token never is.
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` for a bad permission; {@link OpenApiError} when ApplyToken fails,
   * or with `openApiCode` `Throttling.Local` when its turn under `rateLimit` is more than `queueTimeout` away.
   */
  issue(permission: TokenPermission, options?: IssueOptions): Promise<AppliedToken>;
  /**
   * Forgets the cached token for a permission, or every token of this AccessKey and instance, in the
   * store (so, with a shared store, in every process). Resolves once the store has done it.
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` for a bad permission (synchronously).
   */
  invalidate(permission?: TokenPermission): Promise<void>;
  /**
   * Revokes the cached token of a permission (RevokeToken) and forgets it in the store, so no process
   * sharing the store serves it again; the next `issue` applies for a new one. Resolves `false` when no
   * unexpired token was cached.
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` without `client.revokeToken`; {@link OpenApiError} when RevokeToken fails.
   */
  revoke(permission: TokenPermission): Promise<boolean>;
  /** How many keys are cached in this process (the default store: all; the Redis store: its local copy). */
  readonly size: number;
  /**
   * The issuer's time (UNIX ms), which its tokens' expiries are counted from: the credential handler
   * dates its answers with it (`issuedAt`), so that clients judge expiry by this clock, not their own.
   */
  now?(): number;
}


/** One in-process flight for a key: the callers that share it, and whether its result may still be stored. */
interface Flight {
  promise: Promise<AppliedToken>;
  detached: boolean;
}

function requireDuration(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw _invalid(field, 'must be a non-negative integer number of milliseconds');
  return value;
}

function _requireAppliedToken(token: unknown): AppliedToken {
  const value = token as Partial<AppliedToken> | null;
  if (value === null || typeof value !== 'object' || typeof value.token !== 'string' || !value.token || typeof value.expiresAt !== 'number' || typeof value.type !== 'string') {
    throw _invalid('client', 'applyToken must resolve to a token (see AppliedToken)');
  }
  return value as AppliedToken;
}

function requireStore(value: unknown): TokenCacheStore {
  const store = value as Partial<TokenCacheStore> | null;
  if (store === null || typeof store !== 'object' || ['get', 'set', 'delete'].some((m) => typeof store[m as keyof TokenCacheStore] !== 'function')) {
    throw _invalid('store', 'must be a token store with get, set and delete (see createRedisTokenStore)');
  }
  for (const m of ['claim', 'admit'] as const) if (store[m] !== undefined && typeof store[m] !== 'function') throw _invalid(`store.${m}`, 'must be a function');
  return store as TokenCacheStore;
}

const isThenable = <T>(value: T | Promise<T>): value is Promise<T> => typeof (value as { then?: unknown } | undefined)?.then === 'function';
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A token issuer with a cache per (resources, actions), refresh ahead of expiry, single flight and a
 * rate window in front of ApplyToken.
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` for a bad option.
 * @example
 * ```ts
 * const issuer = createTokenIssuer({ client: createOnsMqttClient({ ... }), ttl: 3600_000 });
 * const token = await issuer.issue({ resources: ['telemetry/#'], actions: 'R' });
 * // Several processes behind a load balancer: one cache, one ApplyToken per permission.
 * const shared = createTokenIssuer({ client, store: createRedisTokenStore({ redis: await createClient().connect() }) });
 * ```
 */
export function createTokenIssuer(options: TokenIssuerOptions): TokenIssuer {
  options = _requireOptions(options, 'options');
  const client = options.client;
  if (client === null || typeof client !== 'object' || typeof client.applyToken !== 'function') {
    throw _invalid('client', 'must be an OpenAPI client with applyToken (see createOnsMqttClient)');
  }
  const instanceId = _requireSegment(options.instanceId ?? client.instanceId, 'instanceId');
  // A client fed by a credentials provider knows no AccessKey ID of its own unless it was given one.
  if (client.accessKeyId === '') throw _invalid('client.accessKeyId', 'is empty: give createOnsMqttClient accessKeyId beside a credentials provider (the AccessKey ID that Token-mode Usernames carry)');
  const accessKeyId = _requireSegment(client.accessKeyId, 'client.accessKeyId');
  const ttl = requireDuration(options.ttl, 'ttl', 60 * 60_000);
  const refreshMargin = requireDuration(options.refreshMargin, 'refreshMargin', 5 * 60_000);
  if (ttl > MAX_TOKEN_TTL) throw _invalid('ttl', 'must be at most 30 days (2592000000 ms)');
  if (ttl < MIN_TOKEN_LIFETIME + refreshMargin) {
    throw _invalid('ttl', `must be at least ${MIN_TOKEN_LIFETIME} ms (ApplyToken's 60 s when it receives the call, plus 10 s on the way) more than refreshMargin (${refreshMargin} ms)`);
  }
  const maxEntries = requireDuration(options.maxEntries, 'maxEntries', 1000);
  const verifyReuse = requireDuration(options.verifyReuse, 'verifyReuse', 2000);
  const queueTimeout = requireDuration(options.queueTimeout, 'queueTimeout', 10_000);
  if (maxEntries < 1) throw _invalid('maxEntries', 'must be at least 1');
  // The documented ApplyToken limit, from the onsmqtt contract.
  const rateLimit = options.rateLimit ?? ONSMQTT_CONTRACT.ApplyToken.rateLimit;
  if (rateLimit !== false && (typeof rateLimit !== 'number' || !Number.isSafeInteger(rateLimit) || rateLimit < 1)) {
    throw _invalid('rateLimit', 'must be a positive integer number of calls, or false');
  }
  // The caller's clock: what it throws or answers that is no time is named, not passed on.
  const clock = _checkedClock(options.clock);
  const now = () => clock.now();
  if (options.store !== undefined && options.maxEntries !== undefined) throw _invalid('maxEntries', 'sizes the default store only; size the store you pass instead');
  const store = options.store === undefined ? createMemoryTokenStore({ maxEntries, clock }) : requireStore(options.store);
  const flights = new Map<string, Flight>();
  /** The last QueryToken answer per token: when it was asked, and the answer. */
  const checks = new Map<string, { at: number; valid: Promise<boolean> }>();
  // Every key starts with the AccessKey ID and instance, so issuers of several accounts can share a store.
  const scope = `${accessKeyId}|${instanceId}|`;

  const keyOf = (permission: TokenPermission) => {
    permission = _requireOptions(permission, 'permission');
    const resources = _requireResources(permission.resources);
    const actions = _requireActions(permission.actions);
    // Neither the ids nor the actions can hold "|", nor a topic a ",": the key is unambiguous.
    return { key: `${scope}${actions}|${resources.join(',')}`, resources, actions };
  };
  const fresh = (token: AppliedToken) => now() < token.expiresAt - refreshMargin;
  /**
   * Whether a stored token is for exactly this permission: a shared store is written by others (and a
   * broken or hostile one could hold anything), so a token for other topics or actions is never served.
   */
  const belongs = (token: AppliedToken, resources: readonly string[], actions: TokenActions) =>
    token.instanceId === instanceId &&
    token.actions === actions &&
    Array.isArray(token.resources) &&
    token.resources.length === resources.length &&
    // The same topics in any order (an applier may answer them unsorted); few enough to compare both ways.
    (token.resources.every((r, i) => r === resources[i]) || (token.resources.every((r) => resources.includes(r)) && resources.every((r) => token.resources.includes(r))));
  const detach = (key: string) => {
    const flight = flights.get(key);
    if (flight) flight.detached = true;
    flights.delete(key);
  };

  /** Waits for this call's turn at the pace of `rateLimit`, at most `queueTimeout`. */
  const admitted = async () => {
    if (rateLimit === false || !store.admit) return;
    const delay = await store.admit(accessKeyId, rateLimit, queueTimeout);
    if (delay < 0) {
      throw new OpenApiError(`ApplyToken would wait more than ${queueTimeout} ms for a turn at the pace of ${rateLimit} calls per ${RATE_WINDOW} ms of this AccessKey; try again later`, {
        openApiCode: 'Throttling.Local',
      });
    }
    // A store answers at most queueTimeout; one that answers more (or no number) waits no longer than that.
    if (delay > 0) await sleep(Number.isFinite(delay) ? Math.min(delay, queueTimeout) : queueTimeout);
  };

  /** ApplyToken through the caller's applier: what it throws that is not ours becomes an OpenApiError (kept as its cause). */
  const applied = async (request: ApplyTokenOptions): Promise<unknown> => {
    try {
      return await client.applyToken(request);
    } catch (error) {
      if (error instanceof ApsaraMqttAuthError) throw error;
      throw new OpenApiError('ApplyToken: the token applier failed', { cause: error });
    }
  };

  /** Applies for the key's token (or takes one another process published meanwhile) and stores it. */
  const apply = async (key: string, resources: string[], actions: TokenActions, old: AppliedToken | undefined, flight: Flight): Promise<AppliedToken> => {
    const usable = (token: AppliedToken) => fresh(token) && belongs(token, resources, actions);
    let claim = store.claim ? await store.claim(key, usable) : undefined;
    if (claim?.token) {
      if (usable(claim.token)) return claim.token;
      claim = undefined; // a store that answered with another permission's token holds no lock: apply
    }
    try {
      await admitted();
      // The applier is the caller's: an answer that is not a token is refused, not stored.
      const token = _requireAppliedToken(await applied({ instanceId, resources, actions, expireTime: now() + ttl }));
      if (!flight.detached) await store.set(key, token, Math.max(1, token.expiresAt - now()));
      return token;
    } catch (error) {
      if (old && now() < old.expiresAt) return old;
      if (old && !flight.detached) await store.delete(key, { token: old.token });
      throw error;
    } finally {
      await claim?.release();
    }
  };

  const issue = (permission: TokenPermission): Promise<AppliedToken> => {
    const { key, resources, actions } = keyOf(permission);
    const joined = flights.get(key);
    if (joined) return joined.promise;
    const found = store.get(key);
    // The in-memory store (and the Redis store's near cache) answers synchronously: a cache hit costs no flight.
    if (!isThenable(found) && found && fresh(found) && belongs(found, resources, actions)) return Promise.resolve(found);
    const flight = { detached: false } as Flight;
    flight.promise = (async () => {
      const stored = await found;
      // A token for another permission is no token for this one: neither served nor kept as a fallback.
      const cached = stored && belongs(stored, resources, actions) ? stored : undefined;
      if (cached && fresh(cached)) return cached;
      return apply(key, resources, actions, cached, flight);
    })().finally(() => {
      if (flights.get(key) === flight) flights.delete(key);
    });
    flights.set(key, flight);
    return flight.promise;
  };

  /** Drops the stored token if QueryToken says it no longer stands (an unanswered query keeps it). */
  const verified = async (permission: TokenPermission): Promise<AppliedToken> => {
    const { key } = keyOf(permission);
    const token = (await store.get(key))?.token;
    if (token !== undefined && client.queryToken) {
      const t = now();
      let check = checks.get(token);
      if (!check || t - check.at >= verifyReuse) {
        // Answers older than verifyReuse are of no further use (Map order is the order they were asked in).
        for (const [old, { at }] of checks) {
          if (t - at < verifyReuse) break;
          checks.delete(old);
        }
        check = { at: t, valid: Promise.resolve().then(() => client.queryToken!({ token, instanceId })).then(Boolean, () => true) };
        checks.delete(token);
        checks.set(token, check);
      }
      if (!(await check.valid)) {
        // Gone from the store, so no process serves it again; a flight that may still hold it is left to its callers.
        detach(key);
        await store.delete(key, { token });
      }
    }
    return issue(permission);
  };

  const revoke = async (permission: TokenPermission): Promise<boolean> => {
    const { key } = keyOf(permission);
    if (typeof client.revokeToken !== 'function') throw _invalid('client', 'must have revokeToken to revoke (see createOnsMqttClient)');
    const current = await store.get(key);
    if (!current || now() >= current.expiresAt) return false;
    await client.revokeToken({ token: current.token, instanceId });
    detach(key);
    await store.delete(key, { token: current.token });
    return true;
  };

  return Object.freeze({
    accessKeyId,
    instanceId,
    ttl,
    refreshMargin,
    issue: (permission: TokenPermission, issueOptions?: IssueOptions) => {
      try {
        return issueOptions?.verify ? verified(permission) : issue(permission);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    invalidate(permission?: TokenPermission) {
      if (permission === undefined) {
        for (const key of [...flights.keys()]) detach(key);
        return Promise.resolve(store.delete(undefined, { scope }));
      }
      const { key } = keyOf(permission);
      detach(key);
      return Promise.resolve(store.delete(key));
    },
    revoke,
    get size() {
      return store.size ?? 0;
    },
    now,
  });
}
