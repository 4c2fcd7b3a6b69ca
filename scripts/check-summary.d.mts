/** Types of check-summary.mjs, for its test. */
export declare const CHECK_NAMES: string;
export interface VitestCounts {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}
export declare function summarize(input: {
  report?: VitestCounts;
  vitestExit: number;
  checks: { passed: number; failed: number; failedNames?: string[] };
  notRun?: string[];
}): { lines: string[]; ok: boolean; passed: number; failed: number; skipped: number };
