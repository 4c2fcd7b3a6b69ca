/**
 * HTTP authentication (upgraded instances, "HTTP认证 / HTTP authentication", ApsaraMQ for MQTT developer
 * reference, 2026): on each CONNECT the instance POSTs the client's username, password and clientId to
 * one configured endpoint; the endpoint answers `200`, `Content-Type: application/json`, a body
 * `{"result": "allow" | "deny", "expireAt"?: <time>, "acl"?: [{ "effect": "allow" | "deny",
 * "action": ["publish", "subscribe"], "topic": "<filter>" }]}` of at most 10 ACL rules and at most 4 KB.
 * Any other status counts as a failed authentication request. This module is that format, for both
 * halves: the broker that calls the endpoint and the handler that answers it.
 *
 * From the page: the field names above, the limits, POST, "the server extracts username, password and
 * clientId". Inferred (the page shows no request body): the request body is JSON with the keys
 * `username`, `password`, `clientId` (absent CONNECT fields sent as `""`); `expireAt` is UNIX
 * milliseconds, as Alibaba's other times are (ApplyToken's ExpireTime) — a value below 10^11 is read
 * as seconds, so an endpoint written for EMQX's `expire_at` convention still works.
 * @module
 */
import { _invalid } from '../errors.js';
import { _typeName } from '../internal/bytes.js';
import { _duplicateJsonKey, _repeatedName } from '../internal/json-keys.js';
import { topicFilterProblem } from './topics.js';

/** The most ACL rules one answer may carry. */
export const HTTP_AUTH_MAX_RULES = 10;
/** The largest answer body, in bytes. */
export const HTTP_AUTH_MAX_BODY_BYTES = 4096;

/** What a rule applies to. */
export type HttpAuthAction = 'publish' | 'subscribe';

/** One ACL rule of an `allow` answer. */
export interface HttpAuthAclRule {
  /** `allow`, or `deny` (which wins over an allow). */
  readonly effect: 'allow' | 'deny';
  /** One or both of `publish` and `subscribe`. */
  readonly action: readonly HttpAuthAction[];
  /** An MQTT topic filter (`+` and `#` allowed). */
  readonly topic: string;
}

/** What the instance sends about a CONNECT. */
export interface HttpAuthCredentials {
  /** The Username of the CONNECT. */
  readonly username: string;
  /** The Password of the CONNECT. */
  readonly password: string;
  /** The client id of the CONNECT. */
  readonly clientId: string;
}

/** The endpoint's verdict: `allow` (with optional rules and expiry) or `deny`. */
export type HttpAuthVerdict =
  | { readonly result: 'allow'; readonly acl?: readonly HttpAuthAclRule[]; readonly expireAt?: number }
  | { readonly result: 'deny' };

/** A parse that failed: a sentence saying why, for logs (never a secret). */
export interface HttpAuthProblem {
  /** Always `false`: the message breaks a rule. */
  readonly ok: false;
  /** The part at fault, e.g. `acl[2].topic`. */
  readonly field: string;
  /** Which rule, in words. */
  readonly reason: string;
}

/** The request body the instance sends. */
export function formatHttpAuthRequest(credentials: HttpAuthCredentials): string {
  if (credentials === null || typeof credentials !== 'object' || !['username', 'password', 'clientId'].every((k) => typeof (credentials as unknown as Record<string, unknown>)[k] === 'string')) {
    throw _invalid('credentials', 'must be { username, password, clientId } (strings)');
  }
  return JSON.stringify({ username: credentials.username, password: credentials.password, clientId: credentials.clientId });
}

const problem = (field: string, reason: string): HttpAuthProblem => ({ ok: false, field, reason: `${field} ${reason}` });

/** Parses the instance's request body (already JSON-parsed); `clientId` must be a non-empty string. */
export function parseHttpAuthRequest(body: unknown): { ok: true; value: HttpAuthCredentials } | HttpAuthProblem {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return problem('body', `must be a JSON object {"username", "password", "clientId"} (got ${_typeName(body)})`);
  const fields = body as Record<string, unknown>;
  for (const name of ['username', 'password', 'clientId'] as const) {
    if (typeof fields[name] !== 'string') return problem(name, `must be a string (got ${_typeName(fields[name])})`);
  }
  if ((fields['clientId'] as string).length === 0) return problem('clientId', 'must not be empty');
  return { ok: true, value: { username: fields['username'] as string, password: fields['password'] as string, clientId: fields['clientId'] as string } };
}

