/**
 * The local broker's token service: what ApplyToken / QueryToken / RevokeToken do on a real
 * instance, as an importable store. The broker checks CONNECT passwords and `$SYS/uploadToken`
 * against it, and an OpenAPI facade (or a test) drives it.
 * @module
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { _invalid } from '../errors.js';
import { _constantTimeEqual } from '../internal/equal.js';
import type { TokenType } from '../protocol/token-password.js';
import { TOKEN_INVALID_CODES, type TokenInvalidCode } from '../protocol/sys-topics.js';
import { topicProblem } from '../protocol/topics.js';
import { MAX_TOKEN_RESOURCES, MAX_TOKEN_TTL, MIN_TOKEN_TTL, _TYPE_ACTIONS, _formatActions, _parseActions, _sortResources, type Action } from '../protocol/token-rules.js';
import type { Permissions } from './acl.js';
import { _ownConfig, _storeOptions } from './config.js';

/** Inputs of {@link TokenStore.apply}, as ApplyToken takes them. */
export interface TokenStoreApplyOptions {
  /** Topics (filters, `+`/`#` allowed): a comma-separated string or a list; at most 100. Sorted on the way in. */
  resources: string | readonly string[];
  /** `R`, `W` or `R,W` (a list `['R', 'W']` also works). */
  actions: string | readonly Action[];
  /** Expiry, UNIX ms: at least 60 s ahead; more than 30 days ahead is cut to 30 days, as ApsaraMQ does. */
  expireTime: number;
  /** The AccessKey id of the account applying; a token is then usable only with that id in the Username. */
  accessKeyId?: string;
}


/** Inputs of {@link TokenStore.add}: a token string chosen by the caller (from a config file). */
export interface AddTokenOptions extends Omit<TokenStoreApplyOptions, 'expireTime'> {
  /** The token itself. Any string without `|` or white space. */
  token: string;
  /** Expiry, UNIX ms; any value (a past one makes an already expired token). */
  expireTime: number;
}

/** What the store knows about a token (never the token itself). */
export interface TokenInfo {
  /** Sorted topic filters. */
  readonly resources: readonly string[];
  /** `R`, `W` or `R,W`. */
  readonly actions: string;
  /** Expiry, UNIX ms. */
  readonly expireTime: number;
  /** The account the token was applied for, if bound to one. */
  readonly accessKeyId?: string;
  /** Issue time, UNIX ms. */
  readonly createTime: number;
  /** Whether RevokeToken was called on it. */
  readonly revoked: boolean;
}

/** The verdict of {@link TokenStore.check}. */
export type TokenCheck =
  | { readonly valid: true; readonly info: TokenInfo; readonly permissions: Permissions }
  | { readonly valid: false; readonly code: TokenInvalidCode; readonly reason: string };

/** Options of {@link TokenStore.check}. */
export interface TokenCheckOptions {
  /** The permission type the client declared (`R|<token>` in the password, `type` in uploadToken). */
  type: TokenType;
  /** The AccessKey id in the client's Username. */
  accessKeyId?: string;
}

/** Options of the {@link TokenStore} constructor. */
export interface TokenStoreOptions {
  /** The instance id the tokens are for (mixed into their signature). */
  instanceId: string;
  /** The clock (default: the real one). */
  clock?: Clock;
}

const OUR_SHAPE = /^[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{27}$/;
/** How often (clock ms) applied tokens that expired are swept out. */
const SWEEP_EVERY_MS = 60_000;

interface Entry {
  info: TokenInfo;
  permissions: Permissions;
  /** Applied here (the token carries its expiry, signed): forgotten once revoked or expired. */
  applied: boolean;
}

/** @internal Resources as a sorted, checked list. */
function checkResources(value: unknown, field: string): string[] {
  const list = typeof value === 'string' ? value.split(',').map((r) => r.trim()) : value;
  if (!Array.isArray(list) || list.length === 0) throw _invalid(field, 'must be a non-empty list of topics (or a comma-separated string)');
  if (list.length > MAX_TOKEN_RESOURCES) throw _invalid(field, `may hold at most ${MAX_TOKEN_RESOURCES} topics (got ${list.length})`);
  list.forEach((r, i) => {
    const problem = topicProblem(r, { filter: true });
    if (problem) throw _invalid(`${field}[${i}]`, problem);
  });
  return _sortResources(new Set(list as string[]));
}

/** Own fields of an options object only (a polluted `Object.prototype` adds none; a config file's hidden token stays). */
function ownOptions<T>(options: T): T {
  if (options === null || typeof options !== 'object') throw _invalid('options', 'must be an options object');
  return _ownConfig(options);
}

function requireToken(token: unknown): string {
  if (typeof token !== 'string') throw _invalid('token', 'must be a string');
  return token;
}

function checkAccessKeyId(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[^|\s]+$/.test(value)) throw _invalid(field, 'must be a non-empty string without "|" or white space');
  return value;
}

