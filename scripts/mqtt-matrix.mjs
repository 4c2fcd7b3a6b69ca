#!/usr/bin/env node
/**
 * Runs the managed connection's suites (vitest's `mqtt-release` project: unit, contract, e2e and the
 * refusal scenarios) against every minor release of mqtt.js that `peerDependencies.mqtt` admits: the
 * newest patch of each minor, and the lowest version of the range itself (what a lockfile may hold),
 * each installed into its own folder under .tmp/mqtt-matrix/, then
 * `MQTT_UNDER_TEST=<that folder>/node_modules/mqtt vitest run --project mqtt-release`. Prints a
 * Markdown table (release, passed, failed, seconds) and exits non-zero if any release failed.
 *
 *   node scripts/mqtt-matrix.mjs            every minor of the range
 *   node scripts/mqtt-matrix.mjs 5.10 5.16  only these minors (or exact versions: 5.10.0)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const range = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).peerDependencies.mqtt;
const only = process.argv.slice(2);

const byVersion = (a, b) => a.localeCompare(b, 'en', { numeric: true });

/** The lowest version npm has for the range, then the newest patch of each minor, in order. */
function minors() {
  const all = [].concat(JSON.parse(execFileSync('npm', ['view', `mqtt@${range}`, 'version', '--json'], { encoding: 'utf8' }))).sort(byVersion);
  const newest = new Map();
  for (const version of all) newest.set(version.split('.').slice(0, 2).join('.'), version); // sorted: the last one wins
  const picked = [...new Set([all[0], ...newest.values()])].sort(byVersion);
  return picked.filter((version) => only.length === 0 || only.includes(version) || only.includes(version.split('.').slice(0, 2).join('.')));
}

/** Installs mqtt@version into its own folder (kept between runs); returns the package folder. */
function install(version) {
  const folder = join(root, '.tmp', 'mqtt-matrix', version);
  const pkg = join(folder, 'node_modules', 'mqtt');
  if (!existsSync(join(pkg, 'package.json'))) {
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: `mqtt-matrix-${version}`, private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--ignore-scripts', `mqtt@${version}`], { cwd: folder, stdio: 'ignore' });
  }
  return pkg;
}

/** Runs the project against one release; counts from vitest's JSON report. */
function run(version, pkg) {
  const report = join(root, '.tmp', 'mqtt-matrix', `${version}.json`);
  rmSync(report, { force: true });
  const started = Date.now();
  const result = spawnSync('npx', ['--no-install', 'vitest', 'run', '--project', 'mqtt-release', '--reporter=json', `--outputFile.json=${report}`], {
    cwd: root,
    env: { ...process.env, MQTT_UNDER_TEST: pkg, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  if (!existsSync(report)) return { version, passed: 0, failed: 1, seconds, note: `vitest exited ${result.status} without a report` };
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const failures = r.testResults.flatMap((file) => file.assertionResults.filter((a) => a.status === 'failed').map((a) => a.fullName));
  return { version, passed: r.numPassedTests, failed: r.numFailedTests + (result.status !== 0 && r.numFailedTests === 0 ? 1 : 0), seconds, note: failures.slice(0, 3).join('; ') };
}

const rows = [];
for (const version of minors()) {
  process.stderr.write(`mqtt ${version}: installing… `);
  const pkg = install(version);
  process.stderr.write('testing… ');
  const row = run(version, pkg);
  process.stderr.write(`${row.passed} passed, ${row.failed} failed (${row.seconds} s)\n`);
  rows.push(row);
}

console.log(`mqtt.js ${range} (its lowest version, and the newest patch of each minor), vitest --project mqtt-release\n`);
console.log('| mqtt.js | passed | failed | seconds | failing tests |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.version} | ${r.passed} | ${r.failed} | ${r.seconds} | ${r.note || ''} |`);
process.exitCode = rows.every((r) => r.failed === 0) ? 0 : 1;
