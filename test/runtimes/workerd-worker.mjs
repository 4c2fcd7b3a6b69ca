/**
 * The worker `workerd test` runs: the portable suites against the package as a Workers bundler
 * resolves it by name (conditions workerd, worker, browser: dist/browser/index.js), and the
 * credential handler from `apsaramq-mqtt-auth/server`, fed real `Request`s. It logs one line
 * `RESULTS <json>` and throws if anything failed, so workerd's own verdict agrees. Plain JavaScript:
 * the package names resolve only once dist/ is built (see bundle.ts).
 */
import * as api from 'apsaramq-mqtt-auth';
import * as server from 'apsaramq-mqtt-auth/server';
import { runSuites } from './suites-entry.ts';

export default {
  async test() {
    // No `process` in Workers (without nodejs_compat): WebCrypto is the default there.
    const results = await runSuites(api, { backend: 'webcrypto', server });
    console.log(`RESULTS ${JSON.stringify(results)}`);
    const failed = results.filter((r) => !r.ok).length;
    if (failed) throw new Error(`${failed} of ${results.length} tests failed`);
  },
};
