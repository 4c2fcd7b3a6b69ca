/**
 * `btoa` and `atob` in pure code (standard Base64 with padding, RFC 4648 §4, over "binary strings"
 * of one character per byte), for engines without them. Installed by the noble chunk where needed
 * (see bytes.ts), so callers cannot tell which ran.
 * @module
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** @internal `btoa` without `btoa`: `binary` holds one byte per character. */
export function _btoaPure(binary: string): string {
  let out = '';
  for (let i = 0; i < binary.length; i += 3) {
    // Past the end charCodeAt is NaN, and NaN << n is 0: the missing bytes count as zeros.
    const n = (binary.charCodeAt(i) << 16) | (binary.charCodeAt(i + 1) << 8) | binary.charCodeAt(i + 2);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + ALPHABET[n & 63];
  }
  const rest = binary.length % 3;
  return rest ? out.slice(0, rest - 3) + '=='.slice(rest - 1) : out;
}

/** @internal `atob` without `atob`, for text already checked to be canonical Base64. */
export function _atobPure(text: string): string {
  let out = '';
  let bits = 0;
  let count = 0;
  for (const char of text.replace(/=+$/, '')) {
    bits = (bits << 6) | ALPHABET.indexOf(char);
    count += 6;
    if (count >= 8) out += String.fromCharCode((bits >> (count -= 8)) & 0xff);
  }
  return out;
}
