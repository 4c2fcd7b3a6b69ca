/**
 * vitest global setup: `npm start`'s default ports (8080, 1883, 8883, 8083, 8084, 8088 on 127.0.0.1)
 * are taken for the whole run, as they are when a developer runs `npm test` beside `npm start` or a
 * second `npm test` runs on the machine. A port already taken (by `npm start`, or by another run's
 * setup) is left as it is; a free one is held here, by a listener that closes every connection it gets.
 * So a test that binds one of them fails with EADDRINUSE in every run, not only on the machines where
 * `npm start` happens to be up; e2e/ports.test.ts checks that they are taken.
 */
import { createServer, type Server } from 'node:net';
import { DEFAULT_PORTS } from '../../scripts/start/settings.mjs';

/** Holds each port that is free; answers the function vitest calls after the run, which frees them. */
export default async function holdStartPorts(): Promise<() => Promise<void>> {
  const held: Server[] = [];
  for (const port of Object.values(DEFAULT_PORTS)) {
    const server = createServer((socket) => socket.destroy());
    const holding = await new Promise<boolean>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(new Error(`port ${port} of npm start could not be held for the tests: ${error.message}`))));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (holding) held.push(server);
  }
  return async () => {
    await Promise.all(held.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  };
}
