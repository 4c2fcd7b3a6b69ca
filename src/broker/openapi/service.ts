/**
 * The `onsmqtt` OpenAPI (2020-04-20, RPC style) played on loopback: a fetch-style handler that checks
 * each request as Alibaba's gateway does (signature version 1.0 against the configured AccessKey
 * pairs, time stamp, nonce, version), then runs the action on the broker's stores and connections,
 * and answers in JSON or XML (`Format`). It answers `undefined` for requests that are not OpenAPI
 * calls, so it can sit beside other routes on one listener.
 *
 * Actions: every action of Alibaba's SDK for the product (`@alicloud/onsmqtt20200420`, `client.ts`)
 * that makes sense for one local instance; the others (CA and device certificates, message traces,
 * tags, disaster recovery, SNI, instance listing) answer the documented `404 ApiNotSupport`, and a
 * name the product does not have answers the gateway's `404 InvalidAction.NotFound`. Per action, the
 * source it follows is named in ARCHITECTURE.md ("The onsmqtt OpenAPI").
 * @module
 */
import { _checkedClock, type Clock } from '../../clock.js';
import { _invalid } from '../../errors.js';
import { _own } from '../../credentials/validate.js';
import { ONSMQTT_SDK_ACTIONS, ONSMQTT_VERSION } from '../../openapi/onsmqtt-contract.js';
import { _readBody } from '../../http/body-limit.js';
import type { CustomAuthStore } from '../custom-auth-store.js';
import type { ActionContext, ActionHandler } from './context.js';
import { customAuthActions } from './custom-auth-actions.js';
import { deviceActions, type OpenApiDeviceStore } from './device-actions.js';
import { actionNotFound, apiNotSupported, ApiFailure, DOCUMENTED_RATE_LIMITS, internalError, invalidParameter, overflow, requestTooLarge } from './error-answers.js';
import { answer, answerFormat, type AnswerFormat } from './format.js';
import { groupActions, type OpenApiGroupStore } from './group-actions.js';
import { createGatewayAuth, isV3Request, mayBeV3Request } from './gateway-auth.js';
import { MAX_REQUEST_BYTES, Params, readParams } from './params.js';
import { sessionActions, type OpenApiPublisher, type OpenApiSessions } from './session-actions.js';
import { LocalSts, STS_API_VERSION, type StsSettings } from './sts.js';
import { tokenActions, type OpenApiTokenStore } from './token-actions.js';

/**
 * What a local broker offers the service (a `LocalBroker` has all of it): its instance, stores, live
 * sessions and a way to publish.
 */
export interface OpenApiBroker extends OpenApiSessions, OpenApiPublisher {
  /** The instance the service answers for (other `InstanceId`s are refused). */
  readonly instanceId: string;
  /** ApplyToken, QueryToken, RevokeToken act here. */
  readonly tokens: OpenApiTokenStore;
  /** The DeviceCredential actions act here. */
  readonly devices: OpenApiDeviceStore;
  /** The GroupId actions act here. */
  readonly groups: OpenApiGroupStore;
  /** The CustomAuth actions act here. */
  readonly customAuth: CustomAuthStore;
}

/** The instance's parts, given one by one (what the service had before it could take a broker). */
export interface OpenApiStores {
  /** The instance served; calls naming another get `InstancePermissionCheckFailed` (`InstanceNotFound` for Group IDs). */
  instanceId: string;
  /** Where the instance's tokens live. */
  tokens: OpenApiTokenStore;
  /** Where its device credentials live (the DeviceCredential actions answer `ApiNotSupport` without it). */
  devices?: OpenApiDeviceStore;
  /** Its Group IDs (CreateGroupId, DeleteGroupId, ListGroupId; `ApiNotSupport` without it). */
  groups?: OpenApiGroupStore;
  /** Its custom identities, permissions and connection blacklist (the CustomAuth actions; `ApiNotSupport` without it). */
  customAuth?: CustomAuthStore;
  /** Its live connections (QuerySessionByClientId, BatchQuerySessionByClientIds, CloseConnection). */
  sessions?: OpenApiSessions;
  /** Publishes into the broker (SendMessage). */
  publisher?: OpenApiPublisher;
}

