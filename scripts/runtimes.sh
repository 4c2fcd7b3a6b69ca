#!/usr/bin/env bash
# Installs Bun, Deno and workerd for the runtime tests (e2e/runtimes.test.ts), and for
# e2e/react-native.test.ts Hermes 0.12, React Native 0.70's Babel preset and Metro, and today's Hermes
# compiler, from their npm packages into scripts/runtimes/node_modules (gitignored): about 580 MB,
# test-only, never a dependency of the package. Versions are pinned in scripts/runtimes/package.json and its lockfile.
# Skipped when the pinned versions are already there. APSARAMQ_SKIP_RUNTIMES=1 skips it, and check.sh then
# leaves those two suites out and reports them as not run. See RUNTIMES.md and README's Development section.
set -euo pipefail
cd "$(dirname "$0")/runtimes"
if [ "${APSARAMQ_SKIP_RUNTIMES:-}" = 1 ]; then
  echo "runtimes: SKIPPED (APSARAMQ_SKIP_RUNTIMES=1): Bun, Deno, workerd and Hermes are not installed, and"
  echo "runtimes: e2e/runtimes.test.ts and e2e/react-native.test.ts will not run (reported as not run, never as passed)"
  exit 0
fi
want=$(node -p 'Object.entries(require("./package.json").dependencies).map(([n, v]) => n + "@" + v).join(" ")')
have=$(node -e '
  const fs = require("fs");
  const deps = require("./package.json").dependencies;
  console.log(Object.keys(deps).map((n) => { try { return n + "@" + JSON.parse(fs.readFileSync("node_modules/" + n + "/package.json")).version } catch { return "" } }).join(" "));
')
if [ "$want" = "$have" ]; then
  echo "runtimes: $want already installed"
  exit 0
fi
start=$(date +%s)
echo "runtimes: downloading Bun, Deno, workerd, Hermes 0.12, Metro 0.72 and Babel for the runtime tests (about 580 MB,"
echo "runtimes: once) into scripts/runtimes/node_modules; APSARAMQ_SKIP_RUNTIMES=1 skips them for a quick run"
log=$(mktemp)
# Both the package's and this folder's npm settings are kept (registry, cache); a lockfile install.
npm install --no-audit --no-fund --no-save --loglevel=error >"$log" 2>&1 &
pid=$!
# npm shows no progress when its output is not a terminal (CI, npm test's pipes): say how far it got.
last=$start
while kill -0 "$pid" 2>/dev/null; do
  sleep 1
  now=$(date +%s)
  if [ $((now - last)) -ge 15 ] && kill -0 "$pid" 2>/dev/null; then
    last=$now
    echo "runtimes: $(du -sm node_modules 2>/dev/null | cut -f1 || echo 0) MB of about 580 so far ($((now - start)) s)"
  fi
done
if ! wait "$pid"; then
  cat "$log" >&2
  rm -f "$log"
  echo "runtimes: npm install failed after $(( $(date +%s) - start )) s (see above)" >&2
  exit 1
fi
rm -f "$log"
echo "runtimes: installed $want ($(du -sm node_modules | cut -f1) MB) in $(( $(date +%s) - start )) s"
