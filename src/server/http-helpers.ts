/**
 * CORS for the credential handler, and the public shape of its error answers (the answers themselves
 * and bounded body reading are shared with the broker: `src/http/`). Nothing here is Node-specific.
 * @module
 */
import { _invalid, type ApsaraMqttAuthErrorCode } from '../errors.js';
import { _requireOptions } from '../credentials/validate.js';

/** The body of every error answer: a stable code, the field at fault if any, and a safe message. */
export interface CredentialErrorBody {
  /** The stable code, a message without secrets, and the field at fault when there is one. */
  error: { code: ApsaraMqttAuthErrorCode; message: string; field?: string };
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
