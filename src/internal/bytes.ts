/**
 * Byte helpers that work the same in every runtime without Node's `Buffer`, and without
 * `TextEncoder`, `btoa` or `atob` where those are missing.
 * @module
 */

/** A string (encoded as UTF-8) or raw bytes. */
export type BytesLike = string | Uint8Array;

import { _invalid, type ApsaraMqttAuthError } from '../errors.js';

/** @internal What the SDK needs of `TextEncoder`, `btoa` and `atob`, as pure code provides it. */
export interface _Codec {
  encode(text: string): Uint8Array;
  btoa(binary: string): string;
  atob(text: string): string;
}

// Detected once. A runtime missing any of the three (mini-programs, React Native before 0.74, bare
// engines) has no WebCrypto either, so its first signature loads the noble chunk anyway: that chunk
// carries pure versions (utf8.ts, base64.ts), installed here on load (`_loadNoble`), which keeps
// them out of every bundle that never needs them. Entry points wait for it (`_codecReady`).
const native = typeof TextEncoder === 'function' && typeof btoa === 'function' && typeof atob === 'function';
const encoder = native ? /* @__PURE__ */ new TextEncoder() : undefined;
let pure: _Codec | undefined;

/** @internal True once strings can be converted: at once where the runtime has TextEncoder, btoa and atob. */
export const _hasCodec = (): boolean => native || !!pure;

/** @internal Installs the pure codec where the runtime has none (the noble chunk's, on load). */
export const _setCodec = (codec: _Codec): void => void (native || (pure = codec));

/** @internal UTF-8 bytes of a string; bytes pass through untouched; anything else is named and refused. */
export function _toBytes(input: BytesLike, field: string): Uint8Array {
  if (typeof input === 'string') return (pure || encoder)!.encode(input);
  if (input instanceof Uint8Array) return input;
  throw _mustBe(field, 'a string or a Uint8Array', input);
}

/**
 * @internal Standard Base64 with padding (RFC 4648 §4), as ApsaraMQ expects. The spread is fine for
 * the digests and short texts this is used on.
 */
export function _base64(bytes: Uint8Array): string {
  return (pure || globalThis).btoa(String.fromCharCode(...bytes));
}

/** @internal Strict standard Base64 decoding; `undefined` when the text is not canonical Base64. */
export function _fromBase64(text: string): Uint8Array | undefined {
  // atob alone is lenient (white space, missing padding); the alphabet test and the round trip are not.
  if (text.length % 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const out = Uint8Array.from((pure || globalThis).atob(text), (c) => c.charCodeAt(0));
  return _base64(out) === text ? out : undefined;
}

/**
 * @internal The text of UTF-8 `bytes`, through `TextDecoder` where the runtime has one, else by
 * percent-decoding (mini-programs, React Native before 0.74). Invalid UTF-8 throws there; the one
 * caller (the broker's `$SYS` notices) treats such a body as unreadable.
 */
export const _fromUtf8 = (bytes: Uint8Array): string =>
  typeof TextDecoder === 'function' ? new TextDecoder().decode(bytes) : decodeURIComponent(Array.from(bytes, (b) => `%${b < 16 ? '0' : ''}${b.toString(16)}`).join(''));

/** @internal Lower-case hex. */
export function _hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += (b < 16 ? '0' : '') + b.toString(16);
  return out;
}

/** @internal A short description of a value's type for error messages (never the value itself). */
export function _typeName(value: unknown): string {
  return value === '' ? 'an empty string' : value === null ? 'null' : typeof value;
}

/** @internal The error for a value of the wrong type: `<field> must be <what> (got <type>)`, never the value. */
export function _mustBe(field: string, what: string, value: unknown): ApsaraMqttAuthError {
  return _invalid(field, `must be ${what} (got ${_typeName(value)})`);
}

/** @internal A non-empty string. Safe for secrets: the value is never echoed. */
export function _requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || !value) throw _mustBe(field, 'a non-empty string', value);
  return value;
}
