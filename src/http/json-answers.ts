/**
 * The JSON answers every HTTP side of the SDK writes (credential server, HTTP-authentication
 * endpoint, the Node adapter, the local broker's routes): never cached, never sniffed, errors in one
 * form `{ error: { code, message, field? } }`. Fetch-standard only, nothing Node-specific.
 * @module
 */
import type { ApsaraMqttAuthErrorCode } from '../errors.js';

/** Headers on every answer: credentials must not be cached or sniffed. */
const BASE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
};

/**
 * @internal The text of each answer made here, so the Node adapter can write it as is instead of
 * reading it back out of the Response's stream (the slowest step of an answer in Node's fetch).
 */
export const _bodyText = /* @__PURE__ */ new WeakMap<Response, string>();

/** @internal A JSON answer with the no-store headers and any extra headers. */
export function _json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Response {
  const text = JSON.stringify(body);
  const response = new Response(text, { status, headers: { ...BASE_HEADERS, ...headers } });
  _bodyText.set(response, text);
  return response;
}

/**
 * @internal An error answer `{ error: { code, message, field? } }`, the one form every HTTP answer of
 * the SDK's own fails with (credential server, HTTP-authentication endpoint, Node adapter, the local
 * broker's routes, which add the codes of a router: nothing there, or a route that failed).
 */
export function _errorResponse(
  status: number,
  code: ApsaraMqttAuthErrorCode | 'ERR_NOT_FOUND' | 'ERR_INTERNAL',
  message: string,
  field?: string,
  headers: Readonly<Record<string, string>> = {},
): Response {
  return _json(status, { error: { code, message, ...(field === undefined ? {} : { field }) } }, headers);
}
