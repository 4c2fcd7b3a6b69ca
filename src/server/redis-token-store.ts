/**
 * One token cache for a fleet of credential servers, on Redis. Each process's `createTokenIssuer`
 * reads the token of a permission from Redis; on a miss one process takes a lock (`SET NX PX`, renewed
 * while it works), applies, writes the token and releases the lock in one script (which never
 * replaces a token with one that expires sooner), while the others poll for the token instead of
 * applying. A holder that dies loses the lock when it expires, and the next process applies. The
 * account's ApplyToken rate window lives there too.
 *
 * A near cache keeps, in each process, the tokens it has read: a request for one touches no Redis.
 * Every change to a token is published on a channel (by the script that makes it), and every process
 * drops its copy when it hears of it. A process's own heartbeat on that channel tells it its
 * subscription works: without a recent echo, the near cache is off and every answer reads Redis.
 *
 * Redis failing is not an outage: a command that fails, takes longer than `timeout` or answers
 * something Redis never would switches the process to its local copy of the tokens it has seen (and
 * local single flight), `onError` hears of it once, and a background PING, backing off, brings it back
 * to Redis when Redis answers again.
 *
 * The client is recognised by its shape (node-redis 5 or later, single or `createCluster`; ioredis 5,
 * single or `Cluster`; iovalkey), so this module has no dependency and no Node import. Only tokens and
 * their permissions are written; never a secret.
 * @module
 */
import { _checkedClock, type Clock } from '../clock.js';
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { MAX_TOKEN_TTL } from '../protocol/token-rules.js';
import { AppliedToken } from './records.js';
import { _redisLink, type RedisLink } from './redis-link.js';
import { ADMIT, DELETE_TOKEN, EXTEND_LOCK, RELEASE_LOCK, WRITE_TOKEN } from './redis-scripts.js';
import { _pace, createMemoryTokenStore, type TokenCacheStore, type TokenClaim } from './token-store.js';

/**
 * The part of a Redis client the store uses: node-redis's `sendCommand(['GET', key])` (v5 and later),
 * resolving to Redis's reply (strings, or `Uint8Array`s with a buffer type mapping). A client with
 * only this (no `duplicate`) cannot subscribe, so it gets no near cache.
 */
export interface RedisCommandClient {
  /** One Redis command as its words (`['SET', key, value, 'NX']`); node-redis 5 and later have it. */
  sendCommand(args: string[]): Promise<unknown>;
}

/** node-redis's cluster client (`createCluster()` from `redis`, version 5 or later), as it is, connected. */
export interface RedisClusterCommandClient {
  /** `sendCommand(firstKey, isReadonly, args)`: routed to the master of `firstKey`'s slot. */
  sendCommand(firstKey: never, isReadonly: never, args: never): Promise<unknown>;
  /** The masters, for the work that spans keys. */
  readonly masters: readonly unknown[];
  /** The client of one node. */
  nodeClient(node: never): unknown;
}

/** ioredis 5 (`new Redis()` or `new Redis.Cluster()`) or iovalkey, as it is. */
export interface RedisCallClient {
  /** `call(command, ...args)`. */
  call(command: never, ...args: never[]): unknown;
  /** A new connection with the same options (the store subscribes on one). */
  duplicate(): unknown;
}

