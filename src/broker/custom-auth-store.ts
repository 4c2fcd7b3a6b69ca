/**
 * Custom authentication as an upgraded instance keeps it: identities (a username and secret, for every
 * client or for one client id), topic permissions, and the connection blacklist, managed by the
 * `*CustomAuthIdentity`, `*CustomAuthPermission` and `*CustomAuthConnectBlack` OpenAPI actions and
 * enforced by the broker on CONNECT, PUBLISH and SUBSCRIBE.
 *
 * From Alibaba's pages ("Custom authentication" overview, the API reference of each action):
 * - an identity is `USER` (the username alone; any client id) or `CLIENT` (username + one client id);
 * - `SignMode` `ORIGIN`: the password is the secret; `SIGNED`: Base64(HMAC-SHA1(secret, clientId));
 * - usernames are at most 64 characters; permissions name a topic filter, `PUB`/`SUB`/`PUB_SUB` and
 *   `ALLOW`/`DENY`, for a username (`USER`) or a client id (`CLIENT`); a topic needs a permission
 *   before a client may use it;
 * - identities, and permissions plus blacklist entries, are each limited to the instance's
 *   connection quota (`Customauth.over.capacity`).
 * Inferred where the pages are silent: a `CLIENT` identity is preferred over a `USER` identity of the
 * same username; a client's permissions are those of its username and of its client id together,
 * `DENY` winning (see rules.ts); changes apply to connected clients at their next PUBLISH/SUBSCRIBE;
 * deleting an identity leaves its connected clients connected (as UnRegisterDeviceCredential does).
 * @module
 */
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { _typeName } from '../internal/bytes.js';
import { validateClientId } from '../credentials/client-id.js';
import type { Action } from './acl.js';
import { topicProblem } from '../protocol/topics.js';
import type { AccessRule } from './rules.js';

/** `USER`: the username alone; `CLIENT`: the username with one client id. */
export type IdentityType = 'USER' | 'CLIENT';
/** How the password is checked: `ORIGIN` equals the secret, `SIGNED` is Base64(HMAC-SHA1(secret, clientId)). */
export type SignMode = 'ORIGIN' | 'SIGNED';
/** What a permission grants or denies: publish, subscribe, or both. */
export type PermitAction = 'PUB' | 'SUB' | 'PUB_SUB';
/** Whether a permission allows or denies. */
export type PermitEffect = 'ALLOW' | 'DENY';

/** The longest custom username the service accepts. */
export const MAX_CUSTOM_USERNAME_LENGTH = 64;

/** An identity to add or update. */
export interface CustomIdentityInput {
  /** The username clients connect with. */
  username: string;
  /** The secret (ORIGIN: the password itself; SIGNED: the HMAC key). */
  secret: string;
  /** Default `USER`. */
  identityType?: IdentityType;
  /** Required for `CLIENT`, refused for `USER`. */
  clientId?: string;
  /** How the password is made from the secret. */
  signMode: SignMode;
}

/** Which identity: its username, type and (for `CLIENT`) client id. */
export interface CustomIdentityKey {
  /** The identity's username. */
  username: string;
  /** `USER` or `CLIENT`. */
  identityType: IdentityType;
  /** For `CLIENT` identities: its client id. */
  clientId?: string;
}

/** An identity as QueryCustomAuthIdentity answers it (the secret behind a getter, out of every dump). */
export interface CustomIdentityRecord {
  /** The username. */
  readonly Username: string;
  /** `USER` or `CLIENT`. */
  readonly IdentityType: IdentityType;
  /** For `CLIENT` identities: its client id. */
  readonly ClientId?: string;
  /** `ORIGIN` or `SIGNED`. */
  readonly SignMode: SignMode;
  /** The secret, as the OpenAPI answers it (ListCustomAuthIdentity). */
  readonly Secret: string;
}

/** A topic permission, with the OpenAPI's field names. */
export interface CustomPermission {
  /** `USER` or `CLIENT`: what `Identity` names. */
  readonly IdentityType: IdentityType;
  /** The username (`USER`) or client id (`CLIENT`). */
  readonly Identity: string;
  /** A topic filter (`+` and `#` allowed). */
  readonly Topic: string;
  /** `PUB`, `SUB` or `PUB_SUB`. */
  readonly PermitAction: PermitAction;
  /** `ALLOW`, or `DENY` (which wins). */
  readonly Effect: PermitEffect;
}

/** A permission to add, update or delete (the key is identity type, identity and topic). */
export interface CustomPermissionInput {
  /** `USER` or `CLIENT`: what `identity` names. */
  identityType: IdentityType;
  /** The username (`USER`) or client id (`CLIENT`). */
  identity: string;
  /** A topic filter (`+` and `#` allowed). */
  topic: string;
  /** `PUB`, `SUB` or `PUB_SUB`. */
  permitAction: PermitAction;
  /** `ALLOW`, or `DENY` (which wins). */
  effect: PermitEffect;
}

