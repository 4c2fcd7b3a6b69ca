/**
 * Serves a fetch-style handler from Node's `http.createServer` (or anything with the same request and
 * response objects: Express, Koa's `ctx.req`/`ctx.res`, `https`). Written against the shapes it uses
 * rather than `node:http`, so the `server` entry imports nothing Node-specific and type-checks without
 * `@types/node`.
 * @module
 */
import { _invalid } from '../errors.js';
import { _requireOptions } from '../credentials/validate.js';
import { _bodyChunks, _bodyText, _errorResponse } from './http.js';

/** The parts of Node's `IncomingMessage` the adapter reads. */
export interface NodeRequestLike {
  /** The HTTP method (default `GET`). */
  method?: string;
  /** The path and query, as Node gives it. */
  url?: string;
  /** The request headers, lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  /** A `tls.TLSSocket` (with `encrypted: true`) makes the Request URL `https:`. */
  socket?: unknown;
  /** The body, chunk by chunk; `end` after the last, `error` on failure. */
  on(event: 'data', listener: (chunk: Uint8Array | string) => void): unknown;
  /** The body has been read (`end`), or the connection closed (`close`). */
  on(event: 'end' | 'close', listener: () => void): unknown;
  /** Reading the body failed. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** Drops the connection (a body over the limit). */
  destroy?(error?: Error): unknown;
  /** Set by Node once the whole body has arrived; a `close` before that means the client went away. */
  complete?: boolean;
}

/** The parts of Node's `ServerResponse` the adapter writes. */
export interface NodeResponseLike {
  /** The status to send. */
  statusCode: number;
  /** Sets one header. */
  setHeader(name: string, value: string | string[]): unknown;
  /** Sends the body and ends the response. */
  end(body?: Uint8Array | string): unknown;
  /** Whether the head is already written (then an error cannot change the status). */
  headersSent?: boolean;
}

/** Inputs of {@link toNodeListener}. */
export interface NodeListenerOptions {
  /** Largest body read into memory before the handler sees it, bytes (default 65 536); larger → 413. */
  maxBodyBytes?: number;
  /**
   * Longest time to receive a whole body, ms (default 10 000); slower → 408 and the connection is
   * closed. Without it a client sending a byte a second holds a connection for Node's 300 s.
   */
  bodyTimeoutMs?: number;
  /**
   * Told about a handler that threw (it should not) or a request that broke off. Whatever it throws
   * is ignored: a logger must not bring the server down.
   */
  onError?: (error: unknown) => void;
}

const NO_BODY = new Set(['GET', 'HEAD']);

/** Why a body was not read: too large, too slow, or the client went away. */
type Unread = 'too-large' | 'timeout' | { aborted: unknown };

function readBody(req: NodeRequestLike, max: number, timeoutMs: number): Promise<Uint8Array | Unread> {
  return new Promise((resolve) => {
    const body = _bodyChunks(max);
    let done = false;
    const finish = (result: Uint8Array | Unread) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    req.on('data', (chunk) => {
      if (done) return;
      if (!body.add(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk)) finish('too-large');
    });
    req.on('end', () => {
      if (!done) finish(body.bytes());
    });
    req.on('error', (error) => finish({ aborted: error }));
    // A client that goes away mid-body: Node emits `close` without `end` (and `error` only when asked).
    req.on('close', () => finish({ aborted: new Error('the client closed the connection before the body arrived') }));
  });
}

function toRequest(req: NodeRequestLike, body: Uint8Array | undefined): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    // HTTP/2 pseudo-headers (`:path`) are not headers to a Request.
    if (value === undefined || name.startsWith(':')) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const host = headers.get('host') ?? 'localhost';
  const scheme = (req.socket as { encrypted?: boolean } | null | undefined)?.encrypted ? 'https' : 'http';
  const method = (req.method ?? 'GET').toUpperCase();
  return new Request(`${scheme}://${host}${req.url ?? '/'}`, { method, headers, ...(body && body.byteLength ? { body: body as Uint8Array<ArrayBuffer> } : {}) });
}

async function send(res: NodeResponseLike, response: Response): Promise<void> {
  res.statusCode = response.status;
  const cookies = response.headers.getSetCookie?.() ?? [];
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  if (cookies.length) res.setHeader('set-cookie', cookies);
  const text = response.bodyUsed ? undefined : _bodyText.get(response);
  if (text !== undefined) res.end(text);
  else res.end(response.body ? new Uint8Array(await response.arrayBuffer()) : undefined);
}

/**
 * A Node `request` listener that runs a fetch-style handler.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * createServer(toNodeListener(createCredentialHandler({ ... }))).listen(8080, '127.0.0.1');
 * ```
 */
export function toNodeListener(
  handler: (request: Request) => Promise<Response | undefined> | Response | undefined,
  options: NodeListenerOptions = {},
): (req: NodeRequestLike, res: NodeResponseLike) => void {
  if (typeof handler !== 'function') throw _invalid('handler', 'must be a function (request: Request) => Response');
  options = _requireOptions(options, 'options');
  const max = options.maxBodyBytes ?? 65_536;
  if (!(Number.isSafeInteger(max) && max >= 0)) throw _invalid('maxBodyBytes', 'must be a whole number of bytes');
  const timeoutMs = options.bodyTimeoutMs ?? 10_000;
  if (!(typeof timeoutMs === 'number' && timeoutMs > 0 && timeoutMs <= 2 ** 31 - 1)) throw _invalid('bodyTimeoutMs', 'must be a positive number of milliseconds, at most 2147483647');
  const { onError } = options;
  if (onError !== undefined && typeof onError !== 'function') throw _invalid('onError', 'must be a function');
  const report = (error: unknown) => {
    try {
      onError?.(error);
    } catch {
      // A failing logger must not turn one bad request into a crash.
    }
  };
  return (req, res) => {
    if (typeof req?.on !== 'function' || typeof res?.setHeader !== 'function' || typeof res.end !== 'function') {
      throw _invalid('req', 'must be a Node request and response pair');
    }
    (async () => {
      try {
        const method = (req.method ?? 'GET').toUpperCase();
        const body = NO_BODY.has(method) ? undefined : await readBody(req, max, timeoutMs);
        if (body !== undefined && !(body instanceof Uint8Array)) {
          if (typeof body === 'object') {
            // Nobody is left to answer.
            report(body.aborted);
            req.destroy?.();
            return;
          }
          const [status, message] = body === 'too-large' ? [413, `body must be at most ${max} bytes`] : [408, `the body did not arrive within ${timeoutMs} ms`];
          await send(res, _errorResponse(status, 'ERR_INVALID_ARGUMENT', message, 'body', { connection: 'close' }));
          req.destroy?.();
          return;
        }
        let request: Request;
        try {
          request = toRequest(req, body);
        } catch {
          // A Host header or request target that makes no URL: the client's fault, not the handler's.
          await send(res, _errorResponse(400, 'ERR_INVALID_ARGUMENT', 'the request target or Host header is not valid', 'url'));
          return;
        }
        const response = (await handler(request)) ?? _errorResponse(404, 'ERR_INVALID_ARGUMENT', 'nothing is served at this path', 'url');
        await send(res, response);
      } catch (error) {
        report(error);
        if (!res.headersSent) await send(res, _errorResponse(500, 'ERR_CREDENTIALS_UNAVAILABLE', 'the server failed')).catch(() => undefined);
      }
    })().catch(() => undefined); // nothing above may become an unhandled rejection
  };
}
