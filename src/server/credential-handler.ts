/**
 * The credential server: a fetch-style `(request: Request) => Promise<Response>` that hands a client
 * the Username/Password for its client id, so that browsers and apps never hold an AccessKey secret.
 * Signature and DeviceCredential passwords are signed here; Token passwords come from a token issuer.
 * `authorize` decides who gets what; without it every request is refused.
 * @module
 */
import { ApsaraMqttAuthError, _invalid, type ApsaraMqttAuthErrorCode } from '../errors.js';
import type { HmacSha1 } from '../hmac/hmac-types.js';
import { _checkClock, type Clock } from '../clock.js';
import { validateClientId } from '../credentials/client-id.js';
import { deviceCredentials } from '../credentials/device.js';
import { signatureCredentials } from '../credentials/signature.js';
import { createSigner, type Signer } from '../credentials/signer.js';
import { tokenCredentials } from '../credentials/token.js';
import type { TokenType } from '../protocol/token-password.js';
import { _own, _requireHmac, _requireOptions, _requireSegment, _requireString } from '../credentials/validate.js';
import { tokenTypeOf } from '../protocol/token-rules.js';
import { _errorResponse, _json } from '../http/json-answers.js';
import { _readBody } from '../http/body-limit.js';
import { _duplicateJsonKey, _duplicateParam, _nameable, _repeatedName } from '../internal/json-keys.js';
import { _cors, type CorsOptions } from './http-helpers.js';
import { isThrottlingCode, type OpenApiError } from './openapi-error.js';
import type { TokenIssuer, TokenPermission } from './token-issuer.js';

/** What `authorize` grants a caller: which kind of credentials, and for tokens which topics. */
export type CredentialGrant =
  | { mode: 'signature' }
  | { mode: 'device' }
  | ({ mode: 'token' } & TokenPermission)
  | { mode: 'token'; permissions: readonly TokenPermission[] };

/** What `authorize` sees besides the request and the client id. */
export interface AuthorizeContext {
  /** The request's fields (query string for GET, JSON or form body for POST), string values only. */
  params: Readonly<Record<string, string>>;
}

/**
 * Decides whether the caller may have credentials for `clientId`, and which. Return a grant, or
 * `false`/`null`/`undefined` to refuse (403). Throw an `ApsaraMqttAuthError` with code `ERR_FORBIDDEN`
 * to refuse with your own message; anything else thrown is a 500 and goes to `onError`.
 * The request body has already been read: use `context.params`.
 */
export type Authorize = (
  request: Request,
  clientId: string,
  context: AuthorizeContext,
) => CredentialGrant | false | null | undefined | Promise<CredentialGrant | false | null | undefined>;

/** A device's own key pair, for DeviceCredential grants. */
export interface DeviceSecret {
  /** The DeviceAccessKeyId that goes into the Username. */
  deviceAccessKeyId: string;
  /** The secret the Password is signed with; never sent to the client. */
  deviceAccessKeySecret: string;
}

/** Inputs of {@link createCredentialHandler}. */
export interface CredentialHandlerOptions {
  /** The ApsaraMQ for MQTT instance id. */
  instanceId: string;
  /** The AccessKey ID for Signature grants (default: the token issuer's). */
  accessKeyId?: string;
  /** The AccessKey secret for Signature grants. Kept in a closure. */
  accessKeySecret?: string;
  /** Looks up the device secret of a client id for DeviceCredential grants (`undefined`: none → 403). */
  deviceSecret?: (clientId: string) => DeviceSecret | undefined | Promise<DeviceSecret | undefined>;
  /** The token issuer for Token grants (from `createTokenIssuer`). */
  tokenIssuer?: TokenIssuer;
  /** Who may have what. Default: refuse everything. */
  authorize?: Authorize;
  /** Cross-origin browser callers to allow. Default: same-origin only. */
  cors?: CorsOptions;
  /** Connection hints passed to the client as `connect` (e.g. `{ host, port, transport }`); never secret. */
  connect?: Readonly<Record<string, string | number | boolean>>;
  /** Accepted methods (default `GET` and `POST`). */
  methods?: readonly ('GET' | 'POST')[];
  /** Largest request body accepted, bytes (default 8192). */
  maxBodyBytes?: number;
  /** Told about every failure answered with a 5xx (for your logs; the caller only sees a code). */
  onError?: (error: unknown, request: Request) => void;
  /** HMAC-SHA1 to use instead of the default. */
  hmac?: HmacSha1;
  /**
   * The clock answers are dated with (`issuedAt`, `expiresIn`). Default: the token issuer's (its
   * `now`), else the real one. Token expiries are on the issuer's clock, so give the same one.
   */
  clock?: Clock;
}