/** Settings of the service whatever it serves. */
export interface OpenApiServiceSettings {
  /**
   * AccessKey pairs that may call: the broker's `accessKeys` list (`{ accessKeyId, accessKeySecret }`),
   * a map id → secret, or a lookup.
   */
  accessKeys:
    | readonly { accessKeyId: string; accessKeySecret: string }[]
    | Readonly<Record<string, string>>
    | ((accessKeyId: string) => string | undefined);
  /** The path served (default `/`, as on Alibaba's endpoints). */
  path?: string;
  /** The clock of the `Timestamp` check and the rate windows (default: the real one). */
  clock?: Clock;
  /** How far a request's `Timestamp` may be from the clock, ms (default 15 minutes, as Alibaba's). */
  maxSkew?: number;
  /** Shown as `HostId` in error answers (default `onsmqtt.local`). */
  hostId?: string;
  /**
   * Calls per second allowed per AccessKey, by action (default: the documented limits, e.g.
   * `ApplyToken: 100`, `RevokeToken: 5`; see `DOCUMENTED_RATE_LIMITS`); more in one second of the
   * clock answer the action's throttling code (`ApplyTokenOverFlow`, `RevokeTokenOverFlow`, …,
   * `SystemOverFlow`). `false` for no limit.
   */
  rateLimits?: Readonly<Record<string, number>> | false;
  /**
   * STS on the same endpoint: `AssumeRole` (version 2015-04-01, signed V3 or V2 with one of
   * `accessKeys`) for these roles, answering temporary credentials that every action accepts (with
   * their SecurityToken) until they expire. Default: none (AssumeRole answers `InvalidAction.NotFound`).
   */
  sts?: StsSettings;
}

/**
 * Inputs of {@link createOpenApiService}: the settings, and either a `broker` (every action) or the
 * instance's parts one by one (the actions whose part is missing answer `ApiNotSupport`).
 */
export type OpenApiServiceOptions = OpenApiServiceSettings & ({ broker: OpenApiBroker } | OpenApiStores);

/** A fetch-style OpenAPI handler that also counts the calls it answered, by action. */
export interface OpenApiService {
  /** Answers an OpenAPI request; `undefined` when it is not one (another route may take it). */
  (request: Request): Promise<Response | undefined>;
  /** Successful calls so far, by action (e.g. `calls.ApplyToken`). Failed ones are in `errors`, by code. */
  readonly calls: Readonly<Record<string, number>>;
  /** Error answers so far, by Alibaba error code. */
  readonly errors: Readonly<Record<string, number>>;
}

const VERSION = ONSMQTT_VERSION;

/**
 * Every action of Alibaba's SDK for `onsmqtt` 2020-04-20 (`@alicloud/onsmqtt20200420` 1.7, client.ts), from
 * the contract (`openapi/onsmqtt-contract.ts`). The ones without a handler here answer `ApiNotSupport`.
 */
export const ONSMQTT_ACTIONS: readonly string[] = ONSMQTT_SDK_ACTIONS;

/** The stores of a broker (its getters read once). */
function pick(broker: OpenApiBroker): Pick<OpenApiStores, 'instanceId' | 'tokens' | 'devices' | 'groups' | 'customAuth'> {
  return { instanceId: broker.instanceId, tokens: broker.tokens, devices: broker.devices, groups: broker.groups, customAuth: broker.customAuth };
}

function requestId(): string {
  return globalThis.crypto.randomUUID().toUpperCase();
}

function secretLookup(keys: OpenApiServiceOptions['accessKeys']): (accessKeyId: string) => string | undefined {
  if (typeof keys === 'function') return keys;
  if (keys === null || typeof keys !== 'object') throw _invalid('accessKeys', 'must be a list of AccessKey pairs, a map id → secret, or a lookup');
  // Own fields only (a config file's secret is an own getter that is not enumerable).
  const pair = (k: unknown) => [_own(k, 'accessKeyId'), _own(k, 'accessKeySecret')] as const;
  const entries = Array.isArray(keys) ? keys.map(pair) : Object.entries(keys);
  if (!entries.every(([id, secret]) => typeof id === 'string' && typeof secret === 'string')) throw _invalid('accessKeys', 'must hold AccessKey ids and secrets (strings)');
  // Copied into a Map with no prototype to consult: `constructor` or `__proto__` are not key ids.
  const map = new Map<string, string>(entries as [string, string][]);
  return (id) => map.get(id);
}

/**
 * The `onsmqtt` OpenAPI as a fetch-style handler for loopback use.
 *
 * @example
 * ```ts
 * const broker = await startBroker({ instanceId, accessKeys });
 * broker.addRoute(createOpenApiService({ accessKeys, broker }));
 * createOnsMqttClient({ ...accessKeys[0], instanceId, endpoint: `${broker.url('http')}/` });
 * ```
 */
