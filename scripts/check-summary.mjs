#!/usr/bin/env node
/**
 * The end of scripts/check.sh: vitest's own counts, the checks' counts, then the line CI reads,
 * `N passed, N failed, N skipped`, which is their sum, so each number can be traced:
 *
 *   vitest: 5320 passed, 0 failed, 6 skipped
 *   checks: 7 passed, 0 failed (…; each counts as one test)
 *   5327 passed, 0 failed, 6 skipped
 *
 * A failed check is a failure of the run like a failed test; so is a vitest run that exited non-zero
 * with no failed test (a suite that did not load) or wrote no report. Suites left out on request
 * (APSARAMQ_SKIP_RUNTIMES=1) are named on a line of their own and counted as skipped, never as passed.
 *
 *   node scripts/check-summary.mjs --report .tmp/vitest.json --vitest-exit 0 --checks-passed 7 --checks-failed 0 \
 *     [--failed-check NAME]... [--not-run SUITE]...
 * Exit 0 when nothing failed, 1 otherwise.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** What the checks are, for the line that counts them. */
export const CHECK_NAMES = 'typecheck, build, budgets, API reports and reference, fixed ports';

/**
 * The summary lines and whether the run passed.
 * @param {{ report?: { numPassedTests: number, numFailedTests: number, numPendingTests: number, numTodoTests: number },
 *   vitestExit: number, checks: { passed: number, failed: number, failedNames?: string[] }, notRun?: string[] }} input
 *   `report`: vitest's JSON report, absent when it wrote none.
 * @returns {{ lines: string[], ok: boolean, passed: number, failed: number, skipped: number }}
 */
export function summarize({ report, vitestExit, checks, notRun = [] }) {
  const failures = [...(checks.failedNames ?? [])];
  let passed = checks.passed;
  let failed = checks.failed;
  let skipped = 0;
  const lines = [];
  if (report) {
    const v = { passed: report.numPassedTests, failed: report.numFailedTests, skipped: report.numPendingTests + report.numTodoTests };
    passed += v.passed;
    failed += v.failed;
    skipped += v.skipped;
    lines.push(`vitest: ${v.passed} passed, ${v.failed} failed, ${v.skipped} skipped`);
    if (vitestExit !== 0 && v.failed === 0) {
      failed += 1;
      failures.push(`vitest exited ${vitestExit} with no failed test (a suite that did not load): counted as 1 failed`);
    }
  } else {
    failed += 1;
    lines.push(`vitest: wrote no report (exit ${vitestExit}): counted as 1 failed`);
  }
  lines.push(`checks: ${checks.passed} passed, ${checks.failed} failed (${CHECK_NAMES}; each counts as one test)`);
  if (notRun.length) {
    skipped += notRun.length;
    lines.push(`NOT RUN (APSARAMQ_SKIP_RUNTIMES=1): ${notRun.join(', ')}: counted as ${notRun.length} skipped, not as passed`);
  }
  if (failures.length) lines.push(`failed: ${failures.join('; ')}`);
  lines.push(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return { lines, ok: failed === 0, passed, failed, skipped };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      report: { type: 'string' },
      'vitest-exit': { type: 'string' },
      'checks-passed': { type: 'string' },
      'checks-failed': { type: 'string' },
      'failed-check': { type: 'string', multiple: true },
      'not-run': { type: 'string', multiple: true },
    },
  });
  let report;
  try {
    report = JSON.parse(readFileSync(values.report ?? '', 'utf8'));
  } catch {
    report = undefined;
  }
  const { lines, ok } = summarize({
    report,
    vitestExit: Number(values['vitest-exit'] ?? 1),
    checks: { passed: Number(values['checks-passed'] ?? 0), failed: Number(values['checks-failed'] ?? 0), failedNames: values['failed-check'] ?? [] },
    notRun: values['not-run'] ?? [],
  });
  console.log(`\n${lines.join('\n')}`);
  process.exitCode = ok ? 0 : 1;
}
