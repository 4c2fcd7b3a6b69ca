#!/usr/bin/env node
/**
 * Runs the portable suites in a `node:vm` context that holds only ECMAScript built-ins: no
 * TextEncoder/TextDecoder, btoa/atob, crypto, URL, timers, process or Buffer (V8's own console
 * object is there, and prints nothing), like a WeChat or
 * Alipay mini-program or React Native before 0.74. Needs `node --experimental-vm-modules` for the
 * ESM builds. Prints one line `RESULTS <json>` (see harness.ts `TestResult`).
 *
 *   node --experimental-vm-modules test/runtimes/vm.mjs <suites.js> umd <file.umd.js>
 *   node --experimental-vm-modules test/runtimes/vm.mjs <suites.js> esm <entry.js>
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';

const [suitesFile, kind, entry] = process.argv.slice(2);
const context = vm.createContext({});

const missing = vm.runInContext(`['TextEncoder', 'TextDecoder', 'btoa', 'atob', 'crypto', 'URL', 'setTimeout', 'process', 'fetch', 'Buffer'].filter((name) => typeof globalThis[name] !== 'undefined')`, context);
if (missing.length) throw new Error(`the context is not bare: it has ${missing.join(', ')}`);

vm.runInContext(readFileSync(suitesFile, 'utf8'), context, { filename: suitesFile });

async function loadApi() {
  if (kind === 'umd') {
    // A classic script, as a mini-program's require or a <script> tag runs it: it defines the global.
    vm.runInContext(readFileSync(entry, 'utf8'), context, { filename: entry });
    return context.ApsaraMqttAuth;
  }
  // ES modules from dist/ and node_modules, linked by file path; import.meta.url is the file's URL.
  const modules = new Map();
  const load = (file) => {
    let module = modules.get(file);
    if (!module) {
      module = new vm.SourceTextModule(readFileSync(file, 'utf8'), {
        context,
        identifier: pathToFileURL(file).href,
        initializeImportMeta: (meta) => void (meta.url = pathToFileURL(file).href),
        importModuleDynamically: (specifier) => link(specifier, file),
      });
      modules.set(file, module);
    }
    return module;
  };
  const locate = (specifier, from) => (specifier.startsWith('.') ? resolve(dirname(from), specifier) : createRequire(pathToFileURL(from)).resolve(specifier));
  async function link(specifier, from) {
    const module = load(locate(specifier, from));
    if (module.status === 'unlinked') await module.link((s, parent) => load(locate(s, fileURLToPath(parent.identifier))));
    if (module.status === 'linked') await module.evaluate();
    return module;
  }
  return (await link(resolve(entry), resolve(entry))).namespace;
}

let results;
try {
  const api = await loadApi();
  results = await context.__suites.runSuites(api, { backend: 'noble', oracle: 'crypto-js' });
} catch (error) {
  results = [{ name: `load ${kind} ${entry}`, ok: false, error: String(error?.stack ?? error) }];
}
process.stdout.write(`RESULTS ${JSON.stringify(results)}\n`);
