/**
 * The built Node entry points, as a user's `import` and `require` load them: every shared suite
 * against dist/index.js (ESM) and dist/index.cjs (CJS), with Node's crypto as the independent oracle
 * and util.inspect in the leak checks. check.sh builds before the tests.
 */
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DOC_VECTOR } from '../test/helpers/vectors.js';
import type { Api } from '../test/suites/api.js';
import { portableSuites } from '../test/suites/portable.js';
import { ROOT } from './helpers/paths.js';

const oracle = (key: Uint8Array, message: Uint8Array) => new Uint8Array(createHmac('sha1', key).update(message).digest());
const render = (v: unknown) => inspect(v, { depth: 10, showHidden: true });

const esmFile = join(ROOT, 'dist/index.js');
const cjsFile = join(ROOT, 'dist/index.cjs');
const builds = [
  { name: 'dist/index.js through import', api: (await import(pathToFileURL(esmFile).href)) as Api },
  { name: 'dist/index.cjs through require', api: createRequire(import.meta.url)(cjsFile) as Api },
];

for (const { name, api } of builds) {
  describe(name, () => {
    it('signs the documentation vector on the default backend (node:crypto in Node)', async () => {
      expect(api.hmacBackend()).toBe('node');
      const { accessKeyId, accessKeySecret, instanceId, clientId, username, password } = DOC_VECTOR;
      expect(await api.signatureCredentials({ accessKeyId, accessKeySecret, instanceId, clientId })).toEqual({ username, password });
    });

    it('loads the noble fallback (ESM-only @noble/hashes, from CJS too)', async () => {
      expect(Buffer.from(await api.nobleHmacSha1('XXXXX', 'GID_Test@@@0001')).toString('base64')).toBe(DOC_VECTOR.password);
    });

    portableSuites(api, { oracle, inspect: render });
  });
}

it('errors from either build carry the same name and code, so callers branch on code across builds', async () => {
  const [esm, cjs] = builds.map((b) => b.api) as [Api, Api];
  const fromEach = await Promise.all([esm, cjs].map((api) => api.signatureCredentials({ ...DOC_VECTOR, clientId: 'nope' }).catch((e: unknown) => e)));
  // Two module instances (the dual-package hazard): instanceof only matches its own build's class.
  expect(fromEach[0]).toBeInstanceOf(esm.ApsaraMqttAuthError);
  expect(fromEach[1]).not.toBeInstanceOf(esm.ApsaraMqttAuthError);
  for (const error of fromEach) expect(error).toMatchObject({ name: 'ApsaraMqttAuthError', code: 'ERR_INVALID_CLIENT_ID', field: 'clientId' });
});
