/**
 * Serves a fetch-style handler on 127.0.0.1 (an ephemeral port) through the SDK's own Node adapter,
 * and stops it with a bounded wait.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeListener, type NodeListenerOptions } from '../../src/server/node-listener.js';

export interface Served {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function serve(
  handler: (request: Request) => Promise<Response | undefined> | Response | undefined,
  options?: NodeListenerOptions,
): Promise<Served> {
  const server = createServer(toNodeListener(handler, options));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep backlog: tests open a thousand connections at once, more than Node's default 511.
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