/** One token in a Token-mode answer, for in-band rotation (`$SYS/uploadToken`). */
export interface IssuedTokenBody {
  /** The password prefix: `R`, `W` or `RW`. */
  type: TokenType;
  /** The token (the part after `<type>|` in the Password). */
  token: string;
  /** When it expires, ms since the epoch. */
  expiresAt: number;
  /** The topics it covers, sorted. */
  resources: readonly string[];
  /** What it allows on them: `R`, `W` or `R,W`. */
  actions: string;
}

/** The body of a successful answer. */
export interface CredentialBody {
  /** The grant's mode: `signature`, `device` or `token`. */
  mode: CredentialGrant['mode'];
  /** The client id the credentials are for. */
  clientId: string;
  /** The instance. */
  instanceId: string;
  /** The MQTT Username. */
  username: string;
  /** The MQTT Password. */
  password: string;
  /** When the password stops working (Token mode: the earliest token expiry), ms since the epoch. */
  expiresAt?: number;
  /**
   * Seconds from this answer to `expiresAt` (rounded down): the lifetime a client whose clock is wrong
   * can still use (`remoteCredentials` reads it).
   */
  expiresIn?: number;
  /** When the server answered, UNIX ms on its clock: a client learns from it how far off its own clock is. */
  issuedAt: number;
  /** Token mode: each token, by type. */
  tokens?: IssuedTokenBody[];
  /** The `connect` hints from the options. */
  connect?: Readonly<Record<string, string | number | boolean>>;
}

/** An answered failure, carried to the one place that writes error responses. */
class Refusal {
  constructor(
    readonly status: number,
    readonly code: ApsaraMqttAuthErrorCode,
    readonly message: string,
    readonly field?: string,
    readonly cause?: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

const refuse = (status: number, code: ApsaraMqttAuthErrorCode, message: string, field?: string, cause?: unknown, headers?: Record<string, string>) =>
  new Refusal(status, code, message, field, cause, headers);
const misconfigured = (message: string, cause?: unknown) => refuse(500, 'ERR_CREDENTIALS_UNAVAILABLE', 'the credential server cannot issue these credentials', undefined, cause ?? new Error(message));

function paramsFrom(entries: Iterable<[string, unknown]>): Record<string, string> {
  const params: Record<string, string> = Object.create(null);
  for (const [key, value] of entries) if (typeof value === 'string') params[key] = value;
  return params;
}

/**
 * A parameter given twice (`?clientId=a&clientId=b`, a form, a JSON key): refused, since
 * `URLSearchParams.get` in an `authorize` reading the URL itself takes the first, and these
 * params the last. Credentials would be approved for one client id and issued for another.
 */
const repeatedParam = (name: string) => refuse(400, 'ERR_INVALID_ARGUMENT', `${_repeatedName(name)} is given more than once; send each parameter once`, _nameable(name) ? name : 'body');

function uniqueParams(params: URLSearchParams): Record<string, string> {
  const repeated = _duplicateParam(params);
  if (repeated !== undefined) throw repeatedParam(repeated);
  return paramsFrom(params);
}

async function readParams(request: Request, maxBodyBytes: number): Promise<Record<string, string>> {
  const query = new URL(request.url).searchParams;
  if (request.method === 'GET') return uniqueParams(query);
  const fromBody = await readBodyParams(request, maxBodyBytes);
  // A POST is answered from its body; a query naming the same parameter (or one twice) is what an
  // authorize reading the URL would see instead.
  const inQuery = uniqueParams(query);
  for (const name of Object.keys(inQuery)) if (Object.hasOwn(fromBody, name)) throw repeatedParam(name);
  return fromBody;
}

async function readBodyParams(request: Request, maxBodyBytes: number): Promise<Record<string, string>> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && type !== 'application/x-www-form-urlencoded') {
    throw refuse(415, 'ERR_INVALID_ARGUMENT', 'content-type must be application/json or application/x-www-form-urlencoded', 'content-type');
  }
  const text = await _readBody(request, maxBodyBytes);
  if (text === 'too-large') throw refuse(413, 'ERR_INVALID_ARGUMENT', `body must be at most ${maxBodyBytes} bytes`, 'body');
  if (text === 'unreadable') throw refuse(400, 'ERR_INVALID_ARGUMENT', 'body could not be read as UTF-8 text', 'body');
  if (type === 'application/x-www-form-urlencoded') return uniqueParams(new URLSearchParams(text));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw refuse(400, 'ERR_INVALID_ARGUMENT', 'body must be a JSON object such as {"clientId":"GID_x@@@device-1"}', 'body');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw refuse(400, 'ERR_INVALID_ARGUMENT', 'body must be a JSON object such as {"clientId":"GID_x@@@device-1"}', 'body');
  }
  const repeated = _duplicateJsonKey(text);
  if (repeated !== undefined) throw repeatedParam(repeated);
  return paramsFrom(Object.entries(parsed));
}

