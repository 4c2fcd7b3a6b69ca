/**
 * A client for the `onsmqtt` OpenAPI (version 2020-04-20, RPC style): ApplyToken, QueryToken,
 * RevokeToken and the DeviceCredential calls, signed with the SDK's own HMAC so that it runs wherever
 * `fetch` does. Alibaba's generated client for this product is not published where we can use it, and
 * `@alicloud/pop-core` needs Node; the request format is the documented one (and pop-core's: POST with
 * a form body).
 * @module
 */
import { _invalid } from '../errors.js';
import type { HmacSha1 } from '../hmac/types.js';
import { _requireClientId } from '../credentials/client-id.js';
import { _requireHmac, _requireOptions, _requireSegment, _requireString } from '../credentials/validate.js';
import { canonicalQuery, percentEncode } from '../openapi/signature.js';
import { signRpcRequest } from '../openapi/rpc.js';
import { _requireActions, _requireExpireTime, _requireResources, tokenTypeOf, type TokenActions } from '../protocol/token-rules.js';
import { OpenApiError } from './openapi-error.js';
import { _managementCalls, type OnsMqttManagementCalls } from './onsmqtt-management.js';
import { AppliedToken, DeviceCredential } from './records.js';

/** The API version this client speaks. */
export const ONSMQTT_API_VERSION = '2020-04-20';

