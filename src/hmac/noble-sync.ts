/**
 * Synchronous HMAC-SHA1 (RFC 2104) over the SHA-1 of `@noble/hashes`, and the pure UTF-8/Base64
 * codec: what a runtime without WebCrypto (and perhaps without TextEncoder/btoa) needs. Loaded on
 * demand by `noble.ts`, so that bundles that find WebCrypto never carry it. The HMAC construction is written
 * here rather than taken from `@noble/hashes/hmac.js`: it is ten lines, and noble's generic one
 * (any hash, argument checks, destroy) costs about 500 gzip bytes more in the browser bundle.
 * @module
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { _atobPure, _btoaPure } from '../internal/base64.js';
import type { _Codec } from '../internal/bytes.js';
import { _utf8Pure } from '../internal/utf8.js';

type Sha1State = ReturnType<typeof sha1.create>;

/** The SHA-1 state after one 64-byte block of `key` (padded, or hashed first when longer) XOR `byte`. */
function keyed(key: Uint8Array, byte: number): Sha1State {
  const block = new Uint8Array(64);
  block.set(key.length > 64 ? sha1(key) : key);
  for (let i = 0; i < 64; i++) block[i]! ^= byte;
  return sha1.create().update(block);
}

/**
 * @internal A signer with the key schedule done once: each call clones the keyed inner and outer
 * SHA-1 states instead of hashing the padded key again, halving the work for short messages.
 */
export function _nobleKeyedHmac(key: Uint8Array): (message: Uint8Array) => Uint8Array {
  const inner = keyed(key, 0x36);
  const outer = keyed(key, 0x5c);
  return (message) => outer.clone().update(inner.clone().update(message).digest()).digest();
}

/** @internal One-shot HMAC-SHA1 over bytes. */
export const _nobleHmac = (key: Uint8Array, message: Uint8Array): Uint8Array => _nobleKeyedHmac(key)(message);

/** @internal The pure UTF-8 and Base64 codec, installed where the runtime has no TextEncoder/btoa/atob. */
export const _pureCodec: _Codec = { encode: _utf8Pure, btoa: _btoaPure, atob: _atobPure };
