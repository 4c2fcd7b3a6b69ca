/**
 * Checking a CONNECT's Username and Password the way ApsaraMQ does, for every auth mode. Expected
 * passwords are recomputed with the SDK's own builders and compared in constant time.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { validateClientId } from '../credentials/client-id.js';
import { customCredentials } from '../credentials/custom.js';
import { deviceCredentials } from '../credentials/device.js';
import { signatureCredentials } from '../credentials/signature.js';
import { TOKEN_TYPES, type TokenType } from '../credentials/token.js';
import type { Permissions } from './acl.js';
import {
  _checkId,
  _checkList,
  _checkPermissions,
  _checkSecret,
  type AccessKeyConfig,
  type CustomIdentityConfig,
  type PermissionsConfig,
} from './config.js';
import type { DeviceStore } from './devices.js';
import type { TokenInfo, TokenInvalidCode, TokenStore } from './tokens.js';
import { _invalid } from '../errors.js';

/** The auth modes the broker knows. */
export type AuthMode = 'Signature' | 'Token' | 'DeviceCredential' | 'Custom';

/** A token a client presented, once checked. The token string stays inside the broker. */
export interface HeldToken {
  readonly token: string;
  readonly type: TokenType;
  readonly info: TokenInfo;
  readonly permissions: Permissions;
}

/** Who connected, once authenticated. */
export interface Identity {
  readonly mode: AuthMode;
  /** The AccessKey id, DeviceAccessKeyId or custom username (public, never a secret). */
  readonly id: string;
  /** Topic permissions; `undefined` means every topic, both actions. */
  readonly permissions: readonly Permissions[] | undefined;
  /** Token mode: the tokens by type. */
  readonly tokens?: ReadonlyMap<TokenType, HeldToken>;
}

/**
 * Why a CONNECT was refused: `bad-client-id` (CONNACK 2 / 0x85), `bad-credentials` (unknown
 * identity or a password that does not verify: 0x86 under MQTT 5) or `not-authorized` (valid
 * but not allowed here: 0x87 under MQTT 5). MQTT 3.1.1 clients get 5 for both of the latter.
 */
export type RefusalKind = 'bad-client-id' | 'bad-credentials' | 'not-authorized';

/** The verdict on a CONNECT. `reason` is secret-free and meant for logs. */
export type AuthResult =
  | { readonly ok: true; readonly identity: Identity }
  | { readonly ok: false; readonly kind: RefusalKind; readonly reason: string; readonly tokenCode?: TokenInvalidCode };

const refuse = (kind: RefusalKind, reason: string, tokenCode?: TokenInvalidCode): AuthResult =>
  tokenCode === undefined ? { ok: false, kind, reason } : { ok: false, kind, reason, tokenCode };

/** Constant-time equality of two strings of any lengths (digests first, so lengths leak nothing). */
export function _safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

/** @internal Parses `R|t1|W|t2|RW|t3`; `undefined` when malformed. */
export function _parseTokenPassword(password: string): Map<TokenType, string> | undefined {
  const parts = password.split('|');
  if (parts.length < 2 || parts.length % 2 !== 0) return undefined;
  const tokens = new Map<TokenType, string>();
  for (let i = 0; i < parts.length; i += 2) {
    const type = parts[i] as TokenType;
    const token = parts[i + 1]!;
    if (!TOKEN_TYPES.includes(type) || tokens.has(type) || token.length === 0) return undefined;
    tokens.set(type, token);
  }
  return tokens;
}

interface Secret {
  readonly secret: string;
  readonly permissions: Permissions | undefined;
}

interface CustomSecret extends Secret {
  readonly signMode: 'ORIGIN' | 'SIGNED';
}

/** Options of the {@link Authenticator} constructor. */
export interface AuthenticatorOptions {
  instanceId: string;
  accessKeys?: readonly AccessKeyConfig[];
  customIdentities?: readonly CustomIdentityConfig[];
  devicePermissions?: PermissionsConfig;
  devices: DeviceStore;
  tokens: TokenStore;
}

/**
 * Checks CONNECT credentials against the configured AccessKeys, custom identities, the device
 * store and the token store. Holds secrets in private fields only.
 */
export class Authenticator {
  readonly #instanceId: string;
  readonly #accessKeys = new Map<string, Secret>();
  readonly #custom = new Map<string, CustomSecret>();
  readonly #devicePermissions: Permissions | undefined;
  readonly #devices: DeviceStore;
  readonly #tokens: TokenStore;

