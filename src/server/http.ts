/**
 * Fetch-standard HTTP helpers of the credential handler: JSON answers that are never cached, JSON
 * errors with a stable code, bounded body reading and CORS. Nothing here is Node-specific.
 * @module
 */
import { _invalid, type ApsaraMqttAuthErrorCode } from '../errors.js';
import { _requireOptions } from '../credentials/validate.js';

/** The body of every error answer: a stable code, the field at fault if any, and a safe message. */
export interface CredentialErrorBody {
  /** The stable code, a message without secrets, and the field at fault when there is one. */
  error: { code: ApsaraMqttAuthErrorCode; message: string; field?: string };
}

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

/** Why {@link _readBody} gave up. */
export type BodyProblem = 'too-large' | 'unreadable';

/** @internal A body arriving chunk by chunk, held only while it stays within `max` bytes. */
export interface _BodyChunks {
  /** Keeps `chunk`; `false` (and nothing kept) once the body has grown past `max`. */
  add(chunk: Uint8Array): boolean;
  /** The chunks kept, as one array. */
  bytes(): Uint8Array;
}

/**
 * @internal The one place a body is gathered, whatever it arrives from (a fetch-standard stream in
 * {@link _readBody}, Node's `data` events in `toNodeListener`): a body over `max` is refused as it
 * grows, never held whole.
 */
export function _bodyChunks(max: number): _BodyChunks {
  const chunks: Uint8Array[] = [];
  let size = 0;
  return {
    add(chunk) {
      size += chunk.byteLength;
      if (size > max) return false;
      chunks.push(chunk);
      return true;
    },
    bytes() {
      const all = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        all.set(chunk, offset);
        offset += chunk.byteLength;
      }
      return all;
    },
  };
}

/**
 * @internal The body as text, read chunk by chunk so that a body larger than `max` bytes is
 * refused without being held in memory. Works on a `Request` or a `Response`.
 */
export async function _readBody(request: Pick<Request, 'headers' | 'body'>, max: number): Promise<string | BodyProblem> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > max) return 'too-large';
  if (!request.body) return '';
  const reader = request.body.getReader();
  const body = _bodyChunks(max);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!body.add(value)) {
        await reader.cancel().catch(() => undefined);
        return 'too-large';
      }
    }
  } catch {
    return 'unreadable';
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body.bytes());
  } catch {
    return 'unreadable';
  }
}

/** Which browser origins may call the handler from another origin. */
export interface CorsOptions {
  /**
   * Allowed origins: `'*'` (any, answered `Access-Control-Allow-Origin: *`; not with `credentials`),
   * one origin, a list (`https://app.example.com`, exact match), or a predicate. Same-origin requests
   * are always allowed. The opaque origin `null` (sandboxed frames, `file:` pages, some redirects) is
   * never allowed: anyone can send it.
   */
  origin: '*' | string | readonly string[] | ((origin: string) => boolean);
  /**
   * Send `Access-Control-Allow-Credentials: true`, so cookies reach `authorize` (default false).
   * Refused with `origin: '*'`: every web site could then read a signed-in user's credentials.
   */
  credentials?: boolean;
  /** Request headers a browser may send (default `content-type`, `authorization`). */
  allowHeaders?: readonly string[];
  /** How long a browser may cache the preflight answer, seconds (default 600). */
  maxAge?: number;
}

/** @internal CORS decisions for one handler. */
export interface _Cors {
  /** `undefined`: no Origin header; `false`: a foreign origin that is not allowed; else headers to add. */
  headersFor(request: Request): Record<string, string> | false | undefined;
  /** The extra headers of a preflight answer. */
  preflight: Record<string, string>;
}

// An origin as browsers send it: scheme, host, optional port; nothing else.
const ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[^\s/?#@]+$/i;
// A header name (RFC 9110 token).
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * @internal Builds the CORS decisions; without options only same-origin browser calls pass. Every
 * option is checked here, when the handler is created, so a dangerous set-up never serves a request.
 */
export function _cors(given: CorsOptions | undefined, methods: readonly string[]): _Cors {
  const options = given === undefined ? undefined : _requireOptions(given, 'cors');
  const rule = options?.origin;
  let allowed: (origin: string) => boolean = () => false;
  if (options) {
    if (rule === '*') allowed = () => true;
    else if (typeof rule === 'function') allowed = (origin) => rule(origin) === true;
    else {
      const list = typeof rule === 'string' ? [rule] : rule;
      if (!Array.isArray(list) || list.length === 0 || !list.every((o) => typeof o === 'string' && ORIGIN.test(o))) {
        throw _invalid('cors', 'origin must be "*", an origin such as "https://app.example.com", a non-empty list of them, or a function');
      }
      const origins = new Set(list as string[]);
      allowed = (origin) => origins.has(origin);
    }
    if (options.credentials !== undefined && typeof options.credentials !== 'boolean') throw _invalid('cors', 'credentials must be true or false');
    if (rule === '*' && options.credentials) {
      throw _invalid('cors', 'origin "*" with credentials: true would let every web site read a signed-in user\'s credentials; list the origins allowed');
    }
    const headers = options.allowHeaders;
    if (headers !== undefined && !(Array.isArray(headers) && headers.every((h) => typeof h === 'string' && HEADER_NAME.test(h)))) {
      throw _invalid('cors', 'allowHeaders must be a list of header names');
    }
    const maxAge = options.maxAge;
    if (maxAge !== undefined && !(Number.isSafeInteger(maxAge) && maxAge >= 0)) throw _invalid('cors', 'maxAge must be a whole number of seconds');
  }
  const check = (origin: string): boolean => {
    // `null` is whatever a sandboxed frame or a file says it is: never trusted, never echoed.
    if (origin === 'null') return false;
    try {
      return allowed(origin);
    } catch {
      return false; // a predicate that throws allows nothing
    }
  };
  return {
    headersFor(request) {
      const origin = request.headers.get('origin');
      if (origin === null) return undefined;
      const vary: Record<string, string> = options ? { vary: 'Origin' } : {};
      if (sameOrigin(origin, request)) return vary;
      if (!check(origin)) return false;
      return {
        ...vary,
        'access-control-allow-origin': rule === '*' ? '*' : origin,
        ...(options?.credentials ? { 'access-control-allow-credentials': 'true' } : {}),
      };
    },
    preflight: {
      'access-control-allow-methods': [...methods, 'OPTIONS'].join(', '),
      'access-control-allow-headers': (options?.allowHeaders ?? ['content-type', 'authorization']).join(', '),
      'access-control-max-age': String(options?.maxAge ?? 600),
    },
  };
}

/**
 * Same host and port as the request. The scheme is not compared: behind a TLS-terminating proxy the
 * handler sees `http:` while the page is on `https:`.
 */
function sameOrigin(origin: string, request: Request): boolean {
  try {
    return new URL(origin).host === new URL(request.url).host;
  } catch {
    return false;
  }
}