/** Options of the {@link CustomAuthStore} constructor. */
export interface CustomAuthStoreOptions {
  /**
   * How many identities, and how many permissions and blacklist entries together, the store holds
   * (the instance's connection quota on a real instance). Default 100 000.
   */
  capacity?: number;
}

/** @internal What the authenticator needs to check a password. */
export interface _CustomSecret {
  readonly identityType: IdentityType;
  readonly signMode: SignMode;
  readonly secret: string;
}

/** The store refuses an entry beyond its capacity with this error (the OpenAPI's `Customauth.over.capacity`). */
export class CustomAuthCapacityError extends ApsaraMqttAuthError {
  /** The store's own message; `field` names what is over capacity. */
  constructor(message = 'Over custom auth capacity.', field = 'capacity') {
    super('ERR_INVALID_ARGUMENT', message, { field });
  }

  /** Always `CustomAuthCapacityError`, minified or not. */
  override get name(): string {
    return 'CustomAuthCapacityError';
  }
}

interface IdentityEntry extends _CustomSecret {
  readonly username: string;
  readonly clientId: string | undefined;
}

const ACTIONS: Readonly<Record<PermitAction, readonly Action[]>> = { PUB: ['W'], SUB: ['R'], PUB_SUB: ['W', 'R'] };

/** Own fields of an object argument (a polluted Object.prototype adds none); `{}` for `undefined`. */
function own<T extends object>(value: T | undefined, field: string): T {
  if (value === undefined) return Object.create(null) as T;
  if (value === null || typeof value !== 'object') throw _invalid(field, `must be an object (got ${_typeName(value)})`);
  return Object.assign(Object.create(null), value) as T;
}

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string') throw _invalid(field, `must be a string (got ${_typeName(value)})`);
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw _invalid(field, `must be ${allowed.map((a) => JSON.stringify(a)).join(' or ')} (got ${typeof value === 'string' ? `a string of ${value.length} characters` : _typeName(value)})`);
  }
  return value as T;
}

function requireUsername(value: unknown, field = 'username'): string {
  if (typeof value !== 'string' || value.length === 0) throw _invalid(field, `must be a non-empty string (got ${_typeName(value)})`);
  if (value.length > MAX_CUSTOM_USERNAME_LENGTH) throw _invalid(field, `must be at most ${MAX_CUSTOM_USERNAME_LENGTH} characters (it has ${value.length})`);
  if (/[\u0000-\u001f\u007f]/.test(value)) throw _invalid(field, 'must not contain control characters');
  return value;
}

function requireClientId(value: unknown, field = 'clientId'): string {
  const check = validateClientId(value);
  if (!check.valid) throw _invalid(field, `is not a valid client id (${check.problems[0]!.message})`);
  return value as string;
}

/** The identity's client id: required for `CLIENT`, absent for `USER`. */
function clientIdFor(type: IdentityType, clientId: unknown): string | undefined {
  if (type === 'USER') {
    if (clientId !== undefined && clientId !== '') throw _invalid('clientId', 'is only given for identity type CLIENT');
    return undefined;
  }
  if (clientId === undefined || clientId === '') throw _invalid('clientId', 'is required for identity type CLIENT');
  return requireClientId(clientId);
}

const identityKey = (type: IdentityType, username: string, clientId: string | undefined) => `${type}\n${username}\n${clientId ?? ''}`;
const permissionKey = (type: IdentityType, identity: string, topic: string) => `${type}\n${identity}\n${topic}`;

class IdentityRecord implements CustomIdentityRecord {
  readonly Username: string;
  readonly IdentityType: IdentityType;
  readonly ClientId?: string;
  readonly SignMode: SignMode;
  readonly #secret: string;

  constructor(entry: IdentityEntry) {
    this.Username = entry.username;
    this.IdentityType = entry.identityType;
    if (entry.clientId !== undefined) this.ClientId = entry.clientId;
    this.SignMode = entry.signMode;
    this.#secret = entry.secret;
  }

  get Secret(): string {
    return this.#secret;
  }
}

/**
 * Identities, permissions and the connection blacklist of one instance. Secrets live in private
 * fields; records hide them from `JSON.stringify` and `util.inspect`.
 *
 * @example
 * ```ts
 * broker.customAuth.addIdentity({ username: 'meter', secret: 's3cret', signMode: 'SIGNED' })
 * broker.customAuth.addPermission({ identityType: 'USER', identity: 'meter', topic: 'meters/#', permitAction: 'PUB', effect: 'ALLOW' })
 * ```
 */
export class CustomAuthStore {
  readonly #identities = new Map<string, IdentityEntry>();
  readonly #permissions = new Map<string, CustomPermission>();
  readonly #blacklist = new Set<string>();
  readonly #capacity: number;

