/**
 * Signed RPC-style OpenAPI requests (SignatureVersion 1.0): the common parameters every call carries,
 * and the parameter set with its `Signature`, ready to send as a query string or a form body.
 * Pure and isomorphic; the clock and the nonce are the caller's so that requests are reproducible.
 * @module
 */
import { _fieldOf, _invalid } from '../errors.js';
import type { HmacSha1 } from '../hmac/hmac-types.js';
import { _requireOptions, _requireSegment, _requireString } from '../credentials/validate.js';
import { openApiSignature } from './rpc-signature.js';

/** The parameters an RPC request carries besides the action's own. */
export const RPC_COMMON_PARAMS = ['AccessKeyId', 'Action', 'Format', 'SignatureMethod', 'SignatureNonce', 'SignatureVersion', 'Timestamp', 'Version'] as const;

/** Inputs of {@link signRpcRequest}. */
export interface SignRpcRequestOptions {
  /** `GET` or `POST`; it is part of what is signed. */
  method: 'GET' | 'POST';
  /** The API name, e.g. `ApplyToken`. */
  action: string;
  /** The product's API version, e.g. `2020-04-20`. */
  version: string;
  /** The AccessKey ID that signs. */
  accessKeyId: string;
  /** The AccessKey secret (never sent; only the signature is). */
  accessKeySecret: string;
  /** The STS SecurityToken of temporary credentials, sent (and signed) as the `SecurityToken` parameter. */
  securityToken?: string;
  /** The action's own parameters (their values already strings). */
  params?: Readonly<Record<string, string>>;
  /** Milliseconds since the epoch, for `Timestamp`. */
  now: number;
  /** A value never used before with this AccessKey, for `SignatureNonce`. */
  nonce: string;
  /** `JSON` (default) or `XML`. */
  format?: 'JSON' | 'XML';
  /** HMAC-SHA1 to use instead of the default. */
  hmac?: HmacSha1;
}

/**
 * `Timestamp` as the RPC signature wants it: ISO 8601 in UTC to the second, e.g. `2016-02-23T12:46:24Z`.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` for a time that is not a finite number.
 */
export function rpcTimestamp(now: number): string {
  // ±8.64e15 ms is the range of a JavaScript Date; beyond it there is no ISO form to sign.
  if (typeof now !== 'number' || !(Math.abs(now) <= 8.64e15)) throw _invalid('now', 'must be a finite number of milliseconds since the epoch, within the range of a Date');
  return new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Every parameter of an RPC-style request, `Signature` included: the common parameters
 * (`Format`, `Version`, `AccessKeyId`, `SignatureMethod=HMAC-SHA1`, `Timestamp`, `SignatureVersion=1.0`,
 * `SignatureNonce`, `Action`) merged with the action's own, then signed.
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the field, before anything is signed.
 * @example
 * ```ts
 * const params = await signRpcRequest({ method: 'POST', action: 'QueryToken', version: '2020-04-20',
 *   accessKeyId, accessKeySecret, params: { InstanceId, Token }, now: Date.now(), nonce: crypto.randomUUID() });
 * await fetch(`https://onsmqtt.cn-hangzhou.aliyuncs.com/?${new URLSearchParams(params)}`, { method: 'POST' });
 * ```
 */
export async function signRpcRequest(options: SignRpcRequestOptions): Promise<Record<string, string>> {
  options = _requireOptions(options, 'options');
  const { method } = options;
  if (method !== 'GET' && method !== 'POST') throw _invalid('method', 'must be "GET" or "POST"');
  const params = options.params === undefined ? {} : _requireOptions(options.params, 'params');
  const format = options.format ?? 'JSON';
  if (format !== 'JSON' && format !== 'XML') throw _invalid('format', 'must be "JSON" or "XML"');
  const common: Record<string, string> = {
    AccessKeyId: _requireSegment(options.accessKeyId, 'accessKeyId'),
    Action: _requireSegment(options.action, 'action'),
    Format: format,
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: _requireString(options.nonce, 'nonce'),
    SignatureVersion: '1.0',
    Timestamp: rpcTimestamp(options.now),
    Version: _requireSegment(options.version, 'version'),
  };
  if (options.securityToken !== undefined) common['SecurityToken'] = _requireString(options.securityToken, 'securityToken');
  for (const [name, value] of Object.entries(params)) {
    if (Object.hasOwn(common, name) || name === 'Signature') throw _invalid(_fieldOf('params', name), 'is a common parameter; it is set from the options');
    if (typeof value !== 'string') throw _invalid(_fieldOf('params', name), 'must be a string');
  }
  const all = { ...params, ...common };
  const signature = await openApiSignature({ method, params: all, accessKeySecret: options.accessKeySecret, ...(options.hmac ? { hmac: options.hmac } : {}) });
  return { ...all, Signature: signature };
}
