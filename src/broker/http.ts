/**
 * The broker's HTTP listener: Node's http server in front of fetch-standard route handlers.
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { RouteHandler } from './config.js';

/** Request bodies larger than this are refused (the control API takes small JSON). */
const MAX_BODY = 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** @internal Node request → fetch `Request`; `undefined` when the body is too large. */
export async function _toRequest(req: IncomingMessage, origin: string): Promise<Request | undefined> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const method = req.method ?? 'GET';
  const init: RequestInit = { method, headers };
  if (method !== 'GET' && method !== 'HEAD') {
    const body = await readBody(req);
    if (!body) return undefined;
    init.body = new Uint8Array(body) as Uint8Array<ArrayBuffer>;
  }
  return new Request(new URL(req.url ?? '/', origin), init);
}

/** @internal fetch `Response` → Node response. */
export async function _sendResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = name === 'set-cookie' ? response.headers.getSetCookie() : value;
  });
  res.writeHead(response.status, headers);
  res.end(Buffer.from(await response.arrayBuffer()));
}

/** A JSON error body with a stable code; never a stack. */
export function _jsonError(status: number, code: string, message: string, field?: string): Response {
  return Response.json({ error: field === undefined ? { code, message } : { code, message, field } }, { status });
}

/**
 * @internal Starts an HTTP server on `host:port` that asks each route in turn (the list is read at
 * request time, so routes added later count) and answers 404 when none does.
 */
export function _serveRoutes(routes: () => readonly RouteHandler[]): Server {
  return createServer((req, res) => {
    void (async () => {
      try {
        const address = req.socket.localAddress ?? '127.0.0.1';
        const host = address.includes(':') ? `[${address}]` : address;
        const request = await _toRequest(req, `http://${host}:${req.socket.localPort ?? 80}`);
        if (!request) return await _sendResponse(res, _jsonError(413, 'ERR_INVALID_ARGUMENT', 'request body larger than 1 MiB'));
        for (const route of routes()) {
          const response = await route(request);
          if (response) return await _sendResponse(res, response);
        }
        await _sendResponse(res, _jsonError(404, 'ERR_NOT_FOUND', `no route for ${request.method} ${new URL(request.url).pathname}`));
      } catch {
        // A route threw: its message could hold anything, so only the fact is reported.
        if (!res.headersSent) await _sendResponse(res, _jsonError(500, 'ERR_INTERNAL', 'the route failed'));
        else res.destroy();
      }
    })();
  });
}
