/**
 * The broker's control API, as a fetch-standard route: issue, query and revoke tokens, manage
 * device credentials, list sessions. JSON in and out, for tests, demos and other processes.
 *
 * | method and path | body | answer |
 * |---|---|---|
 * | `GET /control` | | `{ instanceId, urls }` |
 * | `POST /control/tokens` | `{ resources, actions, expireTime, accessKeyId? }` | `{ token, expireTime }` |
 * | `POST /control/tokens/query` | `{ token }` | `{ tokenStatus }` |
 * | `POST /control/tokens/revoke` | `{ token }` | `{ revoked }` |
 * | `POST /control/devices` | `{ clientId }` | the credential, secret included |
 * | `GET /control/devices/<clientId>` | | the credential, secret included |
 * | `POST /control/devices/<clientId>/refresh` | | the new credential |
 * | `DELETE /control/devices/<clientId>` | | `{ unregistered }` |
 * | `GET /control/sessions` | | connected clients (no secrets) |
 *
 * Errors: `{ error: { code, message, field? } }` with status 400 / 404.
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';
import type { RouteHandler } from './config.js';
import { _deviceCredentialBody, type DeviceStore } from './devices.js';
import { _jsonError } from './http.js';
import type { TokenStore } from './tokens.js';

/** What the control routes need from the broker. */
export interface ControlTarget {
  /** The instance the routes answer for. */
  readonly instanceId: string;
  /** The token store the token routes act on. */
  readonly tokens: TokenStore;
  /** The device store the device routes act on. */
  readonly devices: DeviceStore;
  /** The listeners' URLs, for `GET /control`. */
  urls(): Record<string, string>;
  /** The connected clients, for `GET /control/sessions`. */
  sessions(): readonly object[];
}

const PREFIX = '/control';

async function jsonBody(request: Request): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    throw new ApsaraMqttAuthError('ERR_INVALID_ARGUMENT', 'the request body must be a JSON object', { field: 'body' });
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApsaraMqttAuthError('ERR_INVALID_ARGUMENT', 'the request body must be a JSON object', { field: 'body' });
  }
  return body as Record<string, unknown>;
}

function requireToken(body: Record<string, unknown>): string {
  if (typeof body.token !== 'string' || body.token.length === 0) {
    throw new ApsaraMqttAuthError('ERR_INVALID_ARGUMENT', 'token must be a non-empty string', { field: 'token' });
  }
  return body.token;
}

const notFound = (what: string) => _jsonError(404, 'ERR_NOT_FOUND', what);

/**
 * The control API of a broker as one {@link RouteHandler} (paths under `/control`). The broker's
 * HTTP listener mounts it; it can be mounted in any fetch-style server too.
 */
export function createControlRoutes(target: ControlTarget): RouteHandler {
  return async (request) => {
    const url = new URL(request.url);
    if (url.pathname !== PREFIX && !url.pathname.startsWith(PREFIX + '/')) return undefined;
    const path = url.pathname.slice(PREFIX.length).replace(/\/$/, '');
    const method = request.method;
    try {
      if (path === '' && method === 'GET') return Response.json({ instanceId: target.instanceId, urls: target.urls() });
      if (path === '/sessions' && method === 'GET') return Response.json({ sessions: target.sessions() });
      if (path === '/tokens' && method === 'POST') {
        const body = await jsonBody(request);
        const token = target.tokens.apply(body as never);
        return Response.json({ token, expireTime: target.tokens.describe(token)!.expireTime });
      }
      if (path === '/tokens/query' && method === 'POST') {
        return Response.json({ tokenStatus: target.tokens.query(requireToken(await jsonBody(request))) });
      }
      if (path === '/tokens/revoke' && method === 'POST') {
        return Response.json({ revoked: target.tokens.revoke(requireToken(await jsonBody(request))) });
      }
      if (path === '/devices' && method === 'POST') {
        const body = await jsonBody(request);
        return Response.json(_deviceCredentialBody(target.devices.register(body.clientId as string)));
      }
      const device = /^\/devices\/([^/]+)(\/refresh)?$/.exec(path);
      if (device) {
        const clientId = decodeURIComponent(device[1]!);
        if (device[2] && method === 'POST') return Response.json(_deviceCredentialBody(target.devices.refresh(clientId)));
        if (!device[2] && method === 'GET') {
          const record = target.devices.get(clientId);
          return record ? Response.json(_deviceCredentialBody(record)) : notFound('no device credential for that client id');
        }
        if (!device[2] && method === 'DELETE') return Response.json({ unregistered: target.devices.unregister(clientId) });
      }
      return notFound(`no control route for ${method} ${url.pathname}`);
    } catch (error) {
      if (error instanceof ApsaraMqttAuthError) return _jsonError(400, error.code, error.message, error.field);
      throw error;
    }
  };
}
