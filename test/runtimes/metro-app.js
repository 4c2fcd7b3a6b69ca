/**
 * The app Metro bundles (see bundleWithMetro in bundle.ts): it imports the package by name, as an
 * app's code does, and hands it to the suites, which were loaded before it as their own script
 * (`__suites`, see hermes-suites.mjs).
 */
import * as api from 'apsaramq-mqtt-auth';

globalThis.__suites.run(api);
