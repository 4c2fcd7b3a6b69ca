/**
 * The local ApsaraMQ-compatible broker: aedes underneath, ApsaraMQ's authentication, token
 * permissions and token lifecycle on top, listening on loopback over TCP and WebSocket.
 * @module
 */
import { EventEmitter } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Aedes, AedesPublishPacket, Client, PublishPacket, Subscription } from 'aedes';
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { _typeName } from '../internal/bytes.js';
import { _requireSegment } from '../credentials/validate.js';
import type { TokenType } from '../credentials/token.js';
import { checkSubscription, checkTopic, parseP2pTopic, type Action, type Denial, type Permissions } from './acl.js';
import { Authenticator, type AuthMode, type HeldToken, type Identity, type RefusalKind } from './auth.js';
import { _runAt, systemTimers, type BrokerTimers } from './clock.js';
import { _checkList, _checkPort, DEFAULT_EXPIRE_NOTICE_LEAD_MS, type BrokerConfig, type RouteHandler } from './config.js';
import { ClientConnection, DISCONNECT_REASON } from './connection.js';
import { createControlRoutes } from './control.js';
import { DeviceStore } from './devices.js';
import { _serveRoutes } from './http.js';
import { _loadPeers, type BrokerPeers } from './peers.js';
import { TOKEN_INVALID_CODES, TokenStore, type TokenInvalidCode } from './tokens.js';

/** The `$SYS` topics of the token lifecycle. */
export const SYS_TOPICS = {
  /** Client → broker: `{"token", "type"}` at QoS 1; the PUBACK means installed. */
  UPLOAD_TOKEN: '$SYS/uploadToken',
  /** Broker → client: `{"expireTime", "type"}` ahead of expiry. */
  TOKEN_EXPIRE_NOTICE: '$SYS/tokenExpireNotice',
  /** Broker → client: `{"code", "type"}`, then the broker disconnects the client. */
  TOKEN_INVALID_NOTICE: '$SYS/tokenInvalidNotice',
} as const;

/** Transports the broker listens on (and `http` for the control API). */
export type BrokerTransport = 'tcp' | 'ws' | 'http';

/** A connected client as {@link LocalBroker.sessions} lists it (no secrets). */
export interface SessionInfo {
  readonly clientId: string;
  readonly mode: AuthMode;
  /** AccessKey id, DeviceAccessKeyId or custom username. */
  readonly id: string;
  readonly protocolVersion: number;
  /** Token mode: the tokens held, by type, without the token strings. */
  readonly tokens: readonly { type: TokenType; resources: readonly string[]; actions: string; expireTime: number }[];
}

/** Events of {@link LocalBroker}: every payload is free of secrets. */
export interface BrokerEvents {
  /** A client passed authentication and got its CONNACK. */
  clientConnected: [info: SessionInfo];
  /** A CONNECT was refused; `returnCode` is what the client received (3.1.1 code or MQTT 5 reason code). */
  clientRefused: [info: { clientId: string; kind: RefusalKind; reason: string; returnCode: number; tokenCode?: TokenInvalidCode }];
  /** A client's connection closed. */
  clientDisconnected: [info: { clientId: string; mode: AuthMode }];
  /** A PUBLISH or SUBSCRIBE was refused and the client disconnected. */
  denied: [info: { clientId: string; action: 'publish' | 'subscribe'; topic: string; denial: Denial | 'system'; tokenCode?: TokenInvalidCode }];
  /** A `$SYS/tokenExpireNotice` or `$SYS/tokenInvalidNotice` was sent. */
  notice: [info: { clientId: string; topic: string; payload: Record<string, unknown> }];
  /** A token sent to `$SYS/uploadToken` was installed (the PUBACK follows). */
  tokenInstalled: [info: { clientId: string; type: TokenType; expireTime: number }];
}