/** Options of {@link createRedisTokenStore}. */
export interface RedisTokenStoreOptions {
  /**
   * A connected client shared with the application, as its package makes it: node-redis
   * (`await createClient({ url }).connect()`, or `createCluster`), ioredis (`new Redis(url)`, or
   * `new Redis.Cluster(nodes)`) or iovalkey. The store subscribes on a connection of its own
   * (`duplicate()`; a node-redis cluster's own subscription connection); close it with `close()`.
   */
  redis: RedisCommandClient | RedisClusterCommandClient | RedisCallClient;
  /** Prepended to every key and to the channel (default `apsaramq-mqtt-auth:`); give each fleet its own if several share a Redis. */
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
  /** How many tokens the local copy (used while Redis is down) and the near cache keep (default 1000). */
  maxEntries?: number;
  /**
   * How long the near cache serves a token without reading Redis again, ms (default 60 s; `0`: no near
   * cache). Changes are published and applied at once; this bounds what a change missed in a way the
   * heartbeat cannot see would cost.
   */
  nearCacheMaxAge?: number;
  /**
   * How often the process checks its subscription by publishing a heartbeat, ms (default 1 s). The near
   * cache serves only while the last one came back within 2.5 times this.
   */
  heartbeat?: number;
  /**
   * Told when Redis fails, is too slow or answers what Redis never would, once per incident
   * (`ERR_STORE_UNAVAILABLE`, the client's error as `cause`); requests are served from the local copy
   * until Redis answers again.
   */
  onError?: (error: ApsaraMqttAuthError) => void;
  /**
   * The clock of the local copy and of the reconnection back-off (default: the real one; only its
   * `now` is read: command timeouts, heartbeats and lock renewals follow Redis, which keeps real time).
   */
  clock?: Clock;
}