/**
 * The token service of the local broker: issues, checks and revokes tokens. Tokens are random,
 * signed with a key that lives only in this process, so a tampered token is told apart from an
 * unknown one. Tokens never appear in `util.inspect` or `JSON.stringify` of the store.
 *
 * The store does not grow without bound: a token it applied carries its own expiry under the
 * signature, so it is forgotten as soon as it is revoked or expired (swept every minute of the
 * clock) and still recognized afterwards: a signed token that is gone is expired if its expiry
 * passed, else revoked. Tokens registered with {@link TokenStore.add} (a config file's) are kept.
 *
 * @example
 * ```ts
 * const token = broker.tokens.apply({ resources: 'fleet/#', actions: 'R,W', expireTime: Date.now() + 3600_000 })
 * tokenCredentials({ accessKeyId, instanceId, tokens: { RW: token } })
 * ```
 */
export class TokenStore {
  readonly #entries = new Map<string, Entry>();
  readonly #key = randomBytes(32);
  readonly #instanceId: string;
  readonly #clock: Clock;
  readonly #revokeListeners = new Set<(token: string) => void>();
  #sweptAt = -Infinity;

  constructor(options: TokenStoreOptions) {
    const { instanceId, clock } = _storeOptions(options, '{ instanceId, clock? }');
    this.#instanceId = instanceId;
    this.#clock = clock;
  }

  /**
   * ApplyToken: issues a token for `resources` and `actions` until `expireTime`.
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the field (`resources`, `actions`, `expireTime`).
   */
  apply(options: TokenStoreApplyOptions): string {
    options = ownOptions(options);
    const now = this.#clock.now();
    this.#sweep(now);
    const { expireTime } = options;
    if (typeof expireTime !== 'number' || !Number.isFinite(expireTime)) throw _invalid('expireTime', 'must be a UNIX time in milliseconds');
    if (expireTime < now + MIN_TOKEN_TTL) throw _invalid('expireTime', 'must be at least 60 seconds in the future (UNIX milliseconds, not seconds)');
    const expires = Math.min(expireTime, now + MAX_TOKEN_TTL);
    // 12 random bytes and the expiry (48 bits of ms), signed together: a token the store has
    // forgotten still says when it expired.
    const idBytes = Buffer.concat([randomBytes(12), Buffer.alloc(6)]);
    idBytes.writeUIntBE(Math.max(0, Math.floor(expires)), 12, 6);
    const id = idBytes.toString('base64url');
    const token = `${id}.${this.#mac(id).toString('base64url')}`;
    this.#store(token, { ...options, expireTime: expires }, now, true);
    return token;
  }

  /**
   * Registers a token chosen elsewhere (a config file, a fixture), with any expiry time.
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the field.
   */
  add(options: AddTokenOptions): void {
    options = ownOptions(options);
    const { token } = options;
    if (typeof token !== 'string' || !/^[^|\s]+$/.test(token)) throw _invalid('token', 'must be a non-empty string without "|" or white space');
    if (typeof options.expireTime !== 'number' || !Number.isFinite(options.expireTime)) throw _invalid('expireTime', 'must be a UNIX time in milliseconds');
    this.#store(token, options, this.#clock.now(), false);
  }

  /** QueryToken: `true` while the token is known, unrevoked and unexpired. */
  query(token: string): boolean {
    const entry = this.#entries.get(requireToken(token));
    return entry !== undefined && !entry.info.revoked && entry.info.expireTime > this.#clock.now();
  }

  /** What the store knows about a token, or `undefined` for an unknown one (or an applied one it has forgotten). */
  describe(token: string): TokenInfo | undefined {
    return this.#entries.get(requireToken(token))?.info;
  }

  /**
   * RevokeToken: the token stops working at once; connected clients using it are sent
   * `$SYS/tokenInvalidNotice` code 3 and disconnected. Returns `false` for an unknown token.
   */
  revoke(token: string): boolean {
    const entry = this.#entries.get(requireToken(token));
    if (!entry) return this.#forgotten(token) !== undefined; // applied here, already revoked or expired
    if (!entry.info.revoked) {
      entry.info = { ...entry.info, revoked: true };
      // An applied token is recognized without its entry from now on.
      if (entry.applied) this.#entries.delete(token);
      for (const listener of this.#revokeListeners) {
        try {
          listener(token);
        } catch {
          // one listener's failure must not keep the others (or the caller) from the news
        }
      }
    }
    return true;
  }

