/**
 * The built files in engines with no web API at all, as WeChat/Alipay mini-programs and React
 * Native before 0.74 are: a `node:vm` context holding only ECMAScript built-ins, and QuickJS (a
 * non-V8 engine, through quickjs-emscripten). Every portable suite runs on the single-file script
 * build (what a mini-program loads), on dist/index.js and on dist/browser/index.js (what a
 * mini-program or React Native bundler resolves), with noble signing, the pure UTF-8/Base64 codec,
 * and crypto-js as the independent oracle. The main script build, which loads noble from a
 * sibling file, is checked to fail there with a typed error. check.sh builds dist/ first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { bundleSuites } from '../test/runtimes/bundle.js';
import { DOC_VECTOR } from '../test/helpers/vectors.js';
import { failedToStart, launch, reportResults } from './helpers/launchers.js';
import { ROOT } from './helpers/paths.js';

const BUILDS = [
  ['umd', 'dist/apsaramq-mqtt-auth.full.umd.min.js'],
  ['esm', 'dist/index.js'],
  ['esm', 'dist/browser/index.js'],
] as const;

let suites: string | undefined;
let bundleError: unknown;
try {
  suites = await bundleSuites('iife');
} catch (error) {
  bundleError = error;
}

for (const [engine, script, flags] of [
  ['node:vm', 'test/runtimes/vm.mjs', ['--experimental-vm-modules']],
  ['QuickJS', 'test/runtimes/quickjs.mjs', []],
] as const) {
  for (const [kind, file] of BUILDS) {
    const results = suites ? await launch(process.execPath, [...flags, script, suites, kind, file], { name: `${engine} ${file}` }) : failedToStart('bundle the suites', bundleError);
    reportResults(`${engine}, no web APIs: ${file}`, results);
  }
}

describe('node:vm, no web APIs: the main script build (noble comes from a sibling file it cannot load here)', () => {
  const context = vm.createContext({});
  vm.runInContext(readFileSync(join(ROOT, 'dist/apsaramq-mqtt-auth.umd.min.js'), 'utf8'), context);
  const api = context.ApsaraMqttAuth as typeof import('../src/index.js');

  it('loads without TextEncoder, btoa or crypto and defines the global', () => {
    expect(vm.runInContext('typeof TextEncoder + typeof btoa + typeof crypto', context)).toBe('undefinedundefinedundefined');
    expect(typeof api.signatureCredentials).toBe('function');
  });

  it('what needs no HMAC works: token credentials, connect options, client ids', () => {
    const credentials = api.tokenCredentials({ accessKeyId: 'ak', instanceId: 'mqtt-cn-x', tokens: { RW: 'tok' } });
    expect({ ...credentials }).toEqual({ username: 'Token|ak|mqtt-cn-x', password: 'RW|tok' });
    expect(api.createConnectOptions({ instanceId: 'mqtt-cn-x', clientId: DOC_VECTOR.clientId, credentials }).url).toBe('wss://mqtt-cn-x.mqtt.aliyuncs.com:443/mqtt');
    expect(api.validateClientId('GID_x@@@1').valid).toBe(false);
  });

  it('signing rejects with ERR_HMAC_UNAVAILABLE (typed, retried on the next call), not a crash', async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await api.signatureCredentials(DOC_VECTOR).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ name: 'ApsaraMqttAuthError', code: 'ERR_HMAC_UNAVAILABLE' });
    }
    expect(api.hmacBackend()).toBe('noble');
  });
});
