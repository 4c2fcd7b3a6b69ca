/**
 * scripts/check-summary.mjs, the end of check.sh: vitest's counts and the checks' counts are printed
 * before the closing line CI reads, which is their sum; a failed check, a vitest run that did not load
 * a suite, or one with no report fails the run; suites left out (APSARAMQ_SKIP_RUNTIMES=1) are named
 * and counted as skipped, never as passed. Run as check.sh runs it, on a report vitest wrote.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { summarize } from '../../scripts/check-summary.mjs';

const run = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, '../../scripts/check-summary.mjs');
const dir = mkdtempSync(join(tmpdir(), 'check-summary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The counts of a vitest JSON report (the fields check.sh reads). */
const report = (passed: number, failed: number, pending = 0, todo = 0) => ({ numPassedTests: passed, numFailedTests: failed, numPendingTests: pending, numTodoTests: todo });

describe('the closing line of check.sh', () => {
  it("is the sum of vitest's counts and the checks', each printed before it (the issue's 5326 = 5320 tests + 6 checks)", () => {
    const { lines, ok } = summarize({ report: report(5320, 0, 6), vitestExit: 0, checks: { passed: 6, failed: 0 } });
    expect(lines).toEqual([
      'vitest: 5320 passed, 0 failed, 6 skipped',
      'checks: 6 passed, 0 failed (typecheck, build, budgets, API reports and reference, fixed ports; each counts as one test)',
      '5326 passed, 0 failed, 6 skipped',
    ]);
    expect(ok).toBe(true);
  });

  it('a failed check is a failure of the run, named', () => {
    const { lines, ok, failed } = summarize({ report: report(5320, 0), vitestExit: 0, checks: { passed: 6, failed: 1, failedNames: ['build'] } });
    expect(ok).toBe(false);
    expect(failed).toBe(1);
    expect(lines.slice(-2)).toEqual(['failed: build', '5326 passed, 1 failed, 0 skipped']);
  });

  it('a vitest run that exited non-zero with no failed test (a suite that did not load), or wrote no report, is a failure', () => {
    expect(summarize({ report: report(10, 0), vitestExit: 1, checks: { passed: 7, failed: 0 } }).lines.at(-1)).toBe('17 passed, 1 failed, 0 skipped');
    const none = summarize({ report: undefined, vitestExit: 1, checks: { passed: 7, failed: 0 } });
    expect(none.ok).toBe(false);
    expect(none.lines).toContain('vitest: wrote no report (exit 1): counted as 1 failed');
  });

  it('suites left out by APSARAMQ_SKIP_RUNTIMES=1 are named NOT RUN and counted as skipped, not as passed', () => {
    const { lines, passed, skipped } = summarize({ report: report(100, 0), vitestExit: 0, checks: { passed: 7, failed: 0 }, notRun: ['e2e/runtimes.test.ts', 'e2e/react-native.test.ts'] });
    expect(passed).toBe(107);
    expect(skipped).toBe(2);
    expect(lines).toContain('NOT RUN (APSARAMQ_SKIP_RUNTIMES=1): e2e/runtimes.test.ts, e2e/react-native.test.ts: counted as 2 skipped, not as passed');
  });

  it('as check.sh runs it: the closing line is the last line, and the exit code says whether anything failed', async () => {
    const file = join(dir, 'vitest.json');
    writeFileSync(file, JSON.stringify({ ...report(40, 0, 1), numTotalTests: 41 }));
    const ok = await run(process.execPath, [SCRIPT, '--report', file, '--vitest-exit', '0', '--checks-passed', '7', '--checks-failed', '0']);
    expect(ok.stdout.trim().split('\n').at(-1)).toBe('47 passed, 0 failed, 1 skipped');
    const failedCheck = await run(process.execPath, [SCRIPT, '--report', file, '--vitest-exit', '0', '--checks-passed', '6', '--checks-failed', '1', '--failed-check', 'bundle budgets']).catch((error: { code: number; stdout: string }) => error);
    expect('code' in failedCheck && failedCheck.code).toBe(1);
    expect(failedCheck.stdout.trim().split('\n').slice(-2)).toEqual(['failed: bundle budgets', '46 passed, 1 failed, 1 skipped']);
  });
});
