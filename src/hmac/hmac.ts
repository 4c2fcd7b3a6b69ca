/**
 * The default HMAC-SHA1 and the rule that picks its backend.
 * @module
 */
import type { BytesLike } from '../internal/bytes.js';
import { nobleHmacSha1 } from './noble.js';
import { webCryptoHmacSha1 } from './webcrypto.js';

/** The backends the SDK ships. */
export type HmacBackend = 'webcrypto' | 'noble';

/**
 * The backend {@link hmacSha1} uses here and now: `webcrypto` where `globalThis.crypto.subtle`
 * exists, else `noble`. Checked on each call, because a page can gain or lose nothing at run time
 * but tests and polyfills can.
 */
export function hmacBackend(): HmacBackend {
  return globalThis.crypto?.subtle ? 'webcrypto' : 'noble';
}

/**
 * HMAC-SHA1 of `message` under `key` (strings are UTF-8), on the best backend available:
 * WebCrypto where it exists, `@noble/hashes` elsewhere. Resolves to the 20-byte digest.
 *
 * @example
 * ```ts
 * const mac = await hmacSha1('XXXXX', 'GID_Test@@@0001'); // Uint8Array(20)
 * ```
 */
export function hmacSha1(key: BytesLike, message: BytesLike): Promise<Uint8Array> {
  return (globalThis.crypto?.subtle ? webCryptoHmacSha1 : nobleHmacSha1)(key, message);
}
