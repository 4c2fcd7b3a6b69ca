/**
 * Builds:
 * - ESM (`dist/*.js`) and CJS (`dist/*.cjs`) with `@noble/hashes` and `mqtt` external; the noble
 *   code stays a chunk of its own, so a consumer's bundler keeps it lazy;
 * - the same ESM for the `browser` export condition (`dist/browser/`), with every Node path compiled
 *   out and no `import.meta` (bundlers for pages, workers and mini-programs gain the bytes); mqtt.js
 *   is imported lazily there (`src/connect/mqtt-import.ts`), so bundlers put it in a chunk of its own;
 * - the same again for the `react-native` condition and field (`dist/react-native/`: no
 *   `import.meta`, which Hermes and Metro reject), without that import: apps there pass mqtt.js;
 * - the main script-tag build, `dist/apsaramq-mqtt-auth.umd[.min].js` (global `ApsaraMqttAuth`,
 *   `src/script.ts`: the client API without diagnostics and batch signer), which loads the noble
 *   fallback on demand from its sibling `dist/apsaramq-mqtt-auth.noble.js` (see `nobleFromSibling`);
 * - the single-file build, `dist/apsaramq-mqtt-auth.full.umd[.min].js` (`src/index.ts`, the whole
 *   API with noble inside), for mini-programs and React Native, which cannot load code at run time,
 *   and for pages that want the diagnostics;
 * - and one bundled `.d.ts` (+ `.d.cts`) per entry.
 * The script builds read mqtt.js from its own global (or the `mqtt` option), never importing it.
 */
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import type { OutputOptions, Plugin, RollupOptions } from 'rollup';
import { dts } from 'rollup-plugin-dts';
import tsApi from 'typescript';

/** Entry points: the isomorphic client API. Node-only entries are added beside it. */
const entries: Record<string, string> = { index: 'src/index.ts', server: 'src/server/server-entry.ts', broker: 'src/broker/broker-entry.ts' };
const UMD_NAME = 'ApsaraMqttAuth';
const UMD_FILE = 'dist/apsaramq-mqtt-auth.umd';
const FULL_FILE = 'dist/apsaramq-mqtt-auth.full.umd';
/** The noble fallback of the main script build, an ES module beside it. */
const NOBLE_FILE = 'apsaramq-mqtt-auth.noble.js';

const ts = () =>
  typescript({
    tsconfig: './tsconfig.json',
    include: ['src/**/*.ts'],
    exclude: ['test/**', 'e2e/**', 'scripts/**', 'bench/**', 'examples/**'],
    compilerOptions: { noEmit: false, declaration: false, sourceMap: false },
  });

const isExternal = (id: string) =>
  id === 'mqtt' || id.startsWith('@noble/hashes') || id.startsWith('node:') || ['aedes', 'ws', 'mqtt-packet'].includes(id);

/**
 * Writes `x.d.cts` beside each `x.d.ts`, so `require` users get types that say CommonJS; relative
 * imports of shared chunks (`./chunk.js`) become `./chunk.cjs`, so they stay CommonJS too.
 */
const ctsTypes = (): Plugin => ({
  name: 'cts-types',
  writeBundle(options, bundle) {
    for (const file of Object.keys(bundle)) {
      if (!file.endsWith('.d.ts')) continue;
      const text = readFileSync(`${options.dir}/${file}`, 'utf8').replace(/(['"]\.\.?\/[^'"]+)\.js(['"])/g, '$1.cjs$2');
      writeFileSync(`${options.dir}/${file.replace(/\.d\.ts$/, '.d.cts')}`, text);
    }
  },
});

/**
 * The script builds are for pages and mini-programs: every Node path (found through
 * `import.meta.url` and `process.getBuiltinModule`) is dropped by turning `import.meta.url` into
 * `undefined` before tree-shaking, so the branches it guards are removed, not merely never taken.
 */
const noNodePaths = (): Plugin => ({
  name: 'no-node-paths',
  transform(code, id) {
    return /[\\/]src[\\/]/.test(id) && code.includes('import.meta.url') ? { code: code.replaceAll('import.meta.url', 'undefined'), map: null } : null;
  },
});

