/**
 * crypto-js's HMAC-SHA1 as the independent oracle where the runtime has no native one (a bare
 * `node:vm` context, QuickJS): pure JavaScript, written by others, sharing no code with the SDK.
 */
import HmacSHA1 from 'crypto-js/hmac-sha1.js';
import WordArray from 'crypto-js/lib-typedarrays.js';
import type { Oracle } from '../suites/property.suite.js';

type Words = { words: number[]; sigBytes: number };

export const cryptoJsOracle: Oracle = (key, message) => {
  const mac = HmacSHA1((WordArray as unknown as { create(b: Uint8Array): Words }).create(message) as never, (WordArray as unknown as { create(b: Uint8Array): Words }).create(key) as never) as unknown as Words;
  const out = new Uint8Array(mac.sigBytes);
  for (let i = 0; i < out.length; i++) out[i] = (mac.words[i >>> 2]! >>> (24 - (i % 4) * 8)) & 0xff;
  return out;
};
