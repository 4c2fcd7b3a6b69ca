/**
 * STS played on loopback: `AssumeRole` (Security Token Service, version 2015-04-01) for the roles of
 * the broker's configuration, answering temporary credentials (`STS.…` AccessKeyId, secret,
 * SecurityToken, Expiration) that the OpenAPI then accepts, until they expire, on every `onsmqtt`
 * action. Answers and error codes follow the AssumeRole API reference and the common error codes of
 * Alibaba's gateway (`InvalidSecurityToken.Expired` / `.Malformed` / `.MismatchWithAccessKey`).
 *
 * What the emulation does not do: role trust policies and the `Policy` parameter are not evaluated
 * (any configured AccessKey may assume any configured role, and the session has the AccessKey's own
 * rights); calls made with the credentials act as the AccessKey that assumed the role (tokens
 * applied with them are bound to it, so Token-mode Usernames name that AccessKey).
 * @module
 */
import { _invalid } from '../../errors.js';
import { rpcTimestamp } from '../../openapi/rpc.js';
import { ApiFailure, invalidParameter, missing } from './error-answers.js';
import type { Params } from './params.js';

/** The STS API version the service answers. */
export const STS_API_VERSION = '2015-04-01';

/** A RAM role the local STS lets callers assume. */
export interface RoleConfig {
  /** The role's ARN, e.g. `acs:ram::1234567890123456:role/mqtt-token-issuer`. */
  arn: string;
  /** The longest session, seconds (default 3600; Alibaba allows a role 3600 to 43200). */
  maxSessionSeconds?: number;
}

/** Settings of the local STS. */
export interface StsSettings {
  /** The roles that may be assumed. */
  roles: readonly RoleConfig[];
  /**
   * The shortest `DurationSeconds` accepted (default 900, as Alibaba's). Tests may set it lower (down
   * to 1) to see credentials expire without waiting a quarter of an hour.
   */
  minSessionSeconds?: number;
}

// --- error answers (STS API reference and the gateway's common codes) -------------------------------

/** `InvalidSecurityToken.Expired`: temporary credentials past their Expiration. */
export const securityTokenExpired = () => new ApiFailure(400, 'InvalidSecurityToken.Expired', 'Specified SecurityToken is expired.');
/** `InvalidSecurityToken.Malformed`: a SecurityToken the service never issued. */
export const securityTokenMalformed = () => new ApiFailure(400, 'InvalidSecurityToken.Malformed', 'Specified SecurityToken is malformed.');
/** `InvalidSecurityToken.MismatchWithAccessKey`: a SecurityToken issued with another AccessKeyId. */
export const securityTokenMismatch = () => new ApiFailure(400, 'InvalidSecurityToken.MismatchWithAccessKey', 'Specified SecurityToken mismatch with the AccessKey.');
/**
 * `MissingSecurityToken`: an `STS.` AccessKeyId sent without its SecurityToken (the POP gateway's
 * `Missing<Name>` pattern; inferred, no page lists it).
 */
export const securityTokenMissing = () => new ApiFailure(400, 'MissingSecurityToken', 'SecurityToken is mandatory for this action.');

const roleNotFound = (arn: string) => new ApiFailure(404, 'EntityNotExist.Role', `The role not exists: ${arn.slice(0, 200)}.`);
const noPermission = () => new ApiFailure(403, 'NoPermission', 'You are not authorized to do this action. You should be authorized by RAM.');

const ARN = /^acs:ram::\d+:role\/[\w.@+=,-]{1,64}$/i;
const SESSION_NAME = /^[\w.@-]{2,64}$/;
const DEFAULT_MAX = 3600;

/** One issued set of temporary credentials. */
interface Issued {
  secret: string;
  token: string;
  expiresAt: number;
  /** The configured AccessKey that assumed the role (calls act as it). */
  parent: string;
}

/** What a call signed with `STS.…` credentials resolves to. */
export interface StsResolved {
  /** The secret the request must be signed with. */
  secret: string;
  /** The AccessKey that assumed the role. */
  parentAccessKeyId: string;
}

const random = (bytes: number): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(bytes));
const base64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));
const alnum = (bytes: number): string => base64(random(bytes)).replace(/[+/=]/g, '').slice(0, bytes);

/** At most this many sets are kept (expired ones are dropped first), so a caller cannot grow it without bound. */
const MAX_ISSUED = 10_000;
/** How long an expired set is remembered, to answer `.Expired` rather than `.Malformed` for it. */
const REMEMBER_EXPIRED_MS = 60 * 60_000;

/**
 * Checks `roles` and `minSessionSeconds` (a broker config's `roles`, or the service's `sts`).
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the setting (e.g. `roles[0].arn`).
 */
