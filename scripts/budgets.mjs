#!/usr/bin/env node
/**
 * Bundle bytes and their budgets. Deterministic (same sources, same lockfile → same bytes), so CI
 * enforces them; `scripts/check.sh` runs this after the build.
 *
 *   node scripts/budgets.mjs               measure dist/, compare, exit 1 when a budget is exceeded
 *   node scripts/budgets.mjs --json        the same, as JSON on stdout
 *   node scripts/budgets.mjs --breakdown   where the bytes go, per source module (builds from src/)
 *
 * Every figure is what a user ships: a real bundler builds a one-line consumer of the package as a
 * browser app resolves it (the `browser` export condition: dist/browser/index.js), with its default
 * minifier, and the result is gzipped at level 9. Two bundlers: rollup (+ node-resolve + terser) and
 * esbuild (bundle, minify, ESM with code splitting, so lazy chunks stay lazy). Only what a page
 * loads up front counts: the entry chunk and the chunks it imports statically.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import commonjs from '@rollup/plugin-commonjs';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { build as esbuild } from 'esbuild';
import { rollup } from 'rollup';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE = 'apsaramq-mqtt-auth';
const UMD_MIN = 'dist/apsaramq-mqtt-auth.umd.min.js';
const NOBLE_SIBLING = 'dist/apsaramq-mqtt-auth.noble.js';
const FULL_MIN = 'dist/apsaramq-mqtt-auth.full.umd.min.js';

/**
 * What the issues ask for, in gzip bytes (1 KB = 1024 bytes), printed beside each figure:
 * `signatureCredentials` alone ≤ 1.5 KB for rollup and esbuild both (not met since issue 19: every path,
 * the builders' included, reports a bad client id rule by rule, about 300 B). The page script's 6 KB (and
 * 5 KB) target is retired (issue 19): the managed connection alone weighs about 6 KB, and every way under it
 * drops a contract (BENCHMARKS.md, "Budgets"); its no-growth budget below stays.
 */
export const TARGETS = { signatureCredentials: 1.5 * 1024 };

/**
 * Enforced in CI: a target where there is one, else the measured size plus a small margin, so that
 * growth fails the build. Raising one is a decision for the lead, in review.
 */
export const BUDGETS = {
  // The target: 1491 B with rollup, 1532 B with esbuild (2026-12-01): the error class,
  // WebCrypto with its bounded key cache, the loader of the noble chunk (typed failure), the UTF-8/Base64
  // hand-over for engines without TextEncoder/btoa, and the one-step client-id check.
  // 1836 B with rollup, 1898 B with esbuild (2026-12-07): the 1.5 KB target plus the per-rule client-id
  // report (validateClientId's rules and messages) that issue 19 asks of every path. See BENCHMARKS.md, "Budgets".
  signatureCredentialsRollup: 1850,
  // 1916 B with esbuild after the managed connection's built-credentials hook (issue 18: the client id signed and a
  // secret with white space, told to the session so a refused CONNECT can name its likely cause).
  signatureCredentialsEsbuild: 1930,
  // No growth: 10266 B (2026-12-01, after the lean pass; 10441 B before), the page script with the managed
  // connection (src/lifecycle: connect, providers, the session's state machine, refresher, ledger, gate,
  // tuning), about 6.5 KB of it. 11591 B (2026-12-07): +1309 B for refusals typed and final in every mode
  // (the topic rules of src/protocol/topics.ts checked before sending; the MQTT 5 DISCONNECT and MQTT 3.1.1
  // close readings of the ledger; ERR_INVALID_TOPIC; the mqtt.js port). 12632 B (2026-12-07): +1041 B for the
  // server's time (expiresIn, the issuer's clock offset), the short-token schedule and a refused CONNECT's likely
  // cause. See BENCHMARKS.md, "Budgets".
  umd: 12700,
};

const gzip = (text) => gzipSync(text, { level: 9 }).length;
const sizes = (text) => ({ min: Buffer.byteLength(text), gzip: gzip(text) });
const read = (path) => readFileSync(resolve(ROOT, path), 'utf8');

/** The file `import … from 'apsaramq-mqtt-auth'` resolves to in a browser bundler: the `browser` condition of `exports['.']`. */
function browserEntry() {
  const target = JSON.parse(read('package.json')).exports['.'].browser;
  return resolve(ROOT, typeof target === 'string' ? target : target.default);
}

