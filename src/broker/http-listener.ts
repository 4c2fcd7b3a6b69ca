/**
 * The broker's HTTP listener: Node's http server in front of fetch-standard route handlers.
 * @module
 */
import { createServer, type Server } from 'node:http';
import { _errorResponse } from '../http/json-answers.js';
import { _nodeListener } from '../http/node-adapter.js';
import type { RouteHandler } from './config.js';
import type { RequestGuard } from './http-guard.js';

/**
 * @internal Request bodies larger than this are refused before any route sees them: the control API takes
 * small JSON, and the largest OpenAPI request (100 topics of 64 characters) is about 7 KB.
 */
export const _MAX_BODY = 64 * 1024;
/** How long a body may take to arrive. */
const BODY_TIMEOUT_MS = 10_000;

/**
 * @internal Starts an HTTP server that asks each route in turn (the list is read at request time,
 * so routes added later count) and answers 404 when none does. The Node ↔ fetch translation is the
 * one Node adapter (`src/http/node-adapter.ts`, also behind the server's `toNodeListener`): Host
 * checked, every method's body bounded in size and time.
 */
export function _serveRoutes(routes: () => readonly RouteHandler[], guard?: RequestGuard): Server {
  const handler = async (request: Request): Promise<Response> => {
    const refused = guard?.refuse(request.headers.get('host') ?? undefined, request.headers.get('origin') ?? undefined);
    if (refused === 'host') return _errorResponse(403, 'ERR_FORBIDDEN', 'the Host header does not name this broker (see allowedHosts)', 'host');
    if (refused === 'origin') return _errorResponse(403, 'ERR_FORBIDDEN', 'pages from this origin may not call the broker (see allowedOrigins)', 'origin');
    try {
      for (const route of routes()) {
        const response = await route(request);
        if (response) return response;
      }
    } catch {
      // A route threw: its message could hold anything, so only the fact is reported.
      return _errorResponse(500, 'ERR_INTERNAL', 'the route failed');
    }
    return _errorResponse(404, 'ERR_NOT_FOUND', `no route for ${request.method} ${new URL(request.url).pathname}`);
  };
  // The routes catch their own failures; a failure of the adapter itself has nobody to tell.
  return createServer(_nodeListener(handler, { maxBodyBytes: _MAX_BODY, bodyTimeoutMs: BODY_TIMEOUT_MS, report: () => undefined }));
}
