/**
 * The default HMAC-SHA1 and the rule that picks its backend, once.
 * @module
 */
import { _toBytes, type BytesLike } from '../internal/bytes.js';
import { nobleHmacSha1 } from './noble.js';
import { _node, _nodeMac } from './node.js';
import { webCryptoHmacSha1 } from './webcrypto.js';

/** The backends the SDK ships. `node` was added after `webcrypto` and `noble`. */
export type HmacBackend = 'node' | 'webcrypto' | 'noble';

let chosen: HmacBackend | undefined;

/**
 * The backend {@link hmacSha1} (and every credential builder) uses here: `node` where
 * `node:crypto` is reachable (Node, Bun, Deno), else `webcrypto` where `globalThis.crypto.subtle`
 * exists (browsers in secure contexts, workers), else `noble` (pure JavaScript: pages on plain
 * http, mini-programs, React Native). Chosen on first use and kept: polyfills loaded before the
 * first signature count, and nothing is looked up again per call.
 */
export function hmacBackend(): HmacBackend {
  return (chosen ??= _node ? 'node' : globalThis.crypto?.subtle ? 'webcrypto' : 'noble');
}

/**
 * HMAC-SHA1 of `message` under `key` (strings are UTF-8), on the fastest backend available (see
 * {@link hmacBackend}). Resolves to the 20-byte digest.
 *
 * @example
 * ```ts
 * const mac = await hmacSha1('XXXXX', 'GID_Test@@@0001'); // Uint8Array(20)
 * ```
 */
export async function hmacSha1(key: BytesLike, message: BytesLike): Promise<Uint8Array> {
  const backend = hmacBackend();
  return _node && backend === 'node' ? _nodeMac(_node, _toBytes(key, 'key'), _toBytes(message, 'message')) : (backend === 'webcrypto' ? webCryptoHmacSha1 : nobleHmacSha1)(key, message);
}
