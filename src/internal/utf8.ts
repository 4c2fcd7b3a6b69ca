/**
 * UTF-8 encoding in pure code, for engines without `TextEncoder` (WeChat and Alipay mini-programs,
 * React Native before 0.74, bare engines). Installed by the noble chunk where needed (see bytes.ts).
 * @module
 */

/**
 * @internal UTF-8 bytes of `text` without `TextEncoder`, byte for byte what it gives: a lone
 * surrogate (not valid UTF-16) becomes U+FFFD, as the Encoding Standard says.
 */
export function _utf8Pure(text: string): Uint8Array {
  const out: number[] = [];
  // for…of walks code points, so a surrogate pair arrives as one; a lone half arrives alone.
  for (const char of text) {
    let code = char.codePointAt(0)!;
    if (code >> 11 === 0x1b) code = 0xfffd; // 0xd800–0xdfff: a lone surrogate
    if (code < 0x80) {
      out.push(code);
      continue;
    }
    let tail = code < 0x800 ? 1 : code < 0x10000 ? 2 : 3;
    // lead byte 110xxxxx, 1110xxxx or 11110xxx, then `tail` bytes of 10xxxxxx
    out.push(((0xff00 >> (tail + 1)) & 0xff) | (code >> (6 * tail)));
    while (tail--) out.push(0x80 | ((code >> (6 * tail)) & 0x3f));
  }
  return new Uint8Array(out);
}