export function createOpenApiService(options: OpenApiServiceOptions): OpenApiService {
  if (options === null || typeof options !== 'object') throw _invalid('options', 'must be { accessKeys, broker } or { accessKeys, instanceId, tokens, … }');
  // Own fields only: a polluted Object.prototype names no broker, store or AccessKey.
  options = Object.assign(Object.create(null), options) as OpenApiServiceOptions;
  const lookup = secretLookup(options.accessKeys);
  const parts: OpenApiStores =
    'broker' in options
      ? { ...pick(options.broker), sessions: options.broker, publisher: options.broker }
      : options;
  const instanceId = parts.instanceId;
  const path = options.path ?? '/';
  const clock = _checkedClock(options.clock);
  const now = () => clock.now();
  const maxSkew = options.maxSkew ?? 15 * 60_000;
  const hostId = options.hostId ?? 'onsmqtt.local';
  const calls: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const sts = options.sts === undefined ? undefined : new LocalSts(options.sts, now);
  const gateway = createGatewayAuth({ lookup, ...(sts ? { sts } : {}), now, maxSkew });
  const limits: Readonly<Record<string, number>> = options.rateLimits === false ? {} : (options.rateLimits ?? DOCUMENTED_RATE_LIMITS);
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

  const handlers: Record<string, ActionHandler> = {
    ...tokenActions(parts.tokens),
    ...(parts.devices ? deviceActions(parts.devices) : {}),
    ...(parts.groups ? groupActions(parts.groups) : {}),
    ...(parts.customAuth ? customAuthActions(parts.customAuth) : {}),
    ...sessionActions(parts.sessions, parts.publisher),
  };
  const known = new Set<string>(ONSMQTT_ACTIONS);

  async function service(request: Request): Promise<Response | undefined> {
    if (typeof request?.url !== 'string' || typeof request.method !== 'string' || typeof request.headers?.get !== 'function') throw _invalid('request', 'must be a fetch-standard Request');
    if (new URL(request.url).pathname !== path) return undefined;
    const method = request.method.toUpperCase();
    if (method !== 'GET' && method !== 'POST') return undefined;
    const id = requestId();
    let format: AnswerFormat = 'JSON';
    try {
      // V3 signs the body through its SHA-256: read it as received before the parameters are parsed from it.
      const raw = mayBeV3Request(request.headers) ? await _readBody(request.clone(), MAX_REQUEST_BYTES) : '';
      if (raw === 'too-large') throw requestTooLarge(`a body over ${MAX_REQUEST_BYTES} bytes`);
      if (raw === 'unreadable') throw invalidParameter('Body', 'The body is not UTF-8 text.');
      const url = new URL(request.url);
      const params = await readParams(request);
      const v3 = isV3Request(request.headers, params);
      // V3 names the action and the version in headers; V2 in parameters.
      const action = v3 ? request.headers.get('x-acs-action') : params['Action'];
      if (!action) return undefined;
      const asked = answerFormat(params['Format']);
      if (!asked) throw invalidParameter('Format', 'Format must be JSON or XML.');
      format = asked;
      const { accessKeyId, temporary } = await gateway.verify({ method, path: url.pathname, host: url.host, query: Object.fromEntries(url.searchParams), params, headers: request.headers, body: raw });
      const version = v3 ? request.headers.get('x-acs-version') : params['Version'];
      let body: Record<string, unknown>;
      if (version === STS_API_VERSION) {
        // STS shares the endpoint: its one action here, for the roles configured.
        if (!sts || action !== 'AssumeRole') throw actionNotFound();
        body = sts.assumeRole(new Params(params), accessKeyId, temporary);
      } else {
        if (version !== VERSION) throw new ApiFailure(400, 'InvalidVersion', 'Specified parameter Version is not valid.');
        const run = Object.hasOwn(handlers, action) ? handlers[action] : undefined;
        if (!run) throw known.has(action) ? apiNotSupported() : actionNotFound();
        if (throttled(accessKeyId, action)) throw overflow(action);
        const context: ActionContext = { params: new Params(params), accessKeyId, instanceId, now };
        body = await run(context);
      }
      calls[action] = (calls[action] ?? 0) + 1;
      return answer(200, format, `${action}Response`, { RequestId: id, ...body });
    } catch (error) {
      const failure = error instanceof ApiFailure ? error : internalError();
      errors[failure.code] = (errors[failure.code] ?? 0) + 1;
      return answer(failure.status, format, 'Error', { RequestId: id, HostId: hostId, Code: failure.code, Message: failure.message });
    }
  }

  return Object.defineProperties(service, {
    calls: { get: () => ({ ...calls }), enumerable: true },
    errors: { get: () => ({ ...errors }), enumerable: true },
  }) as OpenApiService;
}