  /** @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the config field at fault. */
  constructor(options: AuthenticatorOptions) {
    this.#instanceId = options.instanceId;
    this.#devices = options.devices;
    this.#tokens = options.tokens;
    _checkList(options.accessKeys, 'accessKeys').forEach((k, i) => {
      const field = `accessKeys[${i}]`;
      const id = _checkId(k?.accessKeyId, `${field}.accessKeyId`);
      if (this.#accessKeys.has(id)) throw _invalid(`${field}.accessKeyId`, `repeats ${JSON.stringify(id)}`);
      this.#accessKeys.set(id, {
        secret: _checkSecret(k.accessKeySecret, `${field}.accessKeySecret`),
        permissions: _checkPermissions(k.permissions, `${field}.permissions`),
      });
    });
    _checkList(options.customIdentities, 'customIdentities').forEach((c, i) => {
      const field = `customIdentities[${i}]`;
      const username = _checkSecret(c?.username, `${field}.username`);
      if (this.#custom.has(username)) throw _invalid(`${field}.username`, `repeats ${JSON.stringify(username)}`);
      if (c.signMode !== 'ORIGIN' && c.signMode !== 'SIGNED') throw _invalid(`${field}.signMode`, 'must be "ORIGIN" or "SIGNED"');
      this.#custom.set(username, {
        secret: _checkSecret(c.secret, `${field}.secret`),
        signMode: c.signMode,
        permissions: _checkPermissions(c.permissions, `${field}.permissions`),
      });
    });
    this.#devicePermissions = _checkPermissions(options.devicePermissions, 'devicePermissions');
  }

  /** The AccessKey ids configured (public). */
  get accessKeyIds(): string[] {
    return [...this.#accessKeys.keys()];
  }

  /** Checks one CONNECT. Never throws; never puts a secret in `reason`. */
  async authenticate(username: string | undefined, password: string | undefined, clientId: string): Promise<AuthResult> {
    const validation = validateClientId(clientId);
    if (!validation.valid) return refuse('bad-client-id', validation.problems[0]!.message);
    if (username === undefined || username.length === 0) return refuse('bad-credentials', 'no Username');
    if (password === undefined || password.length === 0) return refuse('bad-credentials', 'no Password');

    const custom = this.#custom.get(username);
    if (custom) return this.#customIdentity(username, custom, password, clientId);

    const parts = username.split('|');
    if (parts.length !== 3) return refuse('bad-credentials', 'Username is neither <Mode>|<Id>|<InstanceId> nor a registered custom identity');
    const [mode, id, instanceId] = parts as [string, string, string];
    if (mode !== 'Signature' && mode !== 'Token' && mode !== 'DeviceCredential') {
      return refuse('bad-credentials', `Username mode ${JSON.stringify(mode.slice(0, 20))} is not Signature, Token or DeviceCredential`);
    }
    if (instanceId !== this.#instanceId) return refuse('not-authorized', `Username names instance ${JSON.stringify(instanceId.slice(0, 64))}, not this one`);
    if (mode === 'Signature') return this.#signature(id, password, clientId);
    if (mode === 'DeviceCredential') return this.#device(id, password, clientId);
    return this.#token(id, password);
  }

  /**
   * Checks a token sent in `$SYS/uploadToken` by a Token-mode client of AccessKey `accessKeyId`.
   */
  checkToken(token: string, type: TokenType, accessKeyId: string): { ok: true; held: HeldToken } | { ok: false; code: TokenInvalidCode; reason: string } {
    const check = this.#tokens.check(token, { type, accessKeyId });
    if (!check.valid) return { ok: false, code: check.code, reason: check.reason };
    return { ok: true, held: { token, type, info: check.info, permissions: check.permissions } };
  }

  async #signature(accessKeyId: string, password: string, clientId: string): Promise<AuthResult> {
    const key = this.#accessKeys.get(accessKeyId);
    if (!key) return refuse('bad-credentials', 'unknown AccessKey id');
    const expected = await signatureCredentials({ accessKeyId, accessKeySecret: key.secret, instanceId: this.#instanceId, clientId });
    if (!_safeEqual(password, expected.password)) return refuse('bad-credentials', 'Signature password does not match (signed with another secret or client id?)');
    return { ok: true, identity: { mode: 'Signature', id: accessKeyId, permissions: key.permissions && [key.permissions] } };
  }

  async #device(deviceAccessKeyId: string, password: string, clientId: string): Promise<AuthResult> {
    const device = this.#devices._byKeyId(deviceAccessKeyId);
    if (!device) return refuse('bad-credentials', 'unknown DeviceAccessKeyId');
    if (device.clientId !== clientId) return refuse('not-authorized', 'the device credential belongs to another client id');
    const expected = await deviceCredentials({
      deviceAccessKeyId,
      deviceAccessKeySecret: device.secret,
      instanceId: this.#instanceId,
      clientId,
    });
    if (!_safeEqual(password, expected.password)) return refuse('bad-credentials', 'DeviceCredential password does not match');
    const permissions = this.#devicePermissions && [this.#devicePermissions];
    return { ok: true, identity: { mode: 'DeviceCredential', id: deviceAccessKeyId, permissions } };
  }

  async #customIdentity(username: string, custom: CustomSecret, password: string, clientId: string): Promise<AuthResult> {
    const expected =
      custom.signMode === 'ORIGIN' ? custom.secret : (await customCredentials({ username, secret: custom.secret, clientId, signMode: 'SIGNED' })).password;
    if (!_safeEqual(password, expected)) return refuse('bad-credentials', `custom identity password does not match (sign mode ${custom.signMode})`);
    return { ok: true, identity: { mode: 'Custom', id: username, permissions: custom.permissions && [custom.permissions] } };
  }

  #token(accessKeyId: string, password: string): AuthResult {
    if (!this.#accessKeys.has(accessKeyId)) return refuse('bad-credentials', 'unknown AccessKey id');
    const presented = _parseTokenPassword(password);
    if (!presented) return refuse('bad-credentials', 'Token password is not <type>|<token> pairs with types R, W, RW');
    const tokens = new Map<TokenType, HeldToken>();
    for (const [type, token] of presented) {
      const check = this.checkToken(token, type, accessKeyId);
      if (!check.ok) {
        const kind = check.code === 1 || check.code === 8 ? 'bad-credentials' : 'not-authorized';
        return refuse(kind, `${type} token: ${check.reason}`, check.code);
      }
      tokens.set(type, check.held);
    }
    return { ok: true, identity: { mode: 'Token', id: accessKeyId, permissions: [...tokens.values()].map((t) => t.permissions), tokens } };
  }
}
