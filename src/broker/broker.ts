/**
 * The local ApsaraMQ-compatible broker: aedes underneath, ApsaraMQ's authentication, token
 * permissions and token lifecycle on top, listening on loopback. This file holds the handle
 * (`LocalBroker`) and `startBroker`, which wires the parts: `listeners.ts` (sockets), `hooks.ts`
 * (aedes's questions), `authorization.ts` (PUBLISH/SUBSCRIBE), `token-lifecycle.ts`, `auth/`.
 * @module
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Client } from 'aedes';
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { _typeName } from '../internal/bytes.js';
import { _requireSegment } from '../credentials/validate.js';
import { Authenticator } from './auth/authenticator.js';
import { customAuthFromConfig } from './auth/custom.js';
import { systemTimers } from './clock.js';
import { _checkList, _checkPort, DEFAULT_EXPIRE_NOTICE_LEAD_MS, type BrokerConfig, type RouteHandler } from './config.js';
import { ClientConnection } from './connection.js';
import { createControlRoutes } from './control.js';
import type { BrokerCore } from './core.js';
import type { CustomAuthStore } from './custom-auth.js';
import { DeviceStore } from './devices.js';
import { GroupStore } from './groups.js';
import type { BrokerEvents, SessionInfo } from './events.js';
import { createHooks } from './hooks.js';
import { closeListeners, startListeners, type BoundPorts, type Servers } from './listeners.js';
import { _loadPeers, type BrokerPeers } from './peers.js';
import { cancelTimers, kick, sessionInfo, type Session } from './session.js';
import { onTokenRevoked } from './token-lifecycle.js';
import { TokenStore } from './tokens.js';

export { SYS_TOPICS } from '../protocol/sys-topics.js';
export type { BrokerEvents, SessionInfo } from './events.js';

/** Transports the broker listens on (and `http` for the control API). */
export type BrokerTransport = 'tcp' | 'ws' | 'http';

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
  /** MQTT over WebSocket port, if enabled. */
  readonly wsPort: number | undefined;
  /** WebSocket path. */
  readonly wsPath: string;
  /** Control API port, if enabled. */
  readonly httpPort: number | undefined;
  /** The token service (ApplyToken / QueryToken / RevokeToken). */
  readonly tokens: TokenStore;
  /** Device credentials (Register / Get / Refresh / UnRegister). */
  readonly devices: DeviceStore;
  /** The instance's Group IDs (Create / Delete / ListGroupId; enforced at CONNECT when the config lists `groupIds`). */
  readonly groups: GroupStore;
  /** Custom identities, their topic permissions and the connection blacklist, enforced live. */
  readonly customAuth: CustomAuthStore;
  /** `mqtt://host:port`, `ws://host:port/mqtt` or `http://host:port` (throws for a disabled listener). */
  url(transport: BrokerTransport): string;
  /** Every enabled listener's URL, by transport. */
  urls(): Record<string, string>;
  /**
   * The `transport`, `host`, `port` (and `path`) fields of `createConnectOptions` for this broker.
   *
   * @example
   * ```ts
   * const { url, options } = createConnectOptions({ instanceId, clientId, credentials, ...broker.endpoint('ws') })
   * ```
   */
  endpoint(transport: 'tcp' | 'ws'): { transport: 'tcp' | 'ws'; host: string; port: number; path?: string };
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
  readonly #routes: RouteHandler[];
  readonly #sockets = new Set<Duplex>();
  readonly #unsubscribeRevoke: () => void;
  readonly #mqttPacket: BrokerPeers['mqttPacket'];
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
    Object.assign(this, {
      instanceId: config.instanceId,
      host: config.host ?? '127.0.0.1',
      wsPath: config.wsPath ?? '/mqtt',
      tokens: stores.tokens,
      devices: stores.devices,
      groups: stores.groups,
      customAuth: stores.customAuth,
    });
    this.#routes = [...(config.routes ?? []), createControlRoutes(this)];
    this.#unsubscribeRevoke = this.tokens.onRevoke((token) => onTokenRevoked(this.#core, token));
  }

  /** @internal Once bound: the servers and their ports. */
  _listening(servers: Servers, ports: BoundPorts): void {
    this.#servers = servers;
    Object.assign(this, { tcpPort: ports.tcp, wsPort: ports.ws, httpPort: ports.http });
  }

  /** @internal Hands a new MQTT byte stream to aedes (closed with the broker). */
  _accept(raw: Duplex, request?: IncomingMessage): void {
    this.#sockets.add(raw);
    raw.once('close', () => this.#sockets.delete(raw));
    // A peer resetting its socket ends that connection only.
    raw.on('error', () => {});
    this.#core.aedes.handle(new ClientConnection(raw, this.#mqttPacket), request);
  }

  url(transport: BrokerTransport): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    if (transport === 'tcp') return `mqtt://${host}:${this.tcpPort}`;
    if (transport === 'ws' && this.wsPort !== undefined) return `ws://${host}:${this.wsPort}${this.wsPath}`;
    if (transport === 'http' && this.httpPort !== undefined) return `http://${host}:${this.httpPort}`;
    throw _invalid('transport', `${JSON.stringify(transport)} is not a listener of this broker (tcp, ws and http when enabled)`);
  }

  urls(): Record<string, string> {
    const urls: Record<string, string> = { tcp: this.url('tcp') };
    if (this.wsPort !== undefined) urls.ws = this.url('ws');
    if (this.httpPort !== undefined) urls.http = this.url('http');
    return urls;
  }

  endpoint(transport: 'tcp' | 'ws'): { transport: 'tcp' | 'ws'; host: string; port: number; path?: string } {
    if (transport === 'tcp') return { transport, host: this.host, port: this.tcpPort };
    if (this.wsPort === undefined) throw _invalid('transport', '"ws" is disabled on this broker (wsPort: false)');
    return { transport, host: this.host, port: this.wsPort, path: this.wsPath };
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
    const payload = typeof message.payload === 'string' ? Buffer.from(message.payload, 'utf8') : Buffer.from(message.payload);
    const packet = { cmd: 'publish' as const, topic: message.topic, payload, qos: message.qos ?? 1, retain: false, dup: false };
    return new Promise((resolve, reject) => this.#core.aedes.publish(packet, (error) => (error ? reject(error) : resolve())));
  }

  addRoute(route: RouteHandler): () => void {
    if (typeof route !== 'function') throw _invalid('route', `must be a function (request) => Promise<Response | undefined> (got ${_typeName(route)})`);
    this.#routes.splice(this.#routes.length - 1, 0, route);
    return () => {
      const i = this.#routes.indexOf(route);
      if (i >= 0) this.#routes.splice(i, 1);
    };
  }

  /** @internal The routes in order, for the HTTP listener. */
  _routes(): readonly RouteHandler[] {
    return this.#routes;
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

function checkConfig(config: BrokerConfig): void {
  if (config === null || typeof config !== 'object') throw _invalid('config', `must be an options object (got ${_typeName(config)})`);
  _requireSegment(config.instanceId, 'instanceId');
  if (config.host !== undefined && (typeof config.host !== 'string' || config.host.length === 0)) throw _invalid('host', 'must be a non-empty string');
  if (config.wsPath !== undefined && (typeof config.wsPath !== 'string' || !config.wsPath.startsWith('/'))) throw _invalid('wsPath', 'must start with "/"');
  const lead = config.expireNoticeLeadMs;
  if (lead !== undefined && !(typeof lead === 'number' && Number.isFinite(lead) && lead >= 0)) throw _invalid('expireNoticeLeadMs', 'must be a number of milliseconds ≥ 0');
  if (config.now !== undefined && typeof config.now !== 'function') throw _invalid('now', 'must be a function returning UNIX milliseconds');
  if (config.timers !== undefined && (typeof config.timers?.setTimeout !== 'function' || typeof config.timers?.clearTimeout !== 'function')) {
    throw _invalid('timers', 'must have setTimeout(callback, ms) and clearTimeout(handle)');
  }
  _checkList(config.routes, 'routes').forEach((r, i) => {
    if (typeof r !== 'function') throw _invalid(`routes[${i}]`, 'must be a function (request) => Promise<Response | undefined>');
  });
}

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
  checkConfig(config);
  const now = config.now ?? Date.now;
  const tokens = new TokenStore({ instanceId: config.instanceId, now });
  const devices = new DeviceStore({ instanceId: config.instanceId, now });
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
  const groups = new GroupStore({ instanceId: config.instanceId, now, ...(config.groupIds === undefined ? {} : { groupIds: config.groupIds }) });
  const auth = new Authenticator({ ...config, devices, tokens, customAuth, groups, now });
  const listen = {
    host: config.host ?? '127.0.0.1',
    tcpPort: _checkPort(config.tcpPort, 'tcpPort', false) as number,
    wsPort: _checkPort(config.wsPort, 'wsPort', true),
    wsPath: config.wsPath ?? '/mqtt',
    httpPort: _checkPort(config.httpPort, 'httpPort', true),
  };

  const peers = await _loadPeers();
  let broker: Broker | undefined;
  // The hooks need the core and the core needs aedes: aedes is set right after it is created,
  // before anything listens.
  const core: { -readonly [K in keyof BrokerCore]: BrokerCore[K] } = {
    aedes: undefined as unknown as BrokerCore['aedes'],
    auth,
    sessions: new Map<Client, Session>(),
    emit: (event, ...args) => void (broker?.emit as (event: string, ...args: unknown[]) => boolean)?.call(broker, event, ...args),
    now,
    timers: config.timers ?? systemTimers,
    expireNoticeLeadMs: config.expireNoticeLeadMs ?? DEFAULT_EXPIRE_NOTICE_LEAD_MS,
  };
  core.aedes = await peers.aedes.Aedes.createBroker(createHooks(core));
  broker = new Broker(config, core, { tokens, devices, groups, customAuth }, peers.mqttPacket);
  try {
    const { servers, ports } = await startListeners(listen, peers, (raw, request) => broker._accept(raw, request), () => broker._routes());
    broker._listening(servers, ports);
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
