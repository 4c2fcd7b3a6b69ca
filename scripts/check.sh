#!/usr/bin/env bash
# Every check the project has, in order, each counted: typecheck, build, bundle budgets, the source
# checks, then every vitest project. Prints vitest's own counts and the checks' counts, then the plain
# line `N passed, N failed, N skipped`: their sums (a failed check is a failure like a failed test).
# APSARAMQ_SKIP_RUNTIMES=1 leaves out the suites that need scripts/runtimes (Bun, Deno, workerd,
# Hermes): they are counted as skipped and named, never as passed.
set -uo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1 FORCE_COLOR=0 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
mkdir -p .tmp
failures=() checks_started=$(date +%s)
check_passed=0 check_failed=0

step() { # step NAME COMMAND...: a check that counts as one test
  local name=$1 start; shift
  echo "::: $name"
  start=$(date +%s)
  if "$@"; then check_passed=$((check_passed + 1)); else check_failed=$((check_failed + 1)); failures+=("$name"); fi
  echo "::: $name: $(( $(date +%s) - start )) s"
}

step "typecheck (all code, Node types)" npx --no-install tsc --noEmit -p tsconfig.json
step "typecheck (client API without Node types)" npx --no-install tsc --noEmit -p tsconfig.browser.json
# ARCHITECTURE.md's layer rule on src/'s import graph: no import against the layer table, no circle.
step "layers (no upward import, no circle)" node scripts/layers.mjs
step "no two files of src/ share a name" node scripts/basenames.mjs
step "build" npm run --silent build
[ -f scripts/budgets.mjs ] && step "bundle budgets" node scripts/budgets.mjs
# The public surface and its reference are checked in: a change to either without `npm run api:update` fails here.
step "API reports (api/*.api.md) match the built declarations" node scripts/api-report.mjs --check
step "API reference (docs/api/) builds warning-free and is current" node scripts/docs.mjs --check
step "no test listens on a fixed port (npm test beside npm start)" node scripts/check-ports.mjs

# The suites that need the runtimes of scripts/runtimes.sh, left out on request (see README, Development).
runtime_suites=(e2e/runtimes.test.ts e2e/react-native.test.ts)
exclude=()
if [ "${APSARAMQ_SKIP_RUNTIMES:-}" = 1 ]; then
  for suite in "${runtime_suites[@]}"; do exclude+=(--exclude "$suite"); done
fi

report=.tmp/vitest.json
rm -f "$report"
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$report" "${exclude[@]}" "$@"
vitest_rc=$?

echo "(check.sh took $(( $(date +%s) - checks_started )) s)"
summary=(--report "$report" --vitest-exit "$vitest_rc" --checks-passed "$check_passed" --checks-failed "$check_failed")
for name in "${failures[@]}"; do summary+=(--failed-check "$name"); done
if [ ${#exclude[@]} -gt 0 ]; then for suite in "${runtime_suites[@]}"; do summary+=(--not-run "$suite"); done; fi
# vitest's counts, the checks' counts, and last the line CI reads: their sums (scripts/check-summary.mjs).
node scripts/check-summary.mjs "${summary[@]}"
