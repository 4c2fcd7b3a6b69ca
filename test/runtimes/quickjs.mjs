#!/usr/bin/env node
/**
 * Runs the portable suites in QuickJS (through quickjs-emscripten): a non-V8 engine with ECMAScript
 * built-ins only, no TextEncoder/TextDecoder, btoa/atob, crypto, URL, timers or console. Prints one
 * line `RESULTS <json>` (see harness.ts `TestResult`).
 *
 *   node test/runtimes/quickjs.mjs <suites.js> umd <file.umd.js>
 *   node test/runtimes/quickjs.mjs <suites.js> esm <entry.js>
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getQuickJS, shouldInterruptAfterDeadline } from 'quickjs-emscripten';

const [suitesFile, kind, entry] = process.argv.slice(2);
const DEADLINE_MS = 240_000;

const QuickJS = await getQuickJS();
const runtime = QuickJS.newRuntime();
runtime.setMemoryLimit(1024 * 1024 * 1024);
runtime.setMaxStackSize(4 * 1024 * 1024);
runtime.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + DEADLINE_MS));
// ES modules by absolute path: relative specifiers from the importing file, bare ones (@noble/hashes) from node_modules.
runtime.setModuleLoader(
  (name) => readFileSync(name, 'utf8'),
  (base, requested) => (requested.startsWith('.') || requested.startsWith('/') ? resolve(dirname(base), requested) : createRequire(pathToFileURL(base)).resolve(requested)),
);
const vm = runtime.newContext();

const missing = vm.dump(vm.unwrapResult(vm.evalCode(`['TextEncoder', 'TextDecoder', 'btoa', 'atob', 'crypto', 'URL', 'setTimeout', 'process', 'console', 'fetch', 'Buffer'].filter((n) => typeof globalThis[n] !== 'undefined')`)));
if (missing.length) throw new Error(`QuickJS is not bare here: it has ${missing.join(', ')}`);

let reported;
const report = vm.newFunction('report', (json) => void (reported = vm.getString(json)));
vm.setProp(vm.global, '__report', report);
report.dispose();

const run = (code, filename, type) => {
  const result = vm.evalCode(code, filename, { type });
  if (result.error) {
    const error = vm.dump(result.error);
    result.error.dispose();
    throw new Error(`${filename}: ${error?.message ?? JSON.stringify(error)}\n${error?.stack ?? ''}`);
  }
  result.value.dispose();
};

let results;
try {
  run(readFileSync(suitesFile, 'utf8'), suitesFile, 'global');
  const start = `(api) => __suites.runSuites(api, { backend: 'noble', oracle: 'crypto-js' }).then((r) => __report(JSON.stringify(r)), (e) => __report(JSON.stringify([{ name: 'run', ok: false, error: String(e && e.stack || e) }])))`;
  if (kind === 'umd') {
    run(readFileSync(entry, 'utf8'), entry, 'global');
    run(`(${start})(globalThis.ApsaraMqttAuth)`, 'start.js', 'global');
  } else {
    run(`import * as api from ${JSON.stringify(resolve(entry))}; (${start})(api);`, resolve(dirname(entry), '__start.mjs'), 'module');
  }
  // No event loop here: the promises settle as their jobs run.
  while (reported === undefined) {
    const jobs = runtime.executePendingJobs();
    if (jobs.error) {
      const error = vm.dump(jobs.error);
      jobs.error.dispose();
      throw new Error(`a pending job threw: ${error?.message ?? JSON.stringify(error)}`);
    }
    if (jobs.value === 0 && reported === undefined) throw new Error('the suites stopped with nothing left to run (a promise that never settles)');
  }
  results = JSON.parse(reported);
} catch (error) {
  results = [{ name: `QuickJS ${kind} ${entry}`, ok: false, error: String(error?.stack ?? error) }];
}
process.stdout.write(`RESULTS ${JSON.stringify(results)}\n`);
// Not disposed: the engine goes with this process, and freeing a runtime that still holds the
// suites' objects only trips QuickJS's leak assertion.
