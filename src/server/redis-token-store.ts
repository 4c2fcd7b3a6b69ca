/**
 * One token cache for a fleet of credential servers, on Redis. Each process's `createTokenIssuer`
 * reads the token of a permission from Redis; on a miss one process takes a lock (`SET NX PX`, renewed
 * while it works), applies, publishes the token and releases the lock with a compare-and-delete, while
 * the others poll for the token instead of applying. A holder that dies loses the lock when it
 * expires, and the next process applies. The account's ApplyToken rate window lives there too.
 *
 * Redis failing is not an outage: a command that fails or takes longer than `timeout` switches the
 * process to its local copy of the tokens it has seen (and local single flight), `onError` hears of it
 * once, and a background PING, backing off, brings it back to Redis when Redis answers again.
 *
 * The client is duck-typed (node-redis 5 or later: `createClient()`, connected), so this module has
 * no dependency and no Node import. Only tokens and their permissions are written; never a secret.
 * @module
 */
import { _checkedClock, type Clock } from '../clock.js';
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { AppliedToken } from './records.js';
import { ADMIT, DELETE_TOKEN, EXTEND_LOCK, RELEASE_LOCK } from './redis-scripts.js';
import { _pace, createMemoryTokenStore, type TokenCacheStore, type TokenClaim } from './token-store.js';

/**
 * The part of a Redis client the store uses: node-redis's `sendCommand(['GET', key])` (v5 and later),
 * resolving to Redis's reply (strings, or `Uint8Array`s with a buffer type mapping).
 */
export interface RedisCommandClient {
  /** One Redis command as its words (`['SET', key, value, 'NX']`); node-redis 5 and later have it. */
  sendCommand(args: string[]): Promise<unknown>;
}

/** Options of {@link createRedisTokenStore}. */
export interface RedisTokenStoreOptions {
  /** A connected client shared with the application: `await createClient({ url }).connect()` from `redis`. */
  redis: RedisCommandClient;
  /** Prepended to every key (default `apsaramq-mqtt-auth:`); give each fleet its own if several share a Redis. */
  prefix?: string;
  /**
   * How long a lock outlives its holder, ms (default 5 s): a process that dies mid-call delays the
   * others by at most this much. A live holder renews it every third of this.
   */
  lockTtl?: number;
  /** How long a process waits for another's ApplyToken before applying itself, ms (default 30 s). */
  maxWait?: number;
  /** How long one Redis command may take before Redis counts as down, ms (default 1 s). */
  timeout?: number;
  /** How many tokens the local copy (used while Redis is down) keeps (default 1000). */
  maxEntries?: number;
  /**
   * Told when Redis fails or is too slow, once per incident (`ERR_STORE_UNAVAILABLE`, the client's
   * error as `cause`); requests are served from the local copy until Redis answers again.
   */
  onError?: (error: ApsaraMqttAuthError) => void;
  /**
   * The clock of the local copy and of the reconnection back-off (default: the real one; only its
   * `now` is read: command timeouts and lock renewals follow Redis, which keeps real time).
   */
  clock?: Clock;
}

/** A token store on Redis, with what it knows about its connection. */
export interface RedisTokenStore extends TokenCacheStore {
  /** `false` while Redis is counted as down and the local copy serves. */
  readonly healthy: boolean;
  /** Tokens in the local copy. */
  readonly size: number;
}

/** What is written to Redis for a token: the token and its permission, nothing else. */
interface StoredEntry {
  token: string;
  instanceId: string;
  resources: string[];
  actions: AppliedToken['actions'];
  type: AppliedToken['type'];
  expiresAt: number;
  requestId?: string;
}

const FIRST_RETRY = 250;
const LAST_RETRY = 5000;
const POLL_FIRST = 5;
const POLL_LAST = 50;
/** Deletions made while Redis was down, replayed when it is back (at most this many are remembered). */
const MAX_REPLAYS = 1000;

const decoder = new TextDecoder();
const text = (reply: unknown): string | undefined =>
  typeof reply === 'string' ? reply : reply instanceof Uint8Array ? decoder.decode(reply) : undefined;

function requireMs(value: unknown, field: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw _invalid(field, `must be an integer number of milliseconds of at least ${min}`);
  return value;
}

function encode(token: AppliedToken): string {
  const entry: StoredEntry = {
    token: token.token,
    instanceId: token.instanceId,
    resources: [...token.resources],
    actions: token.actions,
    type: token.type,
    expiresAt: token.expiresAt,
    ...(token.requestId === undefined ? {} : { requestId: token.requestId }),
  };
  return JSON.stringify(entry);
}

