/**
 * The instance's side of HTTP authentication: on a CONNECT, POST the client's username, password and
 * clientId to the configured endpoint and read its verdict. Everything but a well-formed `200
 * application/json` answer of at most 4 KB and 10 rules, in time, is a failure, and a failure refuses
 * the client, as the "HTTP authentication" page says ("If the result is deny, or the HTTP service
 * returns a non-200 status code, the client connection is rejected").
 * @module
 */
import { _invalid } from '../errors.js';
import { _typeName } from '../internal/bytes.js';
import {
  formatHttpAuthRequest,
  httpAuthExpiryMs,
  parseHttpAuthResponse,
  HTTP_AUTH_MAX_BODY_BYTES,
  type HttpAuthAclRule,
  type HttpAuthCredentials,
} from '../protocol/http-auth.js';
import { _readBody } from '../http/body-limit.js';
import type { AccessRule } from './rules.js';

/** The broker's HTTP-authentication setting. */
export interface HttpAuthConfig {
  /** The endpoint (`http:` or `https:`), called with POST on each CONNECT the broker's own identities do not claim. */
  url: string;
  /** How long to wait for the whole answer, ms (default 5000; inferred, the page names no timeout). */
  timeoutMs?: number;
  /** Extra request headers (e.g. a shared secret your endpoint checks). */
  headers?: Readonly<Record<string, string>>;
}

/** What the endpoint decided, ready for the broker. */
export type HttpAuthOutcome =
  | { readonly ok: true; readonly rules: readonly AccessRule[] | undefined; readonly expireAt: number | undefined }
  | { readonly ok: false; readonly kind: 'denied' | 'failed'; readonly reason: string };

/** @internal The setting, checked once at start. */
export function _checkHttpAuth(value: unknown): Required<Omit<HttpAuthConfig, 'headers'>> & { headers: Record<string, string> } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw _invalid('httpAuth', `must be { url, timeoutMs?, headers? } (got ${_typeName(value)})`);
  const { url, timeoutMs = 5000, headers = {} } = value as HttpAuthConfig;
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw _invalid('httpAuth.url', 'must be an absolute http(s) URL');
  }
  if (typeof url !== 'string' || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) throw _invalid('httpAuth.url', 'must be an absolute http(s) URL');
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > 60_000) throw _invalid('httpAuth.timeoutMs', 'must be a number of milliseconds from 1 to 60000');
  if (headers === null || typeof headers !== 'object' || Object.values(headers).some((h) => typeof h !== 'string')) throw _invalid('httpAuth.headers', 'must map header names to strings');
  return { url, timeoutMs, headers: { ...headers } };
}

const ACTIONS = { publish: 'W', subscribe: 'R' } as const;

/** The ACL rules of an answer as the broker's rules. */
export function httpAuthRules(acl: readonly HttpAuthAclRule[]): AccessRule[] {
  return acl.map((r) => ({ effect: r.effect, actions: new Set(r.action.map((a) => ACTIONS[a])), topic: r.topic }));
}

/**
 * Asks the endpoint about one CONNECT. Never throws; the reason of a failure names what was wrong
 * (status, content type, size, format, time) and never a credential.
 */
export async function askHttpAuth(config: ReturnType<typeof _checkHttpAuth>, credentials: HttpAuthCredentials, now: () => number): Promise<HttpAuthOutcome> {
  const failed = (reason: string): HttpAuthOutcome => ({ ok: false, kind: 'failed', reason: `HTTP authentication failed: ${reason}` });
  const signal = AbortSignal.timeout(config.timeoutMs);
  let response: Response;
  try {
    response = await fetch(config.url, {
      method: 'POST',
      headers: { ...config.headers, 'content-type': 'application/json', accept: 'application/json' },
      body: formatHttpAuthRequest(credentials),
      // A redirect is not a 200: it counts as a failure, and the credentials go nowhere else.
      redirect: 'manual',
      signal,
    });
  } catch (error) {
    return failed((error as Error | undefined)?.name === 'TimeoutError' ? `no answer within ${config.timeoutMs} ms` : 'the endpoint could not be reached');
  }
  const drop = () => response.body?.cancel().catch(() => undefined);
  if (response.status !== 200) {
    await drop();
    return failed(`the endpoint answered HTTP ${response.status}`);
  }
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    await drop();
    return failed(`the answer's content-type is ${JSON.stringify(type.slice(0, 60))}, not application/json`);
  }
  let text: string;
  try {
    const read = await _readBody(response, HTTP_AUTH_MAX_BODY_BYTES);
    if (read === 'too-large') return failed(`the answer is larger than ${HTTP_AUTH_MAX_BODY_BYTES} bytes`);
    if (read === 'unreadable') return failed(signal.aborted ? `no answer within ${config.timeoutMs} ms` : 'the answer broke off or is not UTF-8 text');
    text = read;
  } catch {
    return failed(signal.aborted ? `no answer within ${config.timeoutMs} ms` : 'the answer broke off');
  }
  const verdict = parseHttpAuthResponse(text);
  if (!verdict.ok) return failed(`the answer is not in the documented format (${verdict.reason})`);
  if (verdict.value.result === 'deny') return { ok: false, kind: 'denied', reason: 'the HTTP authentication endpoint answered deny' };
  const expireAt = verdict.value.expireAt === undefined ? undefined : httpAuthExpiryMs(verdict.value.expireAt);
  if (expireAt !== undefined && expireAt <= now()) return { ok: false, kind: 'denied', reason: 'the HTTP authentication endpoint answered allow with an expireAt already past' };
  return { ok: true, rules: verdict.value.acl && httpAuthRules(verdict.value.acl), expireAt };
}
