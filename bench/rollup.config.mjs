/**
 * Builds the benchmark runner (bench/*.ts, plus the e2e helpers it reuses) into .tmp/bench/run.mjs.
 * The SDK is never compiled here: imports of its sources are pointed at the built dist/ files, so
 * the benchmark measures exactly what the package ships (`npm run bench` builds first).
 */
import { resolve } from 'node:path';
import typescript from '@rollup/plugin-typescript';

const root = resolve(import.meta.dirname, '..');
const DIST = {
  [resolve(root, 'src/index.ts')]: resolve(root, 'dist/index.js'),
  [resolve(root, 'src/broker/broker-entry.ts')]: resolve(root, 'dist/broker.js'),
  [resolve(root, 'src/server/server-entry.ts')]: resolve(root, 'dist/server.js'),
};

/** `../src/index.js` (and the broker and server entries) → the built file in dist/. */
const useDist = {
  name: 'use-dist',
  async resolveId(source, importer) {
    if (!importer || !source.startsWith('.')) return null;
    const target = resolve(importer, '..', source.replace(/\.js$/, '.ts'));
    return DIST[target] ? { id: DIST[target], external: true } : null;
  },
};

export default {
  input: 'bench/run.ts',
  // dist/ files stay absolute: the runner is built and run in place, never shipped.
  makeAbsoluteExternalsRelative: false,
  external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0'),
  plugins: [
    useDist,
    typescript({
      tsconfig: './tsconfig.json',
      include: ['bench/**/*.ts', 'e2e/helpers/**/*.ts', 'vitest.config.ts'],
      compilerOptions: { noEmit: false, declaration: false, sourceMap: false, outDir: '.tmp/bench' },
    }),
  ],
  output: { file: '.tmp/bench/run.mjs', format: 'es' },
  onwarn(warning, warn) {
    if (warning.code !== 'CIRCULAR_DEPENDENCY') warn(warning);
  },
};
