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
 * Every request needs the control secret as `Authorization: Bearer <secret>` (401 without it: the
 * API hands out device secrets and tokens), and every POST needs `Content-Type: application/json`
 * (415 otherwise: a web page can POST the simple-form types `text/plain`,
 * `application/x-www-form-urlencoded` and `multipart/form-data` anywhere without asking).
 *
 * Errors: `{ error: { code, message, field? } }` with status 400 / 401 / 404 / 415.
 * @module
 */
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { _constantTimeEqual } from '../internal/equal.js';
import { _readBody } from '../http/body-limit.js';
import { _errorResponse } from '../http/json-answers.js';
import { _duplicateJsonKey, _nameable, _repeatedName } from '../internal/json-keys.js';
import type { RouteHandler } from './config.js';
import { _deviceCredentialBody, type DeviceStore } from './devices.js';
import { _MAX_BODY } from './http-listener.js';
import type { TokenStore } from './tokens.js';

/** What the control routes need from the broker. */
export interface ControlTarget {
  /** The instance the routes answer for. */
  readonly instanceId: string;
  /**
   * The secret every request must present (`Authorization: Bearer <secret>`), at least 16
   * characters; `false` to serve the routes without one, behind an authentication of your own.
   * A broker's is {@link LocalBroker.controlSecret}.
   */
  readonly controlSecret: string | false;
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

/** The JSON object a POST carries, read within the listener's bound wherever the routes are mounted. */
async function jsonBody(request: Request): Promise<Record<string, unknown>> {
  const text = await _readBody(request, _MAX_BODY);
  if (text === 'too-large') throw _errorResponse(413, 'ERR_INVALID_ARGUMENT', `body must be at most ${_MAX_BODY} bytes`, 'body');
  let body: unknown;
  try {
    body = text === 'unreadable' ? undefined : JSON.parse(text);
  } catch {
    throw new ApsaraMqttAuthError('ERR_INVALID_ARGUMENT', 'the request body must be a JSON object', { field: 'body' });
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApsaraMqttAuthError('ERR_INVALID_ARGUMENT', 'the request body must be a JSON object', { field: 'body' });
  }
  const repeated = _duplicateJsonKey(text as string);
  if (repeated !== undefined) throw new ApsaraMqttAuthError('ERR_INVALID_ARGUMENT', `${_repeatedName(repeated)} is given more than once`, { field: _nameable(repeated) ? repeated : 'body' });
  // Own fields only: a polluted Object.prototype adds none.
  return Object.assign(Object.create(null), body) as Record<string, unknown>;
}

/** The secret a target serves with, checked once. */
export function _controlSecret(target: ControlTarget): string | false {
  const secret = (target as { controlSecret?: unknown } | null)?.controlSecret;
  if (secret === false) return false;
  if (typeof secret !== 'string' || secret.length < 16) {
    throw _invalid('controlSecret', 'must be a secret of at least 16 characters (or false to serve the control API without one, behind your own authentication)');
  }
  return secret;
}

/** 401/415 for a request the control API must not act on, else `undefined`. */
function refusal(request: Request, secret: string | false): Response | undefined {
  if (secret !== false) {
    const given = /^Bearer (\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
    if (given === undefined || !_constantTimeEqual(given, secret)) {
      return _errorResponse(401, 'ERR_FORBIDDEN', 'the control API needs its secret: Authorization: Bearer <controlSecret> (printed at start)', 'authorization', {
        'www-authenticate': 'Bearer realm="control"',
      });
    }
  }
  // POST is the one write a page can send without asking first (PUT and DELETE need a preflight).
  if (request.method === 'POST') {
    const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') return _errorResponse(415, 'ERR_INVALID_ARGUMENT', 'send Content-Type: application/json (a web page cannot, without asking first)', 'content-type');
  }
  return undefined;
}

function requireToken(body: Record<string, unknown>): string {
  if (typeof body.token !== 'string' || body.token.length === 0) {
    throw new ApsaraMqttAuthError('ERR_INVALID_ARGUMENT', 'token must be a non-empty string', { field: 'token' });
  }
  return body.token;
}

const notFound = (what: string) => _errorResponse(404, 'ERR_NOT_FOUND', what);

/**
 * The control API of a broker as one {@link RouteHandler} (paths under `/control`). The broker's
 * HTTP listener mounts it; it can be mounted in any fetch-style server too.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` (field `controlSecret`) for a target
 *   without a secret of at least 16 characters, unless it says `controlSecret: false`.
 */
export function createControlRoutes(target: ControlTarget): RouteHandler {
  if (target === null || typeof target !== 'object') throw _invalid('target', 'must be the broker (or a ControlTarget)');
  const t = target as unknown as Record<string, unknown>;
  const shaped =
    typeof t.instanceId === 'string' &&
    typeof t.urls === 'function' &&
    typeof t.sessions === 'function' &&
    ['apply', 'query', 'revoke', 'describe'].every((m) => typeof (t.tokens as Record<string, unknown> | null)?.[m] === 'function') &&
    ['register', 'get', 'refresh', 'unregister'].every((m) => typeof (t.devices as Record<string, unknown> | null)?.[m] === 'function');
  if (!shaped) throw _invalid('target', 'must be the broker (or a ControlTarget: instanceId, tokens, devices, urls(), sessions())');
  const secret = _controlSecret(target);
  return async (request) => {
    if (typeof request?.url !== 'string' || typeof request.headers?.get !== 'function') throw _invalid('request', 'must be a fetch-standard Request');
    const url = new URL(request.url);
    if (url.pathname !== PREFIX && !url.pathname.startsWith(PREFIX + '/')) return undefined;
    const refused = refusal(request, secret);
    if (refused) return refused;
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
        let clientId: string;
        try {
          clientId = decodeURIComponent(device[1]!);
        } catch {
          throw _invalid('clientId', 'is not a well-formed percent-encoded client id');
        }
        if (device[2] && method === 'POST') return Response.json(_deviceCredentialBody(target.devices.refresh(clientId)));
        if (!device[2] && method === 'GET') {
          const record = target.devices.get(clientId);
          return record ? Response.json(_deviceCredentialBody(record)) : notFound('no device credential for that client id');
        }
        if (!device[2] && method === 'DELETE') return Response.json({ unregistered: target.devices.unregister(clientId) });
      }
      return notFound(`no control route for ${method} ${url.pathname.slice(0, 100)}`);
    } catch (error) {
      if (error instanceof Response) return error; // an answer of jsonBody's own (413)
      if (error instanceof ApsaraMqttAuthError) return _errorResponse(400, error.code, error.message, error.field);
      throw error;
    }
  };
}
