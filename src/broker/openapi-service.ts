/**
 * The `onsmqtt` OpenAPI (2020-04-20, RPC style) played on loopback for tests and demos: a fetch-style
 * handler that verifies each request's signature against configured AccessKey pairs, as Alibaba's
 * gateway does, then runs ApplyToken, QueryToken, RevokeToken and the DeviceCredential actions on the
 * broker's stores. It answers `undefined` for requests that are not OpenAPI calls, so it can sit
 * beside other routes on one listener.
 *
 * Error codes and messages follow Alibaba's gateway where its documentation shows them
 * (`SignatureDoesNotMatch`, `InvalidAccessKeyId.NotFound`, `InvalidTimeStamp.Expired`,
 * `SignatureNonceUsed`, `InvalidAction.NotFound`, `Throttling.User`, `MissingParameter`-style `Missing<Name>`); the
 * action-level codes (`InvalidParameter`, `InstanceNotFound`, `DeviceCredentialNotFound`) are modelled,
 * not verified against the real service.
 * @module
 */
import { _invalid } from '../errors.js';
import { ApsaraMqttAuthError } from '../errors.js';
import { validateClientId } from '../credentials/client-id.js';
import { openApiSignature, stringToSign } from '../openapi/signature.js';
import { MAX_TOKEN_TTL, MIN_TOKEN_TTL, _requireActions, _requireResources, type TokenActions } from '../protocol/token-rules.js';

/**
 * The token store the service needs, for one instance: the broker's `TokenStore`, or any with this
 * shape. Rule violations it throws as `ApsaraMqttAuthError` become `InvalidParameter` answers.
 */
export interface OpenApiTokenStore {
  /** Issues a token for the topics and actions until `expireTime` (ms), bound to the applying AccessKey. */
  apply(grant: { resources: readonly string[]; actions: TokenActions; expireTime: number; accessKeyId: string }): string | Promise<string>;
  /** Whether the token is known, unrevoked and unexpired. */
  query(token: string): boolean | Promise<boolean>;
  /** Revokes the token (an unknown token is no error). */
  revoke(token: string): unknown;
}

/** A device credential with the OpenAPI's field names (the secret may be a non-enumerable property). */
export interface OpenApiDeviceRecord {
  readonly ClientId: string;
  readonly InstanceId: string;
  readonly DeviceAccessKeyId: string;
  readonly DeviceAccessKeySecret: string;
  readonly CreateTime: number;
  readonly UpdateTime: number;
}

/** The device-credential store the DeviceCredential actions need: the broker's `DeviceStore`, or any with this shape. */
export interface OpenApiDeviceStore {
  /** Registers (or returns the existing) credential for the client id. */
  register(clientId: string): OpenApiDeviceRecord | Promise<OpenApiDeviceRecord>;
  /** The credential, or `undefined`. */
  get(clientId: string): OpenApiDeviceRecord | undefined | Promise<OpenApiDeviceRecord | undefined>;
  /** Replaces the secret of a registered credential. */
  refresh(clientId: string): OpenApiDeviceRecord | Promise<OpenApiDeviceRecord>;
  /** Removes the credential; `false` when none was registered. */
  unregister(clientId: string): boolean | Promise<boolean>;
}

/** Inputs of {@link createOpenApiService}. */
export interface OpenApiServiceOptions {
  /**
   * AccessKey pairs that may call: the broker's `accessKeys` list (`{ accessKeyId, accessKeySecret }`),
   * a map id → secret, or a lookup.
   */
  accessKeys:
    | readonly { accessKeyId: string; accessKeySecret: string }[]
    | Readonly<Record<string, string>>
    | ((accessKeyId: string) => string | undefined);
  /** The instance served; calls naming another get `InstanceNotFound`. */
  instanceId: string;
  /** Where the instance's tokens live. */
  tokens: OpenApiTokenStore;
  /** Where its device credentials live (the DeviceCredential actions answer `InvalidAction.NotFound` without it). */
  devices?: OpenApiDeviceStore;
  /** The path served (default `/`, as on Alibaba's endpoints). */
  path?: string;
  /** The clock (default `Date.now`). */
  now?: () => number;
  /** How far a request's `Timestamp` may be from the clock, ms (default 15 minutes, as Alibaba's). */
  maxSkew?: number;
  /** Shown as `HostId` in error answers (default `onsmqtt.local`). */
  hostId?: string;
  /**
   * Calls per second allowed per AccessKey, by action, as the real service documents them (default
   * `{ ApplyToken: 100, RevokeToken: 5 }`); more in one second of the clock → `Throttling.User`.
   * `false` for no limit.
   */
  rateLimits?: Readonly<Record<string, number>> | false;
}

