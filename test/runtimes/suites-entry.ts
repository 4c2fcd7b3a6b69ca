/**
 * What every runtime launcher runs: the portable suites (and, where the runtime serves HTTP, the
 * credential-handler suite) against the API it was given, collected by harness.ts instead of vitest.
 * Built by bundle.ts into one file per format.
 */
import type { Api, BackendName } from '../suites/api.js';
import { credentialHandlerSuite, type ServerApi } from '../suites/credential-handler.suite.js';
import { openApiV3Suite } from '../suites/openapi-v3.suite.js';
import { portableSuites } from '../suites/portable.js';
import type { Oracle } from '../suites/property.suite.js';
import { cryptoJsOracle } from './crypto-js-oracle.js';
import { runRegistered, type TestResult } from './harness.js';

export type { TestResult };

export interface RunOptions {
  /** The HMAC backend the default must pick in this runtime and build. */
  backend?: BackendName;
  /** An independent HMAC; `crypto-js` (pure JavaScript) when the runtime offers none. */
  oracle?: Oracle | 'crypto-js';
  inspect?: (v: unknown) => string;
  /** The server entry, for runtimes that serve HTTP (a `Request`/`Response` pair). */
  server?: ServerApi;
  /** `script`: the main script-tag build, without the batch signer and the diagnostics. */
  surface?: 'entry' | 'script';
  /** Called after each test, for launchers that stream results. */
  onResult?: (result: TestResult) => void;
}

export function runSuites(api: Api, { backend, oracle, inspect, server, surface, onResult }: RunOptions = {}): Promise<TestResult[]> {
  portableSuites(api, { backend, inspect, surface, oracle: oracle === 'crypto-js' ? cryptoJsOracle : oracle });
  if (server) {
    credentialHandlerSuite(server);
    openApiV3Suite(server);
  }
  return runRegistered(onResult);
}
