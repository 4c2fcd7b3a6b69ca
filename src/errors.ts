/**
 * The one error class of the SDK. Callers branch on `code`, never on message text.
 * Messages name the field and the rule that was broken; they never contain a secret's value.
 * @module
 */
import { _ownCopy } from './own.js';

/** Stable error codes. New codes may be added; existing ones never change meaning. */
export type ApsaraMqttAuthErrorCode =
  /** An argument has the wrong type or an impossible value. `field` names it. */
  | 'ERR_INVALID_ARGUMENT'
  /** A client id breaks ApsaraMQ's `<GroupId>@@@<DeviceId>` rules. `field` names it. */
  | 'ERR_INVALID_CLIENT_ID'
  /** No HMAC-SHA1 implementation could be used (WebCrypto missing and no fallback). */
  | 'ERR_HMAC_UNAVAILABLE'
  /** mqtt.js could not be loaded (not installed, or no `mqtt` global on a page). */
  | 'ERR_MQTT_UNAVAILABLE'
  /** The broker refused the connection (CONNACK return/reason code in `returnCode`). */
  | 'ERR_CONNECT_REFUSED'
  /** The broker could not be reached, or closed the connection before answering CONNECT. */
  | 'ERR_CONNECT_FAILED'
  /** The credentials could not be obtained (provider failed, credential server said no). */
  | 'ERR_CREDENTIALS_UNAVAILABLE'
  /** The broker reported the token invalid (`$SYS/tokenInvalidNotice`); `returnCode` has its code. */
  | 'ERR_TOKEN_INVALID'
  /**
   * The broker refused one publish or subscribe: `$SYS/tokenInvalidNotice` code 4 or 5, an MQTT
   * reason code on the SUBACK/PUBACK or the DISCONNECT after it (`returnCode`: 0x87, 0x97, 0x9A; 0x80
   * on an MQTT 3.1.1 SUBACK), or, under MQTT 3.1.1, a clean disconnect while the call awaited its
   * answer (no `returnCode`). `field` is `topic`; the message names the action, the topic and the
   * reason; `cause` is the `TokenInvalidNotice`. Never retried.
   */
  | 'ERR_NOT_AUTHORIZED'
  /**
   * A publish or subscribe names a topic ApsaraMQ's documented limits rule out (characters, 64
   * characters, `$share/` and `$queue/`, a wildcard in a publish, a `$` topic other than
   * `$SYS/uploadToken` and `$SYS/enableOrderMsg`): refused before anything is sent, the rule named in
   * the message; or the broker refused it for the topic itself (MQTT 5 reason code 0x8F, 0x90, 0x9E,
   * 0xA2 in `returnCode`). `field` is `topic`; never retried.
   */
  | 'ERR_INVALID_TOPIC'
  /** An OpenAPI call (ApplyToken, QueryToken, RevokeToken) failed. */
  | 'ERR_OPENAPI'
  /** A request to the credential handler was refused by its `authorize` callback. */
  | 'ERR_FORBIDDEN'
  /** The local broker could not start: a peer dependency (`field`) is missing or a port (`field`) could not be bound. */
  | 'ERR_BROKER_UNAVAILABLE'
  /** A shared token store (Redis) failed or answered too slowly; the token issuer works from its own cache meanwhile. */
  | 'ERR_STORE_UNAVAILABLE';

/**
 * The most specific reason the SDK can tell, without the broker's help, why a CONNECT was refused
 * (`ERR_CONNECT_REFUSED`); the message says it too, in words:
 * - `token-expired`: the credentials it sent had expired (their `expiresAt`, on the issuer's clock);
 * - `instance-mismatch`: the Username names another instance than the endpoint's host
 *   (`<instanceId>.mqtt.aliyuncs.com`) or the connection's `instanceId`;
 * - `client-id-mismatch`: the Password was signed for another client id (or Group ID) than the one connecting;
 * - `secret-whitespace`: the secret it was signed with has white space at its ends.
 * New values may be added; existing ones never change meaning.
 */
export type ConnectRefusalCause = 'token-expired' | 'instance-mismatch' | 'client-id-mismatch' | 'secret-whitespace';

