/**
 * The runtime-portable OpenAPI signature V3 suite (the one Bun, Deno and workerd run against the
 * built server entry) on the sources, in Node and in Chromium.
 */
import * as server from '../../src/server/server-entry.js';
import { openApiV3Suite } from '../suites/openapi-v3.suite.js';

openApiV3Suite(server);
