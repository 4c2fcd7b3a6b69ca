/**
 * The OpenAPI signature V3 (`ACS3-HMAC-SHA256`) and the SHA-256 / HMAC-SHA256 backends under it, on
 * the sources. Portable: runs in Node and in Chromium (WebCrypto), so every backend is exercised.
 *
 * The known answer: the request of the V3 page's "HTTP request syntax" table (RunInstances on
 * ecs.cn-shanghai, x-acs-date 2023-10-26T09:01:01Z, nonce d410180a…, empty body, the ImageId/RegionId
 * query). The page's table shows a signature (06563a9e…) but not the secret it was made with, and
 * the page's own placeholder secret `YourAccessKeySecret` does not reproduce it; so the expected
 * signature below was computed for that secret by three implementations that agree: Alibaba's
 * `@alicloud/openapi-util` (`getAuthorization`), Python's hashlib/hmac, and this module (checked
 * byte for byte against openapi-util on random requests in test/node/openapi-v3-gateway.test.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  ACS3_HMAC_SHA256,
  ApsaraMqttAuthError,
  hmacSha256,
  nobleHmacSha256,
  nobleSha256,
  parseV3Authorization,
  sha256,
  signV3Request,
  v3Authorization,
  v3CanonicalRequest,
  v3PayloadHash,
  v3Signature,
  v3StringToSign,
  webCryptoHmacSha256,
} from '../../src/server/server-entry.js';
import { _hex } from '../../src/openapi/signature-v3.js';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The request of the V3 doc's request-syntax table. */
const DOC = {
  method: 'POST',
  query: { ImageId: 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd', RegionId: 'cn-shanghai' },
  headers: {
    host: 'ecs.cn-shanghai.aliyuncs.com',
    'x-acs-action': 'RunInstances',
    'x-acs-version': '2014-05-26',
    'x-acs-date': '2023-10-26T09:01:01Z',
    'x-acs-signature-nonce': 'd410180a5abf7fe235dd9b74aca91fc0',
    'x-acs-content-sha256': EMPTY_SHA256,
  },
  canonicalRequest: [
    'POST',
    '/',
    'ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai',
    'host:ecs.cn-shanghai.aliyuncs.com',
    'x-acs-action:RunInstances',
    `x-acs-content-sha256:${EMPTY_SHA256}`,
    'x-acs-date:2023-10-26T09:01:01Z',
    'x-acs-signature-nonce:d410180a5abf7fe235dd9b74aca91fc0',
    'x-acs-version:2014-05-26',
    '',
    'host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version',
    EMPTY_SHA256,
  ].join('\n'),
  canonicalHash: '29622f5feb1e9fcaaa2e276a72889c975f7b16f00e02be1ca34965b18cd85015',
  secret: 'YourAccessKeySecret',
  signature: 'e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804',
};

async function rejection(promise: Promise<unknown>): Promise<ApsaraMqttAuthError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApsaraMqttAuthError);
    return error as ApsaraMqttAuthError;
  }
  throw new Error('expected a rejection');
}

