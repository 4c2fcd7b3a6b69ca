/**
 * The whole portable suite against the TypeScript sources. Runs in Node (project "unit") and in
 * Chromium (project "browser"), unchanged.
 */
import * as api from '../../src/index.js';
import { connectOptionsSuite } from '../suites/connect-options.suite.js';
import { credentialsSuite } from '../suites/credentials.suite.js';
import { explainSuite } from '../suites/explain.suite.js';
import { errorsSuite } from '../suites/errors.suite.js';
import { hmacSuite } from '../suites/hmac.suite.js';
import { propertySuite } from '../suites/property.suite.js';
import { signerSuite } from '../suites/signer.suite.js';

hmacSuite(api);
credentialsSuite(api);
errorsSuite(api);
connectOptionsSuite(api);
propertySuite(api);
signerSuite(api);
explainSuite(api);
