/**
 * The app Hermes runs, bundled by Metro or by esbuild (see bundle.ts): it imports the package by
 * name, as an app's code does, and hands it to the suites, loaded before it as their own script
 * (`__suites`, see hermes-suites.mjs), so the engine is checked before the package loads.
 */
import * as api from 'apsaramq-mqtt-auth';

globalThis.__suites.run(api);
