/**
 * The layer rule of ARCHITECTURE.md, checked on the import graph of `src/`: no file imports from a
 * layer its row may not import, and no files import each other in a circle. Every import counts:
 * `import`, `import type`, `export … from`, and `import()`. Exits 1 naming each offending import and
 * each circle; run by `scripts/check.sh`. `--graph` prints the graph (file → what it imports).
 *
 * LAYERS mirrors the table "Layers, bottom up" of ARCHITECTURE.md: change both together.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Each row: the files it holds (a folder ends in `/`) and the rows it may import besides itself.
 * `'*'`: anything below it.
 */
export const LAYERS = [
  { row: 'own', holds: ['src/own.ts'], may: [] },
  { row: 'errors', holds: ['src/errors.ts'], may: ['own'] },
  { row: 'internal', holds: ['src/internal/'], may: ['own', 'errors'] },
  { row: 'clock', holds: ['src/clock.ts', 'src/manual-clock.ts'], may: ['own', 'errors', 'internal'] },
  { row: 'http', holds: ['src/http/'], may: ['own', 'errors', 'internal', 'clock'] },
  { row: 'protocol', holds: ['src/protocol/'], may: ['own', 'errors', 'internal', 'clock'] },
  { row: 'hmac', holds: ['src/hmac/'], may: ['own', 'errors', 'internal', 'clock'] },
  { row: 'credentials', holds: ['src/credentials/'], may: ['own', 'errors', 'internal', 'clock', 'protocol', 'hmac'] },
  { row: 'openapi', holds: ['src/openapi/'], may: ['own', 'errors', 'internal', 'clock', 'protocol', 'hmac', 'credentials'] },
  { row: 'connect', holds: ['src/connect/'], may: ['own', 'errors', 'internal', 'clock', 'protocol', 'hmac', 'credentials', 'openapi'] },
  { row: 'lifecycle', holds: ['src/lifecycle/'], may: ['own', 'errors', 'internal', 'clock', 'protocol', 'hmac', 'credentials', 'openapi', 'connect'] },
  { row: 'server', holds: ['src/server/'], may: ['own', 'errors', 'internal', 'clock', 'http', 'protocol', 'hmac', 'credentials', 'openapi'] },
  { row: 'broker', holds: ['src/broker/'], may: ['own', 'errors', 'internal', 'clock', 'http', 'protocol', 'hmac', 'credentials', 'openapi', 'server'] },
  { row: 'cli', holds: ['src/cli/'], may: '*' },
  { row: 'entries', holds: ['src/index.ts', 'src/script.ts'], may: '*' },
];

/** The row of a file (`src/…`, `/` separators): the longest `holds` that names it. */
export function rowOf(file) {
  let best;
  for (const layer of LAYERS) {
    for (const held of layer.holds) {
      const match = held.endsWith('/') ? file.startsWith(held) : file === held;
      if (match && (!best || held.length > best.length)) best = { layer, length: held.length };
    }
  }
  return best?.layer;
}

/** The relative module specifiers of a TypeScript source: static, type-only, re-exports and `import()`. */
export function specifiers(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const found = new Set();
  for (const pattern of [/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g]) {
    for (const m of code.matchAll(pattern)) if (m[1].startsWith('.')) found.add(m[1]);
  }
  return [...found];
}

/** Every `.ts` file under `src/` (paths from the repository root, `/` separators). */
function sources(dir = join(ROOT, 'src')) {
  return readdirSync(dir, { recursive: true })
    .map((name) => posix.join('src', String(name).split('\\').join('/')))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .sort();
}

/** file → the files of `src/` it imports. */
export function importGraph() {
  const files = new Set(sources());
  const graph = new Map();
  for (const file of files) {
    const targets = new Set();
    for (const spec of specifiers(readFileSync(join(ROOT, file), 'utf8'))) {
      const target = posix.normalize(posix.join(posix.dirname(file), spec)).replace(/\.(?:js|ts)$/, '.ts');
      if (files.has(target)) targets.add(target);
      else if (files.has(`${target}.ts`)) targets.add(`${target}.ts`);
      else if (files.has(`${target}/index.ts`)) targets.add(`${target}/index.ts`);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** Imports that break the table: `[from, to, why]`. */
export function upwardImports(graph) {
  const out = [];
  for (const [from, targets] of graph) {
    const source = rowOf(from);
    if (!source) {
      out.push([from, '', 'is in no row of the layer table (add it to LAYERS and to ARCHITECTURE.md)']);
      continue;
    }
    for (const to of targets) {
      const target = rowOf(to);
      if (!target || target === source || source.may === '*' || source.may.includes(target.row)) continue;
      out.push([from, to, `${source.row} may not import ${target.row}`]);
    }
  }
  return out;
}

/** The circles of the graph (strongly connected sets of more than one file, or a file importing itself), each sorted. */
export function circles(graph) {
  let index = 0;
  const stack = [];
  const state = new Map();
  const found = [];
  const visit = (file) => {
    const s = { index, low: index, onStack: true };
    index++;
    state.set(file, s);
    stack.push(file);
    for (const to of graph.get(file) ?? []) {
      const t = state.get(to);
      if (!t) {
        visit(to);
        s.low = Math.min(s.low, state.get(to).low);
      } else if (t.onStack) s.low = Math.min(s.low, t.index);
    }
    if (s.low !== s.index) return;
    const group = [];
    let member;
    do {
      member = stack.pop();
      state.get(member).onStack = false;
      group.push(member);
    } while (member !== file);
    if (group.length > 1 || (graph.get(file) ?? []).includes(file)) found.push(group.sort());
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const graph = importGraph();
  if (process.argv.includes('--graph')) {
    for (const [file, targets] of graph) console.log(`${file} → ${targets.join(', ') || '(nothing)'}`);
  }
  const upward = upwardImports(graph);
  const loops = circles(graph);
  for (const [from, to, why] of upward) console.error(`layers: ${from}${to ? ` → ${to}` : ''}: ${why}`);
  for (const loop of loops) console.error(`layers: a circle: ${loop.join(' ↔ ')} (import one way only: move what both need below them)`);
  const edges = [...graph.values()].reduce((n, targets) => n + targets.length, 0);
  console.log(`layers: ${graph.size} files, ${edges} imports: ${upward.length} against the layer table, ${loops.length} circles (${relative(ROOT, fileURLToPath(import.meta.url))})`);
  process.exit(upward.length + loops.length > 0 ? 1 : 0);
}
