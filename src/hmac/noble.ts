/**
 * HMAC-SHA1 in pure JavaScript (`@noble/hashes`), for runtimes without WebCrypto: pages served
 * over plain http (browsers hide `crypto.subtle` outside secure contexts), old WebViews, React Native.
 * @module
 */
import { _toBytes, type BytesLike } from '../internal/bytes.js';

let loaded: Promise<typeof import('./noble-sync.js')> | undefined;

/** @internal Loads the noble code once; a dynamic import keeps it out of bundles that never need it. */
export const _loadNoble = () => (loaded ??= import('./noble-sync.js'));

/** HMAC-SHA1 through `@noble/hashes`. Strings are UTF-8 encoded. Works in every JavaScript runtime. */
export async function nobleHmacSha1(key: BytesLike, message: BytesLike): Promise<Uint8Array> {
  return (await _loadNoble())._nobleHmac(_toBytes(key, 'key'), _toBytes(message, 'message'));
}
