import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../helpers/vectors.js';
import type { Api } from './api.js';

/** An independent HMAC-SHA1 (Node's crypto) where the runtime has one. */
export type Oracle = (key: Uint8Array, message: Uint8Array) => Uint8Array;

export function propertySuite(api: Api, oracle?: Oracle): void {
  const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });

  describe('property: every backend agrees', () => {
    it(`WebCrypto == noble${oracle ? ' == node:crypto' : ''} for random keys (0–200 bytes) and messages (0–300 bytes)`, async () => {
      await fc.assert(
        fc.asyncProperty(bytes(200), bytes(300), async (key, message) => {
          const web = toHex(await api.webCryptoHmacSha1(key, message));
          const noble = toHex(await api.nobleHmacSha1(key, message));
          expect(noble).toBe(web);
          if (oracle) expect(toHex(oracle(key, message))).toBe(web);
        }),
        { numRuns: 300 },
      );
    });

    it('string inputs equal their UTF-8 bytes on every backend (any Unicode, including astral planes)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 60 }), async (key, message) => {
          const encoded = [new TextEncoder().encode(key), new TextEncoder().encode(message)] as const;
          const expected = toHex(await api.nobleHmacSha1(...encoded));
          expect(toHex(await api.webCryptoHmacSha1(key, message))).toBe(expected);
          expect(toHex(await api.hmacSha1(key, message))).toBe(expected);
          if (oracle) expect(toHex(oracle(...encoded))).toBe(expected);
        }),
        { numRuns: 200 },
      );
    });

    it('signatureCredentials equals Base64(HMAC) of the client id for random valid ids', async () => {
      const idPart = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
      await fc.assert(
        fc.asyncProperty(idPart, idPart, fc.string({ minLength: 1, maxLength: 40 }), async (group, device, secret) => {
          const clientId = `GID_${group.padEnd(3, 'x')}@@@${device}`;
          const { password } = await api.signatureCredentials({ accessKeyId: 'id', accessKeySecret: secret, instanceId: 'i', clientId, hmac: api.nobleHmacSha1 });
          const mac = await api.webCryptoHmacSha1(secret, clientId);
          expect(password).toBe(btoa(String.fromCharCode(...mac)));
        }),
        { numRuns: 200 },
      );
    });
  });
}
