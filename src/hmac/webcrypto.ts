/**
 * HMAC-SHA1 on WebCrypto (`crypto.subtle`), the default wherever it exists: browsers in secure
 * contexts, Node ≥ 20, Deno, Bun, edge workers.
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';
import { _toBytes, type BytesLike } from '../internal/bytes.js';

/** How many imported keys are kept; a server signing for many secrets should not grow without bound. */
const CACHE_LIMIT = 64;
// Module-private and never returned: the cache key is the secret's bytes. When full it is emptied
// rather than kept in LRU order: one re-import per 64 new secrets costs less than the code would.
let keys: Record<string, Promise<CryptoKey>> = {};
let cached = 0;
const ALGORITHM = { name: 'HMAC', hash: 'SHA-1' };

/**
 * HMAC-SHA1 through WebCrypto. Strings are UTF-8 encoded. The imported key is cached per secret
 * (up to 64 secrets), so signing many client ids with one secret imports it once.
 * @throws {@link ApsaraMqttAuthError} `ERR_HMAC_UNAVAILABLE` where `crypto.subtle` is missing
 *   (e.g. a page served over plain http); use {@link nobleHmacSha1} there.
 */
export async function webCryptoHmacSha1(key: BytesLike, message: BytesLike): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new ApsaraMqttAuthError('ERR_HMAC_UNAVAILABLE', 'crypto.subtle is missing: use hmacSha1');
  const data = _toBytes(message, 'message');
  const raw = _toBytes(key, 'key');
  const id = String(raw); // digits and commas: never a key Object.prototype has
  let found = keys[id];
  if (!found) {
    if (++cached > CACHE_LIMIT) (keys = {}), (cached = 1);
    // HMAC zero-pads keys to the block size, so an empty key equals one zero byte; WebCrypto
    // refuses empty HMAC keys, hence the substitution.
    // A rejection is cached like a key: importing the same bytes again would fail the same way.
    found = keys[id] = subtle.importKey('raw', (raw.length ? raw : new Uint8Array(1)) as Uint8Array<ArrayBuffer>, ALGORITHM, false, ['sign']);
  }
  return new Uint8Array(await subtle.sign(ALGORITHM, await found, data as Uint8Array<ArrayBuffer>));
}