/**
 * The main script build leaves the noble fallback (and the pure UTF-8/Base64 codec) in a sibling
 * file that only a page without `crypto.subtle` fetches: `import()` works in classic scripts too.
 * How the script finds its sibling: `document.currentScript.src`, read while the script first runs
 * (a `<script src>` tag, `async`/`defer` included), resolves `apsaramq-mqtt-auth.noble.js` beside
 * it, so a CDN or a vendor folder serves both. Where that is unknown (code pasted inline, loaded by
 * `require` or `importScripts`) the import fails and signing there rejects with
 * `ERR_HMAC_UNAVAILABLE`, whose cause says to use the full build.
 */
const nobleFromSibling = (): Plugin => ({
  name: 'noble-from-sibling',
  resolveDynamicImport(specifier, importer) {
    return specifier === './noble-sync.js' && /[\\/]src[\\/]hmac[\\/]noble\.ts$/.test(importer) ? { id: NOBLE_FILE, external: true } : null;
  },
  renderDynamicImport({ targetModuleId }) {
    return targetModuleId === NOBLE_FILE ? { left: 'importSibling(', right: ')' } : null;
  },
});

/**
 * For the builds without Node paths: fold the branches a constant `_node` guards even inside
 * `try` blocks, which rollup otherwise leaves alone in case they feature-detect (ours do not).
 */
const FOLD = { tryCatchDeoptimization: false } as const;

/**
 * Pages have no mini-program platform: the script they load gets `mini-program-absent.ts`, which
 * refuses those transports naming the full build, instead of the code for them.
 */
const noMiniProgram = (): Plugin => ({
  name: 'no-mini-program',
  resolveId(source, importer) {
    return source === './mini-program.js' && importer && /[\\/]src[\\/]connect[\\/]options\.ts$/.test(importer) ? this.resolve('./mini-program-absent.ts', importer) : null;
  },
});

/**
 * The script builds have no module loader, and the React Native build leaves mqtt.js to the app
 * (Metro fails a bundle on an import it cannot resolve): they get `mqtt-import-absent.ts`,
 * so they never try `import('mqtt')`. Only `dist/*.js` and `dist/browser/` import it, lazily.
 */
const noMqttImport = (): Plugin => ({
  name: 'no-mqtt-import',
  resolveId(source, importer) {
    return source === './mqtt-import.js' && importer && /[\\/]src[\\/]connect[\\/]mqtt-module\.ts$/.test(importer) ? this.resolve('./mqtt-import-absent.ts', importer) : null;
  },
});

/**
 * Runs inside the UMD wrapper, while the script itself runs: the only moment `currentScript` is
 * this script. `importSibling` never throws: it rejects with what was looked for where (the URL), or
 * that there was no URL to look at (no <script src>, a blob: URL), and the single-file build to load
 * instead; the SDK reports that as ERR_HMAC_UNAVAILABLE, with this message in its own.
 */
const SIBLING_URL = `var scriptUrl = typeof document == 'object' && document.currentScript && document.currentScript.src;
function importSibling(file) {
  var url, full = 'load the single-file build apsaramq-mqtt-auth.full.umd.min.js';
  try {
    url = new URL(file, scriptUrl || undefined).href;
    if (!/^(https?|file):/.test(url)) throw 0;
  } catch (e) {
    return Promise.reject(new Error(file + ' has no URL (this script was not loaded by a <script src>): ' + full));
  }
  return import(url).catch(function (e) {
    throw new Error(file + ' did not load from ' + url + ': put it beside this script, or ' + full, { cause: e });
  });
}`;

/** Folders that get a copy of the minified full script build, so their pages load it with a relative `<script>`. */
const UMD_COPIES = ['examples/signature-tool/vendor'];

const copyUmd = (): Plugin => ({
  name: 'copy-umd',
  writeBundle(options) {
    if (!options.file?.endsWith('.min.js')) return;
    for (const dir of UMD_COPIES) {
      mkdirSync(dir, { recursive: true });
      copyFileSync(options.file, `${dir}/${options.file.split('/').pop()}`);
    }
  },
});

const umd = (file: string, extra: Partial<OutputOptions> = {}): OutputOptions => ({ file, format: 'umd', name: UMD_NAME, inlineDynamicImports: true, globals: { mqtt: 'mqtt' }, ...extra });
const minified = (...plugins: Plugin[]) => ({ plugins: [terser({ format: { comments: false } }), ...plugins] });

/**
 * The CLI finds the library at run time in its built entries instead of carrying a second copy:
 * `src/index.ts` (and the error class it exports) as `dist/index.js`, `src/broker/*` as `dist/broker.js`.
 */
