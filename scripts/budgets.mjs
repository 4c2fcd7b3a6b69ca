#!/usr/bin/env node
/**
 * Bundle bytes and their budgets. Deterministic (same sources, same lockfile → same bytes), so CI
 * enforces them; `scripts/check.sh` runs this after the build.
 *
 *   node scripts/budgets.mjs               measure dist/, compare, exit 1 when a budget is exceeded
 *   node scripts/budgets.mjs --json        the same, as JSON on stdout
 *   node scripts/budgets.mjs --breakdown   where the bytes go, per source module (builds from src/)
 *
 * Every figure is what a user ships: a real bundler (rollup + node-resolve + terser, the defaults
 * a consumer gets) builds a one-line consumer of the package, and the result is gzipped at level 9.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import commonjs from '@rollup/plugin-commonjs';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { rollup } from 'rollup';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE = 'apsaramq-mqtt-auth';
const UMD_MIN = 'dist/apsaramq-mqtt-auth.umd.min.js';

/** Budgets in gzip bytes (1 KB = 1024 bytes). Raising one is a decision for the lead, in review. */
export const BUDGETS = {
  // Was 1.5 KB (1533 B on main); issue 10's argument checks (options copied to null-prototype
  // objects, an error class whose constructor cannot throw) cost 121 B on this path (1654 B).
  // Raised for the lead to confirm in review.
  signatureCredentials: 1.625 * 1024,
  // Issue 6 asked for 5 KB; the whole client API (with the managed connection of issue 4 and the
  // noble fallback) measured 8998 B, and no part can be dropped without breaking another issue's
  // contract (see BENCHMARKS.md, "Budgets"). Issue 9's state machine, refusal ledger, publish gate,
  // provider timeouts and tuning checks brought it to 12228 B (proposed for review, not yet agreed).
  // Until that is decided, this guards against growth. Issue 10's argument checks and own-property
  // reads add 608 B (12456 → 13064 B): raised for the lead to confirm in review.
  umd: 12.875 * 1024,
};

/** What issue 6 asked for, reported beside the enforced budget so the gap stays visible. */
export const TARGETS = { umd: 5 * 1024 };

const gzip = (text) => gzipSync(text, { level: 9 }).length;
const sizes = (text) => ({ min: Buffer.byteLength(text), gzip: gzip(text) });

/** A virtual entry module, and the package name resolved to this checkout's dist/ (as an install would). */
function consumer(code) {
  return {
    name: 'consumer',
    resolveId(id) {
      if (id === '\0entry') return id;
      if (id === PACKAGE) return resolve(ROOT, 'dist/index.js');
      return null;
    },
    load: (id) => (id === '\0entry' ? code : null),
  };
}

