/**
 * Bundle bytes, from scripts/budgets.mjs (the same figures CI enforces), in the benchmark table.
 * @module
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../e2e/helpers/paths.js';
import type { Row, Section } from './types.js';

interface BundleRow {
  name: string;
  what: string;
  min: number;
  gzip: number;
  budget?: number;
  /** What an issue asked for, when it differs from the enforced budget. */
  target?: { bytes: number; by: string };
}

export async function bundles(): Promise<Section> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'scripts/budgets.mjs'), '--json'], { cwd: ROOT, timeout: 120_000 }));
  } catch (error) {
    // Exit code 1 means a budget is exceeded; the figures are still on stdout.
    stdout = (error as { stdout?: string }).stdout ?? '';
    if (!stdout.trim().startsWith('[')) throw error;
  }
  const data = JSON.parse(stdout) as BundleRow[];
  const rows: Row[] = data.map((b) => {
    const row: Row = { name: b.name, value: `${b.min} B min, ${b.gzip} B gzip` };
    const target = b.target ?? (b.budget === undefined ? undefined : { bytes: b.budget, by: 'CI' });
    if (target) {
      // The target where there is one (the CI budget beside it), else the CI budget.
      row.target = `≤ ${target.bytes} B gzip (${target.by}${b.budget !== undefined && target.by !== 'CI' ? `; CI enforces ≤ ${b.budget} B` : ''})`;
      row.met = b.gzip <= target.bytes;
    }
    return row;
  });
  return {
    title: 'Bundle bytes (deterministic; budgets enforced by scripts/budgets.mjs in CI)',
    method: 'rollup + @rollup/plugin-node-resolve + @rollup/plugin-terser (defaults), and esbuild (bundle, minify, ESM with splitting), build a one-line consumer of the built package as a browser bundler resolves it (the `browser` condition); what loads up front is counted, lazy chunks shown apart; gzip level 9; 1 KB = 1024 B.',
    rows,
    data,
  };
}