/** The token in a stored entry, or `undefined` for anything else (an entry from a future version, say). */
function decode(reply: unknown): AppliedToken | undefined {
  const raw = text(reply);
  if (raw === undefined) return undefined;
  let e: Partial<StoredEntry>;
  try {
    e = JSON.parse(raw) as Partial<StoredEntry>;
  } catch {
    return undefined;
  }
  if (e === null || typeof e !== 'object' || typeof e.token !== 'string' || typeof e.instanceId !== 'string' || typeof e.expiresAt !== 'number') return undefined;
  if (!Array.isArray(e.resources) || !e.resources.every((r) => typeof r === 'string')) return undefined;
  if (e.actions !== 'R' && e.actions !== 'W' && e.actions !== 'R,W') return undefined;
  if (e.type !== 'R' && e.type !== 'W' && e.type !== 'RW') return undefined;
  return new AppliedToken(e.token, {
    instanceId: e.instanceId,
    resources: e.resources,
    actions: e.actions,
    type: e.type,
    expiresAt: e.expiresAt,
    ...(typeof e.requestId === 'string' ? { requestId: e.requestId } : {}),
  });
}

/** `*`, `?`, `[`, `]` and `\` matched literally in a SCAN pattern. */
const globEscape = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&');

const randomId = () => {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A token store on Redis for `createTokenIssuer({ client, store })`: every process of a fleet given
 * the same Redis (and prefix) shares one token per permission, one ApplyToken call per permission
 * however many processes miss at once, revocations, and the account's ApplyToken rate window.
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` for a bad option.
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * const redis = await createClient({ url: 'redis://127.0.0.1:6379', disableOfflineQueue: true })
 *   .on('error', () => {}) // the store reports outages through onError
 *   .connect();
 * const issuer = createTokenIssuer({ client, store: createRedisTokenStore({ redis, onError: console.warn }) });
 * ```
 */
export function createRedisTokenStore(options: RedisTokenStoreOptions): RedisTokenStore {
  if (options === null || typeof options !== 'object') throw _invalid('options', 'must be an options object');
  const redis = options.redis;
  if (redis === null || typeof redis !== 'object' || typeof redis.sendCommand !== 'function') {
    throw _invalid('redis', "must be a connected node-redis client (createClient() from the 'redis' package, version 5 or later)");
  }
  const prefix = options.prefix ?? 'apsaramq-mqtt-auth:';
  if (typeof prefix !== 'string') throw _invalid('prefix', 'must be a string');
  const lockTtl = requireMs(options.lockTtl, 'lockTtl', 5000, 100);
  const maxWait = requireMs(options.maxWait, 'maxWait', 30_000, 0);
  const timeout = requireMs(options.timeout, 'timeout', 1000, 1);
  if (options.onError !== undefined && typeof options.onError !== 'function') throw _invalid('onError', 'must be a function');
  const onError = options.onError;
  const clock = _checkedClock(options.clock);
  const now = () => clock.now();
  const local = createMemoryTokenStore({ maxEntries: options.maxEntries ?? 1000, clock });
  // Who this process is, in lock values and rate-window entries.
  const self = randomId();
  let sequence = 0;

  /** `undefined` while Redis is up; during an incident, when to try it again and how long the next wait is. */
  let outage: { retryAt: number; delay: number; probing: boolean } | undefined;
  const replays = new Map<string, { key?: string; token?: string; scope?: string }>();

  const tokenKey = (key: string) => `${prefix}token:${key}`;
  const lockKey = (key: string) => `${prefix}lock:${key}`;
  const rateKey = (scope: string) => `${prefix}rate:${scope}`;

  /** One command, bounded by `timeout` (node-redis would queue it until it reconnects). */
  async function command(args: string[]): Promise<unknown> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      // Checked once more a turn later: if this process was too busy to run its timers on time, a reply
      // already waiting in the socket gets read first (Node reads I/O between two rounds of timers), so
      // a slow process is not mistaken for a slow Redis.
      timer = setTimeout(() => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), 0);
      }, timeout);
    });
    let sent: Promise<unknown>;
    try {
      sent = Promise.resolve(redis.sendCommand(args));
    } catch (error) {
      sent = Promise.reject(error);
    }
    // The reply may still arrive (or fail) after the timeout: it is of no further interest.
    sent.catch(() => undefined);
    try {
      return await Promise.race([sent, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Counts Redis as down: the first failure of an incident is reported, the rest are part of it. */
  function trouble(error: unknown): void {
    if (outage) return;
    outage = { retryAt: now() + FIRST_RETRY, delay: FIRST_RETRY, probing: false };
    if (!onError) return;
    const reason = error instanceof Error ? error.message : String(error);
    try {
      onError(
        new ApsaraMqttAuthError('ERR_STORE_UNAVAILABLE', `the Redis token store failed (${reason}); tokens come from this process's own cache until Redis answers again`, {
          cause: error,
        }),
      );
    } catch {
      // A failing logger must not break token issuance.
    }
  }

  /** During an incident: a PING in the background once the back-off has passed; success ends it. */
  function probe(): void {
    const o = outage;
    if (!o || o.probing || now() < o.retryAt) return;
    o.probing = true;
    command(['PING']).then(
      async () => {
        outage = undefined;
        await replay();
      },
      () => {
        o.probing = false;
        o.delay = Math.min(o.delay * 2, LAST_RETRY);
        o.retryAt = now() + o.delay;
      },
    );
  }

  /** Deletions made locally during the incident reach Redis, so a token found revoked stays gone. */
  async function replay(): Promise<void> {
    const pending = [...replays];
    replays.clear();
    for (const [, { key, token, scope }] of pending) await removeShared(key, token, scope);
  }

  /** Runs `shared` on Redis, or `fallback` locally while Redis is down or when it fails now. */
  async function either<T>(shared: () => Promise<T>, fallback: () => T | Promise<T>): Promise<T> {
    if (outage) {
      probe();
      return fallback();
    }
    try {
      return await shared();
    } catch (error) {
      trouble(error);
      return fallback();
    }
  }

  /** Reads the shared entry, keeping the local copy in step with it. */
  async function read(key: string): Promise<AppliedToken | undefined> {
    const token = decode(await command(['GET', tokenKey(key)]));
    if (token) local.set(key, token);
    else local.delete(key);
    return token;
  }

  async function removeShared(key: string | undefined, token: string | undefined, scope: string | undefined): Promise<void> {
    await either(
      async () => {
        if (key !== undefined) {
          await command(token === undefined ? ['DEL', tokenKey(key)] : ['EVAL', DELETE_TOKEN, '1', tokenKey(key), token]);
          return;
        }
        const pattern = `${globEscape(tokenKey(scope ?? ''))}*`;
        let cursor = '0';
        // SCAN visits every key once in a bounded number of steps; the bound guards against a misbehaving server.
        for (let step = 0; step < 100_000; step++) {
          const reply = (await command(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '500'])) as [unknown, unknown[]];
          const keys = (reply[1] ?? []).map(text).filter((k): k is string => k !== undefined);
          if (keys.length > 0) await command(['DEL', ...keys]);
          cursor = text(reply[0]) ?? '0';
          if (cursor === '0') return;
        }
      },
      () => {
        if (replays.size < MAX_REPLAYS) replays.set(key === undefined ? `scope ${scope ?? ''}` : `key ${key}`, { key, token, scope });
      },
    );
  }

  /** The right to apply while Redis cannot coordinate: the issuer's in-process single flight is all there is. */
  const localClaim = (): TokenClaim => ({ release: async () => undefined });

  /** Holds the lock: renewed every third of its lifetime until released (compare-and-delete). */
  function hold(key: string, owner: string): { release: () => Promise<void> } {
    const timer = setInterval(() => {
      command(['EVAL', EXTEND_LOCK, '1', lockKey(key), owner, String(lockTtl)]).catch(trouble);
    }, Math.max(1, Math.floor(lockTtl / 3)));
    // Node: a held lock must not keep the process alive.
    (timer as { unref?: () => void }).unref?.();
    return {
      release: async () => {
        clearInterval(timer);
        // Waiters read the published token, not the lock: the holder's caller need not wait for this.
        command(['EVAL', RELEASE_LOCK, '1', lockKey(key), owner]).catch(trouble);
      },
    };
  }

  async function claim(key: string, fresh: (token: AppliedToken) => boolean): Promise<TokenClaim> {
    if (outage) {
      probe();
      return localClaim();
    }
    const owner = `${self}:${++sequence}`;
    let pause = POLL_FIRST;
    try {
      for (let waited = 0; ; ) {
        if (text(await command(['SET', lockKey(key), owner, 'NX', 'PX', String(lockTtl)])) === 'OK') {
          // Someone may have published between the issuer's read and this lock.
          const token = await read(key);
          const held = hold(key, owner);
          if (token && fresh(token)) {
            await held.release();
            return { token };
          }
          return held;
        }
        if (waited >= maxWait) return localClaim();
        await sleep(pause);
        waited += pause;
        pause = Math.min(pause * 2, POLL_LAST);
        const token = await read(key);
        if (token && fresh(token)) return { token };
      }
    } catch (error) {
      trouble(error);
      return localClaim();
    }
  }

  return Object.freeze({
    get: (key: string) => either(() => read(key), () => local.get(key)),
    set: (key: string, token: AppliedToken, ttl: number) => {
      local.set(key, token);
      return either(
        async () => void (await command(['SET', tokenKey(key), encode(token), 'PX', String(Math.max(1, Math.floor(ttl)))])),
        () => undefined,
      );
    },
    delete: (key: string | undefined, deleteOptions: { token?: string; scope?: string } = {}) => {
      local.delete(key, deleteOptions);
      return removeShared(key, deleteOptions.token, deleteOptions.scope);
    },
    claim,
    admit: (scope: string, rate: number, maxWait: number) =>
      either(
        async () => {
          const { interval, tolerance } = _pace(rate);
          const reply = Number(await command(['EVAL', ADMIT, '1', rateKey(scope), String(interval), String(tolerance), String(maxWait)]));
          return Number.isFinite(reply) ? reply : 0;
        },
        () => local.admit(scope, rate, maxWait),
      ),
    get healthy() {
      return outage === undefined;
    },
    get size() {
      return local.size;
    },
  });
}