/** A virtual entry module, and the package name resolved as a browser bundler resolves it. */
function consumer(code) {
  return {
    name: 'consumer',
    resolveId(id) {
      if (id === '\0entry') return id;
      if (id === PACKAGE) return browserEntry();
      return null;
    },
    load: (id) => (id === '\0entry' ? code : null),
  };
}

/**
 * Bundles `code` as a consumer would with rollup and minifies it with terser's defaults. Returns
 * what loads up front (the entry chunk and its static imports) and every lazy chunk separately.
 */
export async function bundle(code, { cjs = false, external = [] } = {}) {
  const build = await rollup({
    input: '\0entry',
    external,
    plugins: [consumer(code), nodeResolve({ browser: true, rootDir: ROOT }), ...(cjs ? [commonjs()] : [])],
    onwarn(warning, warn) {
      if (warning.code !== 'CIRCULAR_DEPENDENCY') warn(warning);
    },
  });
  const { output } = await build.generate({ format: 'es', plugins: [terser()] });
  await build.close();
  const chunks = new Map(output.filter((o) => o.type === 'chunk').map((c) => [c.fileName, c]));
  const entry = [...chunks.values()].find((c) => c.isEntry);
  const upFront = new Set([entry.fileName]);
  for (const name of upFront) for (const imported of chunks.get(name).imports) upFront.add(imported);
  const lazy = [...chunks.values()].filter((c) => !upFront.has(c.fileName));
  return {
    ...sizes([...upFront].map((name) => chunks.get(name).code).join('\n')),
    lazy: lazy.map((c) => ({ file: c.fileName.replace(/-[\w-]{8}\.js$/, '.js'), ...sizes(c.code) })),
  };
}

