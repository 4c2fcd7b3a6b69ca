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
import type { HmacSha1, HmacSha256, Sha256 } from '../hmac/hmac-types.js';
import { _own, _requireHmac, _requireOptions, _requireSegment, _requireString } from '../credentials/validate.js';
import { _mustBe } from '../internal/bytes.js';
import { _readBody } from '../http/body-limit.js';
import { canonicalQuery, percentEncode } from '../openapi/rpc-signature.js';
import { signRpcRequest } from '../openapi/rpc.js';
import { _requireResources, tokenTypeOf, type TokenActions } from '../protocol/token-rules.js';
import { ONSMQTT_CONTRACT, ONSMQTT_VERSION, type OnsMqttAction } from '../openapi/onsmqtt-contract.js';
import { decodeAnswer, encodeRequest, sensitiveValues } from '../openapi/onsmqtt-codec.js';
import { onsMqttEndpoint, type EndpointNetwork } from '../openapi/onsmqtt-endpoints.js';
import { _credentialSource, type OpenApiCredentials, type OpenApiCredentialsOption } from '../openapi/openapi-credentials.js';
import { ACS3_HMAC_SHA256, signV3Request } from '../openapi/signature-v3.js';
import { OpenApiError } from './openapi-error.js';
import { _managementCalls, type _Invoke, type OnsMqttManagementCalls } from './onsmqtt-management.js';
import { AppliedToken, DeviceCredential } from './records.js';

/** The API version this client speaks (the contract's, `onsmqtt-contract.ts`). */
export const ONSMQTT_API_VERSION = ONSMQTT_VERSION;

