import { describe, expect, it, vi } from 'vitest';
import { RFC2202, UTF8_VECTORS, base64, fromHex, toHex, utf8 } from '../helpers/vectors.js';
import { backendsOf, hasSubtle, type Api, type BackendName } from './api.js';

const EMPTY_KEY_M = '43ed51772ea70e3c39579fcaa84cb160697c2aad';

export function hmacSuite(api: Api, backend: BackendName): void {
  const adapters = [{ name: 'hmacSha1', fn: api.hmacSha1 }, ...backendsOf(api, backend).flatMap((b) => (b.hmac ? [{ name: `${b.name} adapter`, fn: b.hmac }] : []))];

  describe.each(adapters)('$name', ({ fn }) => {
    it.each(RFC2202)('RFC 2202 $name', async ({ key, data, digest }) => {
      const mac = await fn(fromHex(key), fromHex(data));
      expect(mac).toBeInstanceOf(Uint8Array);
      expect(mac).toHaveLength(20);
      expect(toHex(mac)).toBe(digest);
    });

    it.each(UTF8_VECTORS)('UTF-8 strings: $name', async ({ key, message, base64: expected }) => {
      const fromStrings = await fn(key, message);
      const fromBytes = await fn(utf8(key), utf8(message));
      expect(toHex(fromStrings)).toBe(toHex(fromBytes));
      expect(base64(fromStrings)).toBe(expected);
    });

    it('treats an empty key as HMAC does (zero-padded, equal to one zero byte)', async () => {
      // Expected value from Node: createHmac('sha1', Buffer.alloc(0)).update('m').digest('hex').
      expect(toHex(await fn(new Uint8Array(0), 'm'))).toBe(EMPTY_KEY_M);
      expect(toHex(await fn('', 'm'))).toBe(EMPTY_KEY_M);
      expect(toHex(await fn(new Uint8Array(1), 'm'))).toBe(EMPTY_KEY_M);
    });

    it('names the argument when it is not a string or bytes', async () => {
      await expect(fn(42 as never, 'm')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'key' });
      await expect(fn('k', { length: 1 } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'message' });
    });
  });

  describe('backend choice', () => {
    it(`the default is ${backend} here, and signs as that backend does`, async () => {
      expect(api.hmacBackend()).toBe(backend);
      const chosen = backendsOf(api, backend).find((b) => b.name === backend)!;
      expect(toHex(await api.hmacSha1('XXXXX', 'GID_Test@@@0001'))).toBe(toHex(await chosen.hmac!('XXXXX', 'GID_Test@@@0001')));
    });

    it('an adapter whose platform is missing here says so (ERR_HMAC_UNAVAILABLE), the others work', async () => {
      // The main script build has no nodeHmacSha1 at all (no page has node:crypto).
      if (backend !== 'node' && api.nodeHmacSha1) await expect(api.nodeHmacSha1('k', 'm')).rejects.toMatchObject({ code: 'ERR_HMAC_UNAVAILABLE' });
      if (!hasSubtle()) await expect(api.webCryptoHmacSha1('k', 'm')).rejects.toMatchObject({ code: 'ERR_HMAC_UNAVAILABLE' });
      expect(toHex(await api.nobleHmacSha1('XXXXX', 'GID_Test@@@0001'))).toBe('bc8d34f48649655191c01c19be76f08dfb97c553');
    });

    it('gives the same digest for a key passed as string and as bytes, on every backend', async () => {
      for (const b of backendsOf(api, backend)) {
        if (!b.hmac) continue;
        expect(toHex(await b.hmac('ключ', 'm'))).toBe(toHex(await b.hmac(utf8('ключ'), 'm')));
      }
    });

    if (hasSubtle()) {
      it('is chosen once: losing crypto.subtle later changes nothing', async () => {
        const first = api.hmacBackend();
        const subtle = vi.spyOn(globalThis.crypto, 'subtle', 'get').mockReturnValue(undefined as never);
        try {
          expect(api.hmacBackend()).toBe(first);
        } finally {
          subtle.mockRestore();
        }
      });
    }
  });

  if (hasSubtle()) {
    describe('WebCrypto key cache', () => {
      it('imports a secret once for many messages, and again only after eviction', async () => {
        const spy = vi.spyOn(globalThis.crypto.subtle, 'importKey');
        try {
          const secret = `cache-${Math.random()}`;
          const first = await Promise.all(Array.from({ length: 50 }, (_, i) => api.webCryptoHmacSha1(secret, `GID_x@@@${i}`)));
          expect(spy).toHaveBeenCalledTimes(1);
          // 64 other secrets push it out of the bounded cache.
          for (let i = 0; i < 64; i++) await api.webCryptoHmacSha1(`other-${i}-${secret}`, 'm');
          expect(spy).toHaveBeenCalledTimes(65);
          const again = await api.webCryptoHmacSha1(secret, 'GID_x@@@0');
          expect(spy).toHaveBeenCalledTimes(66);
          expect(toHex(again)).toBe(toHex(first[0]!));
        } finally {
          spy.mockRestore();
        }
      });

      it('holds no key over 64 bytes: a longer key is imported as its SHA-1 digest (the same MAC, RFC 2104)', async () => {
        const spy = vi.spyOn(globalThis.crypto.subtle, 'importKey');
        try {
          // A megabyte key, as a caller with an attacker-chosen secret could pass.
          const key = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
          const mac = await api.webCryptoHmacSha1(key, 'GID_x@@@big');
          expect(toHex(mac)).toBe(toHex(await api.nobleHmacSha1(key, 'GID_x@@@big')));
          expect(spy).toHaveBeenCalledTimes(1);
          expect((spy.mock.calls[0]![1] as Uint8Array).byteLength).toBe(20);
          // Again with the same bytes: found in the cache by that digest, not imported again.
          await api.webCryptoHmacSha1(key.slice(), 'GID_x@@@big2');
          expect(spy).toHaveBeenCalledTimes(1);
        } finally {
          spy.mockRestore();
        }
      });
    });
  }
}
