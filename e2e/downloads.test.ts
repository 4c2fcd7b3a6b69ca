/**
 * What `npm test` downloads is said before it happens (issue 19): README names the runtimes that
 * scripts/runtimes.sh installs, how large they are, why, where they go and how to skip them; the skip
 * is loud and leaves the runtime suites reported as not run (scripts/check-summary.mjs), never as
 * passed. The size README states is checked against the installed folder in e2e/runtimes.test.ts.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/paths.js';

const run = promisify(execFile);
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const RUNTIMES = JSON.parse(readFileSync(join(ROOT, 'scripts/runtimes/package.json'), 'utf8')) as { dependencies: Record<string, string> };

/** The README's notice under the first commands: the paragraph that starts "`npm test` downloads". */
const notice = README.slice(README.indexOf('`npm test` downloads'), README.indexOf('## Contents'));

describe("README says what npm test downloads, before it does", () => {
  it('right under the first commands: what (each runtime), how large, why, where, and how to skip it', () => {
    expect(notice.length, 'a paragraph starting "`npm test` downloads" before ## Contents').toBeGreaterThan(100);
    for (const what of ['Bun', 'Deno', 'workerd', 'Hermes', 'Metro', 'chromium', 'mosquitto']) expect(notice).toContain(what);
    expect(notice).toMatch(/about 580 MB/);
    expect(notice).toContain('scripts/runtimes/node_modules');
    expect(notice).toContain('APSARAMQ_SKIP_RUNTIMES=1 npm test');
    expect(notice).toMatch(/not run, never as passed/);
  });

  it('names a runtime for every package scripts/runtimes.sh installs', () => {
    const named: Record<string, string> = { '@oven/': 'Bun', '@deno/': 'Deno', '@cloudflare/workerd': 'workerd', hermes: 'Hermes', metro: 'Metro', '@babel/': 'Babel' };
    const development = README.slice(README.indexOf("- **What `npm test` downloads"), README.indexOf('- **`npm test` beside `npm start`'));
    for (const name of Object.keys(RUNTIMES.dependencies)) {
      const runtime = Object.entries(named).find(([prefix]) => name.startsWith(prefix) || name.includes(prefix))?.[1];
      expect(runtime, `${name} has a name in README`).toBeDefined();
      expect(development, `README's Development section names ${runtime} (${name})`).toContain(runtime);
    }
  });

  it('APSARAMQ_SKIP_RUNTIMES=1: runtimes.sh installs nothing and says in capitals what will not run', async () => {
    const { stdout } = await run('bash', [join(ROOT, 'scripts/runtimes.sh')], { env: { ...process.env, APSARAMQ_SKIP_RUNTIMES: '1' }, timeout: 30_000 });
    expect(stdout).toContain('runtimes: SKIPPED (APSARAMQ_SKIP_RUNTIMES=1)');
    expect(stdout).toContain('e2e/runtimes.test.ts and e2e/react-native.test.ts will not run (reported as not run, never as passed)');
  });

  it('check.sh leaves exactly those suites out on request and hands them to the summary as not run', () => {
    const check = readFileSync(join(ROOT, 'scripts/check.sh'), 'utf8');
    expect(check).toContain('runtime_suites=(e2e/runtimes.test.ts e2e/react-native.test.ts)');
    expect(check).toMatch(/summary\+=\(--not-run "\$suite"\)/);
  });
});
