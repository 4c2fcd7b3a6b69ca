/**
 * The suites' side of a Hermes run: the engine check (hermes-bare.mjs, first, before anything else
 * loads) and `run(api)`, which runs every portable suite against the API it is handed, with crypto-js
 * as the oracle, and prints one line `RESULTS <json>` (Hermes's command-line VM has `print`, no
 * `console`) whose first result names the engine. Bundled as a script defining `__suites`;
 * react-native-app.js, bundled after it, calls `__suites.run` with the package.
 */
import { ENGINE } from './hermes-bare.mjs';
import { runSuites } from './suites-entry.ts';

export function run(api) {
  const done = (results) => print(`RESULTS ${JSON.stringify([{ name: `the engine is ${ENGINE}`, ok: true }, ...results])}`);
  return runSuites(api, { backend: 'noble', oracle: 'crypto-js' }).then(done, (error) => done([{ name: 'run the suites', ok: false, error: String(error?.stack ?? error) }]));
}
