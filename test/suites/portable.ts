/**
 * Every portable suite, for one API under test: the sources, or any built bundle (ESM, CJS, UMD), in
 * Node or in Chromium. Runtimes that have them pass Node's crypto as an independent oracle and
 * util.inspect for the leak checks.
 */
import type { Api } from './api.js';
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
}

export function portableSuites(api: Api, { oracle, inspect }: PortableOptions = {}): void {
  hmacSuite(api);
  credentialsSuite(api);
  errorsSuite(api, inspect);
  connectOptionsSuite(api);
  propertySuite(api, oracle);
  signerSuite(api, inspect);
  explainSuite(api);
}
