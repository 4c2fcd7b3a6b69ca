/**
 * Serves a fetch-style handler from Node's `http.createServer` (or anything with the same request and
 * response objects: Express, Koa's `ctx.req`/`ctx.res`, `https`). Written against the shapes it uses
 * rather than `node:http`, so the `server` entry imports nothing Node-specific and type-checks without
 * `@types/node`.
 * @module
 */
import { _bodyText, _errorResponse } from './http.js';

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
  /** The body has been read. */
  on(event: 'end', listener: () => void): unknown;
  /** Reading the body failed. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** Drops the connection (a body over the limit). */
  destroy?(error?: Error): unknown;
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
  /** Told about a handler that threw (it should not) or a request that broke off. */
  onError?: (error: unknown) => void;
}

const NO_BODY = new Set(['GET', 'HEAD']);

function readBody(req: NodeRequestLike, max: number): Promise<Uint8Array | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk) => {
      if (done) return;
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
      size += bytes.byteLength;
      if (size > max) {
        done = true;
        resolve('too-large');
        return;
      }
      chunks.push(bytes);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const all = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        all.set(chunk, offset);
        offset += chunk.byteLength;
      }
      resolve(all);
    });
    req.on('error', (error) => {
      if (!done) reject(error);
      done = true;
    });
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
  const max = options.maxBodyBytes ?? 65_536;
  return (req, res) => {
    void (async () => {
      try {
        const method = (req.method ?? 'GET').toUpperCase();
        const body = NO_BODY.has(method) ? undefined : await readBody(req, max);
        if (body === 'too-large') {
          await send(res, _errorResponse(413, 'ERR_INVALID_ARGUMENT', `body must be at most ${max} bytes`, 'body', { connection: 'close' }));
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
        options.onError?.(error);
        if (!res.headersSent) await send(res, _errorResponse(500, 'ERR_CREDENTIALS_UNAVAILABLE', 'the server failed')).catch(() => undefined);
      }
    })();
  };
}