function permissionsOf(grant: CredentialGrant): readonly TokenPermission[] {
  const list = Object.hasOwn(grant, 'permissions') ? (grant as { permissions: readonly TokenPermission[] }).permissions : [grant as TokenPermission];
  if (!Array.isArray(list) || list.length === 0 || list.length > 3) throw misconfigured('authorize: a token grant needs 1 to 3 permissions');
  return list;
}

/**
 * A fetch-style credential handler. Answers `GET ?clientId=…` or `POST {"clientId": …}` (JSON or
 * form) with `{ mode, clientId, instanceId, username, password, expiresAt?, expiresIn?, issuedAt, tokens?, connect? }`
 * (`issuedAt` and `expiresIn` on the server's clock, so that a client whose clock is wrong still times its credentials);
 * failures with `{ error: { code, message, field? } }` and status 400, 403, 405, 413, 415, 500, 502, or
 * 503 with `Retry-After` when ApplyToken is throttled.
 * Every answer has `Cache-Control: no-store`. No answer ever contains an AccessKey secret, a device
 * secret or a stack.
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` for a bad option.
 * @example
 * ```ts
 * const handler = createCredentialHandler({
 *   instanceId, tokenIssuer,
 *   authorize: async (req, clientId) => (await sessionOf(req))?.deviceId === parseClientId(clientId).deviceId
 *     ? { mode: 'token', resources: [`telemetry/${clientId}`], actions: 'R,W' } : false,
 * });
 * Bun.serve({ fetch: handler }); // or http.createServer(toNodeListener(handler))
 * ```
 */