/** A fetch-style OpenAPI handler that also counts the calls it answered, by action. */
export interface OpenApiService {
  (request: Request): Promise<Response | undefined>;
  /** Successful calls so far, by action (e.g. `calls.ApplyToken`). Failed ones are in `errors`, by code. */
  readonly calls: Readonly<Record<string, number>>;
  /** Error answers so far, by Alibaba error code. */
  readonly errors: Readonly<Record<string, number>>;
}

const VERSION = '2020-04-20';
const REQUIRED = ['AccessKeyId', 'Signature', 'SignatureMethod', 'SignatureNonce', 'SignatureVersion', 'Timestamp', 'Version'] as const;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

class Failure {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
  ) {}
}

const missing = (name: string) => new Failure(400, `Missing${name}`, `${name} is mandatory for this action.`);

/** Constant-time comparison, so a signature cannot be guessed byte by byte from response times. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function requestId(): string {
  return globalThis.crypto.randomUUID().toUpperCase();
}

async function paramsOf(request: Request): Promise<Record<string, string> | Failure> {
  const params: Record<string, string> = Object.create(null);
  const add = (source: URLSearchParams): Failure | undefined => {
    for (const [key, value] of source) {
      if (key in params) return new Failure(400, 'InvalidParameter', `The parameter ${key} is given more than once.`);
      params[key] = value;
    }
    return undefined;
  };
  const fromQuery = add(new URL(request.url).searchParams);
  if (fromQuery) return fromQuery;
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (request.method === 'POST' && type === 'application/x-www-form-urlencoded') {
    const fromBody = add(new URLSearchParams(await request.text()));
    if (fromBody) return fromBody;
  }
  return params;
}

function secretLookup(keys: OpenApiServiceOptions['accessKeys']): (accessKeyId: string) => string | undefined {
  if (typeof keys === 'function') return keys;
  // Copied into a Map with no prototype to consult: `constructor` or `__proto__` are not key ids.
  const entries = Array.isArray(keys) ? keys.map((k) => [(k as { accessKeyId?: unknown } | null)?.accessKeyId, (k as { accessKeySecret?: unknown } | null)?.accessKeySecret] as const) : Object.entries(keys);
  if (!entries.every(([id, secret]) => typeof id === 'string' && typeof secret === 'string')) throw _invalid('accessKeys', 'must hold AccessKey ids and secrets (strings)');
  const map = new Map<string, string>(entries as [string, string][]);
  return (id) => map.get(id);
}

/**
 * The `onsmqtt` OpenAPI as a fetch-style handler for loopback use.
 *
 * @example
 * ```ts
 * const broker = await startBroker({ instanceId, accessKeys });
 * broker.addRoute(createOpenApiService({ accessKeys, instanceId, tokens: broker.tokens, devices: broker.devices }));
 * createOnsMqttClient({ ...accessKeys[0], instanceId, endpoint: `${broker.url('http')}/` });
 * ```
 */
