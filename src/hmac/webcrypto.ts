/**
 * HMAC-SHA1 on WebCrypto (`crypto.subtle`), the default where `node:crypto` is not reachable:
 * browsers in secure contexts, edge workers.
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';
import { _toBytes, type BytesLike } from '../internal/bytes.js';

/** How many imported keys are kept; a server signing for many secrets should not grow without bound. */
const CACHE_LIMIT = 64;
/** HMAC-SHA1's block size: longer keys are hashed first (RFC 2104 §2). */
const BLOCK = 64;
// Module-private and never returned. Indexed by the key HMAC actually uses: the key itself up to
// 64 bytes, else its SHA-1 digest (the same MAC, RFC 2104). So no entry, index or imported key is
// ever over 64 bytes, and the whole cache holds at most 64 × 64 bytes of key material, whatever
// size of keys it is given. When full it is emptied rather than kept in LRU order: one re-import
// per 64 new secrets costs less than the code would.
let keys = new Map<string, Promise<CryptoKey>>();
const ALGORITHM = { name: 'HMAC', hash: 'SHA-1' };

/**
 * HMAC-SHA1 through WebCrypto. Strings are UTF-8 encoded. The imported key is cached per secret
 * (up to 64 secrets, 4 KiB of key material), so signing many client ids with one secret imports it once.
 * @throws {@link ApsaraMqttAuthError} `ERR_HMAC_UNAVAILABLE` where `crypto.subtle` is missing
 *   (e.g. a page served over plain http); use {@link hmacSha1} there.
 */
export async function webCryptoHmacSha1(key: BytesLike, message: BytesLike): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new ApsaraMqttAuthError('ERR_HMAC_UNAVAILABLE', 'crypto.subtle is missing: use hmacSha1');
  const data = _toBytes(message, 'message');
  let raw = _toBytes(key, 'key');
  if (raw.length > BLOCK) raw = new Uint8Array(await subtle.digest('SHA-1', raw as Uint8Array<ArrayBuffer>));
  const id = String.fromCharCode(...raw);
  let found = keys.get(id);
  if (!found) {
    if (keys.size >= CACHE_LIMIT) keys = new Map();
    // HMAC zero-pads keys to the block size, so an empty key equals one zero byte; WebCrypto
    // refuses empty HMAC keys, hence the substitution.
    // A rejection is cached like a key: importing the same bytes again would fail the same way.
    found = subtle.importKey('raw', (raw.length ? raw : new Uint8Array(1)) as Uint8Array<ArrayBuffer>, ALGORITHM, false, ['sign']);
    keys.set(id, found);
  }
  return new Uint8Array(await subtle.sign(ALGORITHM, await found, data as Uint8Array<ArrayBuffer>));
}
