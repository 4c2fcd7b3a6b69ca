/**
 * Alibaba Cloud's RPC-style OpenAPI request signature (SignatureVersion 1.0, HMAC-SHA1), used to call
 * the `onsmqtt` product (ApplyToken, QueryToken, RevokeToken, device credentials). Pure and
 * isomorphic: the HMAC is the SDK's own adapter.
 * @module
 */
import type { HmacSha1 } from '../hmac/types.js';
import { _signClientId } from '../credentials/sign.js';
import { _requireHmac, _requireString } from '../credentials/validate.js';

/** RFC 3986 percent-encoding as the RPC signature wants it: space `%20`, `*` `%2A`, `~` kept. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** The canonical query: parameters sorted by name, each name and value percent-encoded, joined by `&`. */
export function canonicalQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => `${percentEncode(key)}=${percentEncode(params[key]!)}`)
    .join('&');
}

/** `<METHOD>&%2F&<percent-encoded canonical query>`. */
export function stringToSign(method: string, params: Readonly<Record<string, string>>): string {
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalQuery(params))}`;
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
  const secret = _requireString(options.accessKeySecret, 'accessKeySecret');
  const text = stringToSign(_requireString(options.method, 'method'), options.params);
  // The same guarded step as the credential builders: a caller's adapter that throws (perhaps quoting
  // the key) becomes ERR_HMAC_UNAVAILABLE without its message, and a wrong-sized digest is refused.
  return _signClientId(secret + '&', text, _requireHmac(options.hmac));
}