export function createOpenApiService(options: OpenApiServiceOptions): OpenApiService {
  if (options === null || typeof options !== 'object') throw _invalid('options', 'must be { accessKeys, instanceId, tokens, devices? }');
  options = Object.assign(Object.create(null), options) as OpenApiServiceOptions;
  const { tokens, devices } = options;
  if (options.accessKeys === null || (typeof options.accessKeys !== 'object' && typeof options.accessKeys !== 'function')) throw _invalid('accessKeys', 'must be a list of AccessKey pairs, a map id → secret, or a lookup');
  for (const [name, value] of [['tokens', tokens], ['devices', devices]] as const) {
    if (value !== undefined && (value === null || typeof value !== 'object')) throw _invalid(name, 'must be a store');
  }
  const lookup = secretLookup(options.accessKeys);
  const served = options.instanceId;
  const path = options.path ?? '/';
  const now = options.now ?? Date.now;
  const maxSkew = options.maxSkew ?? 15 * 60_000;
  const hostId = options.hostId ?? 'onsmqtt.local';
  const calls: Record<string, number> = {};
  const errors: Record<string, number> = {};
  // Nonces seen, with when each may be forgotten (a replay that old fails the Timestamp check anyway).
  const nonces = new Map<string, number>();
  const limits: Readonly<Record<string, number>> = options.rateLimits === false ? {} : (options.rateLimits ?? { ApplyToken: 100, RevokeToken: 5 });
  // Calls in the current one-second window of the clock, by AccessKey and action.
  let window = { second: NaN, counts: new Map<string, number>() };
  const throttled = (accessKeyId: string, action: string): boolean => {
    const limit = limits[action];
    if (limit === undefined) return false;
    const second = Math.floor(now() / 1000);
    if (second !== window.second) window = { second, counts: new Map() };
    const key = `${accessKeyId}\n${action}`;
    const count = (window.counts.get(key) ?? 0) + 1;
    window.counts.set(key, count);
    return count > limit;
  };

  const remember = (key: string, t: number) => {
    for (const [old, until] of nonces) {
      if (until > t) break;
      nonces.delete(old);
    }
    nonces.set(key, t + 2 * maxSkew);
  };

  async function verify(params: Record<string, string>, method: string): Promise<Failure | undefined> {
    for (const name of REQUIRED) if (!params[name]) return missing(name);
    if (params['Format'] !== undefined && params['Format'] !== 'JSON') return new Failure(400, 'InvalidParameter', 'Format must be JSON here (the local service answers JSON only).');
    if (params['SignatureMethod'] !== 'HMAC-SHA1') return new Failure(400, 'InvalidSignatureMethod', 'Specified signature method is not supported.');
    if (params['SignatureVersion'] !== '1.0') return new Failure(400, 'InvalidSignatureVersion', 'Specified signature version is not supported.');
    const stamp = params['Timestamp']!;
    const at = TIMESTAMP.test(stamp) ? Date.parse(stamp) : NaN;
    if (Number.isNaN(at)) return new Failure(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.');
    const t = now();
    if (Math.abs(t - at) > maxSkew) return new Failure(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
    const accessKeyId = params['AccessKeyId']!;
    const secret = lookup(accessKeyId);
    if (typeof secret !== 'string' || secret.length === 0) return new Failure(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
    const { Signature: given, ...signed } = params;
    const expected = await openApiSignature({ method, params: signed, accessKeySecret: secret });
    if (!sameText(given!, expected)) {
      // Alibaba's gateway quotes the string it signed, so callers can compare it with their own.
      return new Failure(400, 'SignatureDoesNotMatch', `Specified signature is not matched with our calculation. server string to sign is:${stringToSign(method, signed)}`);
    }
    const nonceKey = `${accessKeyId}\n${params['SignatureNonce']}`;
    if (nonces.has(nonceKey)) return new Failure(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
    remember(nonceKey, t);
    if (params['Version'] !== VERSION) return new Failure(400, 'InvalidVersion', 'Specified parameter Version is not valid.');
    return undefined;
  }

  const instanceOf = (params: Record<string, string>): string => {
    const id = params['InstanceId'];
    if (!id) throw missing('InstanceId');
    if (id !== served) throw new Failure(404, 'InstanceNotFound', 'The specified instance does not exist.');
    return id;
  };

  const clientIdOf = (params: Record<string, string>): string => {
    const id = params['ClientId'];
    if (!id) throw missing('ClientId');
    const check = validateClientId(id);
    if (!check.valid) throw new Failure(400, 'InvalidParameter', `ClientId is not valid: ${check.problems[0]!.message}`);
    return id;
  };

  /** Turns an SDK rule violation (from our checks or the store's) into Alibaba's `InvalidParameter`. */
  const asInvalid = (error: unknown): never => {
    if (error instanceof ApsaraMqttAuthError) throw new Failure(400, 'InvalidParameter', error.message);
    throw error;
  };
  const rule = <T>(run: () => T): T => {
    try {
      return run();
    } catch (error) {
      return asInvalid(error);
    }
  };
  const ruleAsync = async <T>(run: () => T | Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      return asInvalid(error);
    }
  };

  const deviceBody = (record: OpenApiDeviceRecord) => ({
    DeviceCredential: {
      ClientId: record.ClientId,
      InstanceId: record.InstanceId,
      DeviceAccessKeyId: record.DeviceAccessKeyId,
      DeviceAccessKeySecret: record.DeviceAccessKeySecret,
      CreateTime: record.CreateTime,
      UpdateTime: record.UpdateTime,
    },
  });
  const deviceNotFound = () => new Failure(404, 'DeviceCredentialNotFound', 'No device credential is registered for this ClientId.');
  /** The device store and the client id of a DeviceCredential call, after the instance check. */
  const deviceCall = (params: Record<string, string>): [OpenApiDeviceStore, string] => {
    if (!devices) throw new Failure(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
    instanceOf(params);
    return [devices, clientIdOf(params)];
  };

  const actions: Record<string, (params: Record<string, string>) => Promise<Record<string, unknown>>> = {
    async ApplyToken(params) {
      instanceOf(params);
      for (const name of ['Resources', 'Actions', 'ExpireTime'] as const) if (!params[name]) throw missing(name);
      const resources = rule(() => _requireResources(params['Resources']!, 'Resources'));
      const actionsAllowed = rule(() => _requireActions(params['Actions']!, 'Actions'));
      const expireTime = Number(params['ExpireTime']);
      const t = now();
      if (!/^\d+$/.test(params['ExpireTime']!) || !Number.isSafeInteger(expireTime)) throw new Failure(400, 'InvalidParameter', 'ExpireTime must be a UNIX time in milliseconds.');
      if (expireTime < t + MIN_TOKEN_TTL) throw new Failure(400, 'InvalidParameter', 'ExpireTime must be at least 60 seconds in the future.');
      // The real service cuts a longer lifetime to 30 days without saying so; so does this one.
      const grant = { resources, actions: actionsAllowed, expireTime: Math.min(expireTime, t + MAX_TOKEN_TTL), accessKeyId: params['AccessKeyId']! };
      return { Token: await ruleAsync(() => tokens.apply(grant)) };
    },
    async QueryToken(params) {
      instanceOf(params);
      if (!params['Token']) throw missing('Token');
      return { TokenStatus: (await tokens.query(params['Token'])) === true };
    },
    async RevokeToken(params) {
      instanceOf(params);
      if (!params['Token']) throw missing('Token');
      await tokens.revoke(params['Token']);
      return {};
    },
    async RegisterDeviceCredential(params) {
      const [store, clientId] = deviceCall(params);
      return deviceBody(await ruleAsync(() => store.register(clientId)));
    },
    async GetDeviceCredential(params) {
      const [store, clientId] = deviceCall(params);
      const record = await store.get(clientId);
      if (!record) throw deviceNotFound();
      return deviceBody(record);
    },
    async RefreshDeviceCredential(params) {
      const [store, clientId] = deviceCall(params);
      if (!(await store.get(clientId))) throw deviceNotFound();
      return deviceBody(await store.refresh(clientId));
    },
    async UnRegisterDeviceCredential(params) {
      const [store, clientId] = deviceCall(params);
      if (!(await store.unregister(clientId))) throw deviceNotFound();
      return {};
    },
  };

  const reply = (status: number, body: Record<string, unknown>) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json;charset=utf-8', 'cache-control': 'no-store' } });

  async function service(request: Request): Promise<Response | undefined> {
    if (typeof request?.url !== 'string' || typeof request.method !== 'string' || typeof request.headers?.get !== 'function') throw _invalid('request', 'must be a fetch-standard Request');
    if (new URL(request.url).pathname !== path) return undefined;
    const method = request.method.toUpperCase();
    if (method !== 'GET' && method !== 'POST') return undefined;
    const id = requestId();
    let action = '';
    try {
      const params = await paramsOf(request);
      if (params instanceof Failure) throw params;
      if (!params['Action']) return undefined;
      action = params['Action'];
      const failure = await verify(params, method);
      if (failure) throw failure;
      const run = Object.hasOwn(actions, action) ? actions[action] : undefined;
      if (!run) throw new Failure(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
      if (throttled(params['AccessKeyId']!, action)) throw new Failure(400, 'Throttling.User', 'Request was denied due to user flow control.');
      const body = await run(params);
      calls[action] = (calls[action] ?? 0) + 1;
      return reply(200, { RequestId: id, ...body });
    } catch (error) {
      const failure = error instanceof Failure ? error : new Failure(500, 'InternalError', 'The request processing has failed due to some unknown error.');
      errors[failure.code] = (errors[failure.code] ?? 0) + 1;
      return reply(failure.status, { RequestId: id, HostId: hostId, Code: failure.code, Message: failure.message });
    }
  }

  return Object.defineProperties(service, {
    calls: { get: () => ({ ...calls }), enumerable: true },
    errors: { get: () => ({ ...errors }), enumerable: true },
  }) as OpenApiService;
}
