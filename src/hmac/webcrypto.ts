/**
 * HMAC-SHA1 on WebCrypto (`crypto.subtle`), the default wherever it exists: browsers in secure
 * contexts, Node ≥ 20, Deno, Bun, edge workers.
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';
import { _toBytes, type BytesLike } from '../internal/bytes.js';

/** How many imported keys are kept; a server signing for many secrets should not grow without bound. */
const CACHE_LIMIT = 64;
// Module-private and never returned: the cache key is the secret itself.
const keys = new Map<string, Promise<CryptoKey>>();

function cacheKey(key: string | Uint8Array): string {
  if (typeof key === 'string') return 's' + key;
  let id = 'b';
  for (let i = 0; i < key.length; i += 4096) id += String.fromCharCode(...key.subarray(i, i + 4096));
  return id;
}

function importKey(subtle: SubtleCrypto, key: BytesLike): Promise<CryptoKey> {
  if (typeof key !== 'string') _toBytes(key, 'key'); // type check before the key is used as a map key
  const id = cacheKey(key);
  let found = keys.get(id);
  if (found) {
    // Re-insert so the Map's order is least-recently-used first.
    keys.delete(id);
  } else {
    let raw = _toBytes(key, 'key');
    // HMAC zero-pads keys to the block size, so an empty key equals one zero byte;
    // WebCrypto refuses empty HMAC keys, hence the substitution.
    if (raw.length === 0) raw = new Uint8Array(1);
    found = subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
    found.catch(() => keys.delete(id));
    if (keys.size >= CACHE_LIMIT) keys.delete(keys.keys().next().value!);
  }
  keys.set(id, found);
  return found;
}

/**
 * HMAC-SHA1 through WebCrypto. Strings are UTF-8 encoded. The imported key is cached per secret
 * (the 64 most recently used), so signing many client ids with one secret imports it once.
 * @throws {@link ApsaraMqttAuthError} `ERR_HMAC_UNAVAILABLE` where `crypto.subtle` is missing
 *   (e.g. a page served over plain http); use {@link nobleHmacSha1} there.
 */
export async function webCryptoHmacSha1(key: BytesLike, message: BytesLike): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new ApsaraMqttAuthError(
      'ERR_HMAC_UNAVAILABLE',
      'WebCrypto (crypto.subtle) is not available here (browsers hide it outside secure contexts such as plain-http pages); use nobleHmacSha1 or the default hmacSha1',
    );
  }
  const cryptoKey = await importKey(subtle, key);
  return new Uint8Array(await subtle.sign('HMAC', cryptoKey, _toBytes(message, 'message') as Uint8Array<ArrayBuffer>));
}