interface Session {
  readonly client: Client;
  readonly conn: ClientConnection;
  readonly clientId: string;
  readonly identity: Identity;
  tokens: Map<TokenType, HeldToken>;
  readonly timers: Map<TokenType, Array<() => void>>;
  closing: boolean;
  /** Set by #kick: resolves once the last notice is written and the connection is ending. */
  kicking?: Promise<void>;
  ready: boolean;
  queue: Promise<void>;
  p2p?: { filter: string; deliver: (packet: AedesPublishPacket, callback: () => void) => void };
}

/** Fields of an aedes client that its types leave out. */
interface AedesClientInternals {
  subscriptions: Record<string, unknown>;
  deliverQoS: (packet: AedesPublishPacket, callback: () => void) => void;
}

interface Servers {
  tcp: TcpServer;
  ws?: HttpServer;
  wss?: import('ws').WebSocketServer;
  http?: HttpServer;
}

const UNAUTHORIZED = () => Object.assign(new Error('not authorized'), { returnCode: 5 });

function listen(server: TcpServer | HttpServer, port: number, host: string, field: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (cause: Error) =>
      reject(new ApsaraMqttAuthError('ERR_BROKER_UNAVAILABLE', `${field} ${port} on ${host} could not be bound (${(cause as NodeJS.ErrnoException).code ?? cause.name})`, { field, cause }));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as { port: number }).port);
    });
  });
}

function closeServer(server: TcpServer | HttpServer | undefined): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
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
  /**
   * Mounts a fetch-standard route on the HTTP listener, tried before the built-in control routes
   * (and after the routes added before it). Returns a function that unmounts it.
   */
  addRoute(route: RouteHandler): () => void;
  /** Stops listening, disconnects every client and cancels every timer. Safe to call twice. */
  close(): Promise<void>;
}

// The public fields come from LocalBroker by declaration merging and are set in the constructor.
interface Broker extends LocalBroker {}

/** The implementation behind {@link LocalBroker} (not exported: its aedes hooks are not API). */
class Broker extends EventEmitter<BrokerEvents> implements LocalBroker {

  readonly #aedes: Aedes;
  readonly #auth: Authenticator;
  readonly #servers: Servers;
  readonly #sockets: Set<Duplex>;
  readonly #sessions = new Map<Client, Session>();
  readonly #routes: RouteHandler[];
  readonly #now: () => number;
  readonly #timers: BrokerTimers;
  readonly #leadMs: number;
  readonly #unsubscribeRevoke: () => void;
  #closing: Promise<void> | undefined;

