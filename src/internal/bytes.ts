/**
 * Byte helpers that work the same in every runtime without Node's `Buffer`.
 * @module
 */

/** A string (encoded as UTF-8) or raw bytes. */
export type BytesLike = string | Uint8Array;

import { _invalid, type ApsaraMqttAuthError } from '../errors.js';

const encoder = /* @__PURE__ */ new TextEncoder();

/** @internal UTF-8 bytes of a string; bytes pass through untouched; anything else is named and refused. */
export function _toBytes(input: BytesLike, field: string): Uint8Array {
  if (typeof input === 'string') return encoder.encode(input);
  if (input instanceof Uint8Array) return input;
  throw _mustBe(field, 'a string or a Uint8Array', input);
}

/**
 * @internal Standard Base64 with padding (RFC 4648 §4), as ApsaraMQ expects. `btoa` is in every
 * runtime the SDK supports (browsers, Node ≥ 16, Deno, workers) and is the smallest way to say it;
 * the spread is fine for the digests and short texts this is used on.
 */
export function _base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/** @internal Strict standard Base64 decoding; `undefined` when the text is not canonical Base64. */
export function _fromBase64(text: string): Uint8Array | undefined {
  // atob alone is lenient (white space, missing padding); the alphabet test and the round trip are not.
  if (text.length % 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const out = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return _base64(out) === text ? out : undefined;
}

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
