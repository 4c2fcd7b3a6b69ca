/**
 * The local broker's configuration: who may connect, with which secrets and permissions, and where
 * it listens. Its one home: the types, the settings a config file may set ({@link _BROKER_SETTINGS}),
 * and the one check ({@link _checkBrokerConfig}), run once by `startBroker` before anything listens;
 * errors name the field and never a secret. `config-file.ts` only turns a JSON file into a config.
 * @module
 */
import { _invalid } from '../errors.js';
import { _typeName } from '../internal/bytes.js';
import type { BrokerTlsConfig } from './certificates.js';
import { _backgroundClock, _checkedClock, type Clock } from '../clock.js';
import { _checkNames } from './http-guard.js';
import { _checkLimits, type BrokerLimits } from './broker-limits.js';
import { _requireSegment } from '../protocol/username.js';
import { _parseActions } from '../protocol/token-rules.js';
import { checkStsSettings } from './openapi/sts.js';
import { topicProblem } from '../protocol/topics.js';
import type { Permissions } from './acl.js';
import type { HttpAuthConfig } from './http-auth-client.js';
import type { RoleConfig } from './openapi/sts.js';

/**
 * Topic permissions for an identity that is not a token (Signature, DeviceCredential, custom).
 * ApsaraMQ manages those in the console; by default the local broker allows every topic.
 */
export interface PermissionsConfig {
  /** Topic filters (`+`/`#` allowed): a list or a comma-separated string. */
  resources: string | readonly string[];
  /** `R` (subscribe), `W` (publish) or `R,W`. */
  actions: string;
}

/** An AccessKey pair: Signature-mode clients sign with it; Token-mode Usernames name its id. */
export interface AccessKeyConfig {
  /** The AccessKey ID clients name in `Signature|<id>|…` and `Token|<id>|…` Usernames. */
  accessKeyId: string;
  /** Its secret: what Signature Passwords and OpenAPI requests are signed with. */
  accessKeySecret: string;
  /** What Signature-mode clients of this AccessKey may do. Default: every topic, both actions. */
  permissions?: PermissionsConfig;
}

/** A device credential (DeviceCredential mode), bound to one client id. */
export interface DeviceConfig {
  /** The one client id the credential is for. */
  clientId: string;
  /** The DeviceAccessKeyId of `DeviceCredential|<id>|…` Usernames. */
  deviceAccessKeyId: string;
  /** The secret the device signs its client id with. */
  deviceAccessKeySecret: string;
}

/**
 * A custom identity (as AddCustomAuthIdentity registers one): a username and its secret, for every
 * client id (`USER`, the default) or for one (`CLIENT`).
 */
export interface CustomIdentityConfig {
  /** The username clients connect with. */
  username: string;
  /** The secret (ORIGIN: the password itself; SIGNED: the HMAC key). */
  secret: string;
  /** `ORIGIN`: the password is the secret; `SIGNED`: Base64(HMAC-SHA1(secret, clientId)). */
  signMode: 'ORIGIN' | 'SIGNED';
  /** `USER` (default): the username alone; `CLIENT`: only with `clientId`. */
  identityType?: 'USER' | 'CLIENT';
  /** For `CLIENT` identities: the one client id that may use them. */
  clientId?: string;
  /**
   * Topics the identity may use, as `ALLOW` permissions of its username (`USER`) or client id
   * (`CLIENT`). Without any permission a custom identity may connect but neither publish nor
   * subscribe, as on the service ("topics need a permission"); add more with `customPermissions` or
   * the OpenAPI.
   */
  permissions?: PermissionsConfig;
}

/** A custom-authentication topic permission (as AddCustomAuthPermission adds one). */
export interface CustomPermissionConfig {
  /** `USER`: `identity` is a username; `CLIENT`: a client id. */
  identityType: 'USER' | 'CLIENT';
  /** The username (`USER`) or client id (`CLIENT`). */
  identity: string;
  /** A topic filter (`+`/`#` allowed). */
  topic: string;
  /** Publish, subscribe, or both. */
  permitAction: 'PUB' | 'SUB' | 'PUB_SUB';
  /** `ALLOW`, or `DENY` (which wins). */
  effect: 'ALLOW' | 'DENY';
}