/** A token store on Redis, with what it knows about its connection. */
export interface RedisTokenStore extends TokenCacheStore {
  /** `false` while Redis is counted as down and the local copy serves. */
  readonly healthy: boolean;
  /** Tokens in the local copy. */
  readonly size: number;
  /** Whether the near cache serves now (subscribed, and the last heartbeat came back in time). */
  readonly nearCacheLive: boolean;
  /** The client as the store recognised it: `node-redis`, `node-redis cluster`, `ioredis`, `ioredis cluster` or `sendCommand`. */
  readonly client: string;
  /** Ends the subscription and the heartbeat (the client passed stays open: it is the application's). */
  close(): Promise<void>;
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
/** The largest entry read as a token: a token and a few hundred topics fit many times over. */
const MAX_ENTRY = 256 * 1024;
/** The largest message read from the channel. */
const MAX_MESSAGE = 16 * 1024;
/** SCAN steps per master before the server counts as misbehaving. */
const MAX_SCAN_STEPS = 100_000;

const decoder = new TextDecoder();
const text = (reply: unknown): string | undefined =>
  typeof reply === 'string' ? reply : reply instanceof Uint8Array ? decoder.decode(reply) : undefined;

/** Redis answered what it never would: counted as a Redis failure, never acted upon. */
class BadReply extends Error {
  constructor(what: string, reply: unknown) {
    const shown = typeof reply === 'string' ? JSON.stringify(reply.slice(0, 40)) : Array.isArray(reply) ? `an array of ${reply.length}` : typeof reply === 'number' ? String(reply) : typeof reply;
    super(`Redis answered ${shown} to ${what}`);
    this.name = 'BadReply';
  }
}

/** An integer reply (node-redis and ioredis give numbers; a RESP string of digits is accepted too) within [min, max]. */
function integer(reply: unknown, what: string, min: number, max: number): number {
  const n = typeof reply === 'number' ? reply : typeof text(reply) === 'string' && /^-?\d{1,16}$/.test(text(reply)!) ? Number(text(reply)) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new BadReply(what, reply);
  return n;
}

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

/**
 * The token in a stored entry, or `undefined` for anything else (an entry from a future version, one
 * too large, or one expiring later than any token can): the issuer then applies and writes a good one.
 */
function decode(raw: string | undefined, now: number): AppliedToken | undefined {
  if (raw === undefined || raw.length > MAX_ENTRY) return undefined;
  let e: Partial<StoredEntry>;
  try {
    e = JSON.parse(raw) as Partial<StoredEntry>;
  } catch {
    return undefined;
  }
  if (e === null || typeof e !== 'object' || typeof e.token !== 'string' || !e.token || typeof e.instanceId !== 'string') return undefined;
  if (typeof e.expiresAt !== 'number' || !Number.isSafeInteger(e.expiresAt) || e.expiresAt > now + MAX_TOKEN_TTL + 60_000) return undefined;
  if (!Array.isArray(e.resources) || e.resources.length === 0 || !e.resources.every((r) => typeof r === 'string')) return undefined;
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
const unref = (timer: unknown) => (timer as { unref?: () => void }).unref?.();

/** One near-cache entry: the token, and until when (real time) it may be served without Redis. */
interface Near {
  token: AppliedToken;
  until: number;
}

/**
 * A message on the channel: who sent it, its number, and what it says: `p` a heartbeat, `k` a key
 * written, `d` a key deleted and `s` every key of a scope deleted (both answered with an `a`ck, whose
 * subject is `<origin> <seq>` of what it confirms).
 */
type Notice = [origin: string, seq: number, kind: 'p' | 'k' | 'd' | 's' | 'a', subject: string];

function notice(raw: string): Notice | undefined {
  if (raw.length > MAX_MESSAGE) return undefined;
  try {
    const n = JSON.parse(raw) as unknown;
    if (!Array.isArray(n) || n.length !== 4 || typeof n[0] !== 'string' || !Number.isSafeInteger(n[1]) || !['p', 'k', 'd', 's', 'a'].includes(n[2]) || typeof n[3] !== 'string') return undefined;
    return n as Notice;
  } catch {
    return undefined;
  }
}

/**
 * A token store on Redis for `createTokenIssuer({ client, store })`: every process of a fleet given
 * the same Redis (and prefix) shares one token per permission, one ApplyToken call per permission
 * however many processes miss at once, revocations, and the account's ApplyToken rate window; each
 * keeps a near cache of what it has read, dropped at once when another process changes it.
 *
 * Keys: `<prefix>{<key>}:token` and `<prefix>{<key>}:lock` (one hash tag per permission, so a script
 * may touch both on a cluster), `<prefix>rate:<AccessKey ID>`, and the channel `<prefix>changes`.
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` for a bad option.
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * const redis = await createClient({ url: 'redis://127.0.0.1:6379', disableOfflineQueue: true })
 *   .on('error', () => {}) // the store reports outages through onError
 *   .connect();
 * const store = createRedisTokenStore({ redis, onError: console.warn });
 * const issuer = createTokenIssuer({ client, store });
 * // ioredis: createRedisTokenStore({ redis: new Redis(url) }); a cluster: createCluster(…) or new Redis.Cluster(…)
 * ```
 */
export function createRedisTokenStore(options: RedisTokenStoreOptions): RedisTokenStore {
  if (options === null || typeof options !== 'object') throw _invalid('options', 'must be an options object');
  const link = _redisLink(options.redis);
  if (!link) {
    throw _invalid('redis', "must be a connected Redis client: node-redis (createClient() or createCluster() from 'redis', version 5 or later), ioredis (new Redis() or new Redis.Cluster()) or iovalkey");
  }
  const prefix = options.prefix ?? 'apsaramq-mqtt-auth:';
  if (typeof prefix !== 'string') throw _invalid('prefix', 'must be a string');
  // An empty hash tag in the prefix would hash a permission's token and lock keys apart.
  if (/\{\}/.test(prefix)) throw _invalid('prefix', 'must not hold an empty hash tag "{}" (a permission\'s keys must share one slot on a cluster)');
  const lockTtl = requireMs(options.lockTtl, 'lockTtl', 5000, 100);
  const maxWait = requireMs(options.maxWait, 'maxWait', 30_000, 0);
  const timeout = requireMs(options.timeout, 'timeout', 1000, 1);
  const nearMaxAge = requireMs(options.nearCacheMaxAge, 'nearCacheMaxAge', 60_000, 0);
  const beat = requireMs(options.heartbeat, 'heartbeat', 1000, 10);
  const maxEntries = options.maxEntries ?? 1000;
  if (options.onError !== undefined && typeof options.onError !== 'function') throw _invalid('onError', 'must be a function');
  const onError = options.onError;
  const clock = _checkedClock(options.clock);
  const now = () => clock.now();
  const local = createMemoryTokenStore({ maxEntries, clock });
  // Who this process is, in lock values, rate-window entries and messages.
  const self = randomId();
  let sequence = 0;

  /** `undefined` while Redis is up; during an incident, when to try it again and how long the next wait is. */
  let outage: { retryAt: number; delay: number; probing: boolean } | undefined;
  const replays = new Map<string, { key?: string; token?: string; scope?: string }>();

  const tokenKey = (key: string) => `${prefix}{${key}}:token`;
  const lockKey = (key: string) => `${prefix}{${key}}:lock`;
  const rateKey = (scope: string) => `${prefix}rate:${scope}`;
  const channel = `${prefix}changes`;

  /** One command, bounded by `timeout` (a client would queue it until it reconnects). */
  async function command(args: string[], key?: string, via: RedisLink = link!): Promise<unknown> {
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
      sent = via.send(args, key);
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

  /** A script on the keys of one permission (`EVAL`; the first key routes it on a cluster). */
  const script = (body: string, keys: string[], args: string[]) => command(['EVAL', body, String(keys.length), ...keys, ...args], keys[0]);

  /** A script's 0/1 answer; anything else is a fault. */
  const flag = async (reply: Promise<unknown>, what: string) => integer(await reply, what, 0, 1);

  /** Counts Redis as down: the first failure of an incident is reported, the rest are part of it. */
  function trouble(error: unknown): void {
    if (outage) return;
    outage = { retryAt: now() + FIRST_RETRY, delay: FIRST_RETRY, probing: false };
    // Whatever the near cache holds may be changed while nobody can tell this process.
    near.clear();
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
    command(['PING'])
      .then((reply) => {
        if (text(reply) !== 'PONG') throw new BadReply('PING', reply);
      })
      .then(
        async () => {
          outage = undefined;
          near.clear();
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

  // ---- The near cache and its subscription -------------------------------------------------------

  const near = new Map<string, Near>();
  /** Changes heard so far: a read that overlapped one is not kept (its answer may predate the change). */
  let changes = 0;
  const sub = {
    /** The subscription's end, once subscribed. */
    stop: undefined as (() => Promise<void>) | undefined,
    /** The heartbeat last sent, the one last heard back (0: none since the last reset), and the first of the current run. */
    sent: 0,
    heard: 0,
    floor: 1,
    /** When the last heartbeat came back (real time). */
    heardAt: 0,
    timer: undefined as ReturnType<typeof setInterval> | undefined,
    closed: false,
    /** Own deletions waiting for the others' acks: the seq, who has yet to answer, and what resolves the wait. */
    acks: new Map<number, { waiting: Set<string>; done: () => void }>(),
    /** The other processes on the channel, and when each was last heard (real time). */
    peers: new Map<string, number>(),
  };
  const nearEnabled = nearMaxAge > 0 && link.subscribe !== undefined;

  const live = () => nearEnabled && !sub.closed && sub.stop !== undefined && !outage && sub.heard > 0 && Date.now() - sub.heardAt <= beat * 2.5;

  /** Forget everything: the subscription may have missed changes. */
  function reset(): void {
    near.clear();
    changes++;
    sub.heard = 0;
    // Heartbeats sent before now prove nothing about the subscription from now on.
    sub.floor = sub.sent + 1;
  }

  function hear(raw: string): void {
    const n = notice(raw);
    if (!n) {
      // Not ours, or garbled: whatever it was about, nothing cached can be trusted to be current.
      reset();
      return;
    }
    const [origin, seq, kind, subject] = n;
    if (origin === self) {
      if (kind === 'p') {
        if (seq < sub.floor) return;
        // Heartbeats come back in order: a gap means the subscription lost messages.
        if (sub.heard !== 0 && seq !== sub.heard + 1) return reset();
        sub.heard = seq;
        sub.heardAt = Date.now();
        return;
      }
      // This process made the change and has applied it already (and counted it in `changes`).
      return;
    }
    // Bounded, whatever is published on the channel: a flood of made-up origins is not kept.
    if (sub.peers.size < 10_000 || sub.peers.has(origin)) sub.peers.set(origin, Date.now());
    if (kind === 'p') return;
    if (kind === 'a') {
      const [target, number] = subject.split(' ');
      const pending = target === self ? sub.acks.get(Number(number)) : undefined;
      if (pending && pending.waiting.delete(origin) && pending.waiting.size === 0) pending.done();
      return;
    }
    changes++;
    if (kind === 'k' || kind === 'd') near.delete(subject);
    else for (const key of [...near.keys()]) if (key.startsWith(subject)) near.delete(key);
    // A deletion is confirmed once dropped here, so its sender knows this process will not serve it again.
    if (kind !== 'k') command(['PUBLISH', channel, JSON.stringify([self, ++sequence, 'a', `${origin} ${seq}`])]).catch(() => undefined);
  }

  function heartbeat(): void {
    // Processes not heard for a while are gone (restarted, scaled in): no deletion waits for them.
    const since = Date.now() - beat * 2.5;
    for (const [origin, at] of sub.peers) if (at < since) sub.peers.delete(origin);
    if (sub.closed || !sub.stop || outage) return;
    if (sub.heard !== 0 && Date.now() - sub.heardAt > beat * 2.5) reset();
    const seq = ++sub.sent;
    // A heartbeat that fails is a Redis failure like any other (the near cache would otherwise hide an
    // outage until its entries age out); it also breaks the run: the next one heard back starts a new one.
    command(['PUBLISH', channel, JSON.stringify([self, seq, 'p', ''])])
      .then((reply) => void integer(reply, 'PUBLISH', 0, Number.MAX_SAFE_INTEGER))
      .catch((error: unknown) => {
        reset();
        trouble(error);
      });
  }

  async function listen(): Promise<void> {
    try {
      const stop = await link!.subscribe!(channel, {
        message: hear,
        ready: () => {
          reset();
          heartbeat();
        },
        down: reset,
      });
      if (sub.closed) {
        await stop();
        return;
      }
      sub.stop = stop;
      heartbeat();
    } catch {
      // No subscription, no near cache: every answer reads Redis, as it would without one.
    }
  }

  if (nearEnabled) {
    sub.timer = setInterval(heartbeat, beat);
    unref(sub.timer);
    void listen();
  }

  /** A change's message, numbered: `[message, seq]`. */
  const change = (kind: 'k' | 'd' | 's', subject: string): [string, number] => {
    const seq = ++sequence;
    return [JSON.stringify([self, seq, kind, subject]), seq];
  };

  /**
   * Waits (at most `timeout`) until every other process heard on the channel lately (a heartbeat within
   * 2.5 periods) has confirmed a deletion: then none of them serves the deleted token again, so a
   * revocation resolves once every live process knows it. A process that stays silent longer delays it
   * by `timeout` at most (and one whose subscription is broken has its near cache off anyway).
   */
  function confirmed(seq: number, wrote: boolean): Promise<void> {
    if (!wrote || !nearEnabled || !sub.stop) return Promise.resolve();
    const since = Date.now() - beat * 2.5;
    const waiting = new Set([...sub.peers].filter(([, at]) => at >= since).map(([origin]) => origin));
    for (const [origin, at] of sub.peers) if (at < since) sub.peers.delete(origin);
    if (waiting.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        sub.acks.delete(seq);
        resolve();
      }, timeout);
      sub.acks.set(seq, {
        waiting,
        done: () => {
          clearTimeout(timer);
          sub.acks.delete(seq);
          resolve();
        },
      });
    });
  }

  function keep(key: string, token: AppliedToken): void {
    if (!live()) return;
    near.delete(key);
    near.set(key, { token, until: Math.min(Date.now() + nearMaxAge, Date.now() + (token.expiresAt - now())) });
    for (const old of near.keys()) {
      if (near.size <= maxEntries) break;
      near.delete(old);
    }
  }

  function nearHit(key: string): AppliedToken | undefined {
    if (!live()) return undefined;
    const entry = near.get(key);
    if (!entry) return undefined;
    if (Date.now() >= entry.until) {
      near.delete(key);
      return undefined;
    }
    return entry.token;
  }

  // ---- Shared state -------------------------------------------------------------------------------

  /** Reads the shared entry, keeping the local copy and the near cache in step with it. */
  async function read(key: string): Promise<AppliedToken | undefined> {
    const before = changes;
    const reply = await command(['GET', tokenKey(key)], tokenKey(key));
    if (reply !== null && reply !== undefined && text(reply) === undefined) throw new BadReply('GET', reply);
    const token = decode(text(reply), now());
    if (token) {
      local.set(key, token);
      if (changes === before) keep(key, token);
    } else local.delete(key);
    return token;
  }

  async function removeShared(key: string | undefined, token: string | undefined, scope: string | undefined): Promise<void> {
    await either(
      async () => {
        if (key !== undefined) {
          near.delete(key);
          changes++;
          const [message, seq] = change('d', key);
          // Registered before the script runs, so no ack can come back before it is awaited.
          const acked = confirmed(seq, true);
          const wrote = await flag(script(DELETE_TOKEN, [tokenKey(key)], [token ?? '', channel, message]), 'the delete script');
          if (wrote === 1) await acked;
          else sub.acks.get(seq)?.done();
          return;
        }
        const subject = scope ?? '';
        for (const k of [...near.keys()]) if (k.startsWith(subject)) near.delete(k);
        changes++;
        // Every key of the scope, on every master (a cluster spreads them over its slots).
        const pattern = `${globEscape(prefix)}\\{${globEscape(subject)}*`;
        for (const master of await link!.masters()) {
          let cursor = '0';
          for (let step = 0; ; step++) {
            if (step >= MAX_SCAN_STEPS) throw new BadReply('SCAN (no end after 100000 steps)', cursor);
            const reply = await command(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '500'], undefined, master);
            if (!Array.isArray(reply) || reply.length !== 2 || text(reply[0]) === undefined || !/^\d{1,20}$/.test(text(reply[0])!) || !Array.isArray(reply[1])) {
              throw new BadReply('SCAN', reply);
            }
            const keys = (reply[1] as unknown[]).map(text).filter((k): k is string => k !== undefined && k.endsWith('}:token'));
            // One key at a time: keys of different slots cannot share a command on a cluster.
            await Promise.all(keys.map((k) => command(['DEL', k], k)));
            cursor = text(reply[0])!;
            if (cursor === '0') break;
          }
        }
        const [message, seq] = change('s', subject);
        const acked = confirmed(seq, true);
        await command(['PUBLISH', channel, message]).catch((error: unknown) => {
          sub.acks.get(seq)?.done();
          throw error;
        });
        await acked;
      },
      () => {
        if (replays.size < MAX_REPLAYS) replays.set(key === undefined ? `scope ${scope ?? ''}` : `key ${key}`, { key, token, scope });
      },
    );
  }

  /** The right to apply while Redis cannot coordinate: the issuer's in-process single flight is all there is. */
  const localClaim = (): TokenClaim => ({ release: async () => undefined });

  /** Locks held by this process, by key: the write releases the lock it goes with. */
  const held = new Map<string, { owner: string; released: boolean }>();

  /** Holds the lock: renewed every third of its lifetime until released (compare-and-delete). */
  function hold(key: string, owner: string): { release: () => Promise<void> } {
    const state = { owner, released: false };
    held.set(key, state);
    const timer = setInterval(() => {
      script(EXTEND_LOCK, [lockKey(key)], [owner, String(lockTtl)]).catch(trouble);
    }, Math.max(1, Math.floor(lockTtl / 3)));
    // Node: a held lock must not keep the process alive.
    unref(timer);
    return {
      release: async () => {
        clearInterval(timer);
        if (held.get(key) === state) held.delete(key);
        // Waiters read the published token, not the lock: the holder's caller need not wait for this.
        if (!state.released) script(RELEASE_LOCK, [lockKey(key)], [owner]).catch(trouble);
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
    const deadline = Date.now() + maxWait;
    try {
      for (;;) {
        const reply = await command(['SET', lockKey(key), owner, 'NX', 'PX', String(lockTtl)], lockKey(key));
        if (reply !== null && reply !== undefined && text(reply) !== 'OK') throw new BadReply('SET NX', reply);
        if (text(reply) === 'OK') {
          // Someone may have published between the issuer's read and this lock.
          const token = await read(key);
          const lock = hold(key, owner);
          if (token && fresh(token)) {
            await lock.release();
            return { token };
          }
          return lock;
        }
        // Bounded by real time, commands included: a slow Redis cannot stretch maxWait.
        if (Date.now() >= deadline) return localClaim();
        await sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
        pause = Math.min(pause * 2, POLL_LAST);
        const token = await read(key);
        if (token && fresh(token)) return { token };
      }
    } catch (error) {
      trouble(error);
      return localClaim();
    }
  }

  async function write(key: string, token: AppliedToken, ttl: number): Promise<void> {
    const lock = held.get(key);
    const [message] = change('k', key);
    near.delete(key);
    const before = ++changes;
    const wrote = await flag(
      script(WRITE_TOKEN, [tokenKey(key), lockKey(key)], [encode(token), String(Math.max(1, Math.floor(ttl))), lock?.owner ?? '', channel, message]),
      'the write script',
    );
    if (lock) lock.released = true;
    // Kept near only if it is what Redis now holds and nothing else changed meanwhile. The others drop
    // their copy when they hear of it; the token they hold meanwhile is still valid, so none is waited for.
    if (wrote === 1 && changes === before) keep(key, token);
  }

  return Object.freeze({
    get: (key: string) => {
      if (outage) {
        probe();
        return local.get(key);
      }
      // A near hit answers synchronously: the issuer serves it without a flight, and Redis hears nothing.
      return nearHit(key) ?? either(() => read(key), () => local.get(key));
    },
    set: (key: string, token: AppliedToken, ttl: number) => {
      local.set(key, token);
      return either(() => write(key, token, ttl), () => undefined);
    },
    delete: (key: string | undefined, deleteOptions: { token?: string; scope?: string } = {}) => {
      local.delete(key, deleteOptions);
      return removeShared(key, deleteOptions.token, deleteOptions.scope);
    },
    claim,
    admit: (scope: string, rate: number, wait: number) =>
      either(
        async () => {
          const { interval, tolerance } = _pace(rate);
          // The script answers -1 or a delay of at most `wait`: anything else is no Redis of ours, never a sleep.
          const reply = await script(ADMIT, [rateKey(scope)], [String(interval), String(tolerance), String(wait)]);
          return integer(reply, 'the rate script', -1, wait);
        },
        () => local.admit(scope, rate, wait),
      ),
    get healthy() {
      return outage === undefined;
    },
    get size() {
      return local.size;
    },
    get nearCacheLive() {
      return live();
    },
    client: link.kind,
    async close() {
      sub.closed = true;
      clearInterval(sub.timer);
      near.clear();
      const stop = sub.stop;
      sub.stop = undefined;
      await stop?.().catch(() => undefined);
    },
  });
}
