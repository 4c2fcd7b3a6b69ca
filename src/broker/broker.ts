/**
 * The local ApsaraMQ-compatible broker: aedes underneath, ApsaraMQ's authentication, token
 * permissions and token lifecycle on top, listening on loopback. This file holds the handle
 * (`LocalBroker`) and `startBroker`, which wires the parts: `listeners.ts` (sockets), `hooks.ts`
 * (aedes's questions), `authorization.ts` (PUBLISH/SUBSCRIBE), `token-lifecycle.ts`, `auth/`.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Client } from 'aedes';
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { _typeName } from '../internal/bytes.js';
import { topicProblem } from '../protocol/topics.js';
import { Authenticator } from './auth/authenticator.js';
import { customAuthFromConfig } from './auth/custom-mode.js';
import { _tlsMaterial, type TlsMaterial } from './certificates.js';
import { _checkBrokerConfig, _checkList, type BrokerConfig, type RouteHandler } from './config.js';
import { _requestGuard } from './http-guard.js';
import { ClientConnection } from './connection.js';
import { createControlRoutes } from './control.js';
import type { BrokerCore } from './core.js';
import type { CustomAuthStore } from './custom-auth-store.js';
import { DeviceStore } from './devices.js';
import { GroupStore } from './groups.js';
import type { BrokerEvents, SessionInfo } from './events.js';
import { createHooks } from './hooks.js';
import { closeListeners, startListeners, type BoundPorts, type Servers } from './listeners.js';
import { createOpenApiService, type OpenApiService } from './openapi-service.js';
import { _loadPeers, type BrokerPeers } from './peers.js';
import { cancelTimers, kick, sessionInfo, type Session } from './client-session.js';
import { onTokenRevoked } from './token-lifecycle.js';
import { TokenStore } from './tokens.js';

export { SYS_TOPICS } from '../protocol/sys-topics.js';
export type { BrokerEvents, SessionInfo } from './events.js';

/** Transports the broker listens on (and `http` for the control API and the OpenAPI). */
export type BrokerTransport = 'tcp' | 'tls' | 'ws' | 'wss' | 'http';

/** The MQTT transports, as `createConnectOptions` names them. */
export type BrokerMqttTransport = Exclude<BrokerTransport, 'http'>;

/** The fields of `createConnectOptions` (and mqtt.js) that reach one listener of the broker. */
export interface BrokerEndpoint {
  /** The transport, as `createConnectOptions` names it. */
  transport: BrokerMqttTransport;
  /** The address the broker listens on. */
  host: string;
  /** The listener's port. */
  port: number;
  /** WebSocket path (`ws`, `wss`). */
  path?: string;
  /** TLS (`tls`, `wss`): the CA to trust, {@link LocalBroker.ca}. */
  ca?: string;
}

/**
 * A running local broker, as {@link startBroker} returns it; stop it with {@link LocalBroker.close}.
 * Its events ({@link BrokerEvents}) say who connected, was refused, denied or sent a notice.
 * Secrets (AccessKey secrets, device secrets, tokens) live in private fields and never show in
 * `util.inspect` or `JSON.stringify` of it.
 */
