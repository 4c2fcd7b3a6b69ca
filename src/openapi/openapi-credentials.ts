/**
 * The credentials an OpenAPI call is signed with: a static AccessKey pair (with an STS SecurityToken
 * when temporary), or a provider asked before every call, in the shape of `@alicloud/credentials`'
 * `Client` (`getCredential()`), so that its default chain (environment, credentials file, ECS RAM
 * role, ACK RRSA/OIDC, credentials URI) plugs in without the SDK depending on it. The provider
 * caches and refreshes; this module only asks, bounds the wait, checks the answer, and keeps
 * secrets out of every message.
 * @module
 */
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { _own } from '../credentials/validate.js';

/** An AccessKey pair, with the SecurityToken of temporary (STS) credentials. */
export interface OpenApiCredentials {
  /** The AccessKey ID (`STS.…` for temporary credentials). */
  accessKeyId: string;
  /** Its secret. */
  accessKeySecret: string;
  /** The STS SecurityToken of temporary credentials (V3: `x-acs-security-token`; V2: `SecurityToken`). */
  securityToken?: string;
}

/**
 * Anything that answers current credentials when asked: `@alicloud/credentials`' `Client`
 * (`new Credential()` for the default chain), or your own. It is asked before every call and should
 * cache (and refresh before expiry) itself.
 */
export interface OpenApiCredentialProvider {
  /** The current credentials. `securityToken` may be absent, `null` or empty for a permanent AccessKey. */
  getCredential(): PromiseLike<{ accessKeyId?: string | null; accessKeySecret?: string | null; securityToken?: string | null }>;
}

/** What `credentials` options take: a static pair, or a provider. */
export type OpenApiCredentialsOption = OpenApiCredentials | OpenApiCredentialProvider;

/** Characters that cannot be in an AccessKey id, for they would change how a V3 `Authorization` header reads. */
const BAD_ID = /[\s,;=|]/;

/** A provider's message with anything that reads like a key, a secret or a token masked, and bounded. */
function redactMessage(error: unknown): string {
  const message = typeof (error as { message?: unknown } | undefined)?.message === 'string' ? (error as Error).message : '';
  // 16+ characters of key alphabet: AccessKey ids and secrets, SecurityTokens and signatures all are.
  return message.replace(/[A-Za-z0-9+/=._-]{16,}/g, '***').slice(0, 300);
}

const unavailable = (message: string, cause?: unknown) =>
  new ApsaraMqttAuthError('ERR_CREDENTIALS_UNAVAILABLE', message, { field: 'credentials', ...(cause === undefined ? {} : { cause }) });

/** Checks a credential set; `field` names where it came from. Messages never quote a value. */
function checked(value: unknown, fromProvider: boolean, prefix = 'credentials.'): OpenApiCredentials {
  const fail = (what: string, name: string) => (fromProvider ? unavailable(`credentials.getCredential() answered ${what}`) : _invalid(prefix + name, `must be ${what}`));
  const id = _own(value, 'accessKeyId');
  const secret = _own(value, 'accessKeySecret');
  const token = _own(value, 'securityToken');
  if (typeof id !== 'string' || !id || BAD_ID.test(id)) throw fail(fromProvider ? 'no usable accessKeyId' : 'a non-empty string without spaces, ",", ";", "=" or "|"', 'accessKeyId');
  if (typeof secret !== 'string' || !secret) throw fail(fromProvider ? 'no accessKeySecret' : 'a non-empty string', 'accessKeySecret');
  if (token !== undefined && token !== null && typeof token !== 'string') throw fail(fromProvider ? 'a securityToken that is not a string' : 'a string, if given', 'securityToken');
  return token ? { accessKeyId: id, accessKeySecret: secret, securityToken: token } : { accessKeyId: id, accessKeySecret: secret };
}

/** @internal Where a client's credentials come from. */
export interface _CredentialSource {
  /** The current credentials, within `timeout` ms. */
  get(): Promise<OpenApiCredentials>;
  /** The static AccessKey id, when the credentials are static (else `undefined`). */
  readonly staticId?: string;
  /** The static secret and token, to mask in messages (empty for a provider). */
  readonly staticSecrets: readonly string[];
}

/**
 * @internal The credential source of a client's options: `credentials` (static or a provider), else
 * `accessKeyId` + `accessKeySecret` (+ `securityToken`). Static values are copied into a closure
 * (the caller's object is not kept); a provider's answers are never stored.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the field.
 */
export function _credentialSource(options: { credentials?: unknown; accessKeyId?: unknown; accessKeySecret?: unknown; securityToken?: unknown }, timeout: number): _CredentialSource {
  const given = _own(options, 'credentials');
  if (given !== undefined) {
    if (given === null || typeof given !== 'object') throw _invalid('credentials', 'must be { accessKeyId, accessKeySecret, securityToken? } or a provider with getCredential()');
    const getCredential = (given as { getCredential?: unknown }).getCredential;
    if (typeof getCredential === 'function') {
      const provider = given as OpenApiCredentialProvider;
      return { get: () => ask(provider, timeout), staticSecrets: [] };
    }
    const fixed = checked(given, false);
    return staticSource(fixed);
  }
  const fixed = checked({ accessKeyId: _own(options, 'accessKeyId'), accessKeySecret: _own(options, 'accessKeySecret'), securityToken: _own(options, 'securityToken') }, false, '');
  return staticSource(fixed);
}

function staticSource(fixed: OpenApiCredentials): _CredentialSource {
  const answer = Promise.resolve(fixed);
  return { get: () => answer, staticId: fixed.accessKeyId, staticSecrets: fixed.securityToken ? [fixed.accessKeySecret, fixed.securityToken] : [fixed.accessKeySecret] };
}

/** Asks the provider once, bounded by `timeout`: a hang or a failure is a typed, redacted error. */
async function ask(provider: OpenApiCredentialProvider, timeout: number): Promise<OpenApiCredentials> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: PromiseLike<unknown>;
  try {
    pending = provider.getCredential();
  } catch (error) {
    throw unavailable(`credentials.getCredential() threw: ${redactMessage(error) || 'no message'}`);
  }
  const answer = Promise.resolve(pending);
  // Observed even when the timer wins, so a late rejection is never unhandled.
  answer.catch(() => undefined);
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(unavailable(`credentials.getCredential() did not answer within ${timeout} ms; check the credential provider (RAM role, STS endpoint, credentials URI)`)), timeout);
    // A pending provider must not keep a Node process alive on its own.
    (timer as { unref?: () => void }).unref?.();
  });
  let value: unknown;
  try {
    value = await Promise.race([answer, late]);
  } catch (error) {
    if (error instanceof ApsaraMqttAuthError && error.code === 'ERR_CREDENTIALS_UNAVAILABLE') throw error;
    throw unavailable(`credentials.getCredential() failed: ${redactMessage(error) || 'no message'}`);
  } finally {
    clearTimeout(timer);
  }
  return checked(value, true);
}