function ruleProblem(rule: unknown, field: string): HttpAuthProblem | undefined {
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) return problem(field, 'must be {"effect", "action", "topic"}');
  const { effect, action, topic } = rule as Record<string, unknown>;
  if (effect !== 'allow' && effect !== 'deny') return problem(`${field}.effect`, 'must be "allow" or "deny"');
  if (!Array.isArray(action) || action.length === 0 || action.length > 2 || new Set(action).size !== action.length || !action.every((a) => a === 'publish' || a === 'subscribe')) {
    return problem(`${field}.action`, 'must be ["publish"], ["subscribe"] or ["publish", "subscribe"]');
  }
  const bad = topicFilterProblem(topic);
  return bad ? problem(`${field}.topic`, bad) : undefined;
}

/**
 * Checks a verdict against the format: `result`, at most 10 well-formed rules, a positive `expireAt`.
 * `undefined` when valid.
 */
export function httpAuthVerdictProblem(verdict: unknown): HttpAuthProblem | undefined {
  if (verdict === null || typeof verdict !== 'object' || Array.isArray(verdict)) return problem('body', `must be a JSON object (got ${_typeName(verdict)})`);
  const { result, acl, expireAt } = verdict as Record<string, unknown>;
  if (result !== 'allow' && result !== 'deny') return problem('result', 'must be "allow" or "deny"');
  if (acl !== undefined) {
    if (!Array.isArray(acl)) return problem('acl', 'must be an array of rules');
    if (acl.length > HTTP_AUTH_MAX_RULES) return problem('acl', `has ${acl.length} rules; at most ${HTTP_AUTH_MAX_RULES} are allowed`);
    for (let i = 0; i < acl.length; i++) {
      const bad = ruleProblem(acl[i], `acl[${i}]`);
      if (bad) return bad;
    }
  }
  if (expireAt !== undefined && !(typeof expireAt === 'number' && Number.isSafeInteger(expireAt) && expireAt > 0)) return problem('expireAt', 'must be a positive integer UNIX time');
  return undefined;
}

/**
 * The answer body for a verdict, checked against the format and the 4 KB limit.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the part at fault (`acl[2].topic`, `body`).
 */
export function formatHttpAuthResponse(verdict: HttpAuthVerdict): string {
  const bad = httpAuthVerdictProblem(verdict);
  if (bad) throw _invalid(bad.field, bad.reason.slice(bad.field.length + 1));
  const body =
    verdict.result === 'deny'
      ? { result: 'deny' }
      : {
          result: 'allow',
          ...(verdict.expireAt === undefined ? {} : { expireAt: verdict.expireAt }),
          ...(verdict.acl === undefined ? {} : { acl: verdict.acl.map((r) => ({ effect: r.effect, action: [...r.action], topic: r.topic })) }),
        };
  const text = JSON.stringify(body);
  const size = new TextEncoder().encode(text).byteLength;
  if (size > HTTP_AUTH_MAX_BODY_BYTES) throw _invalid('body', `is ${size} bytes; the answer may be at most ${HTTP_AUTH_MAX_BODY_BYTES} bytes`);
  return text;
}

/** Parses an answer body (the text of a `200 application/json` answer of at most 4 KB); a key given twice in any object is refused. */
export function parseHttpAuthResponse(text: string): { ok: true; value: HttpAuthVerdict } | HttpAuthProblem {
  let json: unknown;
  let source: string;
  try {
    // The text JSON.parse reads (it turns a non-string into one) is the text scanned for repeated keys.
    source = String(text);
    json = JSON.parse(source);
  } catch {
    return problem('body', 'is not JSON');
  }
  // `{"result":"deny","result":"allow"}` is allow to JSON.parse and deny to a reader keeping the first.
  const repeated = _duplicateJsonKey(source);
  if (repeated !== undefined) return problem('body', `repeats the key ${JSON.stringify(_repeatedName(repeated))}`);
  const bad = httpAuthVerdictProblem(json);
  if (bad) return bad;
  const { result, acl, expireAt } = json as { result: 'allow' | 'deny'; acl?: HttpAuthAclRule[]; expireAt?: number };
  if (result === 'deny') return { ok: true, value: { result } };
  return {
    ok: true,
    value: {
      result,
      ...(acl === undefined ? {} : { acl: acl.map((r) => ({ effect: r.effect, action: [...r.action], topic: r.topic })) }),
      ...(expireAt === undefined ? {} : { expireAt }),
    },
  };
}

/** `expireAt` in UNIX milliseconds: values below 10^11 (before 1973 as milliseconds) are seconds. */
export function httpAuthExpiryMs(expireAt: number): number {
  return expireAt < 1e11 ? expireAt * 1000 : expireAt;
}
