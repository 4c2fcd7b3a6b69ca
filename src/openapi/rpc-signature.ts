/**
 * Alibaba Cloud's RPC-style OpenAPI request signature (SignatureVersion 1.0, HMAC-SHA1), used to call
 * the `onsmqtt` product (ApplyToken, QueryToken, RevokeToken, device credentials). Pure and
 * isomorphic: the HMAC is the SDK's own adapter.
 * @module
 */
import { _fieldOf, _invalid } from '../errors.js';
import type { HmacSha1 } from '../hmac/hmac-types.js';
import { _mustBe } from '../internal/bytes.js';
import { _signClientId } from '../credentials/sign.js';
import { _requireHmac, _requireOptions, _requireString } from '../credentials/validate.js';

/** @internal {@link percentEncode} naming the field at fault. */
export function _percentEncode(value: unknown, field: string): string {
  if (typeof value !== 'string') throw _mustBe(field, 'a string', value);
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch {
    // A lone surrogate has no UTF-8 form, so no signature over it could match the service's.
    throw _invalid(field, 'must be well-formed Unicode (it has a lone surrogate)');
  }
  return encoded.replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * RFC 3986 percent-encoding as the RPC signature wants it: space `%20`, `*` `%2A`, `~` kept.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` for a value that is not a well-formed string.
 */
export function percentEncode(value: string): string {
  return _percentEncode(value, 'value');
}

/**
 * The canonical query: parameters sorted by name, each name and value percent-encoded, joined by `&`.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` when `params` is not an object of strings.
 */
export function canonicalQuery(params: Readonly<Record<string, string>>): string {
  const own = _requireOptions(params, 'params');
  return Object.keys(own)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => `${_percentEncode(key, 'params')}=${_percentEncode(own[key], _fieldOf('params', key))}`)
    .join('&');
}

/**
 * `<METHOD>&%2F&<percent-encoded canonical query>`.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` for a method that is not a non-empty string, or bad `params`.
 */
export function stringToSign(method: string, params: Readonly<Record<string, string>>): string {
  return `${_requireString(method, 'method').toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalQuery(params))}`;
}

/** Inputs of {@link openApiSignature}. */
export interface OpenApiSignatureOptions {
  /** HTTP method, `GET` or `POST`. */
  method: string;
  /** Every request parameter except `Signature` itself (common and action-specific). */
  params: Readonly<Record<string, string>>;
  /** The AccessKey secret (the key is this plus `&`). */
  accessKeySecret: string;
  /** HMAC-SHA1 to use instead of the default. */
  hmac?: HmacSha1;
}

/**
 * The `Signature` parameter of an RPC-style request: Base64(HMAC-SHA1(secret + "&", stringToSign)).
 *
 * @example
 * ```ts
 * await openApiSignature({ method: 'GET', accessKeySecret: 'testsecret', params: { Action: 'DescribeRegions', ... } })
 * ```
 */
export async function openApiSignature(options: OpenApiSignatureOptions): Promise<string> {
  options = _requireOptions(options, 'options');
  const secret = _requireString(options.accessKeySecret, 'accessKeySecret');
  const text = stringToSign(_requireString(options.method, 'method'), options.params);
  // The same guarded step as the credential builders: a caller's adapter that throws (perhaps quoting
  // the key) becomes ERR_HMAC_UNAVAILABLE without its message, and a wrong-sized digest is refused.
  return _signClientId(secret + '&', text, _requireHmac(options.hmac));
}