/** Extra details carried by an {@link ApsaraMqttAuthError}. */
export interface ApsaraMqttAuthErrorOptions {
  /** The input field (or CLI flag) at fault, e.g. `clientId` or `tokens.RW`. */
  field?: string;
  /** A CONNACK return code (MQTT 3.1.1), reason code (MQTT 5) or token-invalid code. */
  returnCode?: number;
  /** The underlying error, if any. */
  cause?: unknown;
}


/** A message as text, without throwing (`String` throws for some objects). */
function textOf(message: unknown): string {
  try {
    return String(message);
  } catch {
    return '';
  }
}

/**
 * Thrown (or emitted) by every part of the SDK.
 *
 * @example
 * ```ts
 * try { await signatureCredentials(opts) }
 * catch (e) { if (e instanceof ApsaraMqttAuthError && e.code === 'ERR_INVALID_CLIENT_ID') showHint(e.field) }
 * ```
 */
export class ApsaraMqttAuthError extends Error {
  /** Stable machine-readable code. */
  declare readonly code: ApsaraMqttAuthErrorCode;
  /** The input field at fault, when there is one. */
  declare readonly field?: string;
  /** CONNACK return code / MQTT 5 reason code / token-invalid code, when there is one. */
  declare readonly returnCode?: number;
  /**
   * `ERR_CONNECT_REFUSED` only: why, as far as the SDK can tell without the broker's help (the
   * credentials it sent had expired, the Username names another instance, …). Absent when it cannot
   * tell. (Set by the managed connection, not through the constructor: a page that only signs does
   * not carry it.)
   */
  declare readonly likelyCause?: ConnectRefusalCause;

  constructor(code: ApsaraMqttAuthErrorCode, message: string, options?: ApsaraMqttAuthErrorOptions) {
    // Lenient by design (an error's constructor must not throw): options that are not an object
    // count as none, and only their own properties are read.
    // (A primitive has no such property.)
    const { cause, field, returnCode } = _ownCopy(options as ApsaraMqttAuthErrorOptions);
    // Error keeps `cause` as a non-enumerable own property.
    super(textOf(message), cause === undefined ? undefined : { cause });
    // Own enumerable properties (undefined when absent), so JSON.stringify shows them.
    this.code = code;
    this.field = field;
    this.returnCode = returnCode;
  }

  // A getter on the prototype keeps `name` right after minification renames the class.
  /** Always `ApsaraMqttAuthError`, in every build (minified ones included), subclasses too. */
  override get name(): string {
    return 'ApsaraMqttAuthError';
  }
}

/**
 * @internal An error that may quote sensitive values (a network error quoting a request's URL or
 * body, a caller's `fetch` quoting its arguments), as one plain error: the messages of its cause
 * chain joined by ": " (e.g. "fetch failed: connect ECONNREFUSED 127.0.0.1:9"), each sensitive value
 * masked as is and as quoted inside JSON (values under 4 characters are left: masking them hides
 * nothing), at most 1000 characters.
 */
export function _redactedCause(error: unknown, sensitive: readonly string[]): Error {
  const parts: unknown[] = [];
  for (let e = error as { message?: unknown; cause?: unknown } | undefined, i = 0; e != null && i < 4; e = e.cause as typeof e, i++) parts.push(typeof e.message === 'string' ? e.message : typeof e === 'string' ? e : '');
  let message = parts.join(': ');
  for (const value of sensitive) for (const form of [value, JSON.stringify(value).slice(1, -1)]) if (form.length > 3) message = message.split(form).join('***');
  return new Error(message.slice(0, 1000));
}

/**
 * @internal `<prefix>.<key>` for a key that reads as a short name, else `prefix` alone: a key is
 * echoed in errors only when it cannot be a pasted secret (AccessKey ids and secrets, tokens and
 * device secrets are all longer than 16 characters) or a megabyte of text.
 */
export function _fieldOf(prefix: string, key: string): string {
  return /^[A-Za-z][\w-]{0,15}$/.test(key) ? `${prefix}.${key}` : prefix;
}

/** @internal Shorthand for the commonest failure: a bad argument, named. */
export function _invalid(field: string, rule: string, cause?: unknown): ApsaraMqttAuthError {
  return new ApsaraMqttAuthError('ERR_INVALID_ARGUMENT', `${field} ${rule}`, cause === undefined ? { field } : { field, cause });
}
