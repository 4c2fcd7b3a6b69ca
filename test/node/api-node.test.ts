/**
 * Node-only checks of the sources: Node's crypto as an independent oracle, util.inspect for leaks,
 * and a caller-supplied node:crypto adapter.
 */
import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import fc from 'fast-check';
import { DOC_VECTOR, RFC2202, UTF8_VECTORS, base64, fromHex, fromUtf8, utf8 } from '../helpers/vectors.js';
import { errorsSuite } from '../suites/errors.suite.js';
import { propertySuite } from '../suites/property.suite.js';

const oracle = (key: Uint8Array, message: Uint8Array) => new Uint8Array(createHmac('sha1', key).update(message).digest());

describe('the vectors themselves, against node:crypto', () => {
  it.each(RFC2202)('RFC 2202 $name', ({ key, data, digest }) => {
    expect(createHmac('sha1', fromHex(key)).update(fromHex(data)).digest('hex')).toBe(digest);
  });
  it.each(UTF8_VECTORS)('$name', ({ key, message, base64 }) => {
    expect(createHmac('sha1', key).update(message).digest('base64')).toBe(base64);
  });
  it('documentation vector', () => {
    expect(createHmac('sha1', DOC_VECTOR.accessKeySecret).update(DOC_VECTOR.clientId).digest('base64')).toBe(DOC_VECTOR.password);
  });
});

describe('a node:crypto adapter passed as hmac', () => {
  it('signs the documentation vector', async () => {
    const { accessKeyId, accessKeySecret, instanceId, clientId, password } = DOC_VECTOR;
    const hmac = (k: Uint8Array, m: Uint8Array) => createHmac('sha1', k).update(m).digest();
    expect((await api.signatureCredentials({ accessKeyId, accessKeySecret, instanceId, clientId, hmac })).password).toBe(password);
  });
});

errorsSuite(api, (v) => inspect(v, { depth: 10, showHidden: true }));
propertySuite(api, 'node', oracle);

describe('the test-side UTF-8 and Base64 helpers (what bare engines check the SDK against), against Node', () => {
  it('utf8 equals TextEncoder and fromUtf8 equals TextDecoder, for any string (lone surrogates included)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        const bytes = new TextEncoder().encode(text);
        expect(utf8(text)).toEqual(bytes);
        expect(fromUtf8(bytes)).toBe(new TextDecoder().decode(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('base64 equals Buffer\'s standard Base64 for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
        expect(base64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the default backend in Node', () => {
  it('is node:crypto, reached once through process.getBuiltinModule', async () => {
    expect(api.hmacBackend()).toBe('node');
    expect(Buffer.from(await api.nodeHmacSha1(DOC_VECTOR.accessKeySecret, DOC_VECTOR.clientId)).toString('base64')).toBe(DOC_VECTOR.password);
  });
});
