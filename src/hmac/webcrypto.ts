/**
 * HMAC-SHA1 on WebCrypto (`crypto.subtle`), the default wherever it exists: browsers in secure
 * contexts, Node ≥ 20, Deno, Bun, edge workers.
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';
import { _toBytes, type BytesLike } from '../internal/bytes.js';

/** How many imported keys are kept; a server signing for many secrets should not grow without bound. */
const CACHE_LIMIT = 64;
// Module-private and never returned: the cache key is the secret itself. A Map iterates in
// insertion order, so re-inserting on each use keeps the least recently used first.
const keys = new Map<string, Promise<CryptoKey>>();

/**
 * HMAC-SHA1 through WebCrypto. Strings are UTF-8 encoded. The imported key is cached per secret
 * (the 64 most recently used), so signing many client ids with one secret imports it once.
 * @throws {@link ApsaraMqttAuthError} `ERR_HMAC_UNAVAILABLE` where `crypto.subtle` is missing
 *   (e.g. a page served over plain http); use {@link nobleHmacSha1} there.
 */
export async function webCryptoHmacSha1(key: BytesLike, message: BytesLike): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new ApsaraMqttAuthError('ERR_HMAC_UNAVAILABLE', 'crypto.subtle is missing (plain http?): use hmacSha1');
  const data = _toBytes(message, 'message');
  const raw = _toBytes(key, 'key');
  const id = String(raw);
  let found = keys.get(id);
  keys.delete(id);
  if (!found) {
    // HMAC zero-pads keys to the block size, so an empty key equals one zero byte; WebCrypto
    // refuses empty HMAC keys, hence the substitution.
    found = subtle.importKey('raw', (raw.length ? raw : new Uint8Array(1)) as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
    found.catch(() => keys.delete(id));
    if (keys.size >= CACHE_LIMIT) keys.delete(keys.keys().next().value!);
  }
  keys.set(id, found);
  return new Uint8Array(await subtle.sign('HMAC', await found, data as Uint8Array<ArrayBuffer>));
}