const libraryExternal = (): Plugin => ({
  name: 'library-external',
  resolveId(source, importer) {
    if (!importer || !/[\\/]src[\\/]cli[\\/]/.test(importer)) return null;
    if (source === '../index.js' || source === '../errors.js') return { id: './index.js', external: true };
    if (source.startsWith('../broker/')) return { id: './broker.js', external: true };
    return null;
  },
});

/**
 * Nothing marked `@internal` reaches the published declarations (the `stripInternal` of the bundled
 * `.d.ts`): such declarations and members are cut out. An internal constructor becomes
 * `private constructor()`, so the class can be used with `instanceof` but neither built nor extended
 * (TypeScript's own `stripInternal` would leave an implicit public constructor instead).
 */
const stripInternal = (): Plugin => ({
  name: 'strip-internal',
  renderChunk(code, chunk) {
    const source = tsApi.createSourceFile(chunk.fileName, code, tsApi.ScriptTarget.Latest, true);
    const cuts: { start: number; end: number; text: string }[] = [];
    const isInternal = (node: tsApi.Node) => tsApi.getJSDocTags(node).some((tag) => tag.tagName.text === 'internal');
    const visit = (node: tsApi.Node) => {
      if (isInternal(node) && !tsApi.isSourceFile(node)) {
        const text = tsApi.isConstructorDeclaration(node) ? 'private constructor();' : '';
        cuts.push({ start: node.getFullStart(), end: node.getEnd(), text: text && `\n    ${text}` });
        return;
      }
      tsApi.forEachChild(node, visit);
    };
    visit(source);
    if (cuts.length === 0) return null;
    let out = code;
    for (const cut of cuts.sort((a, b) => b.start - a.start)) out = out.slice(0, cut.start) + cut.text + out.slice(cut.end);
    return { code: out, map: null };
  },
});

const executable = (): Plugin => ({
  name: 'executable',
  writeBundle(options, bundle) {
    for (const file of Object.keys(bundle)) chmodSync(`${options.dir}/${file}`, 0o755);
  },
});

const config: RollupOptions[] = [
  {
    input: entries,
    external: isExternal,
    plugins: [ts()],
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name].js' },
      { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: '[name].cjs', exports: 'named' },
    ],
  },
  {
    input: { index: 'src/index.ts' },
    external: isExternal,
    plugins: [ts(), noNodePaths()],
    treeshake: FOLD,
    output: { dir: 'dist/browser', format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name].js' },
  },
  {
    // React Native (the `react-native` condition and field): the browser build without the lazy import of mqtt.
    input: { index: 'src/index.ts' },
    external: isExternal,
    plugins: [noMqttImport(), ts(), noNodePaths()],
    treeshake: FOLD,
    output: { dir: 'dist/react-native', format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name].js' },
  },
  {
    // The main script: what a page loads.
    input: 'src/script.ts',
    external: ['mqtt'],
    plugins: [noMiniProgram(), noMqttImport(), nodeResolve({ browser: true }), ts(), noNodePaths(), nobleFromSibling()],
    treeshake: FOLD,
    output: [umd(`${UMD_FILE}.js`, { intro: SIBLING_URL }), umd(`${UMD_FILE}.min.js`, { intro: SIBLING_URL, ...minified() })],
  },
  {
    // Its sibling: noble's SHA-1, our HMAC and the pure codec, as one ES module.
    input: 'src/hmac/noble-sync.ts',
    plugins: [nodeResolve({ browser: true }), ts()],
    output: { file: `dist/${NOBLE_FILE}`, format: 'es', ...minified() },
  },
  {
    // The single file: everything, noble inside; no run-time loading.
    input: 'src/index.ts',
    external: ['mqtt'],
    plugins: [noMqttImport(), nodeResolve({ browser: true }), ts(), noNodePaths()],
    treeshake: FOLD,
    output: [umd(`${FULL_FILE}.js`), umd(`${FULL_FILE}.min.js`, minified(copyUmd()))],
  },
  {
    // bin `apsaramq-mqtt-auth`: Node only, ESM only. The broker command is a lazily loaded chunk.
    input: { cli: 'src/cli/main.ts' },
    external: (id) => id.startsWith('node:'),
    plugins: [libraryExternal(), ts(), executable()],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: 'cli-[name].js', banner: (chunk) => (chunk.isEntry ? '#!/usr/bin/env node' : '') },
  },
  {
    input: entries,
    external: isExternal,
    plugins: [dts({ tsconfig: './tsconfig.json' }), stripInternal(), ctsTypes()],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: '[name].d.ts' },
  },
];

export default config;