export function createCredentialHandler(options: CredentialHandlerOptions): (request: Request) => Promise<Response> {
  options = _requireOptions(options, 'options');
  const instanceId = _requireSegment(options.instanceId, 'instanceId');
  const issuer = options.tokenIssuer;
  if (issuer !== undefined && (issuer === null || typeof issuer.issue !== 'function')) throw _invalid('tokenIssuer', 'must be a token issuer (see createTokenIssuer)');
  if (issuer && issuer.instanceId !== instanceId) throw _invalid('tokenIssuer', 'issues tokens for another instance than instanceId');
  const accessKeySecret = options.accessKeySecret === undefined ? undefined : _requireString(options.accessKeySecret, 'accessKeySecret');
  const accessKeyIdGiven = options.accessKeyId ?? issuer?.accessKeyId;
  const accessKeyId = accessKeyIdGiven === undefined ? undefined : _requireSegment(accessKeyIdGiven, 'accessKeyId');
  if (accessKeySecret !== undefined && accessKeyId === undefined) throw _invalid('accessKeyId', 'is required with accessKeySecret');
  for (const name of ['authorize', 'deviceSecret', 'onError'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw _invalid(name, 'must be a function');
  }
  const authorize = options.authorize;
  const deviceSecret = options.deviceSecret;
  const onError = options.onError;
  const hmac = _requireHmac(options.hmac);
  const methods = options.methods ?? ['GET', 'POST'];
  if (!Array.isArray(methods) || methods.length === 0 || methods.some((m) => m !== 'GET' && m !== 'POST')) {
    throw _invalid('methods', 'must be a non-empty list of "GET" and "POST"');
  }
  const maxBodyBytes = options.maxBodyBytes ?? 8192;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 64) throw _invalid('maxBodyBytes', 'must be an integer of at least 64');
  const connectHints = options.connect === undefined ? undefined : Object.freeze({ ..._requireOptions(options.connect, 'connect') });
  if (connectHints && !Object.values(connectHints).every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
    throw _invalid('connect', 'must hold only strings, numbers and booleans');
  }
  const clock = _checkClock(options.clock);
  const now = clock ? () => clock.now() : typeof issuer?.now === 'function' ? () => issuer.now!() : () => Date.now();
  const cors = _cors(options.cors, methods);
  const allow = [...methods, 'OPTIONS'].join(', ');

  let signer: Promise<Signer> | undefined;

  async function credentialsFor(grant: CredentialGrant, clientId: string, reason: string | undefined): Promise<Omit<CredentialBody, 'issuedAt'>> {
    const base = { clientId, instanceId, ...(connectHints ? { connect: connectHints } : {}) };
    const withHmac = hmac ? { hmac } : {};
    switch (grant.mode) {
      case 'signature': {
        if (accessKeyId === undefined || accessKeySecret === undefined) throw misconfigured('a signature grant needs accessKeyId and accessKeySecret in the handler options');
        // The batch signer (node:crypto where reachable) signs synchronously with the key set up once;
        // a caller's own hmac adapter goes through the builder, as it may be asynchronous.
        const creds = hmac
          ? await signatureCredentials({ accessKeyId, accessKeySecret, instanceId, clientId, hmac })
          : (await (signer ??= createSigner({ accessKeyId, accessKeySecret, instanceId }))).sign(clientId);
        return { mode: 'signature', ...base, ...creds };
      }
      case 'device': {
        if (!deviceSecret) throw misconfigured('a device grant needs the deviceSecret option');
        const found = await deviceSecret(clientId);
        if (found === undefined || found === null) throw refuse(403, 'ERR_FORBIDDEN', 'no device credential is registered for this clientId', 'clientId');
        const creds = await deviceCredentials({
          deviceAccessKeyId: _own(found, 'deviceAccessKeyId') as string,
          deviceAccessKeySecret: _own(found, 'deviceAccessKeySecret') as string,
          instanceId,
          clientId,
          ...withHmac,
        });
        return { mode: 'device', ...base, ...creds };
      }
      case 'token': {
        if (!issuer) throw misconfigured('a token grant needs the tokenIssuer option');
        const permissions = permissionsOf(grant);
        const types = new Set(permissions.map((p) => tokenTypeOf(_own(p, 'actions') as TokenPermission['actions'])));
        if (types.size !== permissions.length) throw misconfigured('authorize: a token grant may hold one permission per type (R, W, R,W)');
        // A client whose token was just refused or declared invalid makes the issuer check it first
        // (revoked tokens would otherwise be served from the cache until they expire).
        const verify = reason === 'refused' || reason === 'token-invalid';
        const issued = await Promise.all(permissions.map((p) => issuer.issue(p, { verify })));
        const tokens: IssuedTokenBody[] = issued.map((t) => ({ type: t.type, token: t.token, expiresAt: t.expiresAt, resources: t.resources, actions: t.actions }));
        const creds = tokenCredentials({ accessKeyId: issuer.accessKeyId, instanceId, tokens: Object.fromEntries(tokens.map((t) => [t.type, t.token])) });
        return { mode: 'token', ...base, ...creds, expiresAt: Math.min(...tokens.map((t) => t.expiresAt)), tokens };
      }
      default:
        throw misconfigured(`authorize returned an unknown mode ${JSON.stringify(String((grant as { mode?: unknown }).mode))}`);
    }
  }

  async function answer(request: Request): Promise<Response> {
    const method = request.method.toUpperCase();
    const corsHeaders = cors.headersFor(request);
    if (corsHeaders === false) throw refuse(403, 'ERR_FORBIDDEN', 'this origin may not call the credential server (see the cors option)', 'origin');
    if (method === 'OPTIONS') {
      const preflight = corsHeaders && 'access-control-allow-origin' in corsHeaders ? cors.preflight : {};
      return new Response(null, { status: 204, headers: { allow, ...preflight, ...corsHeaders } });
    }
    if (!(methods as readonly string[]).includes(method)) throw refuse(405, 'ERR_INVALID_ARGUMENT', `method must be one of ${methods.join(', ')}`, 'method');
    const params = await readParams(request, maxBodyBytes);
    const clientId = params['clientId'];
    if (clientId === undefined) throw refuse(400, 'ERR_INVALID_ARGUMENT', 'clientId is required (a string such as "GID_x@@@device-1")', 'clientId');
    const validation = validateClientId(clientId);
    if (!validation.valid) {
      const problem = validation.problems[0]!;
      throw refuse(400, 'ERR_INVALID_CLIENT_ID', problem.message, problem.field);
    }
    if (!authorize) throw refuse(403, 'ERR_FORBIDDEN', 'the credential server refuses every request until it is given an authorize function', 'clientId');
    let grant: CredentialGrant | false | null | undefined;
    try {
      grant = await authorize(request, clientId, { params: Object.freeze({ ...params }) });
    } catch (error) {
      if (error instanceof ApsaraMqttAuthError && error.code === 'ERR_FORBIDDEN') throw refuse(403, 'ERR_FORBIDDEN', error.message, error.field);
      throw refuse(500, 'ERR_CREDENTIALS_UNAVAILABLE', 'the credential server failed to authorize the request', undefined, error);
    }
    if (!grant) throw refuse(403, 'ERR_FORBIDDEN', 'this caller may not have credentials for this clientId', 'clientId');
    if (typeof grant !== 'object') throw misconfigured('authorize must return a grant object such as { mode: "signature" } or false');
    // Own properties only: a polluted Object.prototype must not widen what authorize granted.
    const body = await credentialsFor(_requireOptions(grant, 'grant'), clientId, params['reason']);
    // Dated on the server's clock: a device hours off still knows how long the credentials live.
    const issuedAt = now();
    const dated: CredentialBody = body.expiresAt === undefined ? { ...body, issuedAt } : { ...body, expiresIn: Math.max(0, Math.floor((body.expiresAt - issuedAt) / 1000)), issuedAt };
    return _json(200, dated, corsHeaders ?? {});
  }

  return async function credentialHandler(request: Request): Promise<Response> {
    const shape = request as Partial<Request> | null | undefined;
    if (typeof shape?.method !== 'string' || typeof shape.url !== 'string' || typeof shape.headers?.get !== 'function') {
      throw _invalid('request', 'must be a fetch-standard Request');
    }
    try {
      return await answer(request);
    } catch (thrown) {
      let refusal: Refusal;
      if (thrown instanceof Refusal) refusal = thrown;
      else if (thrown instanceof ApsaraMqttAuthError && thrown.code === 'ERR_OPENAPI') {
        // Throttling (ApplyToken allows about 100 calls/s per account) is temporary: say when to retry.
        const throttled = isThrottlingCode((thrown as OpenApiError).openApiCode);
        refusal = throttled
          ? refuse(503, 'ERR_OPENAPI', 'the token service is busy; try again in a moment', undefined, thrown, { 'retry-after': '1' })
          : refuse(502, 'ERR_OPENAPI', 'the token service failed; try again later', undefined, thrown);
      } else if (thrown instanceof ApsaraMqttAuthError && (thrown.code === 'ERR_INVALID_ARGUMENT' || thrown.code === 'ERR_INVALID_CLIENT_ID')) {
        // Raised while building credentials from what authorize or the options supplied: the server's fault.
        refusal = misconfigured(thrown.message, thrown);
      } else {
        refusal = refuse(500, 'ERR_CREDENTIALS_UNAVAILABLE', 'the credential server failed', undefined, thrown);
      }
      if (refusal.status >= 500 && onError) {
        try {
          onError(refusal.cause, request);
        } catch {
          // A failing logger must not turn an error answer into a crash.
        }
      }
      const corsHeaders = cors.headersFor(request) || {};
      const extra = { ...refusal.headers, ...(refusal.status === 405 ? { allow } : {}), ...corsHeaders };
      return _errorResponse(refusal.status, refusal.code, refusal.message, refusal.field, extra);
    }
  };
}
