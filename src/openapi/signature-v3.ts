/**
 * Alibaba Cloud's OpenAPI request signature V3 (`ACS3-HMAC-SHA256`, "Request syntax and signature
 * method V3" in the Alibaba Cloud SDK docs): canonical request → string to sign → hex HMAC-SHA256 →
 * `Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<list>,Signature=<hex>`.
 * The one module that both signs (`createOnsMqttClient`) and verifies (the local broker's OpenAPI);
 * V2 (`SignatureVersion=1.0`, HMAC-SHA1) is `rpc-signature.ts` beside it. Pure and isomorphic: SHA-256
 * and HMAC-SHA256 come from the SDK's backends (`node:crypto`, WebCrypto, `@noble/hashes`) or the caller.
 * @module
 */
import { _fieldOf, _invalid } from '../errors.js';
import { hmacSha256 as defaultHmacSha256, sha256 as defaultSha256 } from '../hmac/sha256.js';
import type { HmacSha256, Sha256 } from '../hmac/hmac-types.js';
import { _toBytes } from '../internal/bytes.js';
import { _requireOptions, _requireSegment, _requireString } from '../credentials/validate.js';
import { _percentEncode } from './rpc-signature.js';
import { rpcTimestamp } from './rpc.js';

/** The V3 signature algorithm's name, as it opens the `Authorization` header and the string to sign. */
export const ACS3_HMAC_SHA256 = 'ACS3-HMAC-SHA256';

/** Lower-case hex of bytes (the V3 signature, its hashes). */
export function _hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += (b < 16 ? '0' : '') + b.toString(16);
  return out;
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Whether a header takes part in the signature: `host`, `content-type` and every `x-acs-*` header
 * (what Alibaba's SDKs sign; the doc: every common header present except `Authorization`).
 */
export function isV3SignedHeader(name: string): boolean {
  const lower = _requireString(name, 'name').toLowerCase();
  return lower === 'host' || lower === 'content-type' || lower.startsWith('x-acs-');
}

/** Inputs of {@link v3CanonicalRequest}. */
export interface V3CanonicalRequestInput {
  /** HTTP method (upper-cased). */
  method: string;
  /** The path (`/` for RPC-style APIs); each segment is percent-encoded. */
  path?: string;
  /** Query parameters; sorted by name, names and values percent-encoded (RFC 3986). */
  query?: Readonly<Record<string, string>>;
  /**
   * The headers; those that {@link isV3SignedHeader} keeps are signed (names lower-cased, values trimmed).
   * When `signedHeaders` is given (a verifier reading the `Authorization` header), exactly those are used.
   */
  headers: Readonly<Record<string, string>>;
  /** The names to sign, lower-case (default: every header {@link isV3SignedHeader} keeps). */
  signedHeaders?: readonly string[];
  /** Lower-case hex SHA-256 of the body (of the empty string when there is none). */
  payloadHash: string;
}

/**
 * The canonical request: `METHOD\nURI\nQUERY\nHEADERS\nSIGNED_HEADERS\nPAYLOAD_HASH`, and the
 * `;`-joined signed header names it covers.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` for a value that is not a string, or a signed header that is absent.
 */
export function v3CanonicalRequest(input: V3CanonicalRequestInput): { canonicalRequest: string; signedHeaders: string } {
  input = _requireOptions(input, 'input');
  const method = _requireString(input.method, 'method').toUpperCase();
  const path = input.path ?? '/';
  const uri = _requireString(path, 'path')
    .split('/')
    .map((segment) => _percentEncode(segment, 'path'))
    .join('/');
  const query = input.query === undefined ? {} : _requireOptions(input.query, 'query');
  const canonicalQuery = Object.keys(query)
    .sort(byCodeUnit)
    .map((name) => `${_percentEncode(name, 'query')}=${_percentEncode(query[name], _fieldOf('query', name))}`)
    .join('&');
  const headers = _requireOptions(input.headers, 'headers');
  const lowered = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') throw _invalid(_fieldOf('headers', name), 'must be a string');
    lowered.set(name.toLowerCase(), value.trim());
  }
  const names = input.signedHeaders ? [...input.signedHeaders] : [...lowered.keys()].filter(isV3SignedHeader);
  names.sort(byCodeUnit);
  let canonicalHeaders = '';
  for (const name of names) {
    const value = lowered.get(name);
    if (value === undefined) throw _invalid(_fieldOf('headers', name), 'is signed but absent');
    canonicalHeaders += `${name}:${value}\n`;
  }
  const signedHeaders = names.join(';');
  const payloadHash = _requireString(input.payloadHash, 'payloadHash');
  return { canonicalRequest: `${method}\n${uri}\n${canonicalQuery}\n${canonicalHeaders}\n${signedHeaders}\n${payloadHash}`, signedHeaders };
}