export interface LocalBroker extends EventEmitter<BrokerEvents> {
  /** The instance id clients must name. */
  readonly instanceId: string;
  /** The address listened on. */
  readonly host: string;
  /** MQTT over TCP port. */
  readonly tcpPort: number;
  /** MQTT over TLS port, if enabled. */
  readonly tlsPort: number | undefined;
  /** MQTT over WebSocket port, if enabled. */
  readonly wsPort: number | undefined;
  /** MQTT over WebSocket over TLS port, if enabled. */
  readonly wssPort: number | undefined;
  /** WebSocket path. */
  readonly wsPath: string;
  /** Port of the HTTP listener (the OpenAPI at `/`, the control API at `/control`), if enabled. */
  readonly httpPort: number | undefined;
  /**
   * PEM of the CA that signed the TLS listeners' certificate: what clients trust (mqtt.js `ca`,
   * `mosquitto_sub --cafile`, Python's `cafile`). `undefined` when no TLS listener is enabled.
   */
  readonly ca: string | undefined;
  /** The file holding {@link LocalBroker.ca} (in the state folder), when it is one. */
  readonly caFile: string | undefined;
  /** The `onsmqtt` OpenAPI served on the HTTP listener (its `calls` and `errors` counters), if enabled. */
  readonly openApi: OpenApiService | undefined;
  /**
   * The secret of the control API (`Authorization: Bearer <controlSecret>` on every `/control`
   * request): the config's `controlSecret`, or 32 random bytes (base64url) made at start. Kept off
   * `util.inspect` and `JSON.stringify` of the broker; print it for whoever drives the control API.
   */
  readonly controlSecret: string;
  /** The token service (ApplyToken / QueryToken / RevokeToken). */
  readonly tokens: TokenStore;
  /** Device credentials (Register / Get / Refresh / UnRegister). */
  readonly devices: DeviceStore;
  /** The instance's Group IDs (Create / Delete / ListGroupId; enforced at CONNECT when the config lists `groupIds`). */
  readonly groups: GroupStore;
  /** Custom identities, their topic permissions and the connection blacklist, enforced live. */
  readonly customAuth: CustomAuthStore;
  /** `mqtt://`, `mqtts://`, `ws://…/mqtt`, `wss://…/mqtt` or `http://` + host:port (throws for a disabled listener). */
  url(transport: BrokerTransport): string;
  /** Every enabled listener's URL, by transport. */
  urls(): Record<string, string>;
  /**
   * The `transport`, `host`, `port` (and `path`, and `ca` for TLS) fields of `createConnectOptions`
   * (and `connect` / `connectAsync`) for this broker.
   *
   * @example
   * ```ts
   * const client = await connectAsync({ instanceId, clientId, credentials, ...broker.endpoint('tls') })
   * ```
   */
  endpoint(transport: BrokerMqttTransport): BrokerEndpoint;
  /** The connected clients (authenticated, CONNACK sent), without secrets. */
  sessions(): SessionInfo[];
  /** Is a client with this id connected (authenticated, CONNACK sent) now? (QuerySessionByClientId) */
  isOnline(clientId: string): boolean;
  /** Ends that client's connection; `false` when it was not connected. (CloseConnection) */
  disconnect(clientId: string): boolean;
  /**
   * Publishes a message as the service itself (SendMessage): delivered to subscribers and P2P targets
   * as a client's message would be, without a client's permission check. Resolves once aedes has it.
   */
  publish(message: { topic: string; payload: Uint8Array | string; qos?: 0 | 1 }): Promise<void>;
  /**
   * Mounts a fetch-standard route on the HTTP listener, tried before the built-in control routes
   * (and after the routes added before it). Returns a function that unmounts it.
   */
  addRoute(route: RouteHandler): () => void;
  /** Stops listening, disconnects every client and cancels every timer. Safe to call twice. */
  close(): Promise<void>;
}

// The public fields come from LocalBroker by declaration merging and are set once listening.
interface Broker extends LocalBroker {}

/** The implementation behind {@link LocalBroker} (not exported: its parts are not API). */
class Broker extends EventEmitter<BrokerEvents> implements LocalBroker {
  readonly #core: BrokerCore;
  /** Routes added by the owner (config and `addRoute`), tried before the built-in ones. */
  readonly #routes: RouteHandler[];
  readonly #builtIn: RouteHandler[];
  readonly #sockets = new Set<Duplex>();
  readonly #unsubscribeRevoke: () => void;
  readonly #mqttPacket: BrokerPeers['mqttPacket'];
  readonly #controlSecret: string;
  #servers: Servers | undefined;
  #closing: Promise<void> | undefined;