  /** @internal Use {@link startBroker}. */
  constructor(parts: {
    config: BrokerConfig;
    aedes: Aedes;
    auth: Authenticator;
    tokens: TokenStore;
    devices: DeviceStore;
    servers: Servers;
    ports: { tcp: number; ws: number | undefined; http: number | undefined };
    sockets: Set<Duplex>;
  }) {
    super();
    const { config } = parts;
    Object.assign(this, {
      instanceId: config.instanceId,
      host: config.host ?? '127.0.0.1',
      tcpPort: parts.ports.tcp,
      wsPort: parts.ports.ws,
      wsPath: config.wsPath ?? '/mqtt',
      httpPort: parts.ports.http,
      tokens: parts.tokens,
      devices: parts.devices,
    });
    this.#aedes = parts.aedes;
    this.#auth = parts.auth;
    this.#servers = parts.servers;
    this.#sockets = parts.sockets;
    this.#routes = [...(config.routes ?? []), createControlRoutes(this)];
    this.#now = config.now ?? Date.now;
    this.#timers = config.timers ?? systemTimers;
    this.#leadMs = config.expireNoticeLeadMs ?? DEFAULT_EXPIRE_NOTICE_LEAD_MS;
    this.#unsubscribeRevoke = this.tokens.onRevoke((token) => this.#onRevoke(token));
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
    return [...this.#sessions.values()].filter((s) => s.ready && !s.closing).map((s) => this.#info(s));
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
      for (const session of this.#sessions.values()) this.#cancelTimers(session);
      const servers = this.#servers;
      const closing = [closeServer(servers.tcp), closeServer(servers.ws), closeServer(servers.http)];
      servers.wss?.close();
      await new Promise<void>((resolve) => this.#aedes.close(() => resolve()));
      for (const socket of this.#sockets) socket.destroy();
      servers.http?.closeAllConnections();
      servers.ws?.closeAllConnections();
      await Promise.all(closing);
    })();
    return this.#closing;
  }

  // --- aedes hooks -------------------------------------------------------------------------

  /** @internal */
  async _authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<Error | null> {
    const conn = client.conn as ClientConnection;
    const v5 = conn.protocolVersion === 5;
    const result = await this.#auth.authenticate(username, password?.toString('utf8'), client.id);
    if (!result.ok) {
      // 3.1.1 clients get 5 for every credential problem, as ApsaraMQ (and mosquitto) send;
      // MQTT 5 clients learn which: 0x86 bad username or password, 0x87 not authorized.
      const returnCode = result.kind === 'bad-client-id' ? 2 : v5 && result.kind === 'bad-credentials' ? 4 : 5;
      const reasonCode = v5 ? ({ 2: 0x85, 4: 0x86, 5: 0x87 } as Record<number, number>)[returnCode]! : returnCode;
      this.emit('clientRefused', {
        clientId: client.id,
        kind: result.kind,
        reason: result.reason,
        returnCode: reasonCode,
        ...(result.tokenCode === undefined ? {} : { tokenCode: result.tokenCode }),
      });
      return Object.assign(new Error(result.reason), { returnCode });
    }
    for (const other of this.#sessions.values()) {
      // The newer connection takes over: aedes closes the older one; MQTT 5 clients are told why.
      if (other.clientId === client.id && other.client !== client) {
        other.closing = true;
        this.#cancelTimers(other);
        other.conn.sendDisconnect(DISCONNECT_REASON.SESSION_TAKEN_OVER);
      }
    }
    const session: Session = {
      client,
      conn,
      clientId: client.id,
      identity: result.identity,
      tokens: new Map(result.identity.tokens ?? []),
      timers: new Map(),
      closing: false,
      ready: false,
      queue: Promise.resolve(),
    };
    this.#sessions.set(client, session);
    conn.once('close', () => this.#end(session));
    // Just before the CONNACK leaves, so P2P delivery and token timers are in place before the
    // client can act on it.
    conn.once('connack', (returnCode: number) => {
      if (returnCode === 0) this.#ready(session);
    });
    return null;
  }

  /** At CONNACK: P2P delivery and token timers start. */
  #ready(session: Session): void {
    if (session.closing) return;
    const { client } = session;
    session.ready = true;
    // P2P messages reach their target without a subscription: subscribe on its behalf, through
    // aedes's own delivery function so that a matching user subscription is not delivered twice.
    const deliver = (client as unknown as AedesClientInternals).deliverQoS;
    session.p2p = { filter: `+/p2p/${session.clientId}`, deliver };
    this.#aedes.subscribe(session.p2p.filter, deliver, () => {});
    for (const held of session.tokens.values()) this.#schedule(session, held);
    this.emit('clientConnected', this.#info(session));
  }

  /** @internal */
  _authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    const session = client && this.#sessions.get(client);
    if (!session) return done(UNAUTHORIZED());
    if (client.closed) {
      // The will of a client that went away: published only if it could have published it.
      return done(this.#allowed(session, 'W', packet.topic) ? null : UNAUTHORIZED());
    }
    session.queue = session.queue.then(() => this.#onPublish(session, packet)).then(done, () => done(UNAUTHORIZED()));
  }

  /** @internal */
  _authorizeSubscribe(client: Client, subscription: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void): void {
    const session = this.#sessions.get(client);
    if (!session) return done(UNAUTHORIZED());
    session.queue = session.queue
      .then(() => this.#onSubscribe(session, subscription.topic))
      .then(
        (error) => done(error, error ? null : subscription),
        () => done(UNAUTHORIZED()),
      );
  }

  /** @internal */
  _authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    const { topic } = packet;
    if (topic === SYS_TOPICS.UPLOAD_TOKEN) return null;
    // Only the broker itself produces these (client publishes to $SYS are refused).
    if (topic === SYS_TOPICS.TOKEN_EXPIRE_NOTICE || topic === SYS_TOPICS.TOKEN_INVALID_NOTICE) return packet;
    const session = this.#sessions.get(client);
    if (!session || session.closing) return null;
    const p2p = parseP2pTopic(topic);
    if (p2p && p2p.target !== session.clientId) return null;
    return this.#allowed(session, 'R', topic) ? packet : null;
  }

  // --- PUBLISH / SUBSCRIBE -----------------------------------------------------------------

  async #onPublish(session: Session, packet: PublishPacket): Promise<Error | null> {
    // Refusing at once would make aedes cut the connection before the notice in flight is out.
    if (session.closing) return this.#afterKick(session);
    const { topic } = packet;
    if (topic === SYS_TOPICS.UPLOAD_TOKEN) {
      packet.retain = false;
      return this.#uploadToken(session, packet);
    }
    if (topic.startsWith('$')) return this.#deny(session, 'publish', topic, 'system');
    const denial = this.#permissions(session) && checkTopic(this.#permissions(session)!, 'W', topic);
    return denial ? this.#deny(session, 'publish', topic, denial) : null;
  }

  async #onSubscribe(session: Session, filter: string): Promise<Error | null> {
    if (session.closing) return this.#afterKick(session);
    const permissions = this.#permissions(session);
    const denial = permissions && checkSubscription(permissions, filter);
    return denial ? this.#deny(session, 'subscribe', filter, denial) : null;
  }

  #permissions(session: Session): readonly Permissions[] | undefined {
    if (session.identity.mode === 'Token') return [...session.tokens.values()].map((t) => t.permissions);
    return session.identity.permissions;
  }

  #allowed(session: Session, action: Action, topic: string): boolean {
    const permissions = this.#permissions(session);
    return !permissions || checkTopic(permissions, action, topic) === undefined;
  }

