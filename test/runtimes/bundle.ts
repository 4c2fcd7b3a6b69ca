/**
 * Builds the runtime suite bundle (suites-entry.ts with `vitest` resolved to harness.ts) with
 * esbuild, once per format, into .tmp/runtimes/. The SDK is not in it: each launcher hands the
 * suites the built API it is testing.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
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

/** A bundle of react-native-app.js, and the package's files that went into it (as paths inside the package). */
export interface AppBundle {
  script: string;
  packageFiles: string[];
}

/**
 * esbuild, each module through Babel's React Native preset first (unless `babel` is false); nothing
 * lowered by esbuild itself. `suites`: the test tools' script, defining `__suites`, with their shims.
 */
async function buildForHermes(entry: string, outfile: string, { suites = false, babel = true }: { suites?: boolean; babel?: boolean } = {}): Promise<string[]> {
  const { metafile } = await build({
    entryPoints: [join(ROOT, 'test/runtimes', entry)],
    outfile,
    bundle: true,
    format: 'iife',
    globalName: suites ? '__suites' : undefined,
    platform: 'neutral',
    // What React Native bundlers ask a package for: the `react-native` condition (esbuild reads
    // `exports` first when a package has it), then these main fields.
    conditions: ['react-native'],
    mainFields: ['react-native', 'browser', 'module', 'main'],
    nodePaths: [linkPackage()],
    target: 'esnext',
    alias: { vitest: join(ROOT, 'test/runtimes/harness.ts'), '@babel/runtime': join(RUNTIME_MODULES, '@babel/runtime') },
    inject: suites ? [join(ROOT, 'test/runtimes/shims.ts')] : [],
    external: suites ? ['crypto'] : [],
    plugins: babel ? [reactNativeBabel()] : [],
    metafile: true,
    logLevel: 'error',
  });
  return Object.keys(metafile.inputs);
}

/** The package's own files among a bundle's inputs (paths relative to the working folder, or absolute), as paths inside the package. */
const packageFilesOf = (inputs: readonly string[], packageRoot: string): string[] =>
  inputs
    .map((file) => resolve(file))
    .filter((file) => file.startsWith(join(packageRoot, 'dist/')))
    .map((file) => relative(packageRoot, file))
    .sort();

/**
 * The suites for Hermes (hermes-suites.mjs), as a script defining `__suites`: the test tools, each
 * module through Babel's React Native preset like everything Hermes runs here. Loaded before an app
 * bundle, in the same script (see joinScripts).
 */
export async function bundleHermesSuites(): Promise<string> {
  const script = join(OUT, 'hermes/suites.js');
  await buildForHermes('hermes-suites.mjs', script, { suites: true });
  return script;
}

/**
 * The app (react-native-app.js) with the package resolved by name through its `exports` and the
 * `react-native` condition (dist/react-native/index.js), as Metro does from 0.82 (React Native 0.79) and
 * other React Native bundlers do; each module through Babel's React Native preset (see
 * reactNativeBabel), linked by esbuild.
 */
export async function bundleAppWithEsbuild(): Promise<AppBundle> {
  const script = join(OUT, 'hermes/app.js');
  return { script, packageFiles: packageFilesOf(await buildForHermes('react-native-app.js', script), ROOT) };
}

/**
 * The app as bundleAppWithEsbuild links it but without Babel: the package's own syntax as it ships
 * (classes, async functions, `??=`), for the compilers to judge.
 */
export async function bundleAppWithoutBabel(): Promise<AppBundle> {
  const script = join(OUT, 'hermes/app.plain.js');
  return { script, packageFiles: packageFilesOf(await buildForHermes('react-native-app.js', script, { babel: false }), ROOT) };
}

/** The suites, then an app bundle, as one script (Hermes's command-line VM runs one): `<app>.hermes.js`. */
export function joinScripts(suites: string, app: string): string {
  const script = app.replace(/\.js$/, '.hermes.js');
  writeFileSync(script, `${readFileSync(suites, 'utf8')}\n;\n${readFileSync(app, 'utf8')}`);
  return script;
}

interface MetroApi {
  runBuild(config: unknown, options: Record<string, unknown>): Promise<{ code: string; map: string }>;
}
interface MetroConfigApi {
  getDefaultConfig: { getDefaultValues(projectRoot: string): Record<string, unknown> };
  mergeConfig(...configs: Record<string, unknown>[]): Record<string, unknown>;
}