  /** @internal Use {@link startBroker}. */
  constructor(
    config: BrokerConfig,
    core: BrokerCore,
    stores: { tokens: TokenStore; devices: DeviceStore; groups: GroupStore; customAuth: CustomAuthStore },
    mqttPacket: BrokerPeers['mqttPacket'],
  ) {
    super();
    this.#core = core;
    this.#mqttPacket = mqttPacket;
    this.#controlSecret = config.controlSecret ?? randomBytes(32).toString('base64url');
    const { tokens, devices, groups, customAuth } = stores;
    Object.assign(this, {
      instanceId: config.instanceId,
      host: config.host ?? '127.0.0.1',
      wsPath: config.wsPath ?? '/mqtt',
      tokens,
      devices,
      groups,
      customAuth,
      ca: undefined,
      caFile: undefined,
    });
    // The OpenAPI answers with the AccessKeys of the config, as the gateway of the account would, and
    // acts on this broker: its stores, its live sessions, its publishing.
    // STS (AssumeRole) for the configured roles (checked with the rest of the config, by _checkBrokerConfig).
    const sts = config.roles === undefined && config.stsMinSessionSeconds === undefined ? undefined : { roles: config.roles ?? [], ...(config.stsMinSessionSeconds === undefined ? {} : { minSessionSeconds: config.stsMinSessionSeconds }) };
    const openApi = config.openApi === false ? undefined : createOpenApiService({ accessKeys: config.accessKeys ?? [], broker: this, clock: core.clock, ...(sts ? { sts } : {}) });
    Object.assign(this, { openApi });
    this.#routes = [...(config.routes ?? [])];
    this.#builtIn = [...(openApi ? [openApi] : []), createControlRoutes(this)];
    this.#unsubscribeRevoke = this.tokens.onRevoke((token) => onTokenRevoked(this.#core, token));
  }

  // A getter on the class, not a field: inspect and JSON show own fields only.
  get controlSecret(): string {
    return this.#controlSecret;
  }

  /** @internal Once bound: the servers, their ports, and the CA of the TLS listeners. */
  _listening(servers: Servers, ports: BoundPorts, tls: TlsMaterial | undefined): void {
    this.#servers = servers;
    Object.assign(this, { tcpPort: ports.tcp, tlsPort: ports.tls, wsPort: ports.ws, wssPort: ports.wss, httpPort: ports.http, ca: tls?.ca, caFile: tls?.caFile });
  }

  /** @internal Hands a new MQTT byte stream to aedes (closed with the broker). */
  _accept(raw: Duplex, request?: IncomingMessage): void {
    this.#sockets.add(raw);
    raw.once('close', () => this.#sockets.delete(raw));
    // A peer resetting its socket ends that connection only.
    raw.on('error', () => {});
    this.#core.aedes.handle(new ClientConnection(raw, this.#mqttPacket, this.#core.limits), request);
  }

  #port(transport: BrokerTransport): number | undefined {
    return { tcp: this.tcpPort, tls: this.tlsPort, ws: this.wsPort, wss: this.wssPort, http: this.httpPort }[transport];
  }

