/**
 * The built `apsaramq-mqtt-auth/server` entry (dist/server.js imported, dist/server.cjs required):
 * the documented RPC signature, a credential handler answering a real request, and one error class
 * shared with the main entry, so `instanceof` works across subpaths.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DOC_RPC_EXAMPLE } from '../test/helpers/openapi-vectors.js';
import { DOC_VECTOR } from '../test/helpers/vectors.js';

type ServerApi = typeof import('../src/server/server-entry.js');
type MainApi = typeof import('../src/index.js');

const dist = resolve(import.meta.dirname, '../dist');
const require = createRequire(import.meta.url);

const builds: { name: string; load: () => Promise<[ServerApi, MainApi]> }[] = [
  { name: 'ESM', load: async () => [await import(pathToFileURL(`${dist}/server.js`).href), await import(pathToFileURL(`${dist}/index.js`).href)] },
  { name: 'CJS', load: async () => [require(`${dist}/server.cjs`), require(`${dist}/index.cjs`)] },
];

describe.each(builds)('dist server entry ($name)', ({ load }) => {
  it('is built', () => {
    expect(existsSync(`${dist}/server.js`) && existsSync(`${dist}/server.cjs`) && existsSync(`${dist}/server.d.ts`) && existsSync(`${dist}/server.d.cts`)).toBe(true);
  });

  it('signs the documented OpenAPI example', async () => {
    const [server] = await load();
    expect(await server.openApiSignature({ method: 'GET', params: DOC_RPC_EXAMPLE.params, accessKeySecret: DOC_RPC_EXAMPLE.secret })).toBe(DOC_RPC_EXAMPLE.signature);
  });

  it('answers a credential request with the documented Signature password', async () => {
    const [server] = await load();
    const { accessKeyId, accessKeySecret, instanceId, clientId, username, password } = DOC_VECTOR;
    const handler = server.createCredentialHandler({ instanceId, accessKeyId, accessKeySecret, authorize: () => ({ mode: 'signature' }) });
    const response = await handler(new Request(`http://127.0.0.1/credentials?clientId=${encodeURIComponent(clientId)}`));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ mode: 'signature', clientId, username, password });
  });

  it('shares ApsaraMqttAuthError with the main entry', async () => {
    const [server, main] = await load();
    expect(server.ApsaraMqttAuthError).toBe(main.ApsaraMqttAuthError);
    const error = await server.createOnsMqttClient({ accessKeyId: 'a', accessKeySecret: 's', endpoint: 'http://127.0.0.1:9/', instanceId: 'i' })
      .applyToken({ resources: ['t'], actions: 'R', expireTime: 0 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(main.ApsaraMqttAuthError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'expireTime' });
  });
});