/**
 * Bundles `code` as a consumer would and minifies it with terser's defaults. Returns the entry
 * chunk and every lazily loaded chunk separately, since only the entry is fetched up front.
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
  const chunks = output.filter((o) => o.type === 'chunk');
  const entry = chunks.find((c) => c.isEntry);
  const lazy = chunks.filter((c) => !c.isEntry);
  return {
    ...sizes(entry.code),
    lazy: lazy.map((c) => ({ file: c.fileName.replace(/-[\w-]{8}\.js$/, '.js'), ...sizes(c.code) })),
  };
}

const read = (path) => readFileSync(resolve(ROOT, path), 'utf8');

/** Every measurement, for this script and for `npm run bench`. */
export async function measureBundles() {
  const rows = [];
  const add = (name, what, size, budget) => rows.push({ name, what, min: size.min, gzip: size.gzip, ...(budget ? { budget } : {}) });

  const one = await bundle(`export { signatureCredentials } from '${PACKAGE}';`, { external: ['mqtt'] });
  add('signatureCredentials alone (ESM, WebCrypto)', 'rollup+terser build of a one-line consumer; the lazily imported noble chunk is not counted', one, BUDGETS.signatureCredentials);
  for (const chunk of one.lazy) add(`  + lazy chunk ${chunk.file}`, 'fetched only where WebCrypto is missing', chunk);

  const all = await bundle(`export * from '${PACKAGE}';`, { external: ['mqtt'] });
  add('whole ESM API', 'rollup+terser build of `export *` (mqtt, a peer, external)', all);
  for (const chunk of all.lazy) add(`  + lazy chunk ${chunk.file}`, 'fetched only where WebCrypto is missing', chunk);

  add('UMD, minified (whole client API + noble)', UMD_MIN, sizes(read(UMD_MIN)), BUDGETS.umd);
  rows.at(-1).target = TARGETS.umd;

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

const CORE = 'ApsaraMqttAuthError, hmacSha1, hmacBackend, webCryptoHmacSha1, nobleHmacSha1, signatureCredentials, deviceCredentials, customCredentials, tokenCredentials, TOKEN_TYPES, formatClientId, parseClientId, validateClientId, MAX_CLIENT_ID_LENGTH';
const OPTIONS = 'createConnectOptions, CONNECT_DEFAULTS, DEFAULT_PORTS, DEFAULT_WS_PATH';
const LIFECYCLE =
  'connect, connectAsync, staticCredentials, signatureProvider, deviceProvider, remoteCredentials, refreshCredentials, onSessionEvent, TOKEN_INVALID_REASONS, UPLOAD_TOKEN_TOPIC, systemClock';

/**
 * What each part of the client API costs in the one-file browser bundle: the sources built as the
 * UMD is (everything inlined, `import.meta.url` undefined, terser), for growing subsets of the API,
 * with and without the noble fallback. Differences between rows are the cost of what was added.
 */
async function umdParts(ts, minify) {
  const variants = [
    ['credentials + client ids + HMAC', `export { ${CORE} } from './src/index.ts';`],
    ['  + createConnectOptions', `export { ${CORE}, ${OPTIONS} } from './src/index.ts';`],
    ['  + connect/connectAsync, providers, lifecycle', `export { ${CORE}, ${OPTIONS}, ${LIFECYCLE} } from './src/index.ts';`],
    ['  + createSigner', `export { ${CORE}, ${OPTIONS}, ${LIFECYCLE}, createSigner } from './src/index.ts';`],
    ['  + everything else in the entry (= whole API, as the UMD)', `export * from './src/index.ts';`],
  ];
  const noNoble = {
    name: 'no-noble',
    resolveId: (id) => (id.endsWith('/noble-sync.js') ? '\0noble-stub' : null),
    load: (id) => (id === '\0noble-stub' ? 'export const _nobleHmac = () => { throw 0 }; export const _nobleKeyedHmac = _nobleHmac;' : null),
  };
  const umdMeta = { name: 'umd-meta', resolveImportMeta: (property) => (property === 'url' ? 'undefined' : null) };
  console.log('\nUMD cost by part (min / gzip bytes; differences between rows are what the added part costs)');
  for (const [title, code] of variants) {
    const sizesOf = async (extra) => {
      const build = await rollup({
        input: '\0entry',
        external: ['mqtt'],
        plugins: [{ name: 'entry', resolveId: (id) => (id === '\0entry' ? id : null), load: (id) => (id === '\0entry' ? code : null) }, ...extra, nodeResolve({ browser: true, rootDir: ROOT, extensions: ['.ts', '.js'] }), ts(), umdMeta],
        onwarn() {},
      });
      const { output } = await build.generate({ format: 'es', inlineDynamicImports: true });
      await build.close();
      const min = (await minify(output[0].code, { module: true, format: { comments: false } })).code;
      return `${String(min.length).padStart(6)} / ${String(gzip(min)).padStart(5)}`;
    };
    console.log(`  ${title.padEnd(62)} with noble ${await sizesOf([])}   without noble ${await sizesOf([noNoble])}`);
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
  const targets = [
    ['signatureCredentials alone', `export { signatureCredentials } from './src/index.ts';`, false],
    ['whole client API, one file (as the UMD)', `export * from './src/index.ts';`, true],
  ];
  for (const [title, code, inline] of targets) {
    const build = await rollup({
      input: '\0entry',
      external: ['mqtt'],
      plugins: [{ name: 'entry', resolveId: (id) => (id === '\0entry' ? id : null), load: (id) => (id === '\0entry' ? code : null) }, nodeResolve({ browser: true, rootDir: ROOT, extensions: ['.ts', '.js'] }), ts()],
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
    if (row.target !== undefined && row.gzip > row.target) verdict += `; issue 6's target ${row.target} B not met (+${row.gzip - row.target} B)`;
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
