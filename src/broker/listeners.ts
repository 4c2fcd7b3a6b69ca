/**
 * The broker's listeners: MQTT over TCP, over TLS, over WebSocket, over WebSocket on TLS, and the
 * HTTP listener of the control API and the OpenAPI (and any mounted routes), each bound on its own
 * port; and closing them all.
 * @module
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { ApsaraMqttAuthError } from '../errors.js';
import type { RouteHandler } from './config.js';
import { _serveRoutes } from './http-listener.js';
import type { RequestGuard } from './http-guard.js';
import type { BrokerPeers } from './peers.js';

/** The running servers. */
export interface Servers {
  tcp: TcpServer;
  tls?: TcpServer;
  ws?: HttpServer;
  /** The WebSocket servers on `ws` and `wss`. */
  sockets: WebSocketServer[];
  wss?: HttpServer;
  http?: HttpServer;
}

/** The bound ports (`undefined` for a disabled listener). */
export interface BoundPorts {
  tcp: number;
  tls: number | undefined;
  ws: number | undefined;
  wss: number | undefined;
  http: number | undefined;
}

/** What to listen on. A port is a number (0 = ephemeral) or `false` for none. */
export interface ListenOptions {
  host: string;
  tcpPort: number;
  tlsPort: number | false;
  wsPort: number | false;
  wssPort: number | false;
  wsPath: string;
  httpPort: number | false;
  /** Certificate and key of the TLS listeners (needed when `tlsPort` or `wssPort` is on). */
  tls?: { cert: string; key: string };
  /** Checks the `Host` and `Origin` of every HTTP request and WebSocket upgrade. */
  guard?: RequestGuard;
}

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** Called with each new MQTT byte stream (a TCP socket, or a WebSocket as a stream with its upgrade request). */
export type AcceptStream = (raw: Duplex, request?: IncomingMessage) => void;

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
 * Binds every enabled listener. On failure, what was bound is closed again and the error (naming
 * the port field) is thrown.
 */
export async function startListeners(
  options: ListenOptions,
  peers: BrokerPeers,
  accept: AcceptStream,
  routes: () => readonly RouteHandler[],
): Promise<{ servers: Servers; ports: BoundPorts }> {
  const { host } = options;
  const servers: Servers = { tcp: createTcpServer((socket: Socket) => accept(socket)), sockets: [] };
  const ports: BoundPorts = { tcp: 0, tls: undefined, ws: undefined, wss: undefined, http: undefined };
  const upgradeOnly = (_req: IncomingMessage, res: import('node:http').ServerResponse) =>
    res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n');
  const { guard } = options;
  // A refused upgrade is answered 403 before any MQTT byte is read.
  const verifyClient =
    guard &&
    ((info: { req: IncomingMessage }, done: (ok: boolean, status?: number, message?: string) => void) => {
      const refused = guard.refuse(info.req.headers.host, header(info.req.headers.origin));
      done(refused === undefined, 403, refused && `this ${refused === 'host' ? 'Host' : 'Origin'} may not use the broker`);
    });
  const webSockets = (server: HttpServer) => {
    const wss = new peers.ws.WebSocketServer({ server, path: options.wsPath, ...(verifyClient ? { verifyClient } : {}) });
    wss.on('connection', (socket, request) => accept(peers.ws.createWebSocketStream(socket), request));
    servers.sockets.push(wss);
  };
  try {
    ports.tcp = await listen(servers.tcp, options.tcpPort, host, 'tcpPort');
    if (options.tlsPort !== false) {
      servers.tls = createTlsServer({ ...options.tls }, (socket: TLSSocket) => accept(socket));
      // A client that fails the handshake (an untrusted certificate, plain MQTT on the TLS port) ends only itself.
      servers.tls.on('tlsClientError', (_error, socket) => socket.destroy());
      ports.tls = await listen(servers.tls, options.tlsPort, host, 'tlsPort');
    }
    if (options.wsPort !== false) {
      servers.ws = createHttpServer(upgradeOnly);
      webSockets(servers.ws);
      ports.ws = await listen(servers.ws, options.wsPort, host, 'wsPort');
    }
    if (options.wssPort !== false) {
      servers.wss = createHttpsServer({ ...options.tls }, upgradeOnly);
      servers.wss.on('tlsClientError', (_error, socket) => socket.destroy());
      webSockets(servers.wss);
      ports.wss = await listen(servers.wss, options.wssPort, host, 'wssPort');
    }
    if (options.httpPort !== false) {
      servers.http = _serveRoutes(routes, guard);
      ports.http = await listen(servers.http, options.httpPort, host, 'httpPort');
    }
  } catch (error) {
    await closeListeners(servers);
    throw error;
  }
  return { servers, ports };
}

/** Stops accepting and closes every server (open HTTP connections included). */
export async function closeListeners(servers: Servers): Promise<void> {
  const closing = [servers.tcp, servers.tls, servers.ws, servers.wss, servers.http].map(closeServer);
  for (const wss of servers.sockets) wss.close();
  servers.http?.closeAllConnections();
  servers.ws?.closeAllConnections();
  servers.wss?.closeAllConnections();
  await Promise.all(closing);
}