/** Hashes the caller may replace (default: the SDK's backends). */
export interface V3Hashes {
  /** SHA-256 instead of the default. */
  sha256?: Sha256;
  /** HMAC-SHA256 instead of the default. */
  hmacSha256?: HmacSha256;
}

/** A caller's digest, checked: what it throws (perhaps quoting a key) is not kept, and a wrong size is refused. */
async function digest(run: () => Uint8Array | PromiseLike<Uint8Array>, name: string): Promise<Uint8Array> {
  let out: unknown;
  try {
    out = await run();
  } catch {
    throw _invalid(name, 'threw');
  }
  if (!(out instanceof Uint8Array) || out.length !== 32) throw _invalid(name, 'must resolve to the 32-byte digest');
  return out;
}

/** Lower-case hex SHA-256 of `payload` (a string is UTF-8): the `x-acs-content-sha256` value. */
export async function v3PayloadHash(payload: string | Uint8Array, hashes: V3Hashes = {}): Promise<string> {
  const bytes = _toBytes(payload, 'payload');
  return _hex(await digest(() => (hashes.sha256 ?? defaultSha256)(bytes), 'sha256'));
}

/** `ACS3-HMAC-SHA256\n<hex SHA-256 of the canonical request>`. */
export async function v3StringToSign(canonicalRequest: string, hashes: V3Hashes = {}): Promise<string> {
  return `${ACS3_HMAC_SHA256}\n${await v3PayloadHash(_requireString(canonicalRequest, 'canonicalRequest'), hashes)}`;
}

/** The hex HMAC-SHA256 of the string to sign under the AccessKey secret (no `&`, unlike V2). */
export async function v3Signature(options: { accessKeySecret: string; stringToSign: string } & V3Hashes): Promise<string> {
  options = _requireOptions(options, 'options');
  const key = _toBytes(_requireString(options.accessKeySecret, 'accessKeySecret'), 'accessKeySecret');
  const message = _toBytes(_requireString(options.stringToSign, 'stringToSign'), 'stringToSign');
  return _hex(await digest(() => (options.hmacSha256 ?? defaultHmacSha256)(key, message), 'hmacSha256'));
}

/** The parts of a V3 `Authorization` header. */
export interface V3Authorization {
  /** `ACS3-HMAC-SHA256`. */
  algorithm: string;
  /** The AccessKey ID (`Credential=`). */
  accessKeyId: string;
  /** The signed header names, lower-case, in the order given. */
  signedHeaders: string[];
  /** The hex signature. */
  signature: string;
}

/**
 * The `Authorization` header value.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming a part that is not a non-empty string.
 */
export function v3Authorization(parts: V3Authorization): string {
  parts = _requireOptions(parts, 'parts');
  const list: unknown = parts.signedHeaders;
  if (!Array.isArray(list) || list.length === 0 || !list.every((name) => typeof name === 'string' && name)) throw _invalid('parts.signedHeaders', 'must be a non-empty list of header names');
  const [algorithm, accessKeyId, signature] = (['algorithm', 'accessKeyId', 'signature'] as const).map((key) => _requireString(parts[key], `parts.${key}`));
  return `${algorithm} Credential=${accessKeyId},SignedHeaders=${list.join(';')},Signature=${signature}`;
}

/**
 * Reads a V3 `Authorization` header; `undefined` when it is not one (a missing part, an unknown
 * field, a part given twice).
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` when `header` is not a string.
 */