/** A token issued ahead of time (as if by ApplyToken). */
export interface TokenConfig {
  /** The token string clients send after `R|`, `W|` or `RW|`. */
  token: string;
  /** The topics it covers (filters with `+`/`#`), as a list or comma-separated. */
  resources: string | readonly string[];
  /** `R`, `W` or `R,W`. */
  actions: string;
  /** UNIX ms. */
  expireTime: number;
  /** Bind the token to this AccessKey id (Usernames with another id get code -1). */
  accessKeyId?: string;
}

/**
 * A fetch-standard route for the broker's HTTP listener: answer with a `Response`, or `undefined`
 * to let the next route (and finally the built-in control routes) try. Mount extra APIs, such as an
 * OpenAPI facade over {@link TokenStore}, this way without touching the broker.
 *
 * @example
 * ```ts
 * const hello: RouteHandler = async (request) =>
 *   new URL(request.url).pathname === '/hello' ? Response.json({ hello: 'world' }) : undefined
 * await startBroker({ instanceId, routes: [hello] })
 * ```
 */
export type RouteHandler = (request: Request) => Promise<Response | undefined>;

/** Everything {@link startBroker} takes. Only `instanceId` is required. */
export interface BrokerConfig {
  /** The instance id clients must name in their Username (`Mode|Id|<instanceId>`). */
  instanceId: string;
  /** Address to listen on. Default `127.0.0.1` (loopback only). */
  host?: string;
  /** MQTT over TCP. Default 0 (an ephemeral port; read it from the handle). */
  tcpPort?: number;
  /** MQTT over TLS. Default 0 (ephemeral); `false` for none. */
  tlsPort?: number | false;
  /** MQTT over WebSocket. Default 0 (ephemeral); `false` for none. */
  wsPort?: number | false;
  /** MQTT over WebSocket over TLS (same path). Default 0 (ephemeral); `false` for none. */
  wssPort?: number | false;
  /** WebSocket path. Default `/mqtt`. */
  wsPath?: string;
  /**
   * The certificate of the TLS listeners. Default: made at each start, signed by a local CA kept in
   * the user's state folder (`broker.ca` is that CA; trust it in clients).
   */
  tls?: BrokerTlsConfig;
  /** The HTTP listener: the `onsmqtt` OpenAPI (`/`), the JSON control API (`/control`) and any `routes`. Default 0; `false` for none. */
  httpPort?: number | false;
  /**
   * The `onsmqtt` OpenAPI on the HTTP listener, its requests signed with `accessKeys` as Alibaba's
   * gateway checks them (Alibaba's SDKs and `createOnsMqttClient` work against it). Default: on; `false` for none.
   */
  openApi?: boolean;
  /** ApsaraMQ's documented limits (message size, topic length, keep-alive cap); each may be changed. */
  limits?: Partial<BrokerLimits>;
  /** AccessKeys of Signature and Token clients, and of OpenAPI callers. */
  accessKeys?: readonly AccessKeyConfig[];
  /**
   * RAM roles the OpenAPI's STS lets `accessKeys` assume (`AssumeRole`, version 2015-04-01, on the
   * same endpoint): temporary credentials that every `onsmqtt` action accepts until they expire.
   */
  roles?: readonly RoleConfig[];
  /**
   * The shortest STS session (`DurationSeconds`) accepted, seconds. Default 900, as Alibaba's; tests
   * may set it lower (down to 1) to see credentials expire without waiting.
   */
  stsMinSessionSeconds?: number;
  /** Device credentials (DeviceCredential mode); RegisterDeviceCredential adds more. */
  devices?: readonly DeviceConfig[];
  /** Custom-authentication identities; AddCustomAuthIdentity adds more. */
  customIdentities?: readonly CustomIdentityConfig[];
  /** Custom-authentication permissions beyond each identity's `permissions` (DENY rules, client-id rules). */
  customPermissions?: readonly CustomPermissionConfig[];
  /** Client ids refused at CONNECT (the custom-authentication connection blacklist). */
  connectBlacklist?: readonly string[];
  /**
   * The instance's Group IDs. Given (even empty), a CONNECT whose GroupId is not among them (or was
   * deleted with DeleteGroupId) is refused, as the service does; absent, every GroupId is accepted and
   * CreateGroupId/ListGroupId still keep the list.
   */
  groupIds?: readonly string[];
  /**
   * HTTP authentication: the endpoint asked about every CONNECT the identities above do not claim
   * (a custom username, or a `Mode|Id|Instance` Username whose AccessKey or device key is not configured).
   */
  httpAuth?: HttpAuthConfig;
  /** Tokens that exist from the start (ApplyToken adds more). */
  tokens?: readonly TokenConfig[];
  /** What DeviceCredential clients may do. Default: every topic, both actions. */
  devicePermissions?: PermissionsConfig;
  /** How long before a token's expiry `$SYS/tokenExpireNotice` is sent. Default 5 minutes. */
  expireNoticeLeadMs?: number;
  /**
   * The clock of the broker and its stores: token expiry and notices, device and group times, the
   * OpenAPI's `Timestamp` check and rate windows, HTTP authentication's `expireAt`. Default: the real
   * one, whose timers never keep the process alive on their own. A manual clock
   * ({@link createManualClock}) moves it in tests.
   */
  clock?: Clock;
  /** Extra HTTP routes, tried in order before the built-in ones. */
  routes?: readonly RouteHandler[];
  /**
   * The secret of the control API (`Authorization: Bearer <secret>`), at least 16 characters.
   * Default: 32 random bytes made at start ({@link LocalBroker.controlSecret}); `npm start` and the
   * CLI's `broker` command print it.
   */
  controlSecret?: string;
  /**
   * More names the HTTP and WebSocket listeners answer to (the `Host` header), besides loopback
   * names, IP addresses, `host` and `tls.hosts`: e.g. `["mybox.lan"]` for a broker on `0.0.0.0`.
   */
  allowedHosts?: readonly string[];
  /**
   * Browser origins allowed on the HTTP and WebSocket listeners besides pages on loopback hosts and
   * on the names above, e.g. `["https://dev.example.com:8443"]`. `null` is never allowed.
   */
  allowedOrigins?: readonly string[];
}

