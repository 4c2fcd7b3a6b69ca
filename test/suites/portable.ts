/**
 * Every portable suite, for one API under test: the sources, or any built bundle (ESM, CJS, UMD), in
 * Node, Chromium, Bun, Deno, workerd, a bare `node:vm` context or QuickJS. Runtimes that have them
 * pass an independent oracle (Node's crypto; crypto-js in bare engines) and util.inspect for the
 * leak checks; launchers of builds without the Node paths say which HMAC backend to expect.
 */
import { expect, it } from 'vitest';
import { expectedBackend, type Api, type BackendName } from './api.js';
import { connectOptionsSuite } from './connect-options.suite.js';
import { credentialsSuite } from './credentials.suite.js';
import { errorsSuite } from './errors.suite.js';
import { explainSuite } from './explain.suite.js';
import { hmacSuite } from './hmac.suite.js';
import { propertySuite, type Oracle } from './property.suite.js';
import { signerSuite } from './signer.suite.js';

export interface PortableOptions {
  oracle?: Oracle;
  inspect?: (v: unknown) => string;
  /** The HMAC backend the default must pick (see `expectedBackend`). */
  backend?: BackendName;
  /**
   * `script`: the main script-tag build (src/script.ts), which leaves the batch signer and the
   * diagnostics to the full build; their suites are replaced by a check that they are absent.
   */
  surface?: 'entry' | 'script';
}

/** What the main script-tag build leaves out (the full build and the ESM/CJS entries have them). */
export const NOT_IN_SCRIPT = ['nodeHmacSha1', 'createSigner', 'explainSignature', 'USERNAME_LABELS'] as const;

export function portableSuites(api: Api, { oracle, inspect, backend = expectedBackend(), surface = 'entry' }: PortableOptions = {}): void {
  hmacSuite(api, backend);
  credentialsSuite(api, backend);
  errorsSuite(api, inspect);
  connectOptionsSuite(api, backend, surface);
  propertySuite(api, backend, oracle);
  if (surface === 'script') {
    it(`the main script build leaves ${NOT_IN_SCRIPT.join(', ')} to the full build`, () => {
      for (const name of NOT_IN_SCRIPT) expect(api).not.toHaveProperty(name);
    });
    return;
  }
  signerSuite(api, backend, inspect);
  explainSuite(api, backend);
}