/**
 * Runs `fn` with the system's temporary folder set to `dir`: Metro makes its default transform cache
 * (replaced by none below, but made all the same, twice) under it, folders and all. The test file's
 * process does nothing else meanwhile.
 */
async function withTmpdir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const tmpdir = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return await fn();
  } finally {
    if (tmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpdir;
  }
}

/**
 * The app (react-native-app.js) as a React Native 0.70 release build bundles it: that release's
 * Metro (0.72) and Babel transformer, React Native's resolver settings (platform `android`, main
 * fields `react-native`, `browser`, `main`: Metro 0.72 does not read `exports`), minified. The app
 * is a folder under .tmp/runtimes whose node_modules hold copies of the package (package.json and
 * dist/) and of @noble/hashes, as npm installs them (Metro 0.72 follows no symlinks). Metro's own
 * runtime (its `require`, async imports) and Babel's helpers come from scripts/runtimes; React
 * Native's polyfills and InitializeCore are not in it (there is no react-native package here).
 * The package files Metro took come from its source map.
 */
export async function bundleAppWithMetro(): Promise<AppBundle> {
  const load = createRequire(join(RUNTIME_MODULES, '..', 'package.json'));
  let Metro: MetroApi;
  let metroConfig: MetroConfigApi;
  try {
    Metro = load('metro') as MetroApi;
    metroConfig = load('metro-config') as MetroConfigApi;
  } catch (error) {
    throw new Error(`Metro is not installed in ${RUNTIME_MODULES}: run \`bash scripts/runtimes.sh\` (npm test and .ci/run do)`, { cause: error });
  }
  const dir = join(OUT, 'metro');
  const app = join(dir, 'app');
  rmSync(app, { recursive: true, force: true });
  const installed = join(app, 'node_modules/apsaramq-mqtt-auth');
  mkdirSync(installed, { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(installed, 'package.json'));
  cpSync(join(ROOT, 'dist'), join(installed, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'node_modules/@noble/hashes'), join(app, 'node_modules/@noble/hashes'), { recursive: true });
  writeFileSync(join(app, 'package.json'), '{ "name": "metro-app", "private": true }\n');
  cpSync(join(ROOT, 'test/runtimes/react-native-app.js'), join(app, 'index.js'));

  // Real paths, as Node's resolve gives them (asyncRequireModulePath below): Metro follows no symlinks, and
  // scripts/runtimes/node_modules may be a link to an install shared between checkouts.
  const metroRuntime = realpathSync(join(RUNTIME_MODULES, 'metro-runtime'));
  const babelRuntime = realpathSync(join(RUNTIME_MODULES, '@babel/runtime'));
  const script = join(dir, 'app.js');
  const map = await withTmpdir(join(dir, 'tmp'), async () => {
    const config = metroConfig.mergeConfig(metroConfig.getDefaultConfig.getDefaultValues(app), {
      projectRoot: app,
      // Where Metro's `require` and async-import modules and Babel's helpers live, next to the app.
      watchFolders: [app, metroRuntime, babelRuntime],
      cacheStores: [],
      resetCache: true,
      fileMapCacheDirectory: join(dir, 'cache'),
      hasteMapCacheDirectory: join(dir, 'cache'),
      maxWorkers: 2,
      reporter: { update: () => {} },
      resolver: {
        platforms: ['ios', 'android', 'native'],
        resolverMainFields: ['react-native', 'browser', 'main'],
        extraNodeModules: { '@babel/runtime': babelRuntime },
        useWatchman: false,
      },
      transformer: {
        // What README asks of apps on Metro before 0.73: terser, Metro's minifier from 0.73 on. The
        // default there, uglify-es, cannot parse logical assignment (`??=`, `||=`: the package and
        // @noble/hashes) or numeric separators, which Hermes parses and that Babel preset leaves.
        minifierPath: load.resolve('metro-minify-terser'),
        babelTransformerPath: load.resolve('metro-react-native-babel-transformer'),
        asyncRequireModulePath: load.resolve('metro-runtime/src/modules/asyncRequire'),
      },
      serializer: { getPolyfills: () => [] },
      watch: false,
    });
    // No `out`: Metro would write the files itself and log that it did.
    const { code, map } = await Metro.runBuild(config, { entry: 'index.js', platform: 'android', dev: false, minify: true, sourceMap: true, sourceMapUrl: 'app.map' });
    writeFileSync(script, code);
    writeFileSync(join(dir, 'app.map'), map);
    return map;
  });
  return { script, packageFiles: packageFilesOf((JSON.parse(map) as { sources: string[] }).sources, installed) };
}
