/**
 * Runs the portable suites and the credential-handler suite in Bun or Deno, against the built ESM
 * entries as a program there imports them (dist/index.js and dist/server.js, with node_modules for
 * @noble/hashes). Node's crypto is the oracle and util.inspect renders errors for the leak checks,
 * both through the runtime's own node: modules. Prints one line `RESULTS <json>`.
 *
 *   bun test/runtimes/esm.mjs <suites.mjs> <dist/index.js> <dist/server.js>
 *   deno run --allow-read --allow-env test/runtimes/esm.mjs <suites.mjs> <dist/index.js> <dist/server.js>
 */
import { createHmac } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';

const [suitesFile, entry, serverEntry] = globalThis.Deno?.args ?? process.argv.slice(2);
const url = (file) => pathToFileURL(file).href;

let results;
try {
  const { runSuites } = await import(url(suitesFile));
  const api = await import(url(entry));
  const server = await import(url(serverEntry));
  results = await runSuites(api, {
    // Bun and Deno have process.getBuiltinModule, so the default is node:crypto there, as in Node.
    backend: 'node',
    oracle: (key, message) => new Uint8Array(createHmac('sha1', key).update(message).digest()),
    inspect: (value) => inspect(value, { depth: 10, showHidden: true }),
    server,
  });
} catch (error) {
  results = [{ name: `load ${entry}`, ok: false, error: String(error?.stack ?? error) }];
}
console.log(`RESULTS ${JSON.stringify(results)}`);
