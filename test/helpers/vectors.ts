/**
 * Known-answer vectors shared by every suite (unit in Node and Chromium, dist bundles, e2e).
 * Plain data with hex strings so that the same file serves every runtime and bundle.
 */

/** The documentation's example: key XXXXX, client id GID_Test@@@0001. */
export const DOC_VECTOR = {
  accessKeyId: 'YYYYY',
  accessKeySecret: 'XXXXX',
  instanceId: 'mqtt-xxxxx',
  clientId: 'GID_Test@@@0001',
  username: 'Signature|YYYYY|mqtt-xxxxx',
  password: 'vI009IZJZVGRwBwZvnbwjfuXxVM=',
} as const;

const rep = (hex: string, n: number) => hex.repeat(n);

/** RFC 2202 §3, all seven HMAC-SHA1 cases (keys as hex, data as hex, digest as hex). */
export const RFC2202: readonly { name: string; key: string; data: string; digest: string }[] = [
  { name: 'case 1', key: rep('0b', 20), data: hexOf('Hi There'), digest: 'b617318655057264e28bc0b6fb378c8ef146be00' },
  { name: 'case 2', key: hexOf('Jefe'), data: hexOf('what do ya want for nothing?'), digest: 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79' },
  { name: 'case 3', key: rep('aa', 20), data: rep('dd', 50), digest: '125d7342b9ac11cd91a39af48aa17b4f63f175d3' },
  {
    name: 'case 4',
    key: '0102030405060708090a0b0c0d0e0f10111213141516171819',
    data: rep('cd', 50),
    digest: '4c9007f4026250c6bc8414f9bf50c86c2d7235da',
  },
  { name: 'case 5', key: rep('0c', 20), data: hexOf('Test With Truncation'), digest: '4c1a03424b55e07fe7f27be1d58bb9324a9a5a04' },
  {
    name: 'case 6 (80-byte key)',
    key: rep('aa', 80),
    data: hexOf('Test Using Larger Than Block-Size Key - Hash Key First'),
    digest: 'aa4ae5e15272d00e95705637ce8a3b55ed402112',
  },
  {
    name: 'case 7 (80-byte key, 73-byte data)',
    key: rep('aa', 80),
    data: hexOf('Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data'),
    digest: 'e8e99d0f45237d786d6bbaa7965c7808bbff1a91',
  },
];

/**
 * Non-ASCII keys and messages, and edge lengths. Expected values computed with Node's `crypto`
 * (`createHmac('sha1', Buffer.from(key, 'utf8')).update(message, 'utf8')`) and checked again against
 * it in test/node/api-node.test.ts, so a wrong entry here cannot pass silently.
 */
export const UTF8_VECTORS: readonly { name: string; key: string; message: string; base64: string }[] = [
  { name: 'CJK secret', key: '密钥-秘密', message: 'GID_Test@@@0001', base64: 'ra/0ZB4wlKdhuMssCJEtvA80qAo=' },
  { name: 'emoji message', key: 'XXXXX', message: 'télémetrie 🚀 数据', base64: 'Dxb+35sRKux2Rtcd/kiBImnimhU=' },
  { name: 'combining marks', key: 'e\u0301\u00e9', message: 'Ångström', base64: 'obRRiOiqK0q2KaPGmk9anD4LFmA=' },
  { name: 'empty message', key: 'k', message: '', base64: 'OoSiGO5mZSCbtw6EUl3YN2RaGWU=' },
  { name: '64-byte key (block size)', key: 'k'.repeat(64), message: 'GID_Test@@@0001', base64: 'O/J2Mbz5JQxzUHlz8cfEjIRECTM=' },
  { name: '65-byte key (hashed first)', key: 'k'.repeat(65), message: 'GID_Test@@@0001', base64: '/yrqgcCovM6zdoqdArchuZx+fq4=' },
  { name: '200-byte non-ASCII key', key: 'ü'.repeat(100), message: 'GID_Test@@@0001', base64: 'WoRpMDsiLcQtkTp6Ytx74hW5JkE=' },
];

export function hexOf(text: string): string {
  return toHex(utf8(text));
}

/**
 * UTF-8 bytes of `text` the way the tests compute them in every engine, bare ones included (no
 * `TextEncoder` there): through `encodeURIComponent`, which is UTF-8 by definition, so it is
 * independent of the SDK's own encoder. Lone surrogates become U+FFFD first, as TextEncoder does.
 */
export function utf8(text: string): Uint8Array {
  const wellFormed = text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  const escaped = encodeURIComponent(wellFormed);
  const out: number[] = [];
  for (let i = 0; i < escaped.length; i++) {
    if (escaped[i] === '%') {
      out.push(parseInt(escaped.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(escaped.charCodeAt(i));
  }
  return new Uint8Array(out);
}

/** The text UTF-8 `bytes` hold (valid UTF-8 only), without `TextDecoder`. */
export function fromUtf8(bytes: Uint8Array): string {
  return decodeURIComponent(Array.from(bytes, (b) => `%${b.toString(16).padStart(2, '0')}`).join(''));
}

/** Standard Base64 with padding, without `btoa`: the table written out, independent of the SDK's. */
export function base64(bytes: Uint8Array): string {
  const table = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b, c] = [bytes[i]!, bytes[i + 1], bytes[i + 2]];
    out += table[a >> 2]! + table[((a & 3) << 4) | ((b ?? 0) >> 4)]!;
    out += b === undefined ? '==' : table[((b & 15) << 2) | ((c ?? 0) >> 6)]! + (c === undefined ? '=' : table[c & 63]!);
  }
  return out;
}

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