export function parseV3Authorization(header: string): V3Authorization | undefined {
  if (typeof header !== 'string') throw _invalid('header', 'must be a string');
  // A real header is a few hundred characters; a longer one is not parsed (and not echoed).
  if (header.length > 8192) return undefined;
  const match = /^(ACS3-[A-Z0-9-]+) (.*)$/.exec(header.trim());
  if (!match) return undefined;
  const fields = new Map<string, string>();
  for (const part of match[2]!.split(',')) {
    const at = part.indexOf('=');
    const name = part.slice(0, at).trim();
    if (at < 1 || fields.has(name) || !['Credential', 'SignedHeaders', 'Signature'].includes(name)) return undefined;
    fields.set(name, part.slice(at + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKeyId || !signedHeaders || !signature) return undefined;
  return { algorithm: match[1]!, accessKeyId, signedHeaders: signedHeaders.split(';'), signature };
}

/** Inputs of {@link signV3Request}. */
export interface SignV3RequestOptions extends V3Hashes {
  /** `GET` or `POST`. */
  method: 'GET' | 'POST';
  /** The endpoint's host (and port, when not the scheme's default), as the request's `Host` header will carry it. */
  host: string;
  /** The path (default `/`). */
  path?: string;
  /** The API name (`x-acs-action`), e.g. `ApplyToken`. */
  action: string;
  /** The API version (`x-acs-version`), e.g. `2020-04-20`. */
  version: string;
  /** The AccessKey ID. */
  accessKeyId: string;
  /** Its secret (never sent; only the signature is). */
  accessKeySecret: string;
  /** The STS SecurityToken of temporary credentials, sent as `x-acs-security-token`. */
  securityToken?: string;
  /** The query parameters. */
  query?: Readonly<Record<string, string>>;
  /** The body exactly as it will be sent (default none). */
  body?: string;
  /** The body's content type (signed); required with a body. */
  contentType?: string;
  /** Milliseconds since the epoch, for `x-acs-date`. */
  now: number;
  /** A value never used before with this AccessKey, for `x-acs-signature-nonce`. */
  nonce: string;
}

/**
 * The headers of a V3-signed request: `x-acs-action`, `x-acs-version`, `x-acs-date`,
 * `x-acs-signature-nonce`, `x-acs-content-sha256`, `x-acs-security-token` (with temporary
 * credentials), `content-type` (with a body) and `authorization`. `host` is signed but not returned:
 * `fetch` sets it from the URL (and refuses it as a header in browsers).
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the field, before anything is signed.
 * @example
 * ```ts
 * const headers = await signV3Request({ method: 'POST', host: 'onsmqtt.cn-hangzhou.aliyuncs.com', action: 'QueryToken',
 *   version: '2020-04-20', accessKeyId, accessKeySecret, body, contentType: 'application/x-www-form-urlencoded',
 *   now: Date.now(), nonce: crypto.randomUUID() });
 * ```
 */
export async function signV3Request(options: SignV3RequestOptions): Promise<Record<string, string>> {
  options = _requireOptions(options, 'options');
  const { method } = options;
  if (method !== 'GET' && method !== 'POST') throw _invalid('method', 'must be "GET" or "POST"');
  const accessKeyId = _requireSegment(options.accessKeyId, 'accessKeyId');
  // A comma or a space would change how the Authorization header reads.
  if (/[,;=]/.test(accessKeyId)) throw _invalid('accessKeyId', 'must not contain commas, semicolons or "="');
  if (options.body !== undefined && typeof options.body !== 'string') throw _invalid('body', 'must be a string');
  const body = options.body ?? '';
  if (body && options.contentType === undefined) throw _invalid('contentType', 'is required with a body');
  const hashes: V3Hashes = { ...(options.sha256 ? { sha256: options.sha256 } : {}), ...(options.hmacSha256 ? { hmacSha256: options.hmacSha256 } : {}) };
  const headers: Record<string, string> = {
    host: _requireString(options.host, 'host'),
    'x-acs-action': _requireSegment(options.action, 'action'),
    'x-acs-version': _requireSegment(options.version, 'version'),
    'x-acs-date': rpcTimestamp(options.now),
    'x-acs-signature-nonce': _requireString(options.nonce, 'nonce'),
    'x-acs-content-sha256': await v3PayloadHash(body, hashes),
  };
  if (options.contentType !== undefined) headers['content-type'] = _requireString(options.contentType, 'contentType');
  if (options.securityToken !== undefined) headers['x-acs-security-token'] = _requireString(options.securityToken, 'securityToken');
  const { canonicalRequest, signedHeaders } = v3CanonicalRequest({ method, path: options.path ?? '/', ...(options.query ? { query: options.query } : {}), headers, payloadHash: headers['x-acs-content-sha256']! });
  const signature = await v3Signature({ accessKeySecret: options.accessKeySecret, stringToSign: await v3StringToSign(canonicalRequest, hashes), ...hashes });
  const { host: _host, ...sent } = headers;
  return { ...sent, authorization: v3Authorization({ algorithm: ACS3_HMAC_SHA256, accessKeyId, signedHeaders: signedHeaders.split(';'), signature }) };
}
