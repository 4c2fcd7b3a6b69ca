/**
 * The runtime-portable credential-handler suite (the one Bun, Deno and workerd run against
 * dist/server.js) on the sources, in Node and in Chromium.
 */
import * as server from '../../src/server/server-entry.js';
import { credentialHandlerSuite } from '../suites/credential-handler.suite.js';

credentialHandlerSuite(server);
