/**
 * The e2e tests run what ships (`dist/`). scripts/check.sh builds before vitest; a test file run on
 * its own builds once here when an output it needs is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `npm run build` unless every path (relative to the root) already exists. */
export function ensureBuilt(...outputs: string[]): void {
  if (outputs.every((file) => existsSync(`${ROOT}/${file}`))) return;
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  if (result.status !== 0) throw new Error(`npm run build failed (${result.status ?? result.signal}):\n${result.stderr}`);
}
