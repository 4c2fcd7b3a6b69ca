/**
 * Builds the runtime suite bundle (suites-entry.ts with `vitest` resolved to harness.ts) with
 * esbuild, once per format, into .tmp/runtimes/. The SDK is not in it: each launcher hands the
 * suites the built API it is testing.
 */
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ROOT } from '../../e2e/helpers/paths.js';

export const OUT = join(ROOT, '.tmp/runtimes');

/**
 * `iife`: a classic script defining `globalThis.__suites` (for `node:vm` and QuickJS, which run
 * scripts); `esm`: a module exporting `runSuites` (Bun, Deno, workerd).
 */
export async function bundleSuites(format: 'iife' | 'esm'): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  const outfile = join(OUT, `suites.${format === 'esm' ? 'mjs' : 'js'}`);
  await build({
    entryPoints: [join(ROOT, 'test/runtimes/suites-entry.ts')],
    outfile,
    bundle: true,
    format,
    globalName: format === 'iife' ? '__suites' : undefined,
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['browser', 'import', 'default'],
    target: 'es2022',
    alias: { vitest: join(ROOT, 'test/runtimes/harness.ts') },
    // Module-scoped stand-ins for the host APIs the test tools use (see shims.ts); the SDK sees none.
    inject: [join(ROOT, 'test/runtimes/shims.ts')],
    // crypto-js looks for Node's crypto for random numbers only, inside a try: never needed here.
    external: ['crypto'],
    logLevel: 'error',
  });
  return outfile;
}

/** The package by name, as a consumer resolves it: `.tmp/runtimes/node_modules/apsaramq-mqtt-auth` → this checkout. */
function linkPackage(): string {
  const modules = join(OUT, 'node_modules');
  mkdirSync(modules, { recursive: true });
  const link = join(modules, 'apsaramq-mqtt-auth');
  if (!existsSync(link)) symlinkSync(ROOT, link, 'dir');
  return modules;
}

/**
 * The worker for `workerd test` and its one-file config: the suites and the package bundled as
 * a Workers bundler does it (esbuild, platform neutral, conditions workerd/worker/browser).
 */
export async function bundleWorker(): Promise<string> {
  const dir = join(OUT, 'workerd');
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'test/runtimes/workerd-worker.mjs')],
    outfile: join(dir, 'worker.js'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    nodePaths: [linkPackage()],
    target: 'es2022',
    alias: { vitest: join(ROOT, 'test/runtimes/harness.ts') },
    inject: [join(ROOT, 'test/runtimes/shims.ts')],
    external: ['crypto'],
    logLevel: 'error',
  });
  const config = join(dir, 'config.capnp');
  writeFileSync(
    config,
    `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "suites", worker = .suites)],
);

const suites :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "${WORKERD_COMPATIBILITY_DATE}",
);
`,
  );
  return config;
}

/** Today's Workers behaviour without Node compatibility: no \`process\`, so WebCrypto signs. */
export const WORKERD_COMPATIBILITY_DATE = '2026-11-01';