/**
 * @internal A config as the broker reads it: null-prototype copies of its objects and arrays (three
 * levels deep), own properties only, each value read once. A property a polluted `Object.prototype`
 * adds (a `host` to listen on, an extra trusted AccessKey) is not there; functions (the clock's methods,
 * `routes`) are kept as they are. Secrets kept out of dumps (non-enumerable) stay so.
 */
export function _ownConfig<T>(value: T, depth = 0): T {
  if (value === null || typeof value !== 'object' || depth > 3) return value;
  if (Array.isArray(value)) return value.map((item) => _ownConfig(item, depth + 1)) as T;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value; // a Buffer, a Date: taken as is
  const copy = Object.create(null) as Record<PropertyKey, unknown>;
  for (const key of Reflect.ownKeys(value)) {
    const { enumerable } = Object.getOwnPropertyDescriptor(value, key)!;
    Object.defineProperty(copy, key, { value: _ownConfig((value as Record<PropertyKey, unknown>)[key], depth + 1), enumerable, writable: true, configurable: true });
  }
  return copy as T;
}

/**
 * @internal The options of one of an instance's stores (tokens, devices, groups), read once as own
 * properties: the copy, its `instanceId` (required) and its clock (a clock that fails, or answers
 * garbage, is named when read, not passed on). `shape` is what the refusal of a non-object says.
 */
export function _storeOptions<T extends { instanceId: string; clock?: Clock | undefined }>(options: T, shape: string): { options: T; instanceId: string; clock: Clock } {
  if (options === null || typeof options !== 'object') throw _invalid('options', `must be ${shape}`);
  const own = Object.assign(Object.create(null), options) as T;
  if (typeof own.instanceId !== 'string' || own.instanceId === '') throw _invalid('instanceId', 'must be a non-empty string');
  return { options: own, instanceId: own.instanceId, clock: _checkedClock(own.clock) };
}

