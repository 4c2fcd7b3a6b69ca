/**
 * Runs a runtime launcher (test/runtimes/*.mjs, `workerd test`) in its own process and turns the
 * results it prints (`RESULTS <json>`) into one vitest test each, so every suite case counts, and
 * fails, by name. A launcher that prints nothing usable becomes one failing test quoting its output.
 * @module
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import type { TestResult } from '../../test/runtimes/harness.js';
import { ROOT } from './paths.js';
import { startProcess } from './process.js';
import { withTimeout } from './wait.js';

const MODULES = join(ROOT, 'scripts/runtimes/node_modules');

/** The runtime binaries scripts/runtimes.sh installs (see RUNTIMES.md). */
export const RUNTIMES = {
  bun: join(MODULES, '@oven/bun-linux-x64/bin/bun'),
  deno: join(MODULES, '@deno/linux-x64-glibc/deno'),
  workerd: join(MODULES, '@cloudflare/workerd-linux-64/bin/workerd'),
  hermes: join(MODULES, 'hermes-engine-cli/linux64-bin/hermes'),
  hermesc: join(MODULES, 'hermes-engine-cli/linux64-bin/hermesc'),
  /** Today's Hermes compiler (hermes-compiler, what current React Native builds with); no VM comes with it. */
  'hermesc-current': join(MODULES, 'hermes-compiler/hermesc/linux64-bin/hermesc'),
} as const;

/** A missing binary is a failure that says how to get it, never a skip. */
export function requireRuntime(name: keyof typeof RUNTIMES): string {
  const bin = RUNTIMES[name];
  if (!existsSync(bin)) throw new Error(`${name} is not installed at ${bin}: run \`bash scripts/runtimes.sh\` (npm test and .ci/run do)`);
  return bin;
}

/** Runs `command args`, bounded by `timeout`, and reads its results. Never throws: failures become results. */
export async function launch(command: string, args: readonly string[], options: { timeout?: number; env?: NodeJS.ProcessEnv; name?: string } = {}): Promise<TestResult[]> {
  const name = options.name ?? command;
  const child = startProcess(command, args, { name, cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...options.env } });
  let exit;
  try {
    exit = await withTimeout(child.exited, options.timeout ?? 240_000, `${name} to finish`);
  } catch (error) {
    await child.stop();
    return [{ name: `${name} finishes`, ok: false, error: `${(error as Error).message}\n${child.stderr().slice(-4000)}` }];
  }
  const line = `${child.stdout()}\n${child.stderr()}`.split('\n').find((l) => l.startsWith('RESULTS '));
  if (!line) return [{ name: `${name} reports its results`, ok: false, error: `exit ${exit.code ?? exit.signal}, no RESULTS line:\n${child.stdout().slice(-3000)}\n${child.stderr().slice(-3000)}` }];
  return JSON.parse(line.slice('RESULTS '.length)) as TestResult[];
}

/** One vitest test per result, under `title`. */
export function reportResults(title: string, results: readonly TestResult[]): void {
  describe(title, () => {
    for (const result of results) {
      it(result.name, () => {
        if (!result.ok) throw new Error(result.error);
      });
    }
  });
}

/** Results for a launch that could not even start (a missing binary, a failed bundle). */
export const failedToStart = (name: string, error: unknown): TestResult[] => [{ name, ok: false, error: String((error as Error)?.stack ?? error) }];
