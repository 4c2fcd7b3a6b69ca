/**
 * The built script bundles loaded in Chromium through a classic `<script>` tag, as a page without a
 * bundler loads them: every shared suite against `window.ApsaraMqttAuth` of the single-file builds
 * (`apsaramq-mqtt-auth.full.umd[.min].js`, noble inside), and the main script build's surface. The
 * files' exact bytes are read from dist/ (check.sh builds before the tests) and served to the tag
 * from a Blob URL, so nothing rewrites them on the way. A Blob URL has no sibling to load noble
 * from: the main build's suites run from a real URL in e2e/browser-script.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import type { Api } from '../suites/api.js';
import { NOT_IN_SCRIPT, portableSuites } from '../suites/portable.js';
import { DOC_VECTOR } from '../helpers/vectors.js';

type Global = { ApsaraMqttAuth?: Api };

/** Loads `file` with a script tag and returns the global it defined, and the globals it added. */
async function loadUmd(file: string): Promise<{ api: Api; added: string[] }> {
  const source = await commands.readFile(`dist/${file}`) // relative to the project root;
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const g = globalThis as Global;
  delete g.ApsaraMqttAuth;
  const before = new Set(Object.keys(globalThis));
  try {
    await new Promise<void>((resolve, reject) => {
      const script = document.createElement('script');
      script.src = url;
      script.onload = () => resolve();
      script.onerror = () => reject(new Error(`${file} failed to load`));
      document.head.append(script);
    });
  } finally {
    URL.revokeObjectURL(url);
  }
  const api = g.ApsaraMqttAuth;
  if (!api) throw new Error(`${file} did not define window.ApsaraMqttAuth`);
  const added = Object.keys(globalThis).filter((k) => !before.has(k));
  delete g.ApsaraMqttAuth; // the next bundle must define its own
  return { api, added };
}

const bundles = [
  { file: 'apsaramq-mqtt-auth.full.umd.min.js', ...(await loadUmd('apsaramq-mqtt-auth.full.umd.min.js')) },
  { file: 'apsaramq-mqtt-auth.full.umd.js', ...(await loadUmd('apsaramq-mqtt-auth.full.umd.js')) },
];
const main = await loadUmd('apsaramq-mqtt-auth.umd.min.js');

for (const { file, api, added } of bundles) {
  describe(`dist/${file} through a <script> tag`, () => {
    it('defines the global ApsaraMqttAuth and no other global', () => {
      expect(added).toEqual(['ApsaraMqttAuth']);
      expect(typeof api.signatureCredentials).toBe('function');
    });

    it('carries the noble fallback inside (no module loading, as mini-programs need)', async () => {
      const { password } = await api.signatureCredentials({ ...DOC_VECTOR, hmac: api.nobleHmacSha1 });
      expect(password).toBe(DOC_VECTOR.password);
    });

    portableSuites(api);
  });
}

describe('dist/apsaramq-mqtt-auth.umd.min.js (the main script build) through a <script> tag', () => {
  it('defines the global ApsaraMqttAuth and no other global, without the batch signer and diagnostics', () => {
    expect(main.added).toEqual(['ApsaraMqttAuth']);
    for (const name of NOT_IN_SCRIPT) expect(main.api).not.toHaveProperty(name);
  });

  it('signs with WebCrypto here, fetching nothing', async () => {
    expect(main.api.hmacBackend()).toBe('webcrypto');
    const { accessKeyId, accessKeySecret, instanceId, clientId, username, password } = DOC_VECTOR;
    expect(await main.api.signatureCredentials({ accessKeyId, accessKeySecret, instanceId, clientId })).toEqual({ username, password });
  });

  it('loaded from a Blob URL it has no sibling to take noble from: a typed ERR_HMAC_UNAVAILABLE saying why and naming the single-file build, not a crash', async () => {
    await expect(main.api.nobleHmacSha1('k', 'm')).rejects.toMatchObject({
      name: 'ApsaraMqttAuthError',
      code: 'ERR_HMAC_UNAVAILABLE',
      message: 'the noble HMAC did not load: apsaramq-mqtt-auth.noble.js has no URL (this script was not loaded by a <script src>): load the single-file build apsaramq-mqtt-auth.full.umd.min.js',
    });
  });
});