  url(transport: BrokerTransport): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    const port = typeof transport === 'string' && Object.hasOwn(SCHEMES, transport) ? this.#port(transport) : undefined;
    if (port === undefined) throw _invalid('transport', `must name a listener of this broker: ${Object.keys(this.urls()).join(', ')}`);
    return `${SCHEMES[transport]}://${host}:${port}${transport === 'ws' || transport === 'wss' ? this.wsPath : ''}`;
  }

  urls(): Record<string, string> {
    const urls: Record<string, string> = {};
    for (const transport of Object.keys(SCHEMES) as BrokerTransport[]) if (this.#port(transport) !== undefined) urls[transport] = this.url(transport);
    return urls;
  }

  endpoint(transport: BrokerMqttTransport): BrokerEndpoint {
    const port = transport === 'tcp' || transport === 'tls' || transport === 'ws' || transport === 'wss' ? this.#port(transport) : undefined;
    if (port === undefined) throw _invalid('transport', 'must name an MQTT listener this broker has enabled (tcp, tls, ws, wss)');
    return {
      transport,
      host: this.host,
      port,
      ...(transport === 'ws' || transport === 'wss' ? { path: this.wsPath } : {}),
      ...(transport === 'tls' || transport === 'wss' ? { ca: this.ca! } : {}),
    };
  }

  sessions(): SessionInfo[] {
    return [...this.#core.sessions.values()].filter((s) => s.ready && !s.closing).map(sessionInfo);
  }

  isOnline(clientId: string): boolean {
    for (const s of this.#core.sessions.values()) if (s.clientId === clientId && s.ready && !s.closing) return true;
    return false;
  }

  disconnect(clientId: string): boolean {
    let found = false;
    for (const s of this.#core.sessions.values()) {
      if (s.clientId !== clientId || s.closing) continue;
      found = true;
      void kick(this.#core, s, undefined);
    }
    return found;
  }

  publish(message: { topic: string; payload: Uint8Array | string; qos?: 0 | 1 }): Promise<void> {
    if (message === null || typeof message !== 'object') return Promise.reject(_invalid('message', 'must be { topic, payload, qos? }'));
    message = Object.assign(Object.create(null), message) as typeof message;
    const problem = topicProblem(message.topic);
    if (problem) return Promise.reject(_invalid('topic', problem));
    if (typeof message.payload !== 'string' && !(message.payload instanceof Uint8Array)) return Promise.reject(_invalid('payload', 'must be a string or a Uint8Array'));
    if (message.qos !== undefined && message.qos !== 0 && message.qos !== 1) return Promise.reject(_invalid('qos', 'must be 0 or 1'));
    const payload = typeof message.payload === 'string' ? Buffer.from(message.payload, 'utf8') : Buffer.from(message.payload);
    const packet = { cmd: 'publish' as const, topic: message.topic, payload, qos: message.qos ?? 1, retain: false, dup: false };
    return new Promise((resolve, reject) => this.#core.aedes.publish(packet, (error) => (error ? reject(error) : resolve())));
  }

  addRoute(route: RouteHandler): () => void {
    if (typeof route !== 'function') throw _invalid('route', `must be a function (request) => Promise<Response | undefined> (got ${_typeName(route)})`);
    this.#routes.push(route);
    return () => {
      const i = this.#routes.indexOf(route);
      if (i >= 0) this.#routes.splice(i, 1);
    };
  }

  /** @internal The routes in order, for the HTTP listener: the owner's, then the OpenAPI and the control API. */
  _routes(): readonly RouteHandler[] {
    return [...this.#routes, ...this.#builtIn];
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#unsubscribeRevoke();
      for (const session of this.#core.sessions.values()) cancelTimers(session);
      const closing = this.#servers ? closeListeners(this.#servers) : Promise.resolve();
      await new Promise<void>((resolve) => this.#core.aedes.close(() => resolve()));
      for (const socket of this.#sockets) socket.destroy();
      await closing;
    })();
    return this.#closing;
  }
}

const SCHEMES: Readonly<Record<BrokerTransport, string>> = { tcp: 'mqtt', tls: 'mqtts', ws: 'ws', wss: 'wss', http: 'http' };

/**
 * Starts a local ApsaraMQ-compatible broker on loopback: MQTT over TCP, over WebSocket (`/mqtt`)
 * and a JSON control API over HTTP, each on its own port (0 = ephemeral, the default).
 *
 * It checks Username/Password for Signature, Token, DeviceCredential and custom identities as
 * ApsaraMQ does (and asks an HTTP-authentication endpoint, `httpAuth`, about the rest), enforces
 * client id rules, the connection blacklist, Group IDs, token resources and actions, custom-auth
 * permissions and HTTP-authentication ACLs on every PUBLISH and SUBSCRIBE, and runs the token lifecycle (`$SYS/uploadToken`, `$SYS/tokenExpireNotice`,
 * `$SYS/tokenInvalidNotice`). Node only; needs the optional peers `aedes`, `ws` and `mqtt-packet`.
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` for a bad config (the field is named),
 *   `ERR_BROKER_UNAVAILABLE` when a peer dependency is missing or a port cannot be bound.
 * @example
 * ```ts
 * import { startBroker } from 'apsaramq-mqtt-auth/broker'
 * const broker = await startBroker({ instanceId: 'mqtt-local', accessKeys: [{ accessKeyId: 'AK', accessKeySecret: 'secret' }] })
 * const credentials = await signatureCredentials({ accessKeyId: 'AK', accessKeySecret: 'secret', instanceId: 'mqtt-local', clientId })
 * const client = await mqtt.connectAsync(broker.url('tcp'), { clientId, ...credentials })
 * await broker.close()
 * ```
 */
export async function startBroker(config: BrokerConfig): Promise<LocalBroker> {
  const checked = _checkBrokerConfig(config);
  const { clock, listen, limits } = checked;
  config = checked.config;
  const tokens = new TokenStore({ instanceId: config.instanceId, clock });
  const devices = new DeviceStore({ instanceId: config.instanceId, clock });
  _checkList(config.tokens, 'tokens').forEach((t, i) => {
    try {
      tokens.add(t);
    } catch (error) {
      throw prefixField(error, `tokens[${i}]`);
    }
  });
  _checkList(config.devices, 'devices').forEach((d, i) => {
    try {
      devices.add(d);
    } catch (error) {
      throw prefixField(error, `devices[${i}]`);
    }
  });
  const customAuth = customAuthFromConfig(config);
  const groups = new GroupStore({ instanceId: config.instanceId, clock, ...(config.groupIds === undefined ? {} : { groupIds: config.groupIds }) });
  const auth = new Authenticator({ ...config, devices, tokens, customAuth, groups, clock });
  const tls = listen.tlsPort === false && listen.wssPort === false ? undefined : await _tlsMaterial(config.tls, [listen.host]);

  const peers = await _loadPeers();
  let broker: Broker | undefined;
  // The hooks need the core and the core needs aedes: aedes is set right after it is created,
  // before anything listens.
  const core: { -readonly [K in keyof BrokerCore]: BrokerCore[K] } = {
    aedes: undefined as unknown as BrokerCore['aedes'],
    auth,
    sessions: new Map<Client, Session>(),
    emit: (event, ...args) => void (broker?.emit as (event: string, ...args: unknown[]) => boolean)?.call(broker, event, ...args),
    clock,
    expireNoticeLeadMs: checked.expireNoticeLeadMs,
    limits,
    discarded: new WeakSet<object>(),
    notices: new WeakSet<object>(),
  };
  core.aedes = await peers.aedes.Aedes.createBroker(createHooks(core));
  broker = new Broker(config, core, { tokens, devices, groups, customAuth }, peers.mqttPacket);
  try {
    const guard = _requestGuard({ listenHost: listen.host, hosts: [...(config.tls?.hosts ?? []), ...checked.allowedHosts], origins: checked.allowedOrigins });
    const { servers, ports } = await startListeners({ ...listen, guard, ...(tls ? { tls } : {}) }, peers, (raw, request) => broker._accept(raw, request), () => broker._routes());
    broker._listening(servers, ports, tls);
  } catch (error) {
    await new Promise<void>((resolve) => core.aedes.close(() => resolve()));
    throw error;
  }
  return broker;
}

function prefixField(error: unknown, prefix: string): unknown {
  if (!(error instanceof ApsaraMqttAuthError) || error.code !== 'ERR_INVALID_ARGUMENT' || error.field === undefined) return error;
  return new ApsaraMqttAuthError(error.code, `${prefix}.${error.message}`, { field: `${prefix}.${error.field}`, cause: error.cause });
}
