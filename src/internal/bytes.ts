/**
 * Byte helpers that work the same in every runtime without Node's `Buffer`.
 * @module
 */

/** A string (encoded as UTF-8) or raw bytes. */
export type BytesLike = string | Uint8Array;

import { _invalid } from '../errors.js';

const encoder = /* @__PURE__ */ new TextEncoder();

/** @internal UTF-8 bytes of a string; bytes pass through untouched; anything else is named and refused. */
export function _toBytes(input: BytesLike, field: string): Uint8Array {
  if (typeof input === 'string') return encoder.encode(input);
  if (input instanceof Uint8Array) return input;
  throw _invalid(field, `must be a string or a Uint8Array (got ${_typeName(input)})`);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** @internal Standard Base64 with padding (RFC 4648 §4), as ApsaraMQ expects. */
export function _base64(bytes: Uint8Array): string {
  // A tiny loop beats `btoa(String.fromCharCode(...))` on 20-byte digests and needs no globals.
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + (rest === 2 ? ALPHABET[(n >> 6) & 63]! : '=') + '=';
  }
  return out;
}

/** @internal Strict standard Base64 decoding; `undefined` when the text is not canonical Base64. */
export function _fromBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = text[i + j]!;
      n = (n << 6) | (c === '=' ? 0 : ALPHABET.indexOf(c));
    }
    for (let k = 16; k >= 0 && o < out.length; k -= 8) out[o++] = (n >> k) & 255;
  }
  // Non-canonical padding bits would decode to the same bytes as another text: reject them.
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
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}
