/**
 * Bun, Deno and workerd, from their npm binary packages (scripts/runtimes.sh installs them; see
 * RUNTIMES.md): every portable suite and the credential-handler suite (a real `Request` in, a
 * `Response` out, no secret in it) in each, against the built package as that runtime gets it:
 * Bun and Deno import dist/index.js and dist/server.js (node:crypto signs, through
 * process.getBuiltinModule); workerd runs a worker bundled as Workers bundlers do, resolving the
 * package by name with the workerd/worker/browser conditions (WebCrypto signs). check.sh builds first.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleSuites, bundleWorker } from '../test/runtimes/bundle.js';
import { failedToStart, launch, reportResults, requireRuntime } from './helpers/launchers.js';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/paths.js';
import { atExit } from './helpers/process.js';

const ESM_ARGS = ['test/runtimes/esm.mjs'] as const;
const entries = (suites: string) => [suites, 'dist/index.js', 'dist/server.js'];

async function run(name: string, start: () => Promise<{ command: string; args: string[]; env?: NodeJS.ProcessEnv }>) {
  try {
    const { command, args, env } = await start();
    return await launch(command, args, { name, env });
  } catch (error) {
    return failedToStart(`${name} starts`, error);
  }
}

// Deno caches compiled modules in DENO_DIR: a fresh one per run, removed afterwards.
const denoDir = mkdtempSync(join(tmpdir(), 'apsaramq-deno-'));
const forget = atExit(() => rmSync(denoDir, { recursive: true, force: true }));

reportResults(
  'Bun: dist/index.js and dist/server.js',
  await run('bun', async () => ({ command: requireRuntime('bun'), args: [...ESM_ARGS, ...entries(await bundleSuites('esm'))] })),
);

reportResults(
  'Deno: dist/index.js and dist/server.js',
  await run('deno', async () => ({
    command: requireRuntime('deno'),
    // Reading files and the environment only: no network, no writes, no subprocesses.
    args: ['run', '--allow-read', '--allow-env', '--no-prompt', ...ESM_ARGS, ...entries(await bundleSuites('esm'))],
    env: { DENO_DIR: denoDir, DENO_NO_UPDATE_CHECK: '1' },
  })),
);

reportResults(
  'workerd: the package resolved by name for Workers (dist/browser/index.js) and its server entry',
  await run('workerd', async () => ({ command: requireRuntime('workerd'), args: ['test', await bundleWorker()] })),
);

rmSync(denoDir, { recursive: true, force: true });
forget();

describe('what scripts/runtimes.sh installed', () => {
  it("weighs what README says it downloads (about 580 MB), within a fifth", () => {
    const stated = Number(/\*\*about (\d+) MB\*\*/.exec(readFileSync(join(ROOT, 'README.md'), 'utf8').slice(0, 4000))?.[1]);
    // The trailing slash follows scripts/runtimes/node_modules when it is a link to a shared install.
    const measured = Number(execFileSync('du', ['-sm', `${join(ROOT, 'scripts/runtimes/node_modules')}/`], { encoding: 'utf8' }).split('\t')[0]);
    expect(stated).toBeGreaterThan(0);
    expect(Math.abs(measured - stated) / stated, `README says about ${stated} MB, scripts/runtimes/node_modules holds ${measured} MB`).toBeLessThan(0.2);
  });
});