/** Default lead time of `$SYS/tokenExpireNotice`. */
export const DEFAULT_EXPIRE_NOTICE_LEAD_MS = 5 * 60_000;

/** @internal A port number or 0; `false` where allowed. */
export function _checkPort(value: unknown, field: string, allowFalse: boolean): number | false {
  if (value === undefined) return 0;
  if (value === false && allowFalse) return false;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw _invalid(field, `must be an integer from 0 (ephemeral) to 65535${allowFalse ? ', or false for none' : ''} (got ${typeof value === 'number' ? value : _typeName(value)})`);
  }
  return value;
}

/** @internal A non-empty string without `|` or white space (ids that sit inside a Username). */
export const _checkId: (value: unknown, field: string) => string = _requireSegment;

/** @internal A secret: a non-empty string. Never echoed. */
export function _checkSecret(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw _invalid(field, `must be a non-empty string (got ${_typeName(value)})`);
  return value;
}

/** @internal Permissions from config, checked; `undefined` means everything. */
export function _checkPermissions(value: PermissionsConfig | undefined, field: string): Permissions | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') throw _invalid(field, 'must be { resources, actions }');
  const list = typeof value.resources === 'string' ? value.resources.split(',').map((r) => r.trim()) : value.resources;
  if (!Array.isArray(list) || list.length === 0) throw _invalid(`${field}.resources`, 'must be a non-empty list of topics');
  list.forEach((r: unknown, i: number) => {
    const problem = topicProblem(r, { filter: true });
    if (problem) throw _invalid(`${field}.resources[${i}]`, problem);
  });
  const actions = _parseActions(value.actions);
  if (!actions) throw _invalid(`${field}.actions`, 'must be "R", "W" or "R,W"');
  return { resources: [...list] as string[], actions };
}

/** @internal A list field: absent → empty; otherwise it must be an array. */
export function _checkList<T>(value: readonly T[] | undefined, field: string): readonly T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw _invalid(field, `must be an array (got ${_typeName(value)})`);
  return value;
}

/**
 * @internal The settings of {@link BrokerConfig} a JSON config file may set, in the order `--help` and
 * errors list them (`clock` and `routes` are code, not settings).
 */
export const _BROKER_SETTINGS = [
  'instanceId',
  'host',
  'tcpPort',
  'tlsPort',
  'wsPort',
  'wssPort',
  'wsPath',
  'httpPort',
  'tls',
  'openApi',
  'limits',
  'accessKeys',
  'roles',
  'stsMinSessionSeconds',
  'devices',
  'customIdentities',
  'customPermissions',
  'connectBlacklist',
  'groupIds',
  'httpAuth',
  'tokens',
  'devicePermissions',
  'expireNoticeLeadMs',
  'controlSecret',
  'allowedHosts',
  'allowedOrigins',
] as const satisfies readonly Exclude<keyof BrokerConfig, 'clock' | 'routes'>[];

/** @internal A broker config after {@link _checkBrokerConfig}: the settings `startBroker` wires, each checked. */
export interface _CheckedBrokerConfig {
  /** The config as read: own properties only, each read once ({@link _ownConfig}). */
  config: BrokerConfig;
  /** The broker's clock (default: the real one whose timers never keep the process alive). */
  clock: Clock;
  /** Where it listens: a port number (0 = ephemeral) or `false` for none. */
  listen: { host: string; tcpPort: number; tlsPort: number | false; wsPort: number | false; wssPort: number | false; wsPath: string; httpPort: number | false };
  limits: BrokerLimits;
  expireNoticeLeadMs: number;
  /** The `Host` names and browser origins the HTTP and WebSocket listeners accept besides loopback. */
  allowedHosts: string[];
  allowedOrigins: string[];
}

