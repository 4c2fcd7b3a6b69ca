/**
 * The customer's side of HTTP authentication: a fetch-style `(request: Request) => Promise<Response>`
 * that an ApsaraMQ for MQTT instance (or the local broker) calls on each CONNECT. It reads and checks the
 * instance's request, hands the credentials to the application's `authenticate`, and answers in the
 * exact format the instance accepts (see `protocol/http-auth.ts`): `200`, `application/json`,
 * `{"result", "expireAt"?, "acl"?}`, at most 10 rules and 4 KB. A verdict that breaks those limits is
 * never sent: the handler answers 500 (which the instance counts as a failed authentication) and tells
 * `onError`.
 * @module
 */
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { _constantTimeEqual } from '../internal/equal.js';
import { _requireOptions } from '../credentials/validate.js';
import {
  formatHttpAuthResponse,
  parseHttpAuthRequest,
  type HttpAuthAclRule,
  type HttpAuthCredentials,
  type HttpAuthVerdict,
} from '../protocol/http-auth.js';
import { _errorResponse, _json } from '../http/json-answers.js';
import { _readBody } from '../http/body-limit.js';
import { _duplicateJsonKey, _nameable, _repeatedName } from '../internal/json-keys.js';

/** What `authenticate` may return: a verdict, or `true`/`false` for `allow` (no rules) / `deny`. */
export type HttpAuthDecision = HttpAuthVerdict | boolean;

/** What `authenticate` sees besides the credentials. */
export interface HttpAuthContext {
  /** The instance's HTTP request (its headers, e.g. a shared secret you configured, are yours to check). */
  readonly request: Request;
}

/** Inputs of {@link createHttpAuthHandler}. */
export interface HttpAuthHandlerOptions {
  /**
   * Decides one CONNECT. Return `{ result: 'allow', acl?, expireAt? }`, `{ result: 'deny' }`, or a
   * boolean. Without `acl` the client may use every topic; with it, only what the rules allow. Throwing
   * answers 500, which the instance treats as a failed authentication (the client is refused).
   */
  authenticate: (credentials: HttpAuthCredentials, context: HttpAuthContext) => HttpAuthDecision | Promise<HttpAuthDecision>;
  /** Largest request body accepted, bytes (default 16 384: a password may carry several tokens). */
  maxBodyBytes?: number;
  /** Told about every 5xx answer: an `authenticate` that threw, or a verdict the format does not allow. */
  onError?: (error: unknown, request: Request) => void;
}

/**
 * Constant-time comparison of a presented password (or whole credentials) with the expected one, so
 * the time taken says nothing about how much of it matched, nor how long the expected one is.
 *
 * @example
 * ```ts
 * const expected = await signatureCredentials({ accessKeyId, accessKeySecret, instanceId, clientId })
 * if (credentialsMatch({ username, password }, expected)) return { result: 'allow' }
 * ```
 */
export function credentialsMatch(given: { username: string; password: string }, expected: { username: string; password: string }): boolean {
  for (const [field, value] of [['given', given], ['expected', expected]] as const) {
    if (value === null || typeof value !== 'object' || typeof value.username !== 'string' || typeof value.password !== 'string') throw _invalid(field, 'must be { username, password } (strings)');
  }
  return _constantTimeEqual(`${given.username}\u0000${given.password}`, `${expected.username}\u0000${expected.password}`);
}

function verdictOf(decision: HttpAuthDecision): HttpAuthVerdict {
  if (decision === true) return { result: 'allow' };
  if (decision === false) return { result: 'deny' };
  if (decision === null || typeof decision !== 'object') throw _invalid('authenticate', 'must return { result: "allow" | "deny", acl?, expireAt? } or a boolean');
  return decision;
}

/**
 * An HTTP-authentication endpoint as a fetch-style handler.
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` for a bad option.
 * @example
 * ```ts
 * const handler = createHttpAuthHandler({
 *   authenticate: async ({ username, password, clientId }) => {
 *     const expected = await signatureCredentials({ accessKeyId, accessKeySecret, instanceId, clientId })
 *     if (!credentialsMatch({ username, password }, expected)) return { result: 'deny' }
 *     return { result: 'allow', acl: [{ effect: 'allow', action: ['publish', 'subscribe'], topic: `devices/${clientId}/#` }] }
 *   },
 * })
 * http.createServer(toNodeListener(handler)).listen(8080)   // or Bun.serve({ fetch: handler })
 * ```
 */
export function createHttpAuthHandler(options: HttpAuthHandlerOptions): (request: Request) => Promise<Response> {
  _requireOptions(options, 'options');
  if (typeof options.authenticate !== 'function') throw _invalid('authenticate', 'must be a function (credentials, context) => verdict');
  if (options.onError !== undefined && typeof options.onError !== 'function') throw _invalid('onError', 'must be a function');
  const maxBodyBytes = options.maxBodyBytes ?? 16_384;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 64) throw _invalid('maxBodyBytes', 'must be an integer of at least 64');
  const { authenticate, onError } = options;

  const failed = (error: unknown, request: Request): Response => {
    if (onError) {
      try {
        onError(error, request);
      } catch {
        // A failing logger must not turn an answer into a crash.
      }
    }
    // The instance refuses the client on any non-200 answer; the body is for people reading logs.
    return _errorResponse(500, 'ERR_CREDENTIALS_UNAVAILABLE', 'the authentication service failed');
  };

  return async function httpAuthHandler(request: Request): Promise<Response> {
    if (request.method.toUpperCase() !== 'POST') return _errorResponse(405, 'ERR_INVALID_ARGUMENT', 'method must be POST', 'method', { allow: 'POST' });
    const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') return _errorResponse(415, 'ERR_INVALID_ARGUMENT', 'content-type must be application/json', 'content-type');
    const text = await _readBody(request, maxBodyBytes);
    if (text === 'too-large') return _errorResponse(413, 'ERR_INVALID_ARGUMENT', `body must be at most ${maxBodyBytes} bytes`, 'body');
    if (text === 'unreadable') return _errorResponse(400, 'ERR_INVALID_ARGUMENT', 'body could not be read as UTF-8 text', 'body');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return _errorResponse(400, 'ERR_INVALID_ARGUMENT', 'body must be JSON {"username", "password", "clientId"}', 'body');
    }
    // Two clientIds (or usernames): authenticate and anything else reading the body must not disagree.
    const repeated = _duplicateJsonKey(text);
    if (repeated !== undefined) return _errorResponse(400, 'ERR_INVALID_ARGUMENT', `${_repeatedName(repeated)} is given more than once`, _nameable(repeated) ? repeated : 'body');
    const parsed = parseHttpAuthRequest(json);
    // The reason names the field and its type only, never a value (the password is one of them).
    if (!parsed.ok) return _errorResponse(400, 'ERR_INVALID_ARGUMENT', parsed.reason, parsed.field);
    let decision: HttpAuthDecision;
    try {
      decision = await authenticate(parsed.value, { request });
    } catch (error) {
      return failed(error, request);
    }
    try {
      return _json(200, JSON.parse(formatHttpAuthResponse(verdictOf(decision))));
    } catch (error) {
      return failed(error instanceof ApsaraMqttAuthError ? error : _invalid('authenticate', 'returned a verdict that cannot be answered', error), request);
    }
  };
}

export type { HttpAuthAclRule, HttpAuthCredentials, HttpAuthVerdict };
