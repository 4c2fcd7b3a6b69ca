/**
 * Free loopback ports for servers the tests start.
 * @module
 */
import { createServer, Socket } from 'node:net';
import { PORT_VARIABLES } from '../../scripts/start/settings.mjs';

/**
 * The environment that puts every listener of `npm start` (scripts/start.mjs) on a free port
 * (`DEMO_WEB_PORT=0`, `DEMO_TCP_PORT=0`, …, one per `PORT_VARIABLES`, so a listener added there is
 * covered here): a test that starts it spreads this, and runs beside a developer's own `npm start` and
 * beside another test run. scripts/check-ports.mjs fails a test that starts it without.
 */
export const EPHEMERAL_START_PORTS: Readonly<Record<string, string>> = Object.freeze(Object.fromEntries(Object.values(PORT_VARIABLES).map((name) => [name, '0'])));

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). Another process may take
 * it before the caller binds, so starters retry on "address in use" (see `mosquitto.ts`).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port assigned'))));
    });
  });
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` right now. */
export function accepts(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, host);
  });
}
