/**
 * Fetch-standard HTTP helpers of the credential handler: JSON answers that are never cached, JSON
 * errors with a stable code, bounded body reading and CORS. Nothing here is Node-specific.
 * @module
 */
import type { ApsaraMqttAuthErrorCode } from '../errors.js';

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

/** @internal An error answer. */
export function _errorResponse(
  status: number,
  code: ApsaraMqttAuthErrorCode,
  message: string,
  field?: string,
  headers: Readonly<Record<string, string>> = {},
): Response {
  const body: CredentialErrorBody = { error: { code, message, ...(field === undefined ? {} : { field }) } };
  return _json(status, body, headers);
}

/** Why {@link _readBody} gave up. */
export type BodyProblem = 'too-large' | 'unreadable';

/**
 * @internal The body as text, read chunk by chunk so that a body larger than `max` bytes is
 * refused without being held in memory. Works on a `Request` or a `Response`.
 */
export async function _readBody(request: Pick<Request, 'headers' | 'body'>, max: number): Promise<string | BodyProblem> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > max) return 'too-large';
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel().catch(() => undefined);
        return 'too-large';
      }
      chunks.push(value);
    }
  } catch {
    return 'unreadable';
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(all);
  } catch {
    return 'unreadable';
  }
}

/** Which browser origins may call the handler from another origin. */
export interface CorsOptions {
  /**
   * Allowed origins: `'*'` (any), one origin, a list (`https://app.example.com`, exact match), or a
   * predicate. Same-origin requests are always allowed.
   */
  origin: '*' | string | readonly string[] | ((origin: string) => boolean);
  /** Send `Access-Control-Allow-Credentials: true`, so cookies reach `authorize` (default false). */
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

/** @internal Builds the CORS decisions; without options only same-origin browser calls pass. */
export function _cors(options: CorsOptions | undefined, methods: readonly string[]): _Cors {
  const allowed = (origin: string): boolean => {
    if (!options) return false;
    const rule = options.origin;
    if (rule === '*') return true;
    if (typeof rule === 'function') return rule(origin) === true;
    return typeof rule === 'string' ? rule === origin : rule.includes(origin);
  };
  return {
    headersFor(request) {
      const origin = request.headers.get('origin');
      if (origin === null) return undefined;
      const vary: Record<string, string> = options ? { vary: 'Origin' } : {};
      if (sameOrigin(origin, request)) return vary;
      if (!allowed(origin)) return false;
      return {
        ...vary,
        'access-control-allow-origin': origin,
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
