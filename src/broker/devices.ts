/**
 * The local broker's device credentials: what RegisterDeviceCredential, GetDeviceCredential,
 * RefreshDeviceCredential and UnRegisterDeviceCredential do on a real instance, as an importable store.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { _invalid } from '../errors.js';
import { validateClientId } from '../credentials/client-id.js';
import { _ownConfig, _storeOptions } from './config.js';

/**
 * A device credential, with the field names of the OpenAPI's answer. `DeviceAccessKeySecret` is a
 * getter: readable, but left out of `JSON.stringify`, spreads and `util.inspect`.
 */
export interface StoredDeviceCredential {
  /** The client id it is bound to. */
  readonly ClientId: string;
  /** The key id of `DeviceCredential|<id>|…` Usernames. */
  readonly DeviceAccessKeyId: string;
  /** The secret the device signs with (a getter, hidden from JSON and `util.inspect`). */
  readonly DeviceAccessKeySecret: string;
  /** The instance. */
  readonly InstanceId: string;
  /** UNIX ms. */
  readonly CreateTime: number;
  /** UNIX ms. */
  readonly UpdateTime: number;
}


/** A credential given in the configuration (the secret chosen by the caller). */
export interface DeviceCredentialInput {
  /** The client id it is for. */
  clientId: string;
  /** Its DeviceAccessKeyId. */
  deviceAccessKeyId: string;
  /** Its secret. */
  deviceAccessKeySecret: string;
}

/** Options of the {@link DeviceStore} constructor. */
export interface DeviceStoreOptions {
  /** The instance the records name. */
  instanceId: string;
  /** The clock (default: the real one). */
  clock?: Clock;
}

interface Entry {
  clientId: string;
  keyId: string;
  secret: string;
  createTime: number;
  updateTime: number;
}

function requireString(clientId: unknown): string {
  if (typeof clientId !== 'string') throw _invalid('clientId', 'must be a string');
  return clientId;
}

function requireClientId(clientId: unknown): string {
  const result = validateClientId(clientId);
  if (!result.valid) throw _invalid('clientId', result.problems[0]!.message.replace(/^clientId /, ''));
  return clientId as string;
}

/**
 * Device credentials by client id. Secrets live in private fields, so the store prints as
 * `DeviceStore {}`, and each record hides its secret from `JSON.stringify` and `util.inspect`.
 *
 * @example
 * ```ts
 * const device = broker.devices.register('GID_demo@@@sensor-1')
 * await deviceCredentials({ deviceAccessKeyId: device.DeviceAccessKeyId,
 *   deviceAccessKeySecret: device.DeviceAccessKeySecret, instanceId, clientId: device.ClientId })
 * ```
 */
export class DeviceStore {
  readonly #byClientId = new Map<string, Entry>();
  readonly #byKeyId = new Map<string, Entry>();
  readonly #instanceId: string;
  readonly #clock: Clock;

  constructor(options: DeviceStoreOptions) {
    const { instanceId, clock } = _storeOptions(options, '{ instanceId, clock? }');
    this.#instanceId = instanceId;
    this.#clock = clock;
  }

  /**
   * RegisterDeviceCredential: a new credential for `clientId`, or the existing one if it has one.
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` (field `clientId`) for an invalid client id.
   */
  register(clientId: string): StoredDeviceCredential {
    const existing = this.#byClientId.get(requireClientId(clientId));
    if (existing) return this.#record(existing);
    const now = this.#clock.now();
    return this.#record(this.#put({ clientId, keyId: newKeyId(), secret: newSecret(), createTime: now, updateTime: now }));
  }