  constructor(options: CustomAuthStoreOptions = {}) {
    const capacity = own(options, 'options').capacity ?? 100_000;
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw _invalid('capacity', 'must be a positive integer');
    this.#capacity = capacity;
  }

  // --- identities --------------------------------------------------------------------------

  /**
   * AddCustomAuthIdentity.
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the field (`username` when it exists already);
   *   {@link CustomAuthCapacityError} beyond the capacity.
   */
  addIdentity(input: CustomIdentityInput): CustomIdentityRecord {
    const entry = this.#identityEntry(input);
    const key = identityKey(entry.identityType, entry.username, entry.clientId);
    if (this.#identities.has(key)) throw _invalid('username', `already has a ${entry.identityType} identity${entry.clientId ? ' for this clientId' : ''} (use UpdateCustomAuthIdentity)`);
    if (this.#identities.size >= this.#capacity) throw new CustomAuthCapacityError('Over custom auth capacity.');
    this.#identities.set(key, entry);
    return new IdentityRecord(entry);
  }

  /**
   * UpdateCustomAuthIdentity: a new secret and sign mode for an existing identity.
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the field (`username` when there is no such identity).
   */
  updateIdentity(input: CustomIdentityInput): CustomIdentityRecord {
    const entry = this.#identityEntry(input);
    const key = identityKey(entry.identityType, entry.username, entry.clientId);
    if (!this.#identities.has(key)) throw _invalid('username', `has no ${entry.identityType} identity${entry.clientId ? ' for this clientId' : ''} (use AddCustomAuthIdentity)`);
    this.#identities.set(key, entry);
    return new IdentityRecord(entry);
  }

  /**
   * DeleteCustomAuthIdentity: `false` when there was no such identity.
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the field.
   */
  deleteIdentity(key: CustomIdentityKey): boolean {
    if (key === null || typeof key !== 'object') throw _invalid('identity', 'must be { username, identityType, clientId? }');
    key = own(key, 'identity');
    const identityType = oneOf(key.identityType, ['USER', 'CLIENT'] as const, 'identityType');
    const username = requireUsername(key.username);
    return this.#identities.delete(identityKey(identityType, username, clientIdFor(identityType, key.clientId)));
  }

  /** QueryCustomAuthIdentity: the identities matching every filter given, in insertion order. */
  identities(filter: { username?: string; identityType?: IdentityType; clientId?: string } = {}): CustomIdentityRecord[] {
    filter = own(filter, 'filter');
    const out: CustomIdentityRecord[] = [];
    for (const entry of this.#identities.values()) {
      if (filter.username !== undefined && entry.username !== filter.username) continue;
      if (filter.identityType !== undefined && entry.identityType !== filter.identityType) continue;
      if (filter.clientId !== undefined && entry.clientId !== filter.clientId) continue;
      out.push(new IdentityRecord(entry));
    }
    return out;
  }

  /** Whether some identity has this username (the broker then checks the CONNECT as a custom one). */
  hasUsername(username: string): boolean {
    requireText(username, 'username');
    for (const entry of this.#identities.values()) if (entry.username === username) return true;
    return false;
  }

  /** @internal The identity a CONNECT names: the `CLIENT` one for its client id first, else the `USER` one. */
  _find(username: string, clientId: string): _CustomSecret | undefined {
    return this.#identities.get(identityKey('CLIENT', username, clientId)) ?? this.#identities.get(identityKey('USER', username, undefined));
  }

  // --- permissions -------------------------------------------------------------------------

  /**
   * AddCustomAuthPermission.
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the field (`topic` when the permission exists);
   *   {@link CustomAuthCapacityError} beyond the capacity.
   */
  addPermission(input: CustomPermissionInput): CustomPermission {
    const permission = this.#permission(input);
    const key = permissionKey(permission.IdentityType, permission.Identity, permission.Topic);
    if (this.#permissions.has(key)) throw _invalid('topic', 'already has a permission for this identity (use UpdateCustomAuthPermission)');
    if (this.#permissions.size + this.#blacklist.size >= this.#capacity) throw new CustomAuthCapacityError('Over custom auth capacity.');
    this.#permissions.set(key, permission);
    return permission;
  }

  /**
   * UpdateCustomAuthPermission: new action and effect for an existing permission.
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the field (`topic` when there is no such permission).
   */
  updatePermission(input: CustomPermissionInput): CustomPermission {
    const permission = this.#permission(input);
    const key = permissionKey(permission.IdentityType, permission.Identity, permission.Topic);
    if (!this.#permissions.has(key)) throw _invalid('topic', 'has no permission for this identity (use AddCustomAuthPermission)');
    this.#permissions.set(key, permission);
    return permission;
  }

  /**
   * DeleteCustomAuthPermission: `false` when there was no such permission.
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the field.
   */
  deletePermission(key: { identityType: IdentityType; identity: string; topic: string }): boolean {
    if (key === null || typeof key !== 'object') throw _invalid('permission', 'must be { identityType, identity, topic }');
    key = own(key, 'permission');
    const identityType = oneOf(key.identityType, ['USER', 'CLIENT'] as const, 'identityType');
    if (typeof key.identity !== 'string' || key.identity.length === 0) throw _invalid('identity', 'must be a non-empty string');
    if (typeof key.topic !== 'string' || key.topic.length === 0) throw _invalid('topic', 'must be a non-empty topic filter');
    return this.#permissions.delete(permissionKey(identityType, key.identity, key.topic));
  }

  /** QueryCustomAuthPermission: the permissions matching every filter given, in insertion order. */
  permissions(filter: { identityType?: IdentityType; identity?: string; topic?: string } = {}): CustomPermission[] {
    filter = own(filter, 'filter');
    return [...this.#permissions.values()].filter(
      (p) =>
        (filter.identityType === undefined || p.IdentityType === filter.identityType) &&
        (filter.identity === undefined || p.Identity === filter.identity) &&
        (filter.topic === undefined || p.Topic === filter.topic),
    );
  }

  /** The rules that apply to a client: its username's (`USER`) and its client id's (`CLIENT`), read now. */
  rulesFor(username: string, clientId: string): AccessRule[] {
    requireText(username, 'username');
    requireText(clientId, 'clientId');
    const rules: AccessRule[] = [];
    for (const p of this.#permissions.values()) {
      const applies = p.IdentityType === 'USER' ? p.Identity === username : p.Identity === clientId;
      if (applies) rules.push({ effect: p.Effect === 'ALLOW' ? 'allow' : 'deny', actions: new Set(ACTIONS[p.PermitAction]), topic: p.Topic });
    }
    return rules;
  }

  // --- connection blacklist ----------------------------------------------------------------

  /**
   * AddCustomAuthConnectBlack: `false` when the client id was blacklisted already.
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` (field `clientId`); {@link CustomAuthCapacityError}.
   */
  block(clientId: string): boolean {
    requireClientId(clientId);
    if (this.#blacklist.has(clientId)) return false;
    if (this.#permissions.size + this.#blacklist.size >= this.#capacity) throw new CustomAuthCapacityError('Over custom auth capacity.');
    this.#blacklist.add(clientId);
    return true;
  }

  /** DeleteCustomAuthConnectBlack: `false` when the client id was not blacklisted. */
  unblock(clientId: string): boolean {
    requireText(clientId, 'clientId');
    return this.#blacklist.delete(clientId);
  }

  /** Whether CONNECTs with this client id are refused. */
  isBlocked(clientId: string): boolean {
    requireText(clientId, 'clientId');
    return this.#blacklist.has(clientId);
  }

  /** QueryCustomAuthConnectBlack: the blacklisted client ids, in insertion order. */
  blocked(): string[] {
    return [...this.#blacklist];
  }

  #identityEntry(input: CustomIdentityInput): IdentityEntry {
    if (input === null || typeof input !== 'object') throw _invalid('identity', 'must be { username, secret, identityType, clientId?, signMode }');
    input = own(input, 'identity');
    const identityType = input.identityType === undefined ? 'USER' : oneOf(input.identityType, ['USER', 'CLIENT'] as const, 'identityType');
    const username = requireUsername(input.username);
    const clientId = clientIdFor(identityType, input.clientId);
    const signMode = oneOf(input.signMode, ['ORIGIN', 'SIGNED'] as const, 'signMode');
    if (typeof input.secret !== 'string' || input.secret.length === 0) throw _invalid('secret', 'must be a non-empty string');
    return { username, identityType, clientId, signMode, secret: input.secret };
  }

  #permission(input: CustomPermissionInput): CustomPermission {
    if (input === null || typeof input !== 'object') throw _invalid('permission', 'must be { identityType, identity, topic, permitAction, effect }');
    input = own(input, 'permission');
    const identityType = oneOf(input.identityType, ['USER', 'CLIENT'] as const, 'identityType');
    const identity = identityType === 'USER' ? requireUsername(input.identity, 'identity') : requireClientId(input.identity, 'identity');
    const problem = topicProblem(input.topic, { filter: true });
    if (problem) throw _invalid('topic', problem);
    const permitAction = oneOf(input.permitAction, ['PUB', 'SUB', 'PUB_SUB'] as const, 'permitAction');
    const effect = oneOf(input.effect, ['ALLOW', 'DENY'] as const, 'effect');
    return Object.freeze({ IdentityType: identityType, Identity: identity, Topic: input.topic, PermitAction: permitAction, Effect: effect });
  }
}
