/**
 * Debian's redis-server, started by a test on a free loopback port with nothing persisted
 * (`--save '' --appendonly no`), so a restart comes back empty, as a Redis that lost its data would.
 * It can be stopped and started again on the same port, for outage tests.
 * @module
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accepts, freePort } from './ports.js';
import { atExit, startProcess, type StartedProcess } from './process.js';
import { pollUntil } from './wait.js';

/** Where Debian installs it (`apt-get install redis-server`, see scripts/system-deps.sh). */
export const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';

/** A running (or stopped, to be started again) redis-server. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Whether it is running now. */
  running(): boolean;
  /** Stops it (SIGTERM, bounded; SIGKILL with `kill`). The port stays reserved for {@link RedisServer.start}. */
  stop(options?: { kill?: boolean }): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** Stops it for good and removes its directory. Safe to call twice. */
  close(): Promise<void>;
}

async function launch(port: number, dir: string, timeout: number): Promise<StartedProcess> {
  const server = startProcess(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'yes'], {
    name: `redis-server :${port}`,
  });
  try {
    await server.waitForOutput(/Ready to accept connections/, { timeout, stream: 'stdout' });
    await pollUntil(() => accepts(port), { timeout, what: `redis-server on port ${port}` });
    return server;
  } catch (error) {
    await server.stop({ timeout: 2000 });
    throw Object.assign(error as Error, { inUse: /Address already in use/i.test(server.stdout() + server.stderr()) });
  }
}

/** Starts redis-server on a free loopback port (another one if the port was taken before it bound). */
export async function startRedis(options: { startTimeout?: number } = {}): Promise<RedisServer> {
  const { startTimeout = 10_000 } = options;
  const dir = await mkdtemp(join(tmpdir(), 'apsaramq-redis-'));
  const forget = atExit(() => rmSync(dir, { recursive: true, force: true }));
  let port = 0;
  let server: StartedProcess | undefined;
  try {
    for (let attempt = 1; !server; attempt++) {
      port = await freePort();
      try {
        server = await launch(port, dir, startTimeout);
      } catch (error) {
        if (!(error as { inUse?: boolean }).inUse || attempt >= 3) throw error;
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    forget();
    throw error;
  }
  let current: StartedProcess | undefined = server;
  let closed: Promise<void> | undefined;
  const stop = async ({ kill = false } = {}) => {
    const running = current;
    current = undefined;
    await running?.stop(kill ? { signal: 'SIGKILL' } : { timeout: 5000 });
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    running: () => current !== undefined && !current.hasExited(),
    stop,
    async start() {
      if (current && !current.hasExited()) return;
      current = await launch(port, dir, startTimeout);
    },
    close: () =>
      (closed ??= (async () => {
        try {
          await stop();
        } finally {
          await rm(dir, { recursive: true, force: true });
          forget();
        }
      })()),
  };
}