  /**
   * Adds a credential chosen elsewhere (a config file), replacing any for the same client id.
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the field.
   */
  add(input: DeviceCredentialInput): StoredDeviceCredential {
    if (input === null || typeof input !== 'object') throw _invalid('input', 'must be { clientId, deviceAccessKeyId, deviceAccessKeySecret }');
    input = _ownConfig(input); // own fields only; a config file's hidden secret stays
    const clientId = requireClientId(input.clientId);
    const keyId = input.deviceAccessKeyId;
    if (typeof keyId !== 'string' || !/^[^|\s]+$/.test(keyId)) throw _invalid('deviceAccessKeyId', 'must be a non-empty string without "|" or white space');
    const secret = input.deviceAccessKeySecret;
    if (typeof secret !== 'string' || secret.length === 0) throw _invalid('deviceAccessKeySecret', 'must be a non-empty string');
    const owner = this.#byKeyId.get(keyId);
    if (owner && owner.clientId !== clientId) throw _invalid('deviceAccessKeyId', `is already used by another client id (${owner.clientId})`);
    this.unregister(clientId);
    const now = this.#clock.now();
    return this.#record(this.#put({ clientId, keyId, secret, createTime: now, updateTime: now }));
  }

  /** GetDeviceCredential: the credential of `clientId`, or `undefined`. */
  get(clientId: string): StoredDeviceCredential | undefined {
    const entry = this.#byClientId.get(requireString(clientId));
    return entry && this.#record(entry);
  }

  /**
   * RefreshDeviceCredential: a new secret for `clientId` (the key id stays); the old secret stops working.
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` (field `clientId`) when it has no credential.
   */
  refresh(clientId: string): StoredDeviceCredential {
    const entry = this.#byClientId.get(requireString(clientId));
    if (!entry) throw _invalid('clientId', 'has no device credential (register it first)');
    entry.secret = newSecret();
    entry.updateTime = this.#clock.now();
    return this.#record(entry);
  }

  /** UnRegisterDeviceCredential: removes the credential; `false` when there was none. */
  unregister(clientId: string): boolean {
    const entry = this.#byClientId.get(requireString(clientId));
    if (!entry) return false;
    this.#byClientId.delete(clientId);
    this.#byKeyId.delete(entry.keyId);
    return true;
  }

  /** @internal The credential a DeviceCredential Username names, for the authenticator. */
  _byKeyId(deviceAccessKeyId: string): { clientId: string; secret: string } | undefined {
    const entry = this.#byKeyId.get(deviceAccessKeyId);
    return entry && { clientId: entry.clientId, secret: entry.secret };
  }

  /** ListDeviceCredentialClientId: the client ids holding a credential, in registration order. */
  clientIds(): string[] {
    return [...this.#byClientId.keys()];
  }

  /** How many credentials the store holds. */
  get size(): number {
    return this.#byClientId.size;
  }

  #put(entry: Entry): Entry {
    this.#byClientId.set(entry.clientId, entry);
    this.#byKeyId.set(entry.keyId, entry);
    return entry;
  }

  #record(entry: Entry): StoredDeviceCredential {
    return Object.freeze(new DeviceCredentialRecord(entry, this.#instanceId));
  }
}

/** A snapshot of one credential; the secret sits behind a getter, so no dump of the object shows it. */
class DeviceCredentialRecord implements StoredDeviceCredential {
  readonly ClientId: string;
  readonly DeviceAccessKeyId: string;
  readonly InstanceId: string;
  readonly CreateTime: number;
  readonly UpdateTime: number;
  readonly #secret: string;

  constructor(entry: Entry, instanceId: string) {
    this.ClientId = entry.clientId;
    this.DeviceAccessKeyId = entry.keyId;
    this.InstanceId = instanceId;
    this.CreateTime = entry.createTime;
    this.UpdateTime = entry.updateTime;
    this.#secret = entry.secret;
  }

  get DeviceAccessKeySecret(): string {
    return this.#secret;
  }
}

/** @internal The record as the OpenAPI answers it, secret included: for the caller's own response body. */
export function _deviceCredentialBody(record: StoredDeviceCredential): Record<string, string | number> {
  return { ...record, DeviceAccessKeySecret: record.DeviceAccessKeySecret };
}

const newKeyId = () => 'DeviceKey' + randomBytes(12).toString('hex');
const newSecret = () => randomBytes(24).toString('base64url');
