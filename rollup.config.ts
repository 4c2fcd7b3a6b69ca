/**
 * Builds: ESM (`dist/*.js`) and CJS (`dist/*.cjs`) with `@noble/hashes` and `mqtt` external, the
 * UMD script (`dist/apsaramq-mqtt-auth.umd[.min].js`, global `ApsaraMqttAuth`) with the noble code
 * inside and mqtt.js read from its own global, and one bundled `.d.ts` (+ `.d.cts`) per entry.
 */
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import type { Plugin, RollupOptions } from 'rollup';
import { dts } from 'rollup-plugin-dts';
import tsApi from 'typescript';

/** Entry points: the isomorphic client API. Node-only entries are added beside it. */
const entries: Record<string, string> = { index: 'src/index.ts', server: 'src/server/index.ts', broker: 'src/broker/index.ts' };
const UMD_NAME = 'ApsaraMqttAuth';
const UMD_FILE = 'dist/apsaramq-mqtt-auth.umd';

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

/** `import.meta.url` only finds mqtt.js for Node; a script tag has no use for it. */
const noImportMetaInUmd = (): Plugin => ({
  name: 'no-import-meta-in-umd',
  resolveImportMeta(property, { format }) {
    return format === 'umd' && property === 'url' ? 'undefined' : null;
  },
});

/** Folders that get a copy of the minified UMD file, so their pages load it with a relative `<script>`. */
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
    input: 'src/index.ts',
    external: ['mqtt'],
    plugins: [nodeResolve({ browser: true }), ts(), noImportMetaInUmd()],
    output: [
      { file: `${UMD_FILE}.js`, format: 'umd', name: UMD_NAME, inlineDynamicImports: true, globals: { mqtt: 'mqtt' } },
      {
        file: `${UMD_FILE}.min.js`,
        format: 'umd',
        name: UMD_NAME,
        inlineDynamicImports: true,
        globals: { mqtt: 'mqtt' },
        plugins: [terser({ format: { comments: false } }), copyUmd()],
      },
    ],
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
