/**
 * The built ESM bundle (dist/index.js, as a bundler or an import map would load it) imported in
 * Chromium, then every shared suite against it. check.sh builds before the tests.
 */
import { describe } from 'vitest';
import type { Api } from '../suites/api.js';
import { portableSuites } from '../suites/portable.js';

// A computed specifier: the type-check runs before the build, when dist/ may not exist yet.
const api = (await import(/* @vite-ignore */ new URL('../../dist/index.js', import.meta.url).href)) as Api;

describe('dist/index.js imported as an ES module', () => {
  portableSuites(api);
});
