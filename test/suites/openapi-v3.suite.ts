import { describe, expect, it } from 'vitest';
import type { ServerApi } from './credential-handler.suite.js';

const INSTANCE = 'mqtt-cn-runtime';
const AK = 'LTAI5tRuntimeV3';
const SECRET = 'runtime-v3-secret-DoNotLeak-0b1e';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * The OpenAPI signature V3 and the OpenAPI client's default signing, in whatever runtime runs the
 * server entry (Node, Chromium, Bun, Deno, workerd): the SHA-256 / HMAC-SHA256 backends against
 * published vectors, the V3 doc example's known answer (see test/unit/openapi-signature-v3.test.ts for
 * its provenance), and `createOnsMqttClient` signing V3 (and V2 on request) for a `fetch` that
 * verifies each request with the same module, as the local broker's gateway does.
 */
export function openApiV3Suite(server: ServerApi): void {
  describe('OpenAPI signature V3 (ACS3-HMAC-SHA256) in this runtime', () => {
    it('SHA-256 and HMAC-SHA256 answer the published vectors on the default and the noble backends', async () => {
      for (const hash of [server.sha256, server.nobleSha256]) expect(hex(await hash('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      for (const mac of [server.hmacSha256, server.nobleHmacSha256]) {
        expect(hex(await mac('Jefe', 'what do ya want for nothing?'))).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
      }
    });

    it('reproduces the V3 doc example signature', async () => {
      const headers = await server.signV3Request({
        method: 'POST', host: 'ecs.cn-shanghai.aliyuncs.com', action: 'RunInstances', version: '2014-05-26', accessKeyId: 'YourAccessKeyId',
        accessKeySecret: 'YourAccessKeySecret', query: { ImageId: 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd', RegionId: 'cn-shanghai' },
        now: Date.parse('2023-10-26T09:01:01Z'), nonce: 'd410180a5abf7fe235dd9b74aca91fc0',
      });
      expect(headers['x-acs-content-sha256']).toBe(EMPTY_SHA256);
      expect(headers['authorization']).toMatch(/,Signature=e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804$/);
    });

    it('createOnsMqttClient signs V3 by default, V2 on request, with static STS credentials; each request verifies', async () => {
      const seen: string[] = [];
      /** Verifies a request as the gateway does, with the same module, and answers QueryToken. */
      const verifyingFetch = async (url: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<Response> => {
        const body = init.body ?? '';
        const authorization = init.headers['authorization'];
        if (authorization) {
          const auth = server.parseV3Authorization(authorization)!;
          const headers: Record<string, string> = { ...init.headers, host: new URL(url).host };
          const payloadHash = await server.v3PayloadHash(body);
          expect(init.headers['x-acs-content-sha256']).toBe(payloadHash);
          const { canonicalRequest } = server.v3CanonicalRequest({ method: init.method, query: Object.fromEntries(new URL(url).searchParams), headers, signedHeaders: auth.signedHeaders, payloadHash });
          const expected = await server.v3Signature({ accessKeySecret: SECRET, stringToSign: await server.v3StringToSign(canonicalRequest) });
          expect(auth.signature).toBe(expected);
          seen.push(`v3 ${auth.signedHeaders.includes('x-acs-security-token') ? 'sts' : 'ak'}`);
        } else {
          const params = Object.fromEntries(new URLSearchParams(body));
          const { Signature: signature, ...signed } = params;
          expect(signature).toBe(await server.openApiSignature({ method: init.method, params: signed, accessKeySecret: SECRET }));
          seen.push(`v2 ${params['SecurityToken'] ? 'sts' : 'ak'}`);
        }
        return new Response(JSON.stringify({ RequestId: 'R', TokenStatus: true }), { status: 200, headers: { 'content-type': 'application/json' } });
      };
      const base = { endpoint: 'https://onsmqtt.cn-hangzhou.aliyuncs.com/', instanceId: INSTANCE, fetch: verifyingFetch };
      const calls = [
        server.createOnsMqttClient({ ...base, accessKeyId: AK, accessKeySecret: SECRET }),
        server.createOnsMqttClient({ ...base, credentials: { accessKeyId: 'STS.runtime', accessKeySecret: SECRET, securityToken: 'CAIS-runtime' } }),
        server.createOnsMqttClient({ ...base, accessKeyId: AK, accessKeySecret: SECRET, signatureAlgorithm: 'v2' }),
        server.createOnsMqttClient({ ...base, credentials: { getCredential: async () => ({ accessKeyId: 'STS.runtime', accessKeySecret: SECRET, securityToken: 'CAIS-runtime' }) }, signatureAlgorithm: 'v2' }),
      ];
      for (const api of calls) expect(await api.queryToken({ token: 'some token' })).toBe(true);
      expect(seen).toEqual(['v3 ak', 'v3 sts', 'v2 ak', 'v2 sts']);
    });
  });
}
