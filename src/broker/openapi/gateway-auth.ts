/**
 * The gateway's authentication of an RPC request, as Alibaba's checks it, for both signature methods
 * of `openapi/` (the module the SDK's client signs with):
 * - V3 (`ACS3-HMAC-SHA256`): `Authorization` header, `x-acs-*` headers, SHA-256 of the body;
 * - V2 (`SignatureVersion=1.0`, HMAC-SHA1): `Signature` and the common parameters.
 * Both check the time stamp (15 minutes either way), the AccessKey (or the STS credentials and their
 * SecurityToken), the signature in constant time, and the nonce (once per AccessKey).
 * @module
 */
import { _constantTimeEqual } from '../../internal/equal.js';
import { openApiSignature, stringToSign } from '../../openapi/rpc-signature.js';
import { ACS3_HMAC_SHA256, isV3SignedHeader, parseV3Authorization, v3CanonicalRequest, v3PayloadHash, v3Signature, v3StringToSign } from '../../openapi/signature-v3.js';
import { ApiFailure, missing } from './error-answers.js';
import type { LocalSts } from './sts.js';

/** Who signed a request that passed. */
export interface Authenticated {
  /** The AccessKeyId in the request (an `STS.…` id for temporary credentials). */
  signer: string;
  /** The configured AccessKey the call acts as: the signer, or the one that assumed the role. */
  accessKeyId: string;
  /** Whether the signer's credentials are temporary (STS). */
  temporary: boolean;
}

/** A request as the gateway reads it. */
export interface GatewayRequest {
  method: string;
  /** The path served (signed in V3). */
  path: string;
  /**
   * The host of the request's URL: what `Host` says on the wire, and what stands in for it when a
   * `Request` built in-process (a fetch handler called directly) carries no `Host` header.
   */
  host: string;
  /** The query string's parameters (V3 signs them; V2 signs them with the form body's). */
  query: Readonly<Record<string, string>>;
  /** Every parameter: query and form body (V2's signed set). */
  params: Readonly<Record<string, string>>;
  headers: Headers;
  /** The body as received (V3 hashes it). */
  body: string;
}

/** Settings of {@link createGatewayAuth}. */
export interface GatewayAuthOptions {
  /** The secret of a configured AccessKey. */
  lookup: (accessKeyId: string) => string | undefined;
  /** The local STS, whose `STS.…` credentials are accepted too. */
  sts?: LocalSts;
  now: () => number;
  /** How far a time stamp may be from the clock, ms. */
  maxSkew: number;
}

const REQUIRED_V2 = ['AccessKeyId', 'Signature', 'SignatureMethod', 'SignatureNonce', 'SignatureVersion', 'Timestamp', 'Version'] as const;
const REQUIRED_V3 = ['x-acs-action', 'x-acs-version', 'x-acs-date', 'x-acs-signature-nonce'] as const;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** `IncompleteSignature`: a V3 request whose signature parts are missing or unsigned. */
const incomplete = (detail: string) => new ApiFailure(400, 'IncompleteSignature', `The request signature does not conform to Aliyun standards. ${detail}`);

/**
 * Whether a request may be signed V3: it has an `Authorization` header or V3's `x-acs-action` (which
 * some V2 clients send too, e.g. pop-core: {@link isV3Request} decides once the parameters are read).
 */
export function mayBeV3Request(headers: Headers): boolean {
  return headers.has('authorization') || headers.has('x-acs-action');
}

/** Whether a request is signed V3: an `Authorization` header, or `x-acs-action` without V2's `Signature`. */
export function isV3Request(headers: Headers, params: Readonly<Record<string, string>>): boolean {
  return headers.has('authorization') || (headers.has('x-acs-action') && !params['Signature']);
}