/**
 * @internal The one check of a {@link BrokerConfig}, before anything starts: the listener settings, the
 * control secret, the allowed hosts and origins, the limits, the routes, `tls` and the clock. The
 * identities and stores it lists (`accessKeys`, `devices`, `tokens`, custom authentication, `httpAuth`,
 * `groupIds`) are checked by the part that keeps them, with the same helpers of this file, as
 * `startBroker` builds it, also before anything listens.
 */
export function _checkBrokerConfig(given: BrokerConfig): _CheckedBrokerConfig {
  if (given === null || typeof given !== 'object') throw _invalid('config', `must be an options object (got ${_typeName(given)})`);
  // The clock is the caller's object, used as given: its methods may read its own state.
  const givenClock = Object.hasOwn(given, 'clock') ? given.clock : undefined;
  // Read once, own properties only: from here on nothing consults Object.prototype.
  const config = _ownConfig(given);
  _checkId(config.instanceId, 'instanceId');
  const secret = config.controlSecret;
  if (secret !== undefined && (typeof secret !== 'string' || secret.length < 16 || /\s/.test(secret))) throw _invalid('controlSecret', 'must be a secret of at least 16 characters, without white space');
  const allowedHosts = _checkNames(config.allowedHosts, 'allowedHosts', 'host');
  const allowedOrigins = _checkNames(config.allowedOrigins, 'allowedOrigins', 'origin');
  if (config.host !== undefined && (typeof config.host !== 'string' || config.host.length === 0)) throw _invalid('host', 'must be a non-empty string');
  if (config.wsPath !== undefined && (typeof config.wsPath !== 'string' || !config.wsPath.startsWith('/'))) throw _invalid('wsPath', 'must start with "/"');
  const lead = config.expireNoticeLeadMs;
  if (lead !== undefined && !(typeof lead === 'number' && Number.isFinite(lead) && lead >= 0)) throw _invalid('expireNoticeLeadMs', 'must be a number of milliseconds ≥ 0');
  _checkList(config.routes, 'routes').forEach((r, i) => {
    if (typeof r !== 'function') throw _invalid(`routes[${i}]`, 'must be a function (request) => Promise<Response | undefined>');
  });
  if (config.openApi !== undefined && typeof config.openApi !== 'boolean') throw _invalid('openApi', 'must be true or false');
  if (config.tls !== undefined && (config.tls === null || typeof config.tls !== 'object')) throw _invalid('tls', 'must be an object: { cert, key, ca } or { stateDir }');
  const stateDir = config.tls?.stateDir;
  if (stateDir !== undefined && stateDir !== false && (typeof stateDir !== 'string' || stateDir.length === 0)) throw _invalid('tls.stateDir', 'must be a folder path, or false to keep the CA in memory');
  _checkList(config.tls?.hosts, 'tls.hosts').forEach((h, i) => {
    if (typeof h !== 'string' || !/^[A-Za-z0-9.:_-]+$/.test(h)) throw _invalid(`tls.hosts[${i}]`, 'must be a host name or an IP address');
  });
  // STS (AssumeRole) for the configured roles, checked even when the OpenAPI is off (a typo is named either way).
  if (config.roles !== undefined || config.stsMinSessionSeconds !== undefined) {
    checkStsSettings({ roles: config.roles ?? [], ...(config.stsMinSessionSeconds === undefined ? {} : { minSessionSeconds: config.stsMinSessionSeconds }) }, 'stsMinSessionSeconds');
  }
  const clock = _checkedClock(givenClock, _backgroundClock);
  const limits = _checkLimits(config.limits);
  const listen = {
    host: config.host ?? '127.0.0.1',
    tcpPort: _checkPort(config.tcpPort, 'tcpPort', false) as number,
    tlsPort: _checkPort(config.tlsPort, 'tlsPort', true),
    wsPort: _checkPort(config.wsPort, 'wsPort', true),
    wssPort: _checkPort(config.wssPort, 'wssPort', true),
    wsPath: config.wsPath ?? '/mqtt',
    httpPort: _checkPort(config.httpPort, 'httpPort', true),
  };
  return { config, clock, listen, limits, expireNoticeLeadMs: lead ?? DEFAULT_EXPIRE_NOTICE_LEAD_MS, allowedHosts, allowedOrigins };
}
