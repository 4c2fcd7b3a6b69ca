import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64, toHex, utf8 } from '../helpers/vectors.js';
import { backendsOf, type Api, type BackendName } from './api.js';

/** An independent HMAC-SHA1: Node's crypto where the runtime has it, crypto-js in bare engines. */
export type Oracle = (key: Uint8Array, message: Uint8Array) => Uint8Array;

export function propertySuite(api: Api, backend: BackendName, oracle?: Oracle): void {
  const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });
  const adapters = backendsOf(api, backend).flatMap((b) => (b.hmac ? [b as { name: string; hmac: Api['hmacSha1'] }] : []));
  const names = [...adapters.map((a) => a.name), ...(oracle ? ['the oracle'] : [])].join(' == ');

  describe('property: every backend agrees', () => {
    it(`${names} for random keys (0–200 bytes) and messages (0–300 bytes)`, async () => {
      await fc.assert(
        fc.asyncProperty(bytes(200), bytes(300), async (key, message) => {
          const expected = toHex(await api.nobleHmacSha1(key, message));
          for (const { hmac } of adapters) expect(toHex(await hmac(key, message))).toBe(expected);
          if (oracle) expect(toHex(oracle(key, message))).toBe(expected);
        }),
        { numRuns: 300 },
      );
    });

    it('string inputs equal their UTF-8 bytes on every backend (any Unicode, including astral planes and lone surrogates)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 60 }), async (key, message) => {
          const encoded = [utf8(key), utf8(message)] as const;
          const expected = toHex(await api.nobleHmacSha1(...encoded));
          expect(toHex(await api.hmacSha1(key, message))).toBe(expected);
          for (const { hmac } of adapters) expect(toHex(await hmac(key, message))).toBe(expected);
          if (oracle) expect(toHex(oracle(...encoded))).toBe(expected);
        }),
        { numRuns: 200 },
      );
    });

    it('signatureCredentials equals Base64(HMAC) of the client id for random valid ids, with the default and the noble backend', async () => {
      const idPart = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
      await fc.assert(
        fc.asyncProperty(idPart, idPart, fc.string({ minLength: 1, maxLength: 40 }), async (group, device, secret) => {
          const clientId = `GID_${group.padEnd(3, 'x')}@@@${device}`;
          const expected = base64(await api.nobleHmacSha1(secret, clientId));
          const options = { accessKeyId: 'id', accessKeySecret: secret, instanceId: 'i', clientId };
          expect((await api.signatureCredentials({ ...options, hmac: api.nobleHmacSha1 })).password).toBe(expected);
          expect((await api.signatureCredentials(options)).password).toBe(expected);
        }),
        { numRuns: 200 },
      );
    });
  });
}
