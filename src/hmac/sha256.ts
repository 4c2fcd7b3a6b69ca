/**
 * SHA-256 and HMAC-SHA256 for the V3 OpenAPI signature (`ACS3-HMAC-SHA256`), on the same backends
 * and by the same rule as HMAC-SHA1 (`hmacBackend()` of the main entry): `node:crypto` where reachable (Node, Bun,
 * Deno), else WebCrypto (browsers in secure contexts, workerd and other workers), else
 * `@noble/hashes` (loaded on demand, so bundles that find one of the others never carry it).
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';
import { _toBytes } from '../internal/bytes.js';
import { hmacBackend } from './hmac.js';
import { _codecReady } from './noble.js';
import { _node } from './node.js';

type NobleSha2 = { sha256: (message: Uint8Array) => Uint8Array; hmac: (hash: unknown, key: Uint8Array, message: Uint8Array) => Uint8Array };
let noble: Promise<NobleSha2> | undefined;

/** noble's SHA-256 and HMAC, loaded once; a failed load is typed and not kept (a later call tries again). */
function loadNoble(): Promise<NobleSha2> {
  return (noble ??= Promise.all([import('@noble/hashes/sha2.js'), import('@noble/hashes/hmac.js')]).then(
    ([sha2, mac]) => ({ sha256: sha2.sha256, hmac: mac.hmac as NobleSha2['hmac'] }),
    (cause: unknown) => {
      noble = undefined;
      throw new ApsaraMqttAuthError('ERR_HMAC_UNAVAILABLE', 'the noble SHA-256 did not load', { cause });
    },
  ));
}

/**
 * HMAC-SHA256 on WebCrypto. The key is imported per call: a V3 signature is one MAC per request,
 * so a cache would save one import per call for keeping secrets in memory longer.
 */
async function webMac(subtle: SubtleCrypto, k: Uint8Array, m: Uint8Array): Promise<Uint8Array> {
  // WebCrypto refuses an empty HMAC key; HMAC zero-pads keys to the block, so one zero byte is the same key.
  const imported = await subtle.importKey('raw', (k.length ? k : new Uint8Array(1)) as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', imported, m as Uint8Array<ArrayBuffer>));
}

/** A view of exactly the digest's bytes (Node answers a Buffer, possibly over a shared pool). */
const view = (digest: Uint8Array): Uint8Array => new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);

/**
 * SHA-256 of `message` (a string is UTF-8), on the backend `hmacBackend()` picks. Resolves to the
 * 32-byte digest.
 * @example
 * ```ts
 * await sha256(''); // e3b0c442…b855 as bytes
 * ```
 */
export async function sha256(message: string | Uint8Array): Promise<Uint8Array> {
  const backend = hmacBackend();
  await _codecReady();
  const m = _toBytes(message, 'message');
  if (backend === 'node' && _node) return view(_node.createHash('sha256').update(m).digest());
  if (backend === 'webcrypto') return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', m as Uint8Array<ArrayBuffer>));
  return (await loadNoble()).sha256(m);
}

/**
 * HMAC-SHA256 of `message` under `key` (strings are UTF-8), on the backend `hmacBackend()` picks.
 * Resolves to the 32-byte MAC.
 * @example
 * ```ts
 * await hmacSha256('key', 'The quick brown fox jumps over the lazy dog'); // f7bc83f4…d8 as bytes
 * ```
 */
export async function hmacSha256(key: string | Uint8Array, message: string | Uint8Array): Promise<Uint8Array> {
  const backend = hmacBackend();
  await _codecReady();
  const k = _toBytes(key, 'key');
  const m = _toBytes(message, 'message');
  if (backend === 'node' && _node) return view(_node.createHmac('sha256', k).update(m).digest());
  if (backend === 'webcrypto') return webMac(globalThis.crypto.subtle, k, m);
  const { hmac, sha256: hash } = await loadNoble();
  return hmac(hash, k, m);
}

/** SHA-256 through `@noble/hashes` on every runtime (the pure fallback, exported for tests and for callers who want it). */
export async function nobleSha256(message: string | Uint8Array): Promise<Uint8Array> {
  await _codecReady();
  return (await loadNoble()).sha256(_toBytes(message, 'message'));
}

/** HMAC-SHA256 through `@noble/hashes` on every runtime. */
export async function nobleHmacSha256(key: string | Uint8Array, message: string | Uint8Array): Promise<Uint8Array> {
  await _codecReady();
  const { hmac, sha256: hash } = await loadNoble();
  return hmac(hash, _toBytes(key, 'key'), _toBytes(message, 'message'));
}

/** HMAC-SHA256 through WebCrypto. @throws {@link ApsaraMqttAuthError} `ERR_HMAC_UNAVAILABLE` where `crypto.subtle` is missing. */
export async function webCryptoHmacSha256(key: string | Uint8Array, message: string | Uint8Array): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new ApsaraMqttAuthError('ERR_HMAC_UNAVAILABLE', 'crypto.subtle is missing: use hmacSha256');
  await _codecReady();
  return webMac(subtle, _toBytes(key, 'key'), _toBytes(message, 'message'));
}
