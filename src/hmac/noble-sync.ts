/**
 * The synchronous pure-JS HMAC-SHA1 from `@noble/hashes`. Loaded on demand by `noble.ts`, so that
 * bundles that find WebCrypto never carry it.
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';

/** @internal One-shot HMAC-SHA1 over bytes. */
export function _nobleHmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  return hmac(sha1, key, message);
}

/**
 * @internal A signer with the key schedule done once: each call clones the keyed inner/outer
 * SHA-1 states instead of re-hashing the padded key, halving the work for short messages.
 */
export function _nobleKeyedHmac(key: Uint8Array): (message: Uint8Array) => Uint8Array {
  const keyed = hmac.create(sha1, key);
  return (message) => keyed.clone().update(message).digest();
}