/** The `fetch` the client needs: the standard one, or anything with its shape. */
export type FetchLike = (input: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<Response>;

/** How requests are signed: V3 (`ACS3-HMAC-SHA256`, the default) or V2 (`SignatureVersion=1.0`, HMAC-SHA1). */
export type OnsMqttSignatureAlgorithm = typeof ACS3_HMAC_SHA256 | 'v2';

/** Inputs of {@link createOnsMqttClient}. */
export interface OnsMqttClientOptions {
  /**
   * The credentials that sign the calls: a static `{ accessKeyId, accessKeySecret, securityToken? }`
   * (temporary STS credentials carry the SecurityToken), or a provider with `getCredential()` asked
   * before every call, e.g. `@alicloud/credentials`' `new Credential()` (ECS RAM role, ACK RRSA,
   * credentials URI, environment). Instead of `accessKeyId` + `accessKeySecret`.
   */
  credentials?: OpenApiCredentialsOption;
  /**
   * The AccessKey ID that signs the calls (a RAM user with the `mq:` permissions it needs). With a
   * `credentials` provider it only names the AccessKey that Token-mode Usernames carry
   * (`Token|<AccessKeyId>|<InstanceId>`, see {@link OnsMqttClient.accessKeyId}).
   */
  accessKeyId?: string;
  /** Its secret. Kept in a closure; never sent, logged or printed. */
  accessKeySecret?: string;
  /** The STS SecurityToken, with temporary `accessKeyId` + `accessKeySecret`. */
  securityToken?: string;
  /**
   * `ACS3-HMAC-SHA256` (default: signature V3, what Alibaba asks for) or `v2` (signature V2,
   * HMAC-SHA1, for endpoints that still need it). The name and `v2` value are `@alicloud/openapi-client`'s.
   */
  signatureAlgorithm?: OnsMqttSignatureAlgorithm;
  /**
   * The region, e.g. `cn-hangzhou`: its endpoint comes from the table of Alibaba's endpoint page
   * (`ONSMQTT_ENDPOINTS`, e.g. `https://onsmqtt.cn-hangzhou.aliyuncs.com/`); a region the table does not
   * have is an `ERR_INVALID_ARGUMENT` that lists the known ones.
   */
  regionId?: string;
  /** With `regionId`: the region's `public` endpoint (default) or its `vpc` one (`onsmqtt-vpc.<regionId>…`). */
  network?: EndpointNetwork;
  /** The endpoint URL instead, overriding `regionId` (a region not in the table, or the local broker's service on loopback). */
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
  /** HMAC-SHA1 to use instead of the default (signature V2). */
  hmac?: HmacSha1;
  /** HMAC-SHA256 to use instead of the default (signature V3). */
  hmacSha256?: HmacSha256;
  /** SHA-256 to use instead of the default (signature V3). */
  sha256?: Sha256;
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
  /**
   * The AccessKey ID the calls are signed with (not secret); with a `credentials` provider, the
   * `accessKeyId` option (the AccessKey Token-mode Usernames carry), or `''` when none was given.
   */
  readonly accessKeyId: string;
  /** How the calls are signed. */
  readonly signatureAlgorithm: OnsMqttSignatureAlgorithm;
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
  return onsMqttEndpoint(_requireSegment(options.regionId, 'regionId'), options.network ?? 'public');
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
  const timeout = options.timeout ?? 10_000;
  // The upper bound is the longest delay a timer can have (about 24.8 days).
  if (typeof timeout !== 'number' || !(timeout > 0 && timeout <= 2 ** 31 - 1)) throw _invalid('timeout', 'must be a positive number of milliseconds, at most 2147483647');
  const source = _credentialSource(options, timeout);
  const accessKeyId = source.staticId ?? (options.accessKeyId === undefined ? '' : _requireSegment(options.accessKeyId, 'accessKeyId'));
  const signatureAlgorithm = options.signatureAlgorithm ?? ACS3_HMAC_SHA256;
  if (signatureAlgorithm !== ACS3_HMAC_SHA256 && signatureAlgorithm !== 'v2') throw _invalid('signatureAlgorithm', 'must be "ACS3-HMAC-SHA256" (signature V3, the default) or "v2"');
  if (options.hmacSha256 !== undefined && typeof options.hmacSha256 !== 'function') throw _invalid('hmacSha256', 'must be a function');
  if (options.sha256 !== undefined && typeof options.sha256 !== 'function') throw _invalid('sha256', 'must be a function');
  const v3Hashes = { ...(options.hmacSha256 ? { hmacSha256: options.hmacSha256 } : {}), ...(options.sha256 ? { sha256: options.sha256 } : {}) };
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
  const hmac = _requireHmac(options.hmac);
  const { host, pathname } = new URL(endpoint);
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

  /** The request as sent: URL and init, signed with `creds` by the configured algorithm; and every value it carries. */
  async function build(action: string, params: Readonly<Record<string, string>>, creds: OpenApiCredentials) {
    const now = clock.now();
    const id = ask(nonce, 'nonce');
    const init = { method, headers: { accept: 'application/json' } as Record<string, string>, signal: AbortSignal.timeout(timeout) };
    const form = 'application/x-www-form-urlencoded';
    if (signatureAlgorithm === 'v2') {
      const signed = await signRpcRequest({ method, action, version: ONSMQTT_API_VERSION, ...creds, params, now, nonce: id, ...(hmac ? { hmac } : {}) });
      const encoded = canonicalQuery(signed);
      const carried = Object.values(signed);
      return method === 'GET'
        ? { url: `${endpoint}?${encoded}`, init, carried }
        : { url: endpoint, init: { ...init, headers: { ...init.headers, 'content-type': form }, body: encoded }, carried };
    }
    // V3 (RPC style): the action and version travel as headers; the action's own parameters in the
    // form body of a POST (signed through its SHA-256) or the query of a GET.
    const body = method === 'POST' ? canonicalQuery(params) : undefined;
    const headers = await signV3Request({
      method, host, path: pathname, action, version: ONSMQTT_API_VERSION, ...creds, now, nonce: id, ...v3Hashes,
      ...(body === undefined ? { query: params } : { body, contentType: form }),
    });
    const carried = [...Object.values(params), ...Object.values(headers)];
    const query = canonicalQuery(params);
    return body === undefined
      ? { url: query ? `${endpoint}?${query}` : endpoint, init: { ...init, headers: { ...init.headers, ...headers } }, carried }
      : { url: endpoint, init: { ...init, headers: { ...init.headers, ...headers }, body }, carried };
  }

  async function call(action: string, params: Readonly<Record<string, string>> = {}, sensitive: readonly string[] = []): Promise<Record<string, unknown>> {
    let creds = await source.get();
    try {
      return await send(action, params, sensitive, creds);
    } catch (error) {
      // Temporary credentials that expired between the provider's answer and the service's check
      // (a refresh racing a call): ask once more, and retry only if the provider has new ones.
      if (!(error instanceof OpenApiError) || error.openApiCode !== 'InvalidSecurityToken.Expired' || source.staticId !== undefined) throw error;
      const fresh = await source.get();
      if (fresh.securityToken === creds.securityToken && fresh.accessKeyId === creds.accessKeyId) throw error;
      creds = fresh;
      return send(action, params, sensitive, creds);
    }
  }

  async function send(action: string, params: Readonly<Record<string, string>>, sensitive: readonly string[], creds: OpenApiCredentials): Promise<Record<string, unknown>> {
    // An action name is echoed in errors only when it reads as one (PascalCase letters, as every
    // onsmqtt action is): `call` takes any string, and a secret pasted there must not come back.
    const named = /^[A-Z][A-Za-z]{2,47}$/.test(action) ? action : 'the call';
    const accessKeySecret = creds.accessKeySecret;
    sensitive = creds.securityToken ? [...sensitive, creds.securityToken] : sensitive;
    const request = await build(action, params, creds);
    let response: Response;
    try {
      response = await fetchFn(request.url, request.init);
    } catch (error) {
      const why = (error as Error | undefined)?.name === 'TimeoutError' ? `no answer within ${timeout} ms` : 'the request failed';
      throw new OpenApiError(`${named}: could not reach the OpenAPI endpoint ${host} (${why}); check the endpoint and the network`, {
        // A network error can quote the URL of a GET, a caller's fetch anything it was given: every
        // value the request carried is masked, not only the secret ones.
        cause: _redactedCause(error, sensitiveForms([...request.carried, accessKeySecret])),
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

  /**
   * One described action: options → parameters, the call, answer → record names, all by the contract
   * (`openapi/onsmqtt-contract.ts`). The instance is the call's or the client's.
   */
  const invoke: _Invoke = async (action: OnsMqttAction, input: object) => {
    const spec = ONSMQTT_CONTRACT[action];
    const instanceId = instanceOf(_own(input, 'instanceId') as string | undefined);
    const params = encodeRequest(spec, { ...input, instanceId }, clock.now());
    const body = await call(action, params, sensitiveValues(spec, params));
    const decoded = decodeAnswer(spec, body);
    const requestId = str(body, 'RequestId');
    if (!decoded.ok) throw new OpenApiError(`${action}: the answer has no ${decoded.missing}`, { field: decoded.missing, ...(requestId ? { requestId } : {}) });
    return { value: decoded.value, instanceId, ...(requestId ? { requestId } : {}) };
  };

  /**
   * A call's options object. Anything else (a bare client id or token is the usual slip) is refused with
   * the argument the call takes, written out; the value itself is not repeated (it could be a secret).
   */
  function callOptions<T>(options: T, method: string, fields: string, example: string): T {
    if (options === null || typeof options !== 'object') {
      const instance = defaultInstance === undefined ? ', instanceId' : ', instanceId?';
      throw _mustBe('options', `{ ${fields}${instance} }, as in ${method}({ ${example} })`, options);
    }
    return _requireOptions(options, 'options');
  }

  const DEVICE_METHODS: Record<string, string> = {
    RegisterDeviceCredential: 'registerDeviceCredential',
    GetDeviceCredential: 'getDeviceCredential',
    RefreshDeviceCredential: 'refreshDeviceCredential',
    UnRegisterDeviceCredential: 'unregisterDeviceCredential',
  };
  const deviceOptions = (options: DeviceCredentialCallOptions, action: string) => callOptions(options, DEVICE_METHODS[action]!, 'clientId', "clientId: 'GID_demo@@@device-1'");

  async function deviceCall(action: 'RegisterDeviceCredential' | 'GetDeviceCredential' | 'RefreshDeviceCredential', options: DeviceCredentialCallOptions): Promise<DeviceCredential> {
    options = deviceOptions(options, action);
    const { value, instanceId, requestId } = await invoke(action, options);
    const record = value['deviceCredential'] as Record<string, unknown>;
    const time = (key: string) => (typeof record[key] === 'number' ? { [key]: record[key] as number } : {});
    return new DeviceCredential(record['deviceAccessKeySecret'] as string, {
      clientId: (record['clientId'] as string | undefined) ?? options.clientId,
      instanceId: (record['instanceId'] as string | undefined) ?? instanceId,
      deviceAccessKeyId: record['deviceAccessKeyId'] as string,
      ...time('createTime'),
      ...time('updateTime'),
      ...(requestId ? { requestId } : {}),
    });
  }

  const client: OnsMqttClient = {
    accessKeyId,
    signatureAlgorithm,
    endpoint,
    ...(defaultInstance === undefined ? {} : { instanceId: defaultInstance }),

    async applyToken(opts) {
      opts = callOptions(opts, 'applyToken', 'resources, actions, expireTime', "resources: ['demo/+/telemetry'], actions: 'R', expireTime: Date.now() + 3_600_000");
      const { value, instanceId, requestId } = await invoke('ApplyToken', opts);
      // The encoder checked the options; the record keeps them as sent (topics sorted, de-duplicated).
      const actions = opts.actions;
      return new AppliedToken(value['token'] as string, {
        instanceId,
        resources: _requireResources(opts.resources),
        actions,
        type: tokenTypeOf(actions),
        expiresAt: opts.expireTime,
        ...(requestId ? { requestId } : {}),
      });
    },

    async queryToken(opts) {
      opts = callOptions(opts, 'queryToken', 'token', 'token');
      return (await invoke('QueryToken', opts)).value['tokenStatus'] as boolean;
    },

    async revokeToken(opts) {
      opts = callOptions(opts, 'revokeToken', 'token', 'token');
      await invoke('RevokeToken', opts);
    },

    registerDeviceCredential: (opts) => deviceCall('RegisterDeviceCredential', opts),
    getDeviceCredential: (opts) => deviceCall('GetDeviceCredential', opts),
    refreshDeviceCredential: (opts) => deviceCall('RefreshDeviceCredential', opts),

    async unregisterDeviceCredential(opts) {
      opts = deviceOptions(opts, 'UnRegisterDeviceCredential');
      await invoke('UnRegisterDeviceCredential', opts);
    },

    ..._managementCalls(invoke),

    call: async (action, params) => {
      const given = params === undefined ? {} : _requireOptions(params, 'params');
      return call(_requireSegment(action, 'action'), given, Object.values(given).filter((v): v is string => typeof v === 'string'));
    },
  };
  return Object.freeze(client);
}
