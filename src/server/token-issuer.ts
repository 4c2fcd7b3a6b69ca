/**
 * Tokens for many clients from few ApplyToken calls: one cached token per (resources, actions),
 * applied for again ahead of its expiry, with concurrent requests for the same key sharing one call.
 * ApplyToken is rate-limited (about 100 calls/s per account) and billed per call, so a fleet that
 * reconnects at once must not turn into a stampede.
 * @module
 */
import { _invalid } from '../errors.js';
import { _requireOptions, _requireSegment } from '../credentials/validate.js';
import { MAX_TOKEN_TTL, MIN_TOKEN_TTL, _requireActions, _requireResources, type TokenActions } from '../protocol/token-rules.js';
import type { ApplyTokenOptions } from './onsmqtt-client.js';
import type { AppliedToken } from './records.js';

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
  /** How long each token lives, ms (default 1 hour; 60 s plus the margin up to 30 days). */
  ttl?: number;
  /** How long before expiry a cached token is replaced, ms (default 5 minutes; less than `ttl`). */
  refreshMargin?: number;
  /** How many (resources, actions) keys are kept, least recently used dropped first (default 1000). */
  maxEntries?: number;
  /** How long a QueryToken answer is reused for the same token, ms (default 2 s). */
  verifyReuse?: number;
  /** The clock (default `Date.now`); pass the same one to the client. */
  now?: () => number;
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
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` for a bad permission; {@link OpenApiError} when ApplyToken fails.
   */
  issue(permission: TokenPermission, options?: IssueOptions): Promise<AppliedToken>;
  /** Forgets the cached token for a permission (e.g. after revoking it), or every token. */
  invalidate(permission?: TokenPermission): void;
  /** How many keys are cached. */
  readonly size: number;
}

interface Entry {
  value?: AppliedToken;
  pending?: Promise<AppliedToken>;
  /** The last QueryToken of `value`: which token, when, and its answer. */
  check?: { token: string; at: number; valid: Promise<boolean> };
}

function requireDuration(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw _invalid(field, 'must be a non-negative integer number of milliseconds');
  return value;
}

/**
 * A token issuer with a cache per (resources, actions), refresh ahead of expiry and single-flight.
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` for a bad option.
 * @example
 * ```ts
 * const issuer = createTokenIssuer({ client: createOnsMqttClient({ ... }), ttl: 3600_000 });
 * const token = await issuer.issue({ resources: ['telemetry/#'], actions: 'R' });
 * ```
 */
export function createTokenIssuer(options: TokenIssuerOptions): TokenIssuer {
  _requireOptions(options, 'options');
  const client = options.client;
  if (client === null || typeof client !== 'object' || typeof client.applyToken !== 'function') {
    throw _invalid('client', 'must be an OpenAPI client with applyToken (see createOnsMqttClient)');
  }
  const instanceId = _requireSegment(options.instanceId ?? client.instanceId, 'instanceId');
  const accessKeyId = _requireSegment(client.accessKeyId, 'client.accessKeyId');
  const ttl = requireDuration(options.ttl, 'ttl', 60 * 60_000);
  const refreshMargin = requireDuration(options.refreshMargin, 'refreshMargin', 5 * 60_000);
  if (ttl > MAX_TOKEN_TTL) throw _invalid('ttl', 'must be at most 30 days (2592000000 ms)');
  if (ttl < MIN_TOKEN_TTL + refreshMargin) {
    throw _invalid('ttl', `must be at least 60 s more than refreshMargin (${refreshMargin} ms), or every token would be replaced as soon as it is issued`);
  }
  const maxEntries = requireDuration(options.maxEntries, 'maxEntries', 1000);
  const verifyReuse = requireDuration(options.verifyReuse, 'verifyReuse', 2000);
  if (maxEntries < 1) throw _invalid('maxEntries', 'must be at least 1');
  if (options.now !== undefined && typeof options.now !== 'function') throw _invalid('now', 'must be a function returning milliseconds');
  const now = options.now ?? Date.now;
  const cache = new Map<string, Entry>();

  const keyOf = (permission: TokenPermission) => {
    _requireOptions(permission, 'permission');
    const resources = _requireResources(permission.resources);
    const actions = _requireActions(permission.actions);
    // A newline cannot occur in a topic, so the key is unambiguous.
    return { key: `${actions}\n${resources.join(',')}`, resources, actions };
  };

  const evict = () => {
    for (const [key, entry] of cache) {
      if (cache.size <= maxEntries) return;
      if (!entry.pending) cache.delete(key);
    }
  };

  /** Drops the cached token if QueryToken says it no longer stands (an unanswered query keeps it). */
  const verified = async (permission: TokenPermission): Promise<AppliedToken> => {
    const { key } = keyOf(permission);
    const entry = cache.get(key);
    const token = entry?.value?.token;
    if (entry && token !== undefined && client.queryToken) {
      if (!entry.check || entry.check.token !== token || now() - entry.check.at >= verifyReuse) {
        entry.check = { token, at: now(), valid: client.queryToken({ token, instanceId }).catch(() => true) };
      }
      if (!(await entry.check.valid) && entry.value?.token === token) delete entry.value;
    }
    return issue(permission);
  };

  const issue = (permission: TokenPermission): Promise<AppliedToken> => {
    const { key, resources, actions } = keyOf(permission);
    let entry = cache.get(key);
    const t = now();
    if (entry) {
      // Map order is the LRU order: move the key to the end.
      cache.delete(key);
      cache.set(key, entry);
      if (entry.value && t >= entry.value.expiresAt) delete entry.value;
      if (entry.value && t < entry.value.expiresAt - refreshMargin) return Promise.resolve(entry.value);
      if (entry.pending) return entry.pending;
    } else {
      entry = {};
      cache.set(key, entry);
      evict();
    }
    const slot = entry;
    const pending = client.applyToken({ instanceId, resources, actions, expireTime: t + ttl }).then(
      (token) => {
        slot.value = token;
        delete slot.pending;
        return token;
      },
      (error: unknown) => {
        delete slot.pending;
        const old = slot.value;
        if (old && now() < old.expiresAt) return old;
        delete slot.value;
        if (cache.get(key) === slot) cache.delete(key);
        throw error;
      },
    );
    slot.pending = pending;
    return pending;
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
      if (permission === undefined) cache.clear();
      else cache.delete(keyOf(permission).key);
    },
    get size() {
      return cache.size;
    },
  });
}
