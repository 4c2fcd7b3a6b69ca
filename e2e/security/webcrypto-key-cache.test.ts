/**
 * The security review: "The WebCrypto key cache indexes by `String(keyBytes)`: 64 one-megabyte keys pin 256 MB."
 * The built package, in a Node process with `--expose-gc`: sign once with each of 64 distinct 1 MiB
 * keys through webCryptoHmacSha1, collect garbage, and measure what stays reachable. The old cache
 * held every key's bytes as its index string and as the imported key (about 185 MB here); now a key
 * over 64 bytes is reduced to its SHA-1 digest before anything is kept (the same MAC, RFC 2104), so
 * the cache holds at most 64 × 64 bytes. The unit suite checks the 20-byte import itself.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';

const PROBE = `
const { webCryptoHmacSha1, nobleHmacSha1 } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/index.js')).href)});
const used = () => { globalThis.gc(); globalThis.gc(); const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers + m.external; };
const before = used();
let same = true;
for (let i = 0; i < 64; i++) {
  const key = new Uint8Array(1 << 20).fill(i + 1);
  const mac = await webCryptoHmacSha1(key, 'GID_x@@@1');
  if (i < 2) same &&= Buffer.from(mac).equals(Buffer.from(await nobleHmacSha1(key, 'GID_x@@@1')));
}
console.log(JSON.stringify({ heldMiB: (used() - before) / 2 ** 20, same }));
`;

it('64 one-megabyte keys leave no megabytes behind (under 16 MiB held, was ~185), and sign as noble does', () => {
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', PROBE], { encoding: 'utf8', timeout: 120_000 });
  const { heldMiB, same } = JSON.parse(out.trim().split('\n').at(-1)!) as { heldMiB: number; same: boolean };
  expect(same).toBe(true);
  expect(heldMiB).toBeLessThan(16);
});