  /** Refuses a PUBLISH/SUBSCRIBE: token clients get tokenInvalidNotice 4 or 5 first; then disconnect. */
  async #deny(session: Session, action: 'publish' | 'subscribe', topic: string, denial: Denial | 'system'): Promise<Error> {
    const token = session.identity.mode === 'Token';
    const code = denial === 'action' ? TOKEN_INVALID_CODES.PERMISSION_TYPE_MISMATCH : TOKEN_INVALID_CODES.RESOURCE_MISMATCH;
    this.emit('denied', { clientId: session.clientId, action, topic, denial, ...(token ? { tokenCode: code } : {}) });
    await this.#kick(session, token ? { code, type: this.#typeFor(session, action === 'publish' ? 'W' : 'R') } : undefined);
    return UNAUTHORIZED();
  }

  /** The held token type that grants `action` (else the first held), for notices. */
  #typeFor(session: Session, action: Action): TokenType {
    for (const [type, held] of session.tokens) if (held.permissions.actions.has(action)) return type;
    return session.tokens.keys().next().value ?? 'RW';
  }

  // --- token lifecycle ---------------------------------------------------------------------

  async #uploadToken(session: Session, packet: PublishPacket): Promise<Error | null> {
    if (session.identity.mode !== 'Token') return this.#deny(session, 'publish', packet.topic, 'system');
    let token: unknown;
    let type: unknown;
    try {
      ({ token, type } = JSON.parse(Buffer.from(packet.payload).toString('utf8')) as { token?: unknown; type?: unknown });
    } catch {
      // not JSON: handled as a forged token below
    }
    const validType = type === 'R' || type === 'W' || type === 'RW' ? type : undefined;
    if (typeof token !== 'string' || token.length === 0 || !validType) {
      await this.#kick(session, { code: TOKEN_INVALID_CODES.FORGED, type: validType ?? 'RW' });
      return UNAUTHORIZED();
    }
    const check = this.#auth.checkToken(token, validType, session.identity.id);
    if (!check.ok) {
      await this.#kick(session, { code: check.code, type: validType });
      return UNAUTHORIZED();
    }
    const tokens = new Map(session.tokens).set(validType, check.held);
    const permissions = [...tokens.values()].map((t) => t.permissions);
    // The new token must still cover what the client already holds: a rotation, not a narrowing.
    for (const filter of Object.keys((session.client as unknown as AedesClientInternals).subscriptions)) {
      if (checkSubscription(permissions, filter) !== undefined) {
        await this.#kick(session, { code: TOKEN_INVALID_CODES.RESOURCE_MISMATCH, type: validType });
        return UNAUTHORIZED();
      }
    }
    session.tokens = tokens;
    this.#cancelTimers(session, validType);
    this.#schedule(session, check.held);
    this.emit('tokenInstalled', { clientId: session.clientId, type: validType, expireTime: check.held.info.expireTime });
    return null;
  }

  /** Expire notice ahead of expiry (at once if already inside the lead time), disconnect at expiry. */
  #schedule(session: Session, held: HeldToken): void {
    const { expireTime } = held.info;
    const cancels: Array<() => void> = [];
    const noticeAt = expireTime - this.#leadMs;
    cancels.push(
      _runAt(noticeAt, () => this.#notice(session, SYS_TOPICS.TOKEN_EXPIRE_NOTICE, { expireTime, type: held.type }), this.#now, this.#timers),
      _runAt(expireTime, () => void this.#kick(session, { code: TOKEN_INVALID_CODES.EXPIRED, type: held.type }), this.#now, this.#timers),
    );
    session.timers.set(held.type, cancels);
  }

  #cancelTimers(session: Session, type?: TokenType): void {
    for (const [t, cancels] of session.timers) {
      if (type !== undefined && t !== type) continue;
      for (const cancel of cancels) cancel();
      session.timers.delete(t);
    }
  }

  #onRevoke(token: string): void {
    for (const session of this.#sessions.values()) {
      for (const held of session.tokens.values()) {
        if (held.token === token) void this.#kick(session, { code: TOKEN_INVALID_CODES.REVOKED, type: held.type });
      }
    }
  }

  /** Sends a `$SYS` notice to one client, without subscription; resolves once written. */
  #notice(session: Session, topic: string, payload: Record<string, unknown>): Promise<void> {
    if (session.client.closed) return Promise.resolve();
    this.emit('notice', { clientId: session.clientId, topic, payload });
    return new Promise((resolve) => {
      session.client.publish({ cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(payload)), qos: 0, retain: false, dup: false }, () => resolve());
    });
  }

  /** Sends tokenInvalidNotice (when given), then ends the connection once that is flushed. */
  #kick(session: Session, invalid: { code: TokenInvalidCode; type: TokenType } | undefined): Promise<void> {
    if (session.kicking) return session.kicking;
    session.closing = true;
    this.#cancelTimers(session);
    session.kicking = (async () => {
      // Before its CONNACK a client may receive nothing else: it is just cut off.
      if (invalid && session.ready) await this.#notice(session, SYS_TOPICS.TOKEN_INVALID_NOTICE, { code: invalid.code, type: invalid.type });
      // The notice may still sit in the connection's write queue: end behind it, never before it.
      session.conn.endAfterWrites(DISCONNECT_REASON.NOT_AUTHORIZED);
    })();
    return session.kicking;
  }

  /** A packet from a client being disconnected: refused (no PUBACK/SUBACK) once the kick is done. */
  async #afterKick(session: Session): Promise<Error> {
    await session.kicking;
    return UNAUTHORIZED();
  }

  #end(session: Session): void {
    if (!this.#sessions.delete(session.client)) return;
    this.#cancelTimers(session);
    if (session.p2p) this.#aedes.unsubscribe(session.p2p.filter, session.p2p.deliver, () => {});
    if (session.ready) this.emit('clientDisconnected', { clientId: session.clientId, mode: session.identity.mode });
  }

  #info(session: Session): SessionInfo {
    return {
      clientId: session.clientId,
      mode: session.identity.mode,
      id: session.identity.id,
      protocolVersion: session.conn.protocolVersion ?? 4,
      tokens: [...session.tokens.values()].map((t) => ({
        type: t.type,
        resources: t.info.resources,
        actions: t.info.actions,
        expireTime: t.info.expireTime,
      })),
    };
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
 * ApsaraMQ does, enforces client id rules, token resources and actions on every PUBLISH and
 * SUBSCRIBE, and runs the token lifecycle (`$SYS/uploadToken`, `$SYS/tokenExpireNotice`,
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
  const auth = new Authenticator({ ...config, devices, tokens });
  const host = config.host ?? '127.0.0.1';
  const tcpPort = _checkPort(config.tcpPort, 'tcpPort', false) as number;
  const wsPort = _checkPort(config.wsPort, 'wsPort', true);
  const httpPort = _checkPort(config.httpPort, 'httpPort', true);

  const peers: BrokerPeers = await _loadPeers();
  const sockets = new Set<Duplex>();
  // The hooks reach the broker object, made once the ports are known; a connection accepted
  // before that waits in `early`.
  let broker: Broker | undefined;
  const early: Array<[Duplex, import('node:http').IncomingMessage | undefined]> = [];
  const aedes = await peers.aedes.Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      broker!._authenticate(client, username, password).then(
        (error) => (error ? done(error as never, false) : done(null, true)),
        () => done(UNAUTHORIZED() as never, false),
      );
    },
    authorizePublish: (client, packet, done) => broker!._authorizePublish(client, packet, done),
    authorizeSubscribe: (client, sub, done) => broker!._authorizeSubscribe(client, sub, done),
    authorizeForward: (client, packet) => broker!._authorizeForward(client, packet),
  });

  const handle = (raw: Duplex, request: import('node:http').IncomingMessage | undefined) => {
    aedes.handle(new ClientConnection(raw, peers.mqttPacket), request);
  };
  const accept = (raw: Duplex, request?: import('node:http').IncomingMessage) => {
    sockets.add(raw);
    raw.once('close', () => sockets.delete(raw));
    // A peer resetting its socket ends that connection only.
    raw.on('error', () => {});
    if (broker) handle(raw, request);
    else early.push([raw, request]);
  };
  const servers: Servers = { tcp: createTcpServer((socket: Socket) => accept(socket)) };
  const ports: { tcp: number; ws: number | undefined; http: number | undefined } = { tcp: 0, ws: undefined, http: undefined };
  try {
    ports.tcp = await listen(servers.tcp, tcpPort, host, 'tcpPort');
    if (wsPort !== false) {
      servers.ws = createHttpServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n'));
      servers.wss = new peers.ws.WebSocketServer({ server: servers.ws, path: config.wsPath ?? '/mqtt' });
      servers.wss.on('connection', (socket, request) => accept(peers.ws.createWebSocketStream(socket), request));
      ports.ws = await listen(servers.ws, wsPort, host, 'wsPort');
    }
    if (httpPort !== false) {
      servers.http = _serveRoutes(() => broker?._routes() ?? []);
      ports.http = await listen(servers.http, httpPort, host, 'httpPort');
    }
  } catch (error) {
    servers.wss?.close();
    await Promise.all([closeServer(servers.tcp), closeServer(servers.ws), closeServer(servers.http)]);
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw error;
  }
  broker = new Broker({ config, aedes, auth, tokens, devices, servers, ports, sockets });
  for (const [raw, request] of early.splice(0)) if (!raw.destroyed) handle(raw, request);
  return broker;
}

function prefixField(error: unknown, prefix: string): unknown {
  if (!(error instanceof ApsaraMqttAuthError) || error.code !== 'ERR_INVALID_ARGUMENT' || error.field === undefined) return error;
  return new ApsaraMqttAuthError(error.code, `${prefix}.${error.message}`, { field: `${prefix}.${error.field}`, cause: error.cause });
}
