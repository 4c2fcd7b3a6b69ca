/**
 * Every portable suite, for one API under test: the sources, or any built bundle (ESM, CJS, UMD), in
 * Node, Chromium, Bun, Deno, workerd, a bare `node:vm` context or QuickJS. Runtimes that have them
 * pass an independent oracle (Node's crypto; crypto-js in bare engines) and util.inspect for the
 * leak checks; launchers of builds without the Node paths say which HMAC backend to expect.
 */
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
}

export function portableSuites(api: Api, { oracle, inspect, backend = expectedBackend() }: PortableOptions = {}): void {
  hmacSuite(api, backend);
  credentialsSuite(api, backend);
  errorsSuite(api, inspect);
  connectOptionsSuite(api);
  propertySuite(api, backend, oracle);
  signerSuite(api, backend, inspect);
  explainSuite(api, backend);
}
