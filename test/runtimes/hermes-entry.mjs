/**
 * The script Hermes runs (see bundleForHermes in bundle.ts): the portable suites against the package
 * as a React Native bundler resolves it by name (the `react-native` export condition:
 * dist/browser/index.js), with crypto-js as the oracle. Hermes's command-line VM has no `console`:
 * it prints one line `RESULTS <json>`, whose first result names the engine. Plain JavaScript: the
 * package name resolves only once dist/ is built.
 */
import { ENGINE } from './hermes-bare.mjs';
import * as api from 'apsaramq-mqtt-auth';
import { runSuites } from './suites-entry.ts';

const done = (results) => print(`RESULTS ${JSON.stringify([{ name: `the engine is ${ENGINE}`, ok: true }, ...results])}`);
runSuites(api, { backend: 'noble', oracle: 'crypto-js' }).then(done, (error) => done([{ name: 'run the suites', ok: false, error: String(error?.stack ?? error) }]));
