/**
 * React Native's JavaScript path without a device, on Hermes 0.12 (the `hermes-engine-cli` of React
 * Native 0.69/0.70: no TextEncoder, btoa/atob or crypto), every module through Babel with the React
 * Native preset of that era (metro-react-native-babel-preset 0.72). Every portable suite runs against
 * the package as an app (test/runtimes/react-native-app.js) gets it, three ways:
 * - resolved by name through `exports` with the `react-native` condition (what Metro does from
 *   React Native 0.79, and other React Native bundlers), linked by esbuild: the JavaScript source, as
 *   a development build loads it, and bytecode compiled ahead with `hermesc -O`, as a release build
 *   ships it, there with Hermes's engine microtask queue;
 * - bundled by Metro 0.72 itself (React Native 0.70's, which reads the `react-native` field, not
 *   `exports`), minified, compiled with `hermesc -O`.
 * Also: Hermes 0.12's compiler rejects the package without the Babel pass, and today's Hermes
 * compiler (npm `hermes-compiler`, compile only: no VM comes with it) accepts it without one, and
 * the Metro bundle. The suites are a script of their own, loaded first in the same file. scripts/runtimes.sh installs
 * the tools; check.sh builds dist/ first. See RUNTIMES.md.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bundleAppWithEsbuild, bundleAppWithMetro, bundleAppWithoutBabel, bundleHermesSuites, joinScripts, type AppBundle } from '../test/runtimes/bundle.js';
import type { TestResult } from '../test/runtimes/harness.js';
import { failedToStart, launch, reportResults, requireRuntime } from './helpers/launchers.js';

const execFileAsync = promisify(execFile);
/** Hermes stops the script itself past this (milliseconds); the launcher's own bound is 240 s. */
const TIME_LIMIT = '-time-limit=180000';
/** Hermes warns about every global the script reads that it does not define (fetch, window, …): expected here. */
const QUIET = '-w';
/** A release build's: the engine's own microtask queue for promise jobs. */
const MICROTASKS = ['-Xes6-promise', '-Xmicrotask-queue'];

/** The value, or the error that stopped it. */
async function attempt<T>(make: () => Promise<T>): Promise<T | Error> {
  try {
    return await make();
  } catch (error) {
    return error as Error;
  }
}

/** `hermesc -O -emit-binary`, as React Native's release build runs it: the bytecode file. */
async function compile(script: string, compiler: 'hermesc' | 'hermesc-current' = 'hermesc'): Promise<string> {
  const out = script.replace(/\.js$/, compiler === 'hermesc' ? '.hbc' : '.current.hbc');
  await execFileAsync(requireRuntime(compiler), ['-O', '-emit-binary', QUIET, `-out=${out}`, script], { timeout: 120_000 });
  return out;
}

const suites = await attempt(bundleHermesSuites);

async function run(name: string, app: AppBundle | Error, args: (script: string) => Promise<string[]>): Promise<TestResult[]> {
  if (suites instanceof Error) return failedToStart('bundle the suites for Hermes', suites);
  if (app instanceof Error) return failedToStart(`bundle the app for ${name}`, app);
  try {
    const hermes = requireRuntime('hermes');
    return await launch(hermes, [QUIET, TIME_LIMIT, ...(await args(joinScripts(suites, app.script)))], { name });
  } catch (error) {
    return failedToStart(`${name} starts`, error);
  }
}

const linked = await attempt(bundleAppWithEsbuild);
const metro = await attempt(bundleAppWithMetro);

const runs = {
  source: await run('Hermes (source)', linked, async (script) => [script]),
  bytecode: await run('Hermes (bytecode)', linked, async (script) => [...MICROTASKS, await compile(script)]),
  'Metro bundle': await run('Hermes (Metro bundle, bytecode)', metro, async (script) => [...MICROTASKS, await compile(script)]),
};

describe('the React Native bundles', () => {
  it.each([
    ['esbuild, through exports with the react-native condition', linked],
    ['Metro 0.72, through the react-native field', metro],
  ])('%s, take dist/react-native/index.js and its noble chunk, nothing else of the package', (_, app) => {
    if (app instanceof Error) throw app;
    expect(app.packageFiles).toEqual(['dist/react-native/index.js', 'dist/react-native/noble-sync.js']);
  });

  it.each(Object.entries(runs))('the %s run is on Hermes 0.12.0 without the web APIs, and ran every suite case', (_, results) => {
    expect(results[0]?.name).toMatch(/^the engine is Hermes 0\.12\.0 \(bytecode 89\), without TextEncoder, TextDecoder, btoa, atob, crypto,/);
    expect(results.length).toBeGreaterThan(100);
  });
});

describe('the Hermes compilers', () => {
  it("Hermes 0.12's rejects the package as it ships (async functions, classes): the Babel pass is what makes it run there", async () => {
    const plain = await bundleAppWithoutBabel();
    expect(plain.packageFiles).toEqual(['dist/react-native/index.js', 'dist/react-native/noble-sync.js']);
    const error = await compile(plain.script).then(() => undefined, (e: { stderr?: string }) => e);
    expect(error?.stderr).toMatch(/error: (async functions|classes) are unsupported/);
  });

  it("today's (hermes-compiler 260318099.0.8, Hermes 1.0.0, bytecode 99) compiles the package as it ships, without Babel, and the Metro bundle", async () => {
    const { stdout } = await execFileAsync(requireRuntime('hermesc-current'), ['-version'], { timeout: 30_000 });
    expect(stdout).toMatch(/Hermes release version: 1\.0\.0\s+HBC bytecode version: 99/);
    await compile((await bundleAppWithoutBabel()).script, 'hermesc-current');
    if (metro instanceof Error) throw metro;
    await compile(metro.script, 'hermesc-current');
  });
});

reportResults('Hermes 0.12, React Native Babel preset, react-native condition: the JavaScript source (a development build)', runs.source);
reportResults('Hermes 0.12, React Native Babel preset, react-native condition: hermesc -O bytecode, engine microtask queue (a release build)', runs.bytecode);
reportResults('Hermes 0.12, Metro 0.72 release bundle (React Native 0.70), hermesc -O bytecode, engine microtask queue', runs['Metro bundle']);
