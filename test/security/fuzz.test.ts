/**
 * The fuzz suite: every function exported by each entry of the package (`.`, `./server`,
 * `./broker`), found at run time, and the methods of what they return. Runs per function are in
 * each test's name; `FUZZ_RUNS=100000 npx vitest run --project security test/security/fuzz.test.ts`
 * runs a large campaign (I/O functions get a tenth).
 */
import { afterAll, beforeAll } from 'vitest';
import * as client from '../../src/index.js';
import * as server from '../../src/server/server-entry.js';
import * as broker from '../../src/broker/broker-entry.js';
import { fuzzEntry, fuzzStats } from './fuzz/harness.js';
import { loadEntries } from './fuzz/seeds.js';
import { describeArgs, fakeMqtt } from './fuzz/values.js';

const realFetch = globalThis.fetch;
const g = globalThis as { mqtt?: unknown };

beforeAll(async () => {
  await loadEntries();
  // Nothing fuzzed may reach a network: calls that fall back to the global fetch or to mqtt.js get
  // stand-ins that answer locally (the fetch fails quoting what it was asked, so a secret in a
  // request would show in any error that kept it).
  globalThis.fetch = (async (...args: unknown[]) => {
    throw new TypeError(`fetch failed: ${describeArgs(args)}`);
  }) as typeof fetch;
  g.mqtt = fakeMqtt();
});
afterAll(() => {
  globalThis.fetch = realFetch;
  delete g.mqtt;
  // How deep the campaign got: calls that returned vs. calls refused with a typed error.
  if (process.env.FUZZ_STATS) console.log(fuzzStats());
});

fuzzEntry('apsaramq-mqtt-auth', client);
fuzzEntry('apsaramq-mqtt-auth/server', server);
fuzzEntry('apsaramq-mqtt-auth/broker', broker);