export function checkStsSettings(settings: StsSettings, field = 'sts.minSessionSeconds'): { roles: Map<string, number>; minSeconds: number } {
  const roles = new Map<string, number>();
  const list: unknown = settings.roles;
  if (!Array.isArray(list)) throw _invalid('roles', 'must be a list of { arn, maxSessionSeconds? }');
  list.forEach((role: unknown, i) => {
    const at = `roles[${i}]`;
    const arn = (role as RoleConfig | null)?.arn;
    if (typeof arn !== 'string' || !ARN.test(arn)) throw _invalid(`${at}.arn`, 'must be a RAM role ARN like "acs:ram::1234567890123456:role/mqtt-token-issuer"');
    if (roles.has(arn.toLowerCase())) throw _invalid(`${at}.arn`, 'repeats an earlier role');
    const max = (role as RoleConfig).maxSessionSeconds ?? DEFAULT_MAX;
    if (!Number.isSafeInteger(max) || max < 1 || max > 43_200) throw _invalid(`${at}.maxSessionSeconds`, 'must be a whole number of seconds from 1 to 43200');
    roles.set(arn.toLowerCase(), max);
  });
  const minSeconds = settings.minSessionSeconds ?? 900;
  if (!Number.isSafeInteger(minSeconds) || minSeconds < 1 || minSeconds > 43_200) throw _invalid(field, 'must be a whole number of seconds from 1 to 43200');
  return { roles, minSeconds };
}

/** The local STS: AssumeRole, and the lookup the gateway does for each `STS.…` AccessKeyId. */
export class LocalSts {
  readonly #roles: Map<string, number>;
  readonly #minSeconds: number;
  readonly #now: () => number;
  readonly #issued = new Map<string, Issued>();
  /** SecurityToken → the AccessKeyId it was issued with (to tell a mismatch from a forgery). */
  readonly #tokens = new Map<string, string>();

  constructor(settings: StsSettings, now: () => number) {
    const { roles, minSeconds } = checkStsSettings(settings);
    this.#roles = roles;
    this.#minSeconds = minSeconds;
    this.#now = now;
  }

  /** Whether `accessKeyId` is one of this STS's (issued, perhaps expired and still remembered). */
  has(accessKeyId: string): boolean {
    return this.#issued.has(accessKeyId);
  }

  /**
   * The secret and parent AccessKey of temporary credentials, or the documented failure: no token,
   * a token never issued (`.Malformed`), issued with another AccessKeyId (`.MismatchWithAccessKey`),
   * or past its Expiration (`.Expired`).
   */
  resolve(accessKeyId: string, securityToken: string | undefined): StsResolved {
    const issued = this.#issued.get(accessKeyId)!;
    if (!securityToken) throw securityTokenMissing();
    if (securityToken !== issued.token) throw this.#tokens.has(securityToken) ? securityTokenMismatch() : securityTokenMalformed();
    if (this.#now() >= issued.expiresAt) throw securityTokenExpired();
    return { secret: issued.secret, parentAccessKeyId: issued.parent };
  }

  /** A SecurityToken sent with a permanent AccessKey: one of ours (issued to another id) or a forgery. */
  strayToken(securityToken: string): ApiFailure {
    return this.#tokens.has(securityToken) ? securityTokenMismatch() : securityTokenMalformed();
  }

  /** AssumeRole for `caller` (a configured, permanent AccessKey). */
  assumeRole(params: Params, caller: string, temporary: boolean): Record<string, unknown> {
    if (temporary) throw noPermission();
    const arn = requiredParam(params, 'RoleArn');
    const sessionName = requiredParam(params, 'RoleSessionName');
    if (!SESSION_NAME.test(sessionName)) throw invalidParameter('RoleSessionName', 'RoleSessionName must be 2 to 64 letters, digits, ".", "@", "-" or "_".');
    const max = this.#roles.get(arn.toLowerCase());
    if (max === undefined) throw roleNotFound(arn);
    const duration = integerParam(params, 'DurationSeconds', Math.min(this.#minSeconds, max), max) ?? Math.min(DEFAULT_MAX, max);
    const now = this.#now();
    // Whole seconds, so that Expiration (ISO to the second) is exactly when the credentials stop working.
    const expiresAt = Math.floor(now / 1000) * 1000 + duration * 1000;
    this.#prune(now);
    const accessKeyId = `STS.${alnum(24)}`;
    const secret = alnum(40);
    const token = `CAIS${base64(random(96))}`;
    this.#issued.set(accessKeyId, { secret, token, expiresAt, parent: caller });
    this.#tokens.set(token, accessKeyId);
    const account = /^acs:ram::(\d+):/.exec(arn)![1];
    return {
      AssumedRoleUser: { Arn: `${arn}/${sessionName}`, AssumedRoleId: `3${account!.slice(0, 17)}:${sessionName}` },
      Credentials: { AccessKeyId: accessKeyId, AccessKeySecret: secret, SecurityToken: token, Expiration: rpcTimestamp(expiresAt) },
    };
  }

  /** Drops sets expired long ago, and the oldest when full. */
  #prune(now: number): void {
    for (const [id, issued] of this.#issued) {
      if (issued.expiresAt + REMEMBER_EXPIRED_MS > now && this.#issued.size < MAX_ISSUED) continue;
      this.#issued.delete(id);
      this.#tokens.delete(issued.token);
    }
  }
}

/** A required STS parameter (STS is not an `onsmqtt` action, so the contract's parser does not read it). */
function requiredParam(params: Params, name: string): string {
  const value = params.get(name);
  if (value === undefined || value === '') throw missing(name);
  return value;
}

/** An optional integer STS parameter within `[min, max]`; `InvalidParameter.<Name>` otherwise. */
function integerParam(params: Params, name: string, min: number, max: number): number | undefined {
  const text = params.get(name);
  if (text === undefined || text === '') return undefined;
  const value = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) throw invalidParameter(name, `${name} must be an integer from ${min} to ${max}.`);
  return value;
}
