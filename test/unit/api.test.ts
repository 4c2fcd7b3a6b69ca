/**
 * The whole portable suite against the TypeScript sources. Runs in Node (project "unit") and in
 * Chromium (project "browser"), unchanged.
 */
import * as api from '../../src/index.js';
import { portableSuites } from '../suites/portable.js';

portableSuites(api);
