#!/usr/bin/env bash
# Every check the project has, in order, each counted: typecheck, build, bundle budgets, then every
# vitest project. Ends with the plain line `N passed, N failed, N skipped` (checks + tests).
set -uo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1 FORCE_COLOR=0 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
mkdir -p .tmp
passed=0 failed=0 skipped=0 failures=()

step() { # step NAME COMMAND...: a check that counts as one test
  local name=$1; shift
  echo "::: $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
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

report=.tmp/vitest.json
rm -f "$report"
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
vitest_rc=$?
if [ -f "$report" ]; then
  read -r p f s < <(node -e 'const r=require(require("path").resolve(process.argv[1]));console.log(r.numPassedTests,r.numFailedTests,r.numPendingTests+r.numTodoTests)' "$report")
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  # A suite that fails to load has no tests to count: count it as a failure.
  if [ "$vitest_rc" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); failures+=("vitest exited $vitest_rc"); fi
else
  failed=$((failed + 1)); failures+=("vitest wrote no report")
fi

[ ${#failures[@]} -gt 0 ] && printf 'failed checks: %s\n' "${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