/** The gateway's authentication, with its nonce memory. */
export function createGatewayAuth(options: GatewayAuthOptions) {
  const { lookup, sts, now, maxSkew } = options;
  // Nonces seen, with when each may be forgotten (a replay that old fails the time stamp check anyway).
  const nonces = new Map<string, number>();
  const remember = (key: string, t: number) => {
    for (const [old, until] of nonces) {
      if (until > t) break;
      nonces.delete(old);
    }
    nonces.set(key, t + 2 * maxSkew);
  };

  function checkTime(stamp: string): number {
    const at = TIMESTAMP.test(stamp) ? Date.parse(stamp) : NaN;
    if (Number.isNaN(at)) throw new ApiFailure(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.');
    const t = now();
    if (Math.abs(t - at) > maxSkew) throw new ApiFailure(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
    return t;
  }

  /** The secret to check the signature with, and whom the call acts as. */
  function credentialsOf(signer: string, securityToken: string | undefined): { secret: string; accessKeyId: string; temporary: boolean } {
    if (sts?.has(signer)) {
      const resolved = sts.resolve(signer, securityToken);
      return { secret: resolved.secret, accessKeyId: resolved.parentAccessKeyId, temporary: true };
    }
    const secret = lookup(signer);
    if (typeof secret !== 'string' || secret.length === 0) throw new ApiFailure(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
    // A SecurityToken belongs to temporary credentials: sent with a permanent key it matches nothing.
    if (securityToken) throw sts ? sts.strayToken(securityToken) : new ApiFailure(400, 'InvalidSecurityToken.Malformed', 'Specified SecurityToken is malformed.');
    return { secret, accessKeyId: signer, temporary: false };
  }

  function once(signer: string, nonce: string, t: number): void {
    const key = `${signer}\n${nonce}`;
    if (nonces.has(key)) throw new ApiFailure(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
    remember(key, t);
  }

  async function verifyV2(request: GatewayRequest): Promise<Authenticated> {
    const { params, method } = request;
    for (const name of REQUIRED_V2) if (!params[name]) throw missing(name);
    if (params['SignatureMethod'] !== 'HMAC-SHA1') throw new ApiFailure(400, 'InvalidSignatureMethod', 'Specified signature method is not supported.');
    if (params['SignatureVersion'] !== '1.0') throw new ApiFailure(400, 'InvalidSignatureVersion', 'Specified signature version is not supported.');
    const t = checkTime(params['Timestamp']!);
    const signer = params['AccessKeyId']!;
    const { secret, accessKeyId, temporary } = credentialsOf(signer, params['SecurityToken']);
    const { Signature: given, ...signed } = params;
    const expected = await openApiSignature({ method, params: signed, accessKeySecret: secret });
    // Constant time: a signature cannot be guessed byte by byte from response times.
    if (!_constantTimeEqual(given!, expected)) {
      // Alibaba's gateway quotes the string it signed, so callers can compare it with their own.
      throw new ApiFailure(400, 'SignatureDoesNotMatch', `Specified signature is not matched with our calculation. server string to sign is:${stringToSign(method, signed)}`);
    }
    once(signer, params['SignatureNonce']!, t);
    return { signer, accessKeyId, temporary };
  }

  async function verifyV3(request: GatewayRequest): Promise<Authenticated> {
    const { headers } = request;
    const header = headers.get('authorization');
    if (!header) throw incomplete('The Authorization header is missing.');
    const auth = parseV3Authorization(header);
    if (!auth) throw incomplete('The Authorization header must read "ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<names>,Signature=<hex>".');
    if (auth.algorithm !== ACS3_HMAC_SHA256) throw new ApiFailure(400, 'InvalidSignatureMethod', 'Specified signature method is not supported.');
    for (const name of REQUIRED_V3) if (!headers.get(name)) throw incomplete(`The header ${name} is missing.`);
    const signedSet = new Set(auth.signedHeaders);
    // Every header that must be signed and is present is signed (the doc: all common headers but Authorization).
    let unsigned: string | undefined;
    headers.forEach((_value, name) => void (unsigned ??= name !== 'content-type' && isV3SignedHeader(name) && !signedSet.has(name) ? name : undefined));
    if (unsigned !== undefined) throw incomplete(`The header ${unsigned.slice(0, 64)} is not in SignedHeaders.`);
    if (!signedSet.has('host')) throw incomplete('The header host is not in SignedHeaders.');
    const t = checkTime(headers.get('x-acs-date')!);
    const signer = auth.accessKeyId;
    const { secret, accessKeyId, temporary } = credentialsOf(signer, headers.get('x-acs-security-token') ?? undefined);
    const payloadHash = await v3PayloadHash(request.body);
    const claimed = headers.get('x-acs-content-sha256');
    if (claimed !== null && claimed.toLowerCase() !== payloadHash) throw new ApiFailure(400, 'SignatureDoesNotMatch', 'The request body does not match x-acs-content-sha256.');
    const signedHeaders: Record<string, string> = {};
    for (const name of auth.signedHeaders) {
      const value = headers.get(name) ?? (name === 'host' ? request.host : null);
      if (value === null) throw incomplete(`The signed header ${name.slice(0, 64)} is missing.`);
      signedHeaders[name] = value;
    }
    const { canonicalRequest } = v3CanonicalRequest({ method: request.method, path: request.path, query: request.query, headers: signedHeaders, signedHeaders: auth.signedHeaders, payloadHash });
    const expected = await v3Signature({ accessKeySecret: secret, stringToSign: await v3StringToSign(canonicalRequest) });
    if (!_constantTimeEqual(auth.signature.toLowerCase(), expected)) {
      // The canonical request carries no secret; quoting it lets a caller find where theirs differs.
      throw new ApiFailure(400, 'SignatureDoesNotMatch', `The request signature does not conform to Aliyun standards. server CanonicalRequest is:${canonicalRequest}`);
    }
    once(signer, headers.get('x-acs-signature-nonce')!, t);
    return { signer, accessKeyId, temporary };
  }

  return {
    /** Authenticates a request signed either way; throws the documented {@link ApiFailure}. */
    verify(request: GatewayRequest): Promise<Authenticated> {
      return isV3Request(request.headers, request.params) ? verifyV3(request) : verifyV2(request);
    },
  };
}
