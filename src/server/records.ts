/**
 * What the `onsmqtt` calls return. Each keeps its secret (a token, a device secret) in a `#private`
 * field behind a getter, so logging, `JSON.stringify` or `util.inspect` of the object shows everything
 * but the secret.
 * @module
 */
import { _invalid } from '../errors.js';
import type { TokenType } from '../protocol/token-password.js';
import { _requireOptions, _requireString } from '../credentials/validate.js';
import type { TokenActions } from '../protocol/token-rules.js';

/** A token from ApplyToken. Read the value with {@link AppliedToken.token}; it is never printed. */
export class AppliedToken {
  /** The instance the token is for. */
  readonly instanceId: string;
  /** The topics it allows, sorted, as sent to ApplyToken. */
  readonly resources: readonly string[];
  /** What it allows on them. */
  readonly actions: TokenActions;
  /** The password prefix that goes with the actions: `R`, `W` or `RW`. */
  readonly type: TokenType;
  /** When it expires, in milliseconds since the epoch (the ExpireTime sent). */
  readonly expiresAt: number;
  /** The service's `RequestId`. */
  readonly requestId?: string;
  readonly #token: string;

  /** @internal Made by the client, not by callers. */
  constructor(token: string, info: Omit<AppliedToken, 'token'>) {
    info = _requireOptions(info, 'info');
    this.#token = _requireString(token, 'token');
    this.instanceId = info.instanceId;
    if (!Array.isArray(info.resources)) throw _invalid('info.resources', 'must be an array of topics');
    this.resources = Object.freeze([...info.resources]);
    this.actions = info.actions;
    this.type = info.type;
    this.expiresAt = info.expiresAt;
    if (info.requestId !== undefined) this.requestId = info.requestId;
    Object.freeze(this);
  }

  /** The token itself: the part after `<type>|` in a Token-mode password. */
  get token(): string {
    return this.#token;
  }
}

/** A device credential from Register/Get/RefreshDeviceCredential; the secret is behind a getter. */
export class DeviceCredential {
  /** The client id it was registered for. */
  readonly clientId: string;
  /** The instance. */
  readonly instanceId: string;
  /** The device's AccessKey id (not secret: it appears in the Username). */
  readonly deviceAccessKeyId: string;
  /** When it was created, ms since the epoch. */
  readonly createTime?: number;
  /** When it was last refreshed, ms since the epoch. */
  readonly updateTime?: number;
  /** The service's `RequestId`. */
  readonly requestId?: string;
  readonly #secret: string;

  /** @internal Made by the client, not by callers. */
  constructor(secret: string, info: Omit<DeviceCredential, 'deviceAccessKeySecret'>) {
    info = _requireOptions(info, 'info');
    this.#secret = _requireString(secret, 'deviceAccessKeySecret');
    this.clientId = info.clientId;
    this.instanceId = info.instanceId;
    this.deviceAccessKeyId = info.deviceAccessKeyId;
    if (info.createTime !== undefined) this.createTime = info.createTime;
    if (info.updateTime !== undefined) this.updateTime = info.updateTime;
    if (info.requestId !== undefined) this.requestId = info.requestId;
    Object.freeze(this);
  }

  /** The device's secret (`DeviceAccessKeySecret`): what `deviceCredentials()` signs with. */
  get deviceAccessKeySecret(): string {
    return this.#secret;
  }
}

/** A custom-authentication identity from QueryCustomAuthIdentity; the secret is behind a getter. */
export class CustomIdentity {
  /** The username clients connect with. */
  readonly username: string;
  /** `USER` (any client id) or `CLIENT` (one client id). */
  readonly identityType: 'USER' | 'CLIENT';
  /** For `CLIENT` identities. */
  readonly clientId?: string;
  /** How the password is checked. */
  readonly signMode: 'ORIGIN' | 'SIGNED';
  readonly #secret: string;

  /** @internal Made by the client, not by callers. */
  constructor(secret: string, info: Omit<CustomIdentity, 'secret'>) {
    info = _requireOptions(info, 'info');
    this.#secret = _requireString(secret, 'secret');
    this.username = info.username;
    this.identityType = info.identityType;
    if (info.clientId !== undefined) this.clientId = info.clientId;
    this.signMode = info.signMode;
    Object.freeze(this);
  }

  /** The identity's secret (what `customCredentials()` signs with in `SIGNED` mode). */
  get secret(): string {
    return this.#secret;
  }
}
