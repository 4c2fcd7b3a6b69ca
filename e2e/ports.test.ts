/**
 * `npm test` beside `npm start`, and two test runs on one machine: while the tests run, `npm start`'s
 * default ports are taken (by a developer's running `npm start`, by another run, or held by the global
 * setup, test/helpers/hold-start-ports.ts), so every test here runs as it would beside `npm start`.
 * This file checks that premise, and that `npm start` itself, as the tests start it
 * (EPHEMERAL_START_PORTS), comes up beside them on ports of its own. scripts/check-ports.mjs checks
 * the sources: no test names a fixed port to listen on.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORTS } from '../scripts/start/settings.mjs';
import { ROOT } from './helpers/paths.js';
import { EPHEMERAL_START_PORTS } from './helpers/ports.js';
import { startProcess } from './helpers/process.js';

/** What binding 127.0.0.1:`port` answers: `'bound'` or the error code. */
function tryBind(port: number): Promise<string> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve('bound')));
  });
}

describe('npm start and the tests share the machine', () => {
  it.each(Object.entries(DEFAULT_PORTS))("npm start's default %s port (%i) is taken for the whole run: a test that binds it fails in every run", async (_, port) => {
    expect(await tryBind(port)).toBe('EADDRINUSE');
  });

  it('npm start as the tests start it comes up beside a running npm start, on ports of its own, and stops with exit 0', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('APSARAMQ_') && !name.startsWith('DEMO_')));
    const demo = startProcess(process.execPath, ['scripts/start.mjs'], { name: 'npm start', cwd: ROOT, env: { ...env, ...EPHEMERAL_START_PORTS } });
    try {
      await demo.waitForOutput(/Press Ctrl-C to stop\./, { timeout: 90_000, stream: 'stdout' });
      const ports = [...demo.stdout().matchAll(/(?:https?|wss?|mqtts?):\/\/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
      expect(new Set(ports).size, demo.stdout()).toBe(Object.keys(DEFAULT_PORTS).length);
      expect(ports.filter((port) => Object.values(DEFAULT_PORTS).includes(port))).toEqual([]);
    } finally {
      const exit = await demo.stop({ signal: 'SIGINT', timeout: 10_000 });
      expect(exit, demo.stdout() + demo.stderr()).toEqual({ code: 0, signal: null });
    }
  }, 120_000);
});
