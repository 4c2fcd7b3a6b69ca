/**
 * Builds: ESM (`dist/*.js`) and CJS (`dist/*.cjs`) with `@noble/hashes` and `mqtt` external, the
 * UMD script (`dist/apsaramq-mqtt-auth.umd[.min].js`, global `ApsaraMqttAuth`) with the noble code
 * inside and mqtt.js read from its own global, and one bundled `.d.ts` (+ `.d.cts`) per entry.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import type { Plugin, RollupOptions } from 'rollup';
import { dts } from 'rollup-plugin-dts';

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
        plugins: [terser({ format: { comments: false } })],
      },
    ],
  },
  {
    input: entries,
    external: isExternal,
    plugins: [dts({ tsconfig: './tsconfig.json' }), ctsTypes()],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: '[name].d.ts' },
  },
];

export default config;