/** The same with esbuild (bundle, minify, ESM with splitting, browser platform). */
export async function bundleEsbuild(code, { external = [] } = {}) {
  const result = await esbuild({
    stdin: { contents: code, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    splitting: true,
    platform: 'browser',
    outdir: resolve(ROOT, '.tmp/budgets-esbuild'),
    write: false,
    metafile: true,
    external,
    alias: { [PACKAGE]: browserEntry() },
    logLevel: 'error',
  });
  const outputs = result.metafile.outputs;
  const texts = new Map(result.outputFiles.map((f) => [resolve(f.path), f.text]));
  const key = (path) => resolve(ROOT, path);
  const entry = Object.keys(outputs).find((path) => outputs[path].entryPoint);
  const upFront = new Set([entry]);
  for (const path of upFront) for (const i of outputs[path].imports) if (i.kind === 'import-statement' && !i.external) upFront.add(i.path);
  const lazy = Object.keys(outputs).filter((path) => path.endsWith('.js') && !upFront.has(path));
  return {
    ...sizes([...upFront].map((path) => texts.get(key(path))).join('\n')),
    lazy: lazy.map((path) => ({ file: path.split('/').pop().replace(/-[A-Z0-9]{8}\.js$/, '.js'), ...sizes(texts.get(key(path))) })),
  };
}

/** Every measurement, for this script and for `npm run bench`. */
export async function measureBundles() {
  const rows = [];
  const add = (name, what, size, budget) => rows.push({ name, what, min: size.min, gzip: size.gzip, ...(budget ? { budget } : {}) });
  const one = `export { signatureCredentials } from '${PACKAGE}';`;

  const viaRollup = await bundle(one, { external: ['mqtt'] });
  add('signatureCredentials alone, rollup', 'rollup + node-resolve + terser build of a one-line consumer, browser condition; lazy chunks not counted', viaRollup, BUDGETS.signatureCredentialsRollup);
  rows.at(-1).target = { bytes: TARGETS.signatureCredentials, by: 'target' };
  for (const chunk of viaRollup.lazy) add(`  + lazy chunk ${chunk.file}`, 'fetched only where neither node:crypto nor WebCrypto is', chunk);

  const viaEsbuild = await bundleEsbuild(one, { external: ['mqtt'] });
  add('signatureCredentials alone, esbuild', 'esbuild --bundle --minify --splitting --format=esm --platform=browser of the same consumer', viaEsbuild, BUDGETS.signatureCredentialsEsbuild);
  rows.at(-1).target = { bytes: TARGETS.signatureCredentials, by: 'target' };

  const all = await bundle(`export * from '${PACKAGE}';`, { external: ['mqtt'] });
  add('whole ESM API, rollup', 'rollup+terser build of `export *` (mqtt, a peer, external)', all);
  for (const chunk of all.lazy) add(`  + lazy chunk ${chunk.file}`, 'fetched only where neither node:crypto nor WebCrypto is', chunk);

  add('UMD a secure page loads', `${UMD_MIN}: the client API without the diagnostics and createSigner`, sizes(read(UMD_MIN)), BUDGETS.umd);
  add('  + its sibling, pages without crypto.subtle', `${NOBLE_SIBLING}: noble SHA-1, the HMAC, the pure UTF-8/Base64 codec`, sizes(read(NOBLE_SIBLING)));
  add('single-file script (mini-programs)', `${FULL_MIN}: the whole API, noble inside`, sizes(read(FULL_MIN)));

  const cryptoJs = await bundle(
    `import HmacSHA1 from 'crypto-js/hmac-sha1.js'; import Base64 from 'crypto-js/enc-base64.js';
     export const password = (secret, clientId) => Base64.stringify(HmacSHA1(clientId, secret));`,
    { cjs: true },
  );
  add('crypto-js HmacSHA1 + enc-base64', 'the same job as the official demos do it, same bundler', cryptoJs);

  const noble = await bundle(`export { hmac } from '@noble/hashes/hmac.js'; export { sha1 } from '@noble/hashes/legacy.js';`);
  add('@noble/hashes hmac + sha1', 'raw, for reference', noble);

  add('mqtt.js dist/mqtt.min.js', 'for scale: the client every page loads anyway', sizes(read('node_modules/mqtt/dist/mqtt.min.js')));
  return rows;
}

/** The main script build's swaps (see rollup.config.ts): no mini-program code, no Node paths. */
const SCRIPT_PLUGINS = [
  { name: 'no-mini-program', resolveId: (source, importer) => (source === './mini-program.js' && importer?.endsWith('/src/connect/options.ts') ? resolve(ROOT, 'src/connect/mini-program-absent.ts') : null) },
  { name: 'no-node-paths', transform: (code, id) => (id.includes('/src/') && code.includes('import.meta.url') ? { code: code.replaceAll('import.meta.url', 'undefined'), map: null } : null) },
];

const CORE = 'ApsaraMqttAuthError, hmacSha1, hmacBackend, webCryptoHmacSha1, nobleHmacSha1, signatureCredentials, deviceCredentials, customCredentials, tokenCredentials, TOKEN_TYPES, formatClientId, parseClientId, validateClientId, MAX_CLIENT_ID_LENGTH';
const OPTIONS = 'createConnectOptions, CONNECT_DEFAULTS, DEFAULT_PORTS, DEFAULT_WS_PATH';

/**
 * What each part of the main script build costs: the sources built as that script is (the
 * mini-program transports swapped out, `import.meta.url` undefined before tree-shaking, the noble
 * chunk left outside, terser), for growing subsets of its API. Differences between rows are the
 * cost of what was added.
 */
async function umdParts(ts, minify) {
  const variants = [
    ['credentials + client ids + HMAC (noble outside)', `export { ${CORE} } from './src/script.ts';`],
    ['  + createConnectOptions', `export { ${CORE}, ${OPTIONS} } from './src/script.ts';`],
    ['  + everything else: connect/connectAsync, providers, the session (= the main script)', `export * from './src/script.ts';`],
  ];
  const scriptBuild = SCRIPT_PLUGINS;
  console.log('\nThe main script build by part (min / gzip bytes; differences between rows are what the added part costs)');
  for (const [title, code] of variants) {
    const build = await rollup({
      input: '\0entry',
      external: ['mqtt'],
      treeshake: { tryCatchDeoptimization: false },
      plugins: [{ name: 'entry', resolveId: (id) => (id === '\0entry' ? id : null), load: (id) => (id === '\0entry' ? code : null) }, scriptBuild[0], nodeResolve({ browser: true, rootDir: ROOT, extensions: ['.ts', '.js'] }), ts(), scriptBuild[1]],
      onwarn() {},
    });
    const { output } = await build.generate({ format: 'es' });
    await build.close();
    const entry = output.find((o) => o.type === 'chunk' && o.isEntry);
    const min = (await minify(entry.code, { module: true, format: { comments: false } })).code;
    console.log(`  ${title.padEnd(90)} ${String(min.length).padStart(6)} / ${String(gzip(min)).padStart(5)}`);
  }
}

/** Where the bytes go: per source module, minified and gzipped on its own (an approximation: gzip shares context across modules). */
async function breakdown() {
  const { default: typescript } = await import('@rollup/plugin-typescript');
  const { minify } = await import('terser');
  const ts = () =>
    typescript({
      tsconfig: resolve(ROOT, 'tsconfig.json'),
      include: ['src/**/*.ts'],
      compilerOptions: { noEmit: false, declaration: false, sourceMap: false },
    });
  // Built as the browser build (no Node paths) and the main script build (no mini-program code) are.
  const targets = [
    ['signatureCredentials alone (as dist/browser/)', `export { signatureCredentials } from './src/index.ts';`, false, [SCRIPT_PLUGINS[1]]],
    ['the main script build (src/script.ts), noble outside', `export * from './src/script.ts';`, false, SCRIPT_PLUGINS],
  ];
  for (const [title, code, inline, extra] of targets) {
    const build = await rollup({
      input: '\0entry',
      external: ['mqtt'],
      treeshake: { tryCatchDeoptimization: false },
      plugins: [{ name: 'entry', resolveId: (id) => (id === '\0entry' ? id : null), load: (id) => (id === '\0entry' ? code : null) }, extra[0], nodeResolve({ browser: true, rootDir: ROOT, extensions: ['.ts', '.js'] }), ts(), ...extra.slice(1)],
      onwarn() {},
    });
    const { output } = await build.generate({ format: 'es', inlineDynamicImports: inline });
    await build.close();
    console.log(`\n${title}`);
    for (const chunk of output.filter((o) => o.type === 'chunk')) {
      const whole = (await minify(chunk.code, { module: true, format: { comments: false } })).code;
      console.log(`  chunk ${chunk.fileName}: ${whole.length} min, ${gzip(whole)} gzip`);
      const rows = [];
      for (const [id, mod] of Object.entries(chunk.modules)) {
        if (!mod.code) continue;
        const min = (await minify(mod.code, { compress: { unused: false }, format: { comments: false } })).code;
        rows.push([min.length, gzip(min), id.replace(/.*node_modules\//, '').replace(ROOT + '/', '')]);
      }
      rows.sort((a, b) => b[0] - a[0]);
      for (const [min, gz, id] of rows) console.log(`    ${String(min).padStart(6)} ${String(gz).padStart(6)}  ${id}`);
    }
  }
  await umdParts(ts, minify);
}

function table(rows) {
  const lines = [['', 'min B', 'gzip B', 'budget', ''].join('\t')];
  let over = 0;
  for (const row of rows) {
    const ok = row.budget === undefined || row.gzip <= row.budget;
    if (!ok) over++;
    let verdict = row.budget === undefined ? '' : ok ? `ok (${row.budget - row.gzip} B left)` : `OVER by ${row.gzip - row.budget} B`;
    const { target } = row;
    if (target) verdict += row.gzip > target.bytes ? `; ${target.by} ${target.bytes} B not met (+${row.gzip - target.bytes} B)` : `; ${target.by} ${target.bytes} B met`;
    lines.push([row.name.padEnd(44), String(row.min).padStart(7), String(row.gzip).padStart(7), row.budget ?? '', verdict].join('\t'));
  }
  return { text: lines.join('\n'), over };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = new Set(process.argv.slice(2));
  if (args.has('--breakdown')) {
    await breakdown();
  } else {
    const rows = await measureBundles();
    const { text, over } = table(rows);
    if (args.has('--json')) console.log(JSON.stringify(rows, null, 2));
    else console.log(text);
    if (over) {
      console.error(`${over} bundle budget(s) exceeded (see scripts/budgets.mjs and BENCHMARKS.md)`);
      process.exitCode = 1;
    }
  }
}
