/**
 * Builds the runtime suite bundle (suites-entry.ts with `vitest` resolved to harness.ts) with
 * esbuild, once per format, into .tmp/runtimes/. The SDK is not in it: each launcher hands the
 * suites the built API it is testing.
 */
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build, transform, type Plugin } from 'esbuild';
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

/** Where scripts/runtimes.sh installs the test-only tools (Babel and its React Native preset among them). */
const RUNTIME_MODULES = join(ROOT, 'scripts/runtimes/node_modules');

interface Babel {
  transformAsync(code: string, options: Record<string, unknown>): Promise<{ code?: string | null } | null>;
}

/**
 * Babel with the React Native preset over every module, one at a time, as Metro's transformer runs it
 * before the bundle is put together: classes, block scoping, async functions, spread, optional
 * chaining and the rest become what Hermes 0.12 parses. TypeScript (the test tools' own files) is
 * stripped by esbuild first. `import`/`export` stay for esbuild to link (the preset's
 * `disableImportExportTransform`); Babel's helpers come from `@babel/runtime`, as in an app.
 */
function reactNativeBabel(): Plugin {
  const load = createRequire(join(RUNTIME_MODULES, '..', 'package.json'));
  const where = `${RUNTIME_MODULES}: run \`bash scripts/runtimes.sh\` (npm test and .ci/run do)`;
  let babel: Babel;
  let preset: string;
  try {
    babel = load('@babel/core') as Babel;
    preset = load.resolve('metro-react-native-babel-preset');
  } catch (error) {
    throw new Error(`Babel or metro-react-native-babel-preset is not installed in ${where}`, { cause: error });
  }
  return {
    name: 'react-native-babel',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async ({ path }) => {
        let code = await readFile(path, 'utf8');
        if (path.endsWith('.ts')) code = (await transform(code, { loader: 'ts', format: 'esm', target: 'esnext' })).code;
        const out = await babel.transformAsync(code, {
          filename: path.replace(/\.ts$/, '.js'),
          babelrc: false,
          configFile: false,
          presets: [[preset, { disableImportExportTransform: true }]],
          sourceType: 'unambiguous',
          comments: false,
        });
        return { contents: out?.code ?? '', loader: 'js' };
      });
    },
  };
}

/**
 * The one script Hermes runs: the portable suites and the package resolved by name with the
 * `react-native` condition (dist/browser/index.js), each module through Babel's React Native preset
 * (see reactNativeBabel), linked by esbuild into a classic script with no syntax lowered by esbuild
 * itself. Returns the script and the package files it took.
 */
export async function bundleForHermes(): Promise<{ script: string; packageFiles: string[] }> {
  const script = join(OUT, 'hermes/bundle.js');
  const { metafile } = await build({
    entryPoints: [join(ROOT, 'test/runtimes/hermes-entry.mjs')],
    outfile: script,
    bundle: true,
    format: 'iife',
    platform: 'neutral',
    // Metro's defaults: the `react-native` condition, then its main fields.
    conditions: ['react-native'],
    mainFields: ['react-native', 'browser', 'module', 'main'],
    nodePaths: [linkPackage()],
    target: 'esnext',
    alias: { vitest: join(ROOT, 'test/runtimes/harness.ts'), '@babel/runtime': join(RUNTIME_MODULES, '@babel/runtime') },
    inject: [join(ROOT, 'test/runtimes/shims.ts')],
    external: ['crypto'],
    plugins: [reactNativeBabel()],
    metafile: true,
    logLevel: 'error',
  });
  const packageFiles = Object.keys(metafile.inputs)
    .filter((file) => file.startsWith('.tmp/runtimes/node_modules/apsaramq-mqtt-auth/') || /^dist\//.test(file))
    .map((file) => file.replace(/^.*?dist\//, 'dist/'));
  return { script, packageFiles };
}
