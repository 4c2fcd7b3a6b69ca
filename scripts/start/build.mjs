/**
 * `npm start` runs the built package (`dist/`), as users do. On a fresh clone there is none, and
 * after editing `src/` it is out of date, so it is rebuilt (`npm run build`) when any output is
 * missing or older than any source file; otherwise start-up does not pay the ~30 s build.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Files `npm start` serves or imports; the build writes all of them. */
export const BUILD_OUTPUTS = Object.freeze([
  'dist/index.js',
  'dist/server.js',
  'dist/broker.js',
  'dist/apsaramq-mqtt-auth.umd.min.js',
  'dist/apsaramq-mqtt-auth.noble.js',
  'examples/signature-tool/vendor/apsaramq-mqtt-auth.full.umd.min.js',
]);

/** What the build reads: a change to any of them makes the outputs stale. */
export const BUILD_INPUTS = Object.freeze(['src', 'rollup.config.ts', 'tsconfig.json']);

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The newest modification time under `path` (a file or a directory tree). */
function newest(path) {
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = info.mtimeMs; // a deleted file shows only as the directory's change
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/**
 * Why `root` needs a build: `missing <file>`, `<input> changed since the last build`, or `undefined`
 * when every output is newer than every input.
 * @param {string} root
 * @returns {string | undefined}
 */
export function buildNeeded(root) {
  let oldestOutput = Infinity;
  for (const file of BUILD_OUTPUTS) {
    const time = mtime(join(root, file));
    if (time === undefined) return `${file} is missing`;
    oldestOutput = Math.min(oldestOutput, time);
  }
  for (const input of BUILD_INPUTS) {
    if (newest(join(root, input)) > oldestOutput) return `${input} changed since the last build`;
  }
  return undefined;
}

/**
 * Runs `npm run build` in `root` if {@link buildNeeded} says so, with its output passed through.
 * @param {string} root
 * @param {(line: string) => void} log
 */
export async function ensureBuilt(root, log) {
  const reason = buildNeeded(root);
  if (!reason) return false;
  log(`building dist/ first (${reason}); this takes about half a minute`);
  // Under `npm start`, npm says where it lives; run directly, the npm on PATH will do.
  const npm = process.env.npm_execpath;
  const [command, args] = npm && /\.c?js$/.test(npm) ? [process.execPath, [npm, 'run', 'build']] : ['npm', ['run', 'build']];
  const code = await new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', () => resolve(127));
    child.once('exit', (exitCode) => resolve(exitCode ?? 1));
  });
  if (code !== 0) throw new Error(`npm run build failed (exit ${code}); run it yourself to see why`);
  const still = buildNeeded(root);
  if (still) throw new Error(`npm run build finished but ${still}`);
  return true;
}
