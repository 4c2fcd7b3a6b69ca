/**
 * The broker's listeners: MQTT over TCP, MQTT over WebSocket and the HTTP listener of the control
 * API (and any mounted routes), each bound on its own port; and closing them all.
 * @module
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { ApsaraMqttAuthError } from '../errors.js';
import type { RouteHandler } from './config.js';
import { _serveRoutes } from './http.js';
import type { BrokerPeers } from './peers.js';

/** The running servers. */
export interface Servers {
  tcp: TcpServer;
  ws?: HttpServer;
  wss?: WebSocketServer;
  http?: HttpServer;
}

/** The bound ports (`undefined` for a disabled listener). */
export interface BoundPorts {
  tcp: number;
  ws: number | undefined;
  http: number | undefined;
}

/** What to listen on. A port is a number (0 = ephemeral) or `false` for none. */
export interface ListenOptions {
  host: string;
  tcpPort: number;
  wsPort: number | false;
  wsPath: string;
  httpPort: number | false;
}

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
  const servers: Servers = { tcp: createTcpServer((socket: Socket) => accept(socket)) };
  const ports: BoundPorts = { tcp: 0, ws: undefined, http: undefined };
  try {
    ports.tcp = await listen(servers.tcp, options.tcpPort, host, 'tcpPort');
    if (options.wsPort !== false) {
      servers.ws = createHttpServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n'));
      servers.wss = new peers.ws.WebSocketServer({ server: servers.ws, path: options.wsPath });
      servers.wss.on('connection', (socket, request) => accept(peers.ws.createWebSocketStream(socket), request));
      ports.ws = await listen(servers.ws, options.wsPort, host, 'wsPort');
    }
    if (options.httpPort !== false) {
      servers.http = _serveRoutes(routes);
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
  const closing = [closeServer(servers.tcp), closeServer(servers.ws), closeServer(servers.http)];
  servers.wss?.close();
  servers.http?.closeAllConnections();
  servers.ws?.closeAllConnections();
  await Promise.all(closing);
}
