/**
 * The one Node adapter: a fetch-style handler behind Node's `request` event, used by the server
 * entry's `toNodeListener` and by the local broker's HTTP listener. Written against the shapes it
 * uses rather than `node:http`, so the `server` entry imports nothing Node-specific.
 *
 * Before any handler runs, whatever the method: the `Host` header must be a valid `host[:port]` and
 * the request target a path (400 otherwise: nothing the client pasted there may move the URL the
 * handler sees), and the body is read within the byte limit (413) and the time limit (408), then the
 * connection is closed. A GET or HEAD body nobody reads is still drained under the same limits: a
 * client trickling one must not hold a connection for Node's 300 s.
 * @module
 */
import { _bodyChunks } from './body-limit.js';
import { _validHost } from './host-header.js';
import { _bodyText, _errorResponse } from './json-answers.js';

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

/** @internal The checked settings of {@link _nodeListener}. */
export interface _NodeAdapterSettings {
  /** Largest body read, bytes, whatever the method. */
  maxBodyBytes: number;
  /** Longest time for the whole body to arrive, ms. */
  bodyTimeoutMs: number;
  /** Told about a handler that threw or a client that went away mid-body; must not throw. */
  report: (error: unknown) => void;
}

/** Why a body was not read: too large, too slow, or the client went away. */
type Unread = 'too-large' | 'timeout' | { aborted: unknown };

/** The body of any method, within `max` bytes and `timeoutMs`. */
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

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/**
 * The request's `host[:port]` and target, or the one at fault when either could move the URL: a Host
 * that is not a valid authority, a target that is not a path (absolute-form, `*`, a fragment).
 */
function target(req: NodeRequestLike): { host: string; path: string } | 'host' | 'url' {
  // HTTP/1.0 may send no Host; HTTP/2 sends `:authority` instead.
  const host = single(req.headers['host']) ?? single(req.headers[':authority']) ?? 'localhost';
  const path = req.url ?? '/';
  if (!_validHost(host)) return 'host';
  if (!path.startsWith('/') || path.includes('#')) return 'url';
  return { host, path };
}

const BAD_TARGET = {
  host: 'the Host header must be host[:port]: a DNS name or IP address, and an optional port',
  url: 'the request target must be a path such as /credentials?clientId=…',
} as const;

function toRequest(req: NodeRequestLike, method: string, where: { host: string; path: string }, body: Uint8Array): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    // HTTP/2 pseudo-headers (`:path`) are not headers to a Request.
    if (value === undefined || name.startsWith(':')) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const scheme = (req.socket as { encrypted?: boolean } | null | undefined)?.encrypted ? 'https' : 'http';
  // A GET or HEAD body was drained within the limits, but a Request cannot carry it.
  const carried = body.byteLength && method !== 'GET' && method !== 'HEAD' ? { body: body as Uint8Array<ArrayBuffer> } : {};
  return new Request(`${scheme}://${where.host}${where.path}`, { method, headers, ...carried });
}

/** @internal Writes a Response onto Node's response. */
export async function _send(res: NodeResponseLike, response: Response): Promise<void> {
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

/** @internal A Node `request` listener running `handler`, with settings already checked. */
export function _nodeListener(
  handler: (request: Request) => Promise<Response | undefined> | Response | undefined,
  settings: _NodeAdapterSettings,
): (req: NodeRequestLike, res: NodeResponseLike) => void {
  const { maxBodyBytes: max, bodyTimeoutMs: timeoutMs, report } = settings;
  /** An answer after which the connection is closed (the body may still be arriving). */
  const refuse = async (req: NodeRequestLike, res: NodeResponseLike, response: Response) => {
    await _send(res, response);
    req.destroy?.();
  };
  return (req, res) => {
    (async () => {
      try {
        const where = target(req);
        if (typeof where === 'string') {
          await refuse(req, res, _errorResponse(400, 'ERR_INVALID_ARGUMENT', BAD_TARGET[where], where, { connection: 'close' }));
          return;
        }
        const method = (req.method ?? 'GET').toUpperCase();
        const body = await readBody(req, max, timeoutMs);
        if (!(body instanceof Uint8Array)) {
          if (typeof body === 'object') {
            // Nobody is left to answer.
            report(body.aborted);
            req.destroy?.();
            return;
          }
          const [status, message] = body === 'too-large' ? [413, `body must be at most ${max} bytes`] : [408, `the body did not arrive within ${timeoutMs} ms`];
          await refuse(req, res, _errorResponse(status, 'ERR_INVALID_ARGUMENT', message, 'body', { connection: 'close' }));
          return;
        }
        let request: Request;
        try {
          request = toRequest(req, method, where, body);
        } catch {
          // A method or header value that makes no Request: the client's fault, not the handler's.
          await send400(res);
          return;
        }
        const response = (await handler(request)) ?? _errorResponse(404, 'ERR_INVALID_ARGUMENT', 'nothing is served at this path', 'url');
        await _send(res, response);
      } catch (error) {
        report(error);
        if (!res.headersSent) await _send(res, _errorResponse(500, 'ERR_CREDENTIALS_UNAVAILABLE', 'the server failed')).catch(() => undefined);
      }
    })().catch(() => undefined); // nothing above may become an unhandled rejection
  };
}

const send400 = (res: NodeResponseLike) => _send(res, _errorResponse(400, 'ERR_INVALID_ARGUMENT', 'the request target or a header is not valid', 'url'));
