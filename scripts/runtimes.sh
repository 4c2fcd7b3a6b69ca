#!/usr/bin/env bash
# Installs Bun, Deno and workerd for the runtime tests (e2e/runtimes.test.ts), and for
# e2e/react-native.test.ts Hermes 0.12, React Native 0.70's Babel preset and Metro, and today's Hermes
# compiler, from their npm packages into scripts/runtimes/node_modules (gitignored): about 580 MB,
# test-only, never a dependency of the package. Versions are pinned in scripts/runtimes/package.json and its lockfile.
# Skipped when the pinned versions are already there. See RUNTIMES.md.
set -euo pipefail
cd "$(dirname "$0")/runtimes"
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
# Both the package's and this folder's npm settings are kept (registry, cache); a lockfile install.
npm install --no-audit --no-fund --no-save --loglevel=error >/dev/null
echo "runtimes: installed $want in $(( $(date +%s) - start )) s"
