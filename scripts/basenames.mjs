/**
 * No two files of `src/` share a name: a stack trace, an editor tab or a search names one file.
 * Exits 1 naming each name that several files bear, unless `scripts/shared-basenames.txt` lists it (the
 * names shared before the renames of issue 19; the rename empties that list, after which it stays empty).
 * A listed name no longer shared is reported, to be struck from the list. Run by `scripts/check.sh`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ALLOW = join(ROOT, 'scripts/shared-basenames.txt');

const files = readdirSync(join(ROOT, 'src'), { recursive: true })
  .map((name) => posix.join('src', String(name).split('\\').join('/')))
  .filter((file) => /\.[cm]?[jt]s$/.test(file));
const byName = new Map();
for (const file of files) byName.set(posix.basename(file), [...(byName.get(posix.basename(file)) ?? []), file]);
const allowed = new Set(
  readFileSync(ALLOW, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#')),
);

let failed = 0;
for (const [name, holders] of byName) {
  if (holders.length < 2) continue;
  if (allowed.has(name)) continue;
  console.error(`basenames: ${name} is the name of ${holders.length} files (${holders.sort().join(', ')}): name each for what it holds`);
  failed++;
}
const stale = [...allowed].filter((name) => (byName.get(name)?.length ?? 0) < 2);
if (stale.length) console.log(`basenames: no longer shared, strike from scripts/shared-basenames.txt: ${stale.join(', ')}`);
const shared = [...byName.values()].filter((holders) => holders.length > 1);
console.log(`basenames: ${files.length} files in src/, ${shared.length} names shared (${shared.reduce((n, h) => n + h.length, 0)} files), ${allowed.size} allowed by scripts/shared-basenames.txt`);
process.exit(failed ? 1 : 0);
