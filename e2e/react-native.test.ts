/**
 * React Native's JavaScript path without a device: Hermes 0.12 (the `hermes-engine-cli` of React
 * Native 0.69/0.70, with no TextEncoder, btoa/atob or crypto) runs every portable suite against the
 * package as an app gets it: resolved by name with the `react-native` condition
 * (dist/browser/index.js), every module through Babel with the React Native preset of that era
 * (metro-react-native-babel-preset 0.72), then one classic script (see bundleForHermes). Twice: the
 * JavaScript source as a development build loads it, and bytecode compiled ahead with `hermesc -O`
 * as a release build ships it, there with Hermes's engine microtask queue. scripts/runtimes.sh
 * installs the tools; check.sh builds dist/ first. See RUNTIMES.md.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bundleForHermes } from '../test/runtimes/bundle.js';
import type { TestResult } from '../test/runtimes/harness.js';
import { failedToStart, launch, reportResults, requireRuntime } from './helpers/launchers.js';

const execFileAsync = promisify(execFile);
/** Hermes stops the script itself past this (milliseconds); the launcher's own bound is 240 s. */
const TIME_LIMIT = '-time-limit=180000';
/** Hermes warns about every global the script reads that it does not define (fetch, window, …): expected here. */
const QUIET = '-w';

let bundle: Awaited<ReturnType<typeof bundleForHermes>> | undefined;
let bundleError: unknown;
try {
  bundle = await bundleForHermes();
} catch (error) {
  bundleError = error;
}

async function run(name: string, start: () => Promise<string[]>): Promise<TestResult[]> {
  try {
    const hermes = requireRuntime('hermes');
    if (!bundle) return failedToStart('bundle the suites and the package for React Native', bundleError);
    return await launch(hermes, await start(), { name });
  } catch (error) {
    return failedToStart(`${name} starts`, error);
  }
}

const source = await run('Hermes (source)', async () => [QUIET, TIME_LIMIT, bundle!.script]);
const bytecode = await run('Hermes (bytecode)', async () => {
  const out = bundle!.script.replace(/\.js$/, '.hbc');
  await execFileAsync(requireRuntime('hermesc'), ['-O', '-emit-binary', QUIET, `-out=${out}`, bundle!.script], { timeout: 120_000 });
  return [QUIET, TIME_LIMIT, '-Xes6-promise', '-Xmicrotask-queue', out];
});

describe('the React Native bundle', () => {
  it('takes the package through its react-native condition: dist/browser/index.js and its noble chunk, nothing else', () => {
    if (!bundle) throw bundleError;
    expect(bundle.packageFiles.sort()).toEqual(['dist/browser/index.js', 'dist/browser/noble-sync.js']);
  });

  it.each([
    ['source', source],
    ['bytecode', bytecode],
  ])('the %s run is on Hermes 0.12.0 without the web APIs, and ran every suite case', (_, results) => {
    expect(results[0]?.name).toMatch(/^the engine is Hermes 0\.12\.0 \(bytecode 89\), without TextEncoder, TextDecoder, btoa, atob, crypto,/);
    expect(results.length).toBeGreaterThan(100);
  });
});

reportResults('Hermes 0.12, React Native Babel preset, react-native condition: the JavaScript source (a development build)', source);
reportResults('Hermes 0.12, React Native Babel preset, react-native condition: hermesc -O bytecode, engine microtask queue (a release build)', bytecode);
