/**
 * Test projects:
 * - unit: test/unit + test/node in Node (sources);
 * - security: test/security in Node (sources): one test per hardening item, and the fuzz suite;
 * - browser: test/unit + test/browser in Debian's Chromium via vitest browser mode (sources and built bundles);
 * - e2e: e2e/ in Node: built/packed package, real brokers, real Chromium pages through playwright-core;
 * - mqtt-release: the managed connection's suites again, on another mqtt.js release (`MANAGED_SUITES`);
 * - types: test/types, type-level tests of the published declarations (`dist/*.d.ts`, so after a build).
 */
import { playwright } from '@vitest/browser-playwright';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/** Chromium from Debian (`apt-get install chromium`); no browser download works here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * The local broker keeps its development CA in the user's state folder; tests (and the processes they
 * start) keep theirs in the checkout's `.tmp/` instead of the home folder.
 */
const env = { XDG_STATE_HOME: resolve(import.meta.dirname, '.tmp/state') };

/**
 * `npm start`'s default ports are taken while the tests run (held here when free), so a test that binds
 * a fixed port fails in every run rather than only beside a running `npm start`: see hold-start-ports.ts.
 */
const globalSetup = ['test/helpers/hold-start-ports.ts'];

/**
 * The managed connection's suites that talk to real mqtt.js: every project runs them on the installed
 * (latest) release; the `mqtt-release` project again on the one in `MQTT_UNDER_TEST` (a package
 * folder), by default the lowest of the peer range (`mqtt-lowest`, an npm alias).
 * scripts/mqtt-matrix.mjs runs that project once per minor release.
 */
export const MANAGED_SUITES = [
  'test/node/mqtt-port.test.ts',
  'test/node/managed-end.test.ts',
  'test/node/connect-async-cleanup.test.ts',
  'test/node/unobserved-promises.test.ts',
  'e2e/lifecycle.test.ts',
  'e2e/lifecycle-authorization.test.ts',
  'e2e/lifecycle-refusals.test.ts',
];
const mqttUnderTest = resolve(process.env.MQTT_UNDER_TEST ?? resolve(import.meta.dirname, 'node_modules/mqtt-lowest'));

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/node/**/*.test.ts'], environment: 'node', env, globalSetup, testTimeout: 20_000 } },
      // The security review's reproductions and the fuzz suite, on the sources in Node (real loopback servers).
      { test: { name: 'security', include: ['test/security/**/*.test.ts'], environment: 'node', env, globalSetup, testTimeout: 60_000 } },
      {
        test: {
          name: 'browser',
          include: ['test/unit/**/*.test.ts', 'test/browser/**/*.test.ts'],
          testTimeout: 20_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          // Built files load through Node's own loader, as in a user's program, not vitest's transform.
          server: { deps: { external: [/\/dist\//] } },
          environment: 'node',
          env,
          globalSetup,
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'mqtt-release',
          include: MANAGED_SUITES,
          setupFiles: ['test/helpers/mqtt-under-test.ts'],
          environment: 'node',
          env: { ...env, MQTT_UNDER_TEST: mqttUnderTest },
          globalSetup,
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
        resolve: { alias: [{ find: /^mqtt$/, replacement: mqttUnderTest }] },
      },
      {
        test: {
          name: 'types',
          include: [],
          typecheck: { enabled: true, only: true, include: ['test/types/**/*.test-d.ts'], tsconfig: 'test/types/tsconfig.json' },
        },
      },
    ],
  },
});