describe('SHA-256 and HMAC-SHA256 backends', () => {
  // FIPS 180-2 (SHA-256 of "", "abc") and RFC 4231 test cases 1, 2 and 6 (a 131-byte key, hashed first).
  const key131 = new Uint8Array(131).fill(0xaa);
  const cases: [Uint8Array | string, string, string][] = [
    [new Uint8Array(20).fill(0x0b), 'Hi There', 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    ['Jefe', 'what do ya want for nothing?', '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
    [key131, 'Test Using Larger Than Block-Size Key - Hash Key First', '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
  ];

  it('SHA-256 agrees on every backend with the published digests', async () => {
    for (const hash of [sha256, nobleSha256]) {
      expect(_hex(await hash(''))).toBe(EMPTY_SHA256);
      expect(_hex(await hash('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    }
  });

  it('HMAC-SHA256 agrees on every backend with RFC 4231', async () => {
    for (const mac of [hmacSha256, nobleHmacSha256, webCryptoHmacSha256]) {
      for (const [key, message, expected] of cases) expect(_hex(await mac(key, message))).toBe(expected);
    }
  });

  it('an empty key is the zero-padded key on every backend (WebCrypto refuses empty keys)', async () => {
    const expected = _hex(await nobleHmacSha256('', 'm'));
    expect(_hex(await hmacSha256('', 'm'))).toBe(expected);
    expect(_hex(await webCryptoHmacSha256('', 'm'))).toBe(expected);
  });
});

describe('signature V3 (ACS3-HMAC-SHA256)', () => {
  it('reproduces the canonical request, string to sign and signature of the doc example', async () => {
    const { canonicalRequest, signedHeaders } = v3CanonicalRequest({ method: DOC.method, query: DOC.query, headers: DOC.headers, payloadHash: EMPTY_SHA256 });
    expect(canonicalRequest).toBe(DOC.canonicalRequest);
    expect(signedHeaders).toBe('host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version');
    const stringToSign = await v3StringToSign(canonicalRequest);
    expect(stringToSign).toBe(`${ACS3_HMAC_SHA256}\n${DOC.canonicalHash}`);
    expect(await v3Signature({ accessKeySecret: DOC.secret, stringToSign })).toBe(DOC.signature);
  });

  it('signV3Request builds the same Authorization from options, host left to fetch', async () => {
    const headers = await signV3Request({
      method: 'POST',
      host: DOC.headers.host,
      action: 'RunInstances',
      version: '2014-05-26',
      accessKeyId: 'YourAccessKeyId',
      accessKeySecret: DOC.secret,
      query: DOC.query,
      now: Date.parse('2023-10-26T09:01:01Z'),
      nonce: 'd410180a5abf7fe235dd9b74aca91fc0',
    });
    expect(headers).not.toHaveProperty('host');
    expect(headers['x-acs-content-sha256']).toBe(EMPTY_SHA256);
    expect(headers.authorization).toBe(
      `ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=${DOC.signature}`,
    );
  });

  it('a body is signed through its SHA-256 with its content type; a SecurityToken is signed as x-acs-security-token', async () => {
    const body = 'InstanceId=mqtt-1&Token=a%20b%2A~';
    const base = { method: 'POST', host: 'h:8080', action: 'QueryToken', version: '2020-04-20', accessKeyId: 'STS.id', accessKeySecret: 's', now: 0, nonce: 'n' } as const;
    const signed = await signV3Request({ ...base, body, contentType: 'application/x-www-form-urlencoded', securityToken: 'CAIS-token' });
    expect(signed['x-acs-content-sha256']).toBe(await v3PayloadHash(body));
    expect(signed['x-acs-security-token']).toBe('CAIS-token');
    expect(parseV3Authorization(signed.authorization!)!.signedHeaders).toEqual([
      'content-type', 'host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-security-token', 'x-acs-signature-nonce', 'x-acs-version',
    ]);
    // Each signed part changes the signature.
    const other = await signV3Request({ ...base, body: body + 'x', contentType: 'application/x-www-form-urlencoded', securityToken: 'CAIS-token' });
    const noToken = await signV3Request({ ...base, body, contentType: 'application/x-www-form-urlencoded' });
    const sig = (h: Record<string, string>) => parseV3Authorization(h.authorization!)!.signature;
    expect(new Set([sig(signed), sig(other), sig(noToken)]).size).toBe(3);
  });

  it('query names and values are percent-encoded as RFC 3986 (space %20, * %2A, ~ kept), sorted by code unit', () => {
    const { canonicalRequest } = v3CanonicalRequest({ method: 'get', query: { b: 'x y*~', B: '1', 'a.1': 'é/' }, headers: { Host: 'h' }, payloadHash: EMPTY_SHA256 });
    expect(canonicalRequest.split('\n').slice(0, 4)).toEqual(['GET', '/', 'B=1&a.1=%C3%A9%2F&b=x%20y%2A~', 'host:h']);
  });

  it('the Authorization header round-trips and malformed ones are refused', () => {
    const parts = { algorithm: ACS3_HMAC_SHA256, accessKeyId: 'AK', signedHeaders: ['host', 'x-acs-date'], signature: 'ab' };
    expect(parseV3Authorization(v3Authorization(parts))).toEqual(parts);
    for (const bad of ['', 'ACS3-HMAC-SHA256', 'ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host', 'ACS3-HMAC-SHA256 Credential=AK,Credential=B,SignedHeaders=host,Signature=ab', 'acs AK:sig', 'ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host,Signature=ab,Extra=1']) {
      expect(parseV3Authorization(bad)).toBeUndefined();
    }
  });

  it('bad inputs are named before anything is signed', async () => {
    const base = { method: 'POST', host: 'h', action: 'A', version: 'v', accessKeyId: 'AK', accessKeySecret: 's', now: 0, nonce: 'n' } as const;
    expect((await rejection(signV3Request({ ...base, method: 'PUT' as 'GET' }))).field).toBe('method');
    expect((await rejection(signV3Request({ ...base, accessKeyId: 'a,b' }))).field).toBe('accessKeyId');
    expect((await rejection(signV3Request({ ...base, accessKeySecret: '' }))).field).toBe('accessKeySecret');
    expect((await rejection(signV3Request({ ...base, body: 'x' }))).field).toBe('contentType');
    expect((await rejection(signV3Request({ ...base, now: NaN }))).field).toBe('now');
    expect((await rejection(signV3Request({ ...base, securityToken: '' }))).field).toBe('securityToken');
    expect(() => v3CanonicalRequest({ method: 'GET', headers: { host: 'h' }, signedHeaders: ['host', 'x-acs-date'], payloadHash: EMPTY_SHA256 })).toThrow(/x-acs-date.*absent|headers/);
  });

  it('injected hashes are used; one that throws is named without its message, one of the wrong size refused', async () => {
    const base = { method: 'GET', host: 'h', action: 'A', version: 'v', accessKeyId: 'AK', accessKeySecret: 'the-secret', now: 0, nonce: 'n' } as const;
    const seen: number[] = [];
    const own = await signV3Request({ ...base, sha256: async (m) => (seen.push(m.length), nobleSha256(m)), hmacSha256: (k, m) => nobleHmacSha256(k, m) });
    expect(own).toEqual(await signV3Request(base));
    expect(seen.length).toBe(2); // the payload, then the canonical request
    const thrown = await rejection(signV3Request({ ...base, hmacSha256: () => { throw new Error('key the-secret leaked'); } }));
    expect(thrown).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'hmacSha256' });
    expect(String(thrown.message) + String(thrown.cause ?? '')).not.toContain('the-secret');
    expect((await rejection(signV3Request({ ...base, sha256: () => new Uint8Array(20) }))).field).toBe('sha256');
  });
});
