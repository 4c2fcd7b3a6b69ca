import { describe, expect, it, vi } from 'vitest';
import { RFC2202, UTF8_VECTORS, fromHex, toHex } from '../helpers/vectors.js';
import { backendsOf, type Api } from './api.js';

const EMPTY_KEY_M = '43ed51772ea70e3c39579fcaa84cb160697c2aad';

export function hmacSuite(api: Api): void {
  const adapters = [
    { name: 'hmacSha1', fn: api.hmacSha1 },
    { name: 'webCryptoHmacSha1', fn: api.webCryptoHmacSha1 },
    { name: 'nobleHmacSha1', fn: api.nobleHmacSha1 },
  ];

  describe.each(adapters)('$name', ({ fn }) => {
    it.each(RFC2202)('RFC 2202 $name', async ({ key, data, digest }) => {
      const mac = await fn(fromHex(key), fromHex(data));
      expect(mac).toBeInstanceOf(Uint8Array);
      expect(toHex(mac)).toBe(digest);
    });

    it.each(UTF8_VECTORS)('UTF-8 strings: $name', async ({ key, message, base64 }) => {
      const fromStrings = await fn(key, message);
      const fromBytes = await fn(new TextEncoder().encode(key), new TextEncoder().encode(message));
      expect(toHex(fromStrings)).toBe(toHex(fromBytes));
      expect(btoa(String.fromCharCode(...fromStrings))).toBe(base64);
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
    it('uses WebCrypto where crypto.subtle exists', () => {
      expect(globalThis.crypto?.subtle).toBeDefined();
      expect(api.hmacBackend()).toBe('webcrypto');
    });

    it('falls back to noble where crypto.subtle is missing, with the same bytes', async () => {
      const expected = toHex(await api.hmacSha1('XXXXX', 'GID_Test@@@0001'));
      const subtle = vi.spyOn(globalThis.crypto, 'subtle', 'get').mockReturnValue(undefined as never);
      try {
        expect(api.hmacBackend()).toBe('noble');
        expect(toHex(await api.hmacSha1('XXXXX', 'GID_Test@@@0001'))).toBe(expected);
        await expect(api.webCryptoHmacSha1('k', 'm')).rejects.toMatchObject({ code: 'ERR_HMAC_UNAVAILABLE' });
      } finally {
        subtle.mockRestore();
      }
    });
  });

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

    it('gives the same digest for a key passed as string and as bytes', async () => {
      for (const backend of backendsOf(api)) {
        if (!backend.hmac) continue;
        expect(toHex(await backend.hmac('ключ', 'm'))).toBe(toHex(await backend.hmac(new TextEncoder().encode('ключ'), 'm')));
      }
    });
  });
}
