/**
 * A client for the `onsmqtt` OpenAPI (version 2020-04-20, RPC style): ApplyToken, QueryToken,
 * RevokeToken and the DeviceCredential calls, signed with the SDK's own HMAC so that it runs wherever
 * `fetch` does. Alibaba's generated client for this product is not published where we can use it, and
 * `@alicloud/pop-core` needs Node; the request format is the documented one (and pop-core's: POST with
 * a form body).
 * @module
 */
import { _checkedClock, type Clock } from '../clock.js';
import { _invalid, _redactedCause } from '../errors.js';
import type { HmacSha1 } from '../hmac/types.js';
import { _requireClientId } from '../credentials/client-id.js';
import { _own, _requireHmac, _requireOptions, _requireSegment, _requireString } from '../credentials/validate.js';
import { _readBody } from './http.js';
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
  /**
   * The clock of `Timestamp` and of the ExpireTime rule (default: the real one; only its `now` is
   * read: `timeout` bounds a real network call).
   */
  clock?: Clock;
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
 * Each sensitive value the request carried as sent and percent-encoded once or twice (the gateway
 * quotes its string to sign, which encodes twice).
 */
function sensitiveForms(values: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const value of values) {
    forms.add(value);
    try {
      const once = percentEncode(value);
      forms.add(once).add(percentEncode(once));
    } catch {
      // not well-formed Unicode: it was never sent encoded
    }
  }
  return [...forms];
}

/** Replaces each sensitive value (in every form it was sent) with `***` in text from the service. */
function redact(text: string, sensitive: readonly string[], max = 1000): string {
  let out = text;
  for (const form of sensitiveForms(sensitive)) if (form.length >= 4) out = out.split(form).join('***');
  return out.length > max ? out.slice(0, max - 3) + '...' : out;
}

/** The largest answer read from the endpoint; the service's answers are a few hundred bytes. */
const MAX_ANSWER_BYTES = 1024 * 1024;