  /**
   * Checks a token presented by a client: known, signed by us, unrevoked, unexpired, of the
   * declared permission type and account. Resources are checked by the caller (they depend on use).
   */
  check(token: string, options: TokenCheckOptions): TokenCheck {
    requireToken(token);
    options = ownOptions(options);
    const entry = this.#entries.get(token);
    if (!entry) {
      const forgotten = this.#forgotten(token);
      if (forgotten === 'expired') return { valid: false, code: TOKEN_INVALID_CODES.EXPIRED, reason: 'the token has expired' };
      if (forgotten === 'revoked') return { valid: false, code: TOKEN_INVALID_CODES.REVOKED, reason: 'the token was revoked' };
      if (OUR_SHAPE.test(token)) return { valid: false, code: TOKEN_INVALID_CODES.INVALID_SIGNATURE, reason: 'the token signature does not verify' };
      return { valid: false, code: TOKEN_INVALID_CODES.FORGED, reason: 'the token was not issued by this broker' };
    }
    const { info } = entry;
    if (info.revoked) return { valid: false, code: TOKEN_INVALID_CODES.REVOKED, reason: 'the token was revoked' };
    if (info.expireTime <= this.#clock.now()) return { valid: false, code: TOKEN_INVALID_CODES.EXPIRED, reason: 'the token has expired' };
    if (info.accessKeyId !== undefined && options.accessKeyId !== info.accessKeyId) {
      return { valid: false, code: TOKEN_INVALID_CODES.INVALID_ACCOUNT, reason: 'the token belongs to another AccessKey' };
    }
    const needed = Object.hasOwn(_TYPE_ACTIONS, options.type) ? _TYPE_ACTIONS[options.type] : undefined;
    if (!needed || !needed.every((a) => entry.permissions.actions.has(a))) {
      return {
        valid: false,
        code: TOKEN_INVALID_CODES.PERMISSION_TYPE_MISMATCH,
        reason: `permission type ${options.type} needs actions ${needed?.join(',') ?? '?'} but the token grants ${info.actions}`,
      };
    }
    // The declared type narrows what the token grants: an R,W token sent as `R|...` only reads.
    return { valid: true, info, permissions: { resources: entry.permissions.resources, actions: new Set(needed) } };
  }

  /**
   * Calls `listener` with the token each time one is revoked. Returns a function that removes it.
   */
  onRevoke(listener: (token: string) => void): () => void {
    if (typeof listener !== 'function') throw _invalid('listener', 'must be a function');
    this.#revokeListeners.add(listener);
    return () => this.#revokeListeners.delete(listener);
  }

  /** How many tokens the store holds: unexpired applied ones, and every added one (revoked and expired included). */
  get size(): number {
    this.#sweep(this.#clock.now());
    return this.#entries.size;
  }

  /** Forgets applied tokens that expired, at most once per minute of the clock. */
  #sweep(now: number): void {
    if (now - this.#sweptAt < SWEEP_EVERY_MS) return;
    this.#sweptAt = now;
    for (const [token, entry] of this.#entries) if (entry.applied && entry.info.expireTime <= now) this.#entries.delete(token);
  }

  /** For a token the store does not hold: one it applied and forgot (`expired` or `revoked`), else `undefined`. */
  #forgotten(token: string): 'expired' | 'revoked' | undefined {
    if (!OUR_SHAPE.test(token) || !this.#signedByUs(token)) return undefined;
    const expireTime = Buffer.from(token.slice(0, 24), 'base64url').readUIntBE(12, 6);
    return expireTime <= this.#clock.now() ? 'expired' : 'revoked';
  }

  #store(token: string, options: Omit<AddTokenOptions, 'token'>, now: number, applied: boolean): void {
    const resources = checkResources(options.resources, 'resources');
    const actions = _parseActions(options.actions);
    if (!actions) throw _invalid('actions', 'must be "R", "W" or "R,W"');
    const accessKeyId = checkAccessKeyId(options.accessKeyId, 'accessKeyId');
    const info: TokenInfo = {
      resources,
      actions: _formatActions(actions),
      expireTime: options.expireTime,
      ...(accessKeyId === undefined ? {} : { accessKeyId }),
      createTime: now,
      revoked: false,
    };
    this.#entries.set(token, { info, permissions: { resources, actions }, applied });
  }

  #mac(id: string): Buffer {
    return createHmac('sha1', this.#key).update(`${this.#instanceId}:${id}`).digest();
  }

  #signedByUs(token: string): boolean {
    const [id, mac] = token.split('.') as [string, string];
    // Compared as text: a non-canonical encoding of the right bytes is still not the token we issued.
    return _constantTimeEqual(mac, this.#mac(id).toString('base64url'));
  }
}
