#!/usr/bin/env node
/**
 * No test listens on a fixed port: `npm test` runs beside `npm start` (8080, 1883, 8883, 8083, 8084,
 * 8088) and beside another `npm test`. Reads every test source (test/, e2e/) and fails, naming file and
 * line, where one
 * - starts `scripts/start.mjs` without `EPHEMERAL_START_PORTS` (every DEMO_*_PORT set to 0);
 * - sets a `DEMO_*_PORT` variable to anything but 0 (other than for `readStartSettings`, which binds nothing);
 * - passes a broker port flag (`--tcp-port 1883`, `--tls-port=8883`, …) anything but 0 or a variable;
 * - gives `startBroker` a port (`tlsPort: 8883`) anything but 0, false or a variable;
 * - calls `.listen(<number>)` with anything but 0.
 * The run itself checks the same from the other side: the default ports are taken while the tests run
 * (test/helpers/hold-start-ports.ts), so a bind this misses fails with EADDRINUSE (e2e/ports.test.ts).
 *
 *   node scripts/check-ports.mjs          exit 1 and one line per finding, or a one-line summary
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FOLDERS = ['test', 'e2e'];
/** A port number other than 0, captured; numbers past 65535 are refusal tests of the flags, never bound. */
const FIXED = '([1-9]\\d*)';

/** Line rules: a pattern that finds a fixed port, and what to say. */
const RULES = [
  { pattern: new RegExp(`\\bDEMO_\\w+_PORT['"]?\\s*:\\s*['"]?${FIXED}`), unless: /readStartSettings\(/, say: 'sets a DEMO_*_PORT to a fixed port: spread EPHEMERAL_START_PORTS (e2e/helpers/ports.ts)' },
  { pattern: new RegExp(`--(?:tcp|tls|ws|wss|http)-port(?:=|['"],\\s*['"])${FIXED}\\b`), say: 'passes a fixed broker port flag: pass 0 (a free port) or a port from freePorts()' },
  { pattern: new RegExp(`\\b(?:tcp|tls|ws|wss|http)Port\\s*:\\s*${FIXED}\\b`), when: /startBroker\(/, say: 'gives startBroker a fixed port: leave it out (0, a free port) or use freePorts()' },
  { pattern: new RegExp(`\\.listen\\(\\s*${FIXED}\\b`), say: 'listens on a fixed port: listen on 0 and read the port back' },
];

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (/\.(?:[cm]?[jt]s|py)$/.test(entry.name)) yield path;
  }
}

const findings = [];
let scanned = 0;
for (const folder of FOLDERS) {
  for (const path of files(join(ROOT, folder))) {
    scanned++;
    const text = readFileSync(path, 'utf8');
    const name = relative(ROOT, path);
    if (/['"]scripts\/start\.mjs['"]/.test(text) && !text.includes('EPHEMERAL_START_PORTS')) findings.push(`${name}: starts scripts/start.mjs without EPHEMERAL_START_PORTS: its default ports are npm start's`);
    text.split('\n').forEach((line, index) => {
      for (const rule of RULES) {
        const port = rule.pattern.exec(line)?.[1];
        if (port && Number(port) <= 65535 && (!rule.when || rule.when.test(line)) && !(rule.unless && rule.unless.test(line))) findings.push(`${name}:${index + 1}: ${rule.say}\n    ${line.trim()}`);
      }
    });
  }
}

if (findings.length) {
  console.error(`${findings.length} fixed port(s) in the tests (npm test must run beside npm start and beside another npm test):`);
  for (const finding of findings) console.error(`  ${finding}`);
  process.exitCode = 1;
} else {
  console.log(`no test listens on a fixed port (${scanned} files in ${FOLDERS.join('/, ')}/)`);
}