/** The `fetch` the client needs: the standard one, or anything with its shape. */
export type FetchLike = (input: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<Response>;

/** Inputs of {@link createOnsMqttClient}. */
export interface OnsMqttClientOptions {
  /** The AccessKey ID that signs the calls (a RAM user with the `mq:` permissions it needs). */
  accessKeyId: string;
  /** Its secret. Kept in a closure; never sent, logged or printed. */
  accessKeySecret: string;
  /** The region, e.g. `cn-hangzhou`; gives the endpoint `https://onsmqtt.<regionId>.aliyuncs.com`. */
  regionId?: string;
  /** The endpoint URL instead (e.g. a VPC endpoint, or the local broker's service on loopback). */
  endpoint?: string;
  /** The instance used when a call names none. */
  instanceId?: string;
  /** `POST` with a form body (default: keeps tokens out of URLs and access logs) or `GET`. */
  method?: 'GET' | 'POST';
  /** The `fetch` to use (default: `globalThis.fetch`). */
  fetch?: FetchLike;
  /** The clock for `Timestamp` and for the ExpireTime rule (default `Date.now`). */
  now?: () => number;
  /** `SignatureNonce` source (default `crypto.randomUUID()`). */
  nonce?: () => string;
  /** Milliseconds before a call is abandoned (default 10 000). */
  timeout?: number;
  /** HMAC-SHA1 to use instead of the default. */
  hmac?: HmacSha1;
}

/** Inputs of {@link OnsMqttClient.applyToken}. */
export interface ApplyTokenOptions {
  /** Topics the token allows (`+`/`#` wildcards allowed); sorted and de-duplicated before sending. */
  resources: readonly string[] | string;
  /** `R`, `W` or `R,W`. */
  actions: TokenActions;
  /** When the token expires, ms since the epoch: 60 s to 30 days from now. */
  expireTime: number;
  /** The instance (default: the client's). */
  instanceId?: string;
}

/** Inputs of QueryToken and RevokeToken. */
export interface TokenCallOptions {
  /** The token. */
  token: string;
  /** The instance (default: the client's). */
  instanceId?: string;
}

/** Inputs of the DeviceCredential calls. */
export interface DeviceCredentialCallOptions {
  /** The client id of the device. */
  clientId: string;
  /** The instance (default: the client's). */
  instanceId?: string;
}

/**
 * The calls of the `onsmqtt` product, typed (tokens, device credentials here; sessions, SendMessage,
 * Group IDs and custom authentication in {@link OnsMqttManagementCalls}), and `call` for the rest.
 * Holds no secret in any visible property.
 */
export interface OnsMqttClient extends OnsMqttManagementCalls {
  /** The AccessKey ID the calls are signed with (not secret). */
  readonly accessKeyId: string;
  /** The default instance, if one was configured. */
  readonly instanceId?: string;
  /** The endpoint URL. */
  readonly endpoint: string;
  /**
   * ApplyToken: a token for the topics and actions, valid until `expireTime`.
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` before any call; {@link OpenApiError} when the call fails.
   */
  applyToken(options: ApplyTokenOptions): Promise<AppliedToken>;
  /** QueryToken: whether the token is still valid. */
  queryToken(options: TokenCallOptions): Promise<boolean>;
  /** RevokeToken: makes the token invalid at once (the service allows about 5 calls per second). */
  revokeToken(options: TokenCallOptions): Promise<void>;
  /** RegisterDeviceCredential: a new secret for the client id. */
  registerDeviceCredential(options: DeviceCredentialCallOptions): Promise<DeviceCredential>;
  /** GetDeviceCredential: the current secret for the client id. */
  getDeviceCredential(options: DeviceCredentialCallOptions): Promise<DeviceCredential>;
  /** RefreshDeviceCredential: replaces the secret for the client id. */
  refreshDeviceCredential(options: DeviceCredentialCallOptions): Promise<DeviceCredential>;
  /** UnRegisterDeviceCredential: removes the client id's credential. */
  unregisterDeviceCredential(options: DeviceCredentialCallOptions): Promise<void>;
  /**
   * Any other action of the product: signs and sends the parameters, resolves to the parsed JSON.
   * @throws {@link OpenApiError} when the service answers with an error.
   */
  call(action: string, params?: Readonly<Record<string, string>>): Promise<Record<string, unknown>>;
}

function defaultNonce(): string {
  const crypto = globalThis.crypto;
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  if (typeof crypto?.getRandomValues === 'function') {
    let hex = '';
    for (const b of crypto.getRandomValues(new Uint8Array(16))) hex += (b < 16 ? '0' : '') + b.toString(16);
    return hex;
  }
  throw _invalid('nonce', 'is required where globalThis.crypto is missing (pass a function returning a fresh random string)');
}

function endpointOf(options: OnsMqttClientOptions): string {
  if (options.endpoint !== undefined) {
    const text = _requireString(options.endpoint, 'endpoint');
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw _invalid('endpoint', 'must be an absolute http(s) URL, e.g. "https://onsmqtt.cn-hangzhou.aliyuncs.com"');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw _invalid('endpoint', 'must use https: (or http: for a local service)');
    if (url.search || url.hash) throw _invalid('endpoint', 'must not have a query or a fragment');
    return url.href;
  }
  const region = _requireSegment(options.regionId, 'regionId');
  if (!/^[a-z0-9-]+$/.test(region)) throw _invalid('regionId', 'must look like "cn-hangzhou" (lower-case letters, digits and "-")');
  return `https://onsmqtt.${region}.aliyuncs.com/`;
}

/**
 * Replaces each sensitive value the request carried with `***` in text the service sent back, as sent
 * and percent-encoded once or twice (the gateway quotes its string to sign, which encodes twice).
 */
function redact(text: string, sensitive: readonly string[]): string {
  let out = text;
  for (const value of sensitive) {
    if (value.length < 4) continue;
    const once = percentEncode(value);
    for (const form of new Set([value, once, percentEncode(once)])) out = out.split(form).join('***');
  }
  return out.length > 1000 ? out.slice(0, 997) + '...' : out;
}

function str(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * A client for the `onsmqtt` OpenAPI. The AccessKey secret lives in a closure: the returned object,
 * its errors and its results never show it.
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` for a bad option (named in `field`).
 * @example
 * ```ts
 * const api = createOnsMqttClient({ accessKeyId, accessKeySecret, regionId: 'cn-hangzhou', instanceId: 'mqtt-cn-xxx' });
 * const token = await api.applyToken({ resources: ['telemetry/#'], actions: 'R', expireTime: Date.now() + 3600_000 });
 * tokenCredentials({ accessKeyId, instanceId: token.instanceId, tokens: { [token.type]: token.token } });
 * ```
 */
export function createOnsMqttClient(options: OnsMqttClientOptions): OnsMqttClient {
  _requireOptions(options, 'options');
  const accessKeyId = _requireSegment(options.accessKeyId, 'accessKeyId');
  const accessKeySecret = _requireString(options.accessKeySecret, 'accessKeySecret');
  const endpoint = endpointOf(options);
  const defaultInstance = options.instanceId === undefined ? undefined : _requireSegment(options.instanceId, 'instanceId');
  const method = options.method ?? 'POST';
  if (method !== 'GET' && method !== 'POST') throw _invalid('method', 'must be "GET" or "POST"');
  const fetchGiven = options.fetch ?? (globalThis.fetch as FetchLike | undefined);
  if (typeof fetchGiven !== 'function') throw _invalid('fetch', 'is required where globalThis.fetch is missing');
  const fetchFn: FetchLike = fetchGiven;
  for (const name of ['now', 'nonce'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw _invalid(name, 'must be a function');
  }
  const now = options.now ?? Date.now;
  const nonce = options.nonce ?? defaultNonce;
  const timeout = options.timeout ?? 10_000;
  if (typeof timeout !== 'number' || !(timeout > 0)) throw _invalid('timeout', 'must be a positive number of milliseconds');
  const hmac = _requireHmac(options.hmac);
  const host = new URL(endpoint).host;

  const instanceOf = (given: string | undefined): string => {
    if (given !== undefined) return _requireSegment(given, 'instanceId');
    if (defaultInstance === undefined) throw _invalid('instanceId', 'is required (pass it to the call or to createOnsMqttClient)');
    return defaultInstance;
  };

  async function call(action: string, params: Readonly<Record<string, string>> = {}, sensitive: readonly string[] = []): Promise<Record<string, unknown>> {
    const signed = await signRpcRequest({ method, action, version: ONSMQTT_API_VERSION, accessKeyId, accessKeySecret, params, now: now(), nonce: nonce(), ...(hmac ? { hmac } : {}) });
    const encoded = canonicalQuery(signed);
    const init = { method, headers: { accept: 'application/json' } as Record<string, string>, signal: AbortSignal.timeout(timeout) };
    let response: Response;
    try {
      response =
        method === 'GET'
          ? await fetchFn(`${endpoint}?${encoded}`, init)
          : await fetchFn(endpoint, { ...init, headers: { ...init.headers, 'content-type': 'application/x-www-form-urlencoded' }, body: encoded });
    } catch (error) {
      const why = (error as Error | undefined)?.name === 'TimeoutError' ? `no answer within ${timeout} ms` : 'the request failed';
      throw new OpenApiError(`${action}: could not reach the OpenAPI endpoint ${host} (${why}); check the endpoint and the network`, { cause: error });
    }
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new OpenApiError(`${action}: the OpenAPI endpoint ${host} answered HTTP ${response.status} with a body that is not a JSON object`, { status: response.status });
    }
    const record = body as Record<string, unknown>;
    const requestId = str(record, 'RequestId');
    if (!response.ok) {
      const code = str(record, 'Code') ?? `HTTP${response.status}`;
      const message = redact(str(record, 'Message') ?? 'no message', [...sensitive, accessKeySecret]);
      throw new OpenApiError(`${action} failed: ${code}: ${message}${requestId ? ` (RequestId ${requestId})` : ''}`, {
        openApiCode: code,
        status: response.status,
        ...(requestId ? { requestId } : {}),
      });
    }
    return record;
  }

  const missing = (action: string, field: string, body: Record<string, unknown>): OpenApiError => {
    const requestId = str(body, 'RequestId');
    return new OpenApiError(`${action}: the answer has no ${field}`, { field, ...(requestId ? { requestId } : {}) });
  };

  async function deviceCall(action: string, options: DeviceCredentialCallOptions): Promise<DeviceCredential> {
    _requireOptions(options, 'options');
    const instanceId = instanceOf(options.instanceId);
    const clientId = _requireClientId(options.clientId);
    const body = await call(action, { ClientId: clientId, InstanceId: instanceId });
    const record = body['DeviceCredential'] as Record<string, unknown> | undefined;
    const keyId = record && str(record, 'DeviceAccessKeyId');
    const secret = record && str(record, 'DeviceAccessKeySecret');
    if (!record || !keyId || !secret) throw missing(action, 'DeviceCredential', body);
    const time = (key: string) => (typeof record[key] === 'number' ? (record[key] as number) : undefined);
    const requestId = str(body, 'RequestId');
    return new DeviceCredential(secret, {
      clientId: str(record, 'ClientId') ?? clientId,
      instanceId: str(record, 'InstanceId') ?? instanceId,
      deviceAccessKeyId: keyId,
      ...(time('CreateTime') === undefined ? {} : { createTime: time('CreateTime')! }),
      ...(time('UpdateTime') === undefined ? {} : { updateTime: time('UpdateTime')! }),
      ...(requestId ? { requestId } : {}),
    });
  }

  const client: OnsMqttClient = {
    accessKeyId,
    endpoint,
    ...(defaultInstance === undefined ? {} : { instanceId: defaultInstance }),

    async applyToken(opts) {
      _requireOptions(opts, 'options');
      const instanceId = instanceOf(opts.instanceId);
      const resources = _requireResources(opts.resources);
      const actions = _requireActions(opts.actions);
      const expireTime = _requireExpireTime(opts.expireTime, now());
      const body = await call('ApplyToken', { Actions: actions, ExpireTime: String(expireTime), InstanceId: instanceId, Resources: resources.join(',') });
      const token = str(body, 'Token');
      if (!token) throw missing('ApplyToken', 'Token', body);
      const requestId = str(body, 'RequestId');
      return new AppliedToken(token, { instanceId, resources, actions, type: tokenTypeOf(actions), expiresAt: expireTime, ...(requestId ? { requestId } : {}) });
    },

    async queryToken(opts) {
      _requireOptions(opts, 'options');
      const instanceId = instanceOf(opts.instanceId);
      const token = _requireString(opts.token, 'token');
      const body = await call('QueryToken', { InstanceId: instanceId, Token: token }, [token]);
      if (typeof body['TokenStatus'] !== 'boolean') throw missing('QueryToken', 'TokenStatus', body);
      return body['TokenStatus'];
    },

    async revokeToken(opts) {
      _requireOptions(opts, 'options');
      const instanceId = instanceOf(opts.instanceId);
      const token = _requireString(opts.token, 'token');
      await call('RevokeToken', { InstanceId: instanceId, Token: token }, [token]);
    },

    registerDeviceCredential: (opts) => deviceCall('RegisterDeviceCredential', opts),
    getDeviceCredential: (opts) => deviceCall('GetDeviceCredential', opts),
    refreshDeviceCredential: (opts) => deviceCall('RefreshDeviceCredential', opts),

    async unregisterDeviceCredential(opts) {
      _requireOptions(opts, 'options');
      const instanceId = instanceOf(opts.instanceId);
      await call('UnRegisterDeviceCredential', { ClientId: _requireClientId(opts.clientId), InstanceId: instanceId });
    },

    ..._managementCalls({ call, instanceOf }),

    call: (action, params) => call(_requireSegment(action, 'action'), params ?? {}, Object.values(params ?? {})),
  };
  return Object.freeze(client);
}