function str(body: unknown, key: string): string | undefined {
  const value = _own(body, key);
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
  options = _requireOptions(options, 'options');
  const accessKeyId = _requireSegment(options.accessKeyId, 'accessKeyId');
  const accessKeySecret = _requireString(options.accessKeySecret, 'accessKeySecret');
  const endpoint = endpointOf(options);
  const defaultInstance = options.instanceId === undefined ? undefined : _requireSegment(options.instanceId, 'instanceId');
  const method = options.method ?? 'POST';
  if (method !== 'GET' && method !== 'POST') throw _invalid('method', 'must be "GET" or "POST"');
  const fetchGiven = options.fetch ?? (globalThis.fetch as FetchLike | undefined);
  if (typeof fetchGiven !== 'function') throw _invalid('fetch', 'is required where globalThis.fetch is missing');
  const fetchFn: FetchLike = fetchGiven;
  if (options.nonce !== undefined && typeof options.nonce !== 'function') throw _invalid('nonce', 'must be a function');
  const clock = _checkedClock(options.clock);
  const nonce = options.nonce ?? defaultNonce;
  const timeout = options.timeout ?? 10_000;
  // The upper bound is the longest delay a timer can have (about 24.8 days).
  if (typeof timeout !== 'number' || !(timeout > 0 && timeout <= 2 ** 31 - 1)) throw _invalid('timeout', 'must be a positive number of milliseconds, at most 2147483647');
  const hmac = _requireHmac(options.hmac);
  const host = new URL(endpoint).host;
  // The caller's nonce source: what it throws is theirs and is not kept (the clock's: see _checkedClock).
  const ask = <T>(source: () => T, field: string): T => {
    try {
      return source();
    } catch {
      throw _invalid(field, 'threw');
    }
  };

  const instanceOf = (given: string | undefined): string => {
    if (given !== undefined) return _requireSegment(given, 'instanceId');
    if (defaultInstance === undefined) throw _invalid('instanceId', 'is required (pass it to the call or to createOnsMqttClient)');
    return defaultInstance;
  };

  async function call(action: string, params: Readonly<Record<string, string>> = {}, sensitive: readonly string[] = []): Promise<Record<string, unknown>> {
    // An action name is echoed in errors only when it reads as one (PascalCase letters, as every
    // onsmqtt action is): `call` takes any string, and a secret pasted there must not come back.
    const named = /^[A-Z][A-Za-z]{2,47}$/.test(action) ? action : 'the call';
    const signed = await signRpcRequest({ method, action, version: ONSMQTT_API_VERSION, accessKeyId, accessKeySecret, params, now: clock.now(), nonce: ask(nonce, 'nonce'), ...(hmac ? { hmac } : {}) });
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
      throw new OpenApiError(`${named}: could not reach the OpenAPI endpoint ${host} (${why}); check the endpoint and the network`, {
        // A network error can quote the URL of a GET, a caller's fetch anything it was given: every
        // value the request carried is masked, not only the secret ones.
        cause: _redactedCause(error, sensitiveForms([...Object.values(signed), accessKeySecret])),
      });
    }
    const shape = response as unknown as { status?: unknown; text?: unknown } | null | undefined;
    if (typeof shape?.status !== 'number' || typeof shape.text !== 'function') {
      throw new OpenApiError(`${named}: fetch resolved to something that is not a Response`, { field: 'fetch' });
    }
    // Read with a bound: an endpoint (or something in between) must not be able to fill the memory.
    const text = response.body && typeof response.headers?.get === 'function' ? await _readBody(response, MAX_ANSWER_BYTES) : await response.text().catch(() => '');
    let body: unknown;
    try {
      body = text === 'too-large' || text === 'unreadable' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new OpenApiError(`${named}: the OpenAPI endpoint ${host} answered HTTP ${response.status} with a body that is not a JSON object`, { status: response.status });
    }
    const record = body as Record<string, unknown>;
    const requestId = str(record, 'RequestId');
    if (!response.ok) {
      const code = redact(str(record, 'Code') ?? `HTTP${response.status}`, [...sensitive, accessKeySecret], 100);
      const message = redact(str(record, 'Message') ?? 'no message', [...sensitive, accessKeySecret]);
      throw new OpenApiError(`${named} failed: ${code}: ${message}${requestId ? ` (RequestId ${redact(requestId, [], 100)})` : ''}`, {
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
    options = _requireOptions(options, 'options');
    const instanceId = instanceOf(options.instanceId);
    const clientId = _requireClientId(options.clientId);
    const body = await call(action, { ClientId: clientId, InstanceId: instanceId });
    const record = _own(body, 'DeviceCredential');
    const keyId = str(record, 'DeviceAccessKeyId');
    const secret = str(record, 'DeviceAccessKeySecret');
    if (!keyId || !secret) throw missing(action, 'DeviceCredential', body);
    const time = (key: string) => (typeof _own(record, key) === 'number' ? (_own(record, key) as number) : undefined);
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
      opts = _requireOptions(opts, 'options');
      const instanceId = instanceOf(opts.instanceId);
      const resources = _requireResources(opts.resources);
      const actions = _requireActions(opts.actions);
      const expireTime = _requireExpireTime(opts.expireTime, clock.now());
      const body = await call('ApplyToken', { Actions: actions, ExpireTime: String(expireTime), InstanceId: instanceId, Resources: resources.join(',') });
      const token = str(body, 'Token');
      if (!token) throw missing('ApplyToken', 'Token', body);
      const requestId = str(body, 'RequestId');
      return new AppliedToken(token, { instanceId, resources, actions, type: tokenTypeOf(actions), expiresAt: expireTime, ...(requestId ? { requestId } : {}) });
    },

    async queryToken(opts) {
      opts = _requireOptions(opts, 'options');
      const instanceId = instanceOf(opts.instanceId);
      const token = _requireString(opts.token, 'token');
      const body = await call('QueryToken', { InstanceId: instanceId, Token: token }, [token]);
      const status = _own(body, 'TokenStatus');
      if (typeof status !== 'boolean') throw missing('QueryToken', 'TokenStatus', body);
      return status;
    },

    async revokeToken(opts) {
      opts = _requireOptions(opts, 'options');
      const instanceId = instanceOf(opts.instanceId);
      const token = _requireString(opts.token, 'token');
      await call('RevokeToken', { InstanceId: instanceId, Token: token }, [token]);
    },

    registerDeviceCredential: (opts) => deviceCall('RegisterDeviceCredential', opts),
    getDeviceCredential: (opts) => deviceCall('GetDeviceCredential', opts),
    refreshDeviceCredential: (opts) => deviceCall('RefreshDeviceCredential', opts),

    async unregisterDeviceCredential(opts) {
      opts = _requireOptions(opts, 'options');
      const instanceId = instanceOf(opts.instanceId);
      await call('UnRegisterDeviceCredential', { ClientId: _requireClientId(opts.clientId), InstanceId: instanceId });
    },

    ..._managementCalls({ call, instanceOf }),

    call: async (action, params) => {
      const given = params === undefined ? {} : _requireOptions(params, 'params');
      return call(_requireSegment(action, 'action'), given, Object.values(given).filter((v): v is string => typeof v === 'string'));
    },
  };
  return Object.freeze(client);
}
