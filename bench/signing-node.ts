/**
 * Signing throughput in Node: 1,000 distinct client ids, one secret, every backend of ours against
 * node:crypto (the practical ceiling), crypto-js (what the official demos use) and raw @noble/hashes.
 * @module
 */
import { createHmac, webcrypto } from 'node:crypto';
import { createRequire } from 'node:module';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import * as sdk from '../src/index.js';
import { rotate, round, spread, summarize, type Summary } from './stats.js';
import type { BenchOptions, Row, Section } from './types.js';

type CryptoJs = {
  HmacSHA1(message: string, key: string): unknown;
  enc: { Base64: { stringify(words: unknown): string } };
};
const CryptoJS = createRequire(import.meta.url)('crypto-js') as CryptoJs;

const ACCESS_KEY_ID = 'LTAI5tBenchmark';
const SECRET = 'bench-secret-0123456789abcdefghij'; // 33 bytes, about the length of a real AccessKey secret (30)
const INSTANCE = 'mqtt-cn-bench';
export const CLIENT_IDS = Array.from({ length: 1000 }, (_, i) => `GID_bench@@@device-${String(i).padStart(4, '0')}`);

interface Contender {
  name: string;
  /** Signs every client id once; returns the passwords (checked once against node:crypto, then ignored). */
  run: (ids: readonly string[]) => string[] | Promise<string[]>;
  /** The batch target applies to this one. */
  defaultPath?: boolean;
  /** The per-call target applies to this one. */
  perCall?: boolean;
}

const enc = new TextEncoder();
const CRYPTO_JS = 'crypto-js HmacSHA1 + Base64';
const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

async function contenders(): Promise<Contender[]> {
  const nodeSigner = await sdk.createSigner({ accessKeyId: ACCESS_KEY_ID, accessKeySecret: SECRET, instanceId: INSTANCE });
  const nobleSigner = await sdk.createSigner({ accessKeyId: ACCESS_KEY_ID, accessKeySecret: SECRET, instanceId: INSTANCE, backend: 'noble' });
  const key = enc.encode(SECRET);
  const webKey = await webcrypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const builder = (hmacAdapter?: sdk.HmacSha1) => (ids: readonly string[]) =>
    Promise.all(
      ids.map(async (clientId) => (await sdk.signatureCredentials({ accessKeyId: ACCESS_KEY_ID, accessKeySecret: SECRET, instanceId: INSTANCE, clientId, ...(hmacAdapter ? { hmac: hmacAdapter } : {}) })).password),
    );
  return [
    { name: 'node:crypto createHmac (baseline)', run: (ids) => ids.map((id) => createHmac('sha1', SECRET).update(id).digest('base64')) },
    { name: 'node:crypto createHmac, key bytes prepared once', run: (ids) => ids.map((id) => createHmac('sha1', key).update(id).digest('base64')) },
    { name: CRYPTO_JS, run: (ids) => ids.map((id) => CryptoJS.enc.Base64.stringify(CryptoJS.HmacSHA1(id, SECRET))) },
    { name: '@noble/hashes hmac(sha1), raw', run: (ids) => ids.map((id) => b64(hmac(sha1, key, enc.encode(id)))) },
    { name: 'raw WebCrypto sign, key imported once', run: (ids) => Promise.all(ids.map(async (id) => b64(new Uint8Array(await webcrypto.subtle.sign('HMAC', webKey, enc.encode(id)))))) },
    { name: `ours: createSigner() → backend ${nodeSigner.backend} (default batch path)`, run: (ids) => ids.map((id) => nodeSigner.sign(id).password), defaultPath: true },
    { name: 'ours: createSigner({ backend: "noble" })', run: (ids) => ids.map((id) => nobleSigner.sign(id).password) },
    // Per call, as a batch of calls is made with a promise API: each call's promise, then all of them.
    { name: `ours: signatureCredentials, default (${sdk.hmacBackend()})`, run: async (ids) => (await Promise.all(ids.map((clientId) => sdk.signatureCredentials({ accessKeyId: ACCESS_KEY_ID, accessKeySecret: SECRET, instanceId: INSTANCE, clientId })))).map((c) => c.password), perCall: true },
    { name: 'ours: signatureCredentials + webCryptoHmacSha1', run: builder(sdk.webCryptoHmacSha1) },
    { name: 'ours: signatureCredentials + nobleHmacSha1', run: builder(sdk.nobleHmacSha1) },
  ];
}

/** Signatures per second over at least `minMs` of repeated batches. */
async function throughput(contender: Contender, minMs: number): Promise<number> {
  let signed = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    await contender.run(CLIENT_IDS);
    signed += CLIENT_IDS.length;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  return (signed / elapsed) * 1000;
}

export async function signingNode(options: BenchOptions): Promise<Section> {
  const rounds = options.quick ? 4 : 15;
  const warmup = 2;
  const minMs = options.quick ? 60 : 150;
  const all = await contenders();
  const expected = CLIENT_IDS.map((id) => createHmac('sha1', SECRET).update(id).digest('base64'));
  for (const c of all) {
    const got = await c.run(CLIENT_IDS);
    if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error(`${c.name} signs differently from node:crypto`);
  }
  const rates = new Map(all.map((c) => [c.name, [] as number[]]));
  const ratios = new Map(all.map((c) => [c.name, [] as number[]]));
  const vsCryptoJs = new Map(all.map((c) => [c.name, [] as number[]]));
  for (let r = 0; r < warmup + rounds; r++) {
    const thisRound = new Map<string, number>();
    for (const c of rotate(all, r)) thisRound.set(c.name, await throughput(c, minMs));
    if (r < warmup) continue;
    for (const c of all) {
      const rate = thisRound.get(c.name)!;
      rates.get(c.name)!.push(rate);
      ratios.get(c.name)!.push(rate / thisRound.get(all[0]!.name)!);
      vsCryptoJs.get(c.name)!.push(rate / thisRound.get(CRYPTO_JS)!);
    }
  }
  const data = all.map((c) => ({
    name: c.name,
    signaturesPerSecond: summarize(rates.get(c.name)!),
    ratioToNodeCrypto: summarize(ratios.get(c.name)!),
    ratioToCryptoJs: summarize(vsCryptoJs.get(c.name)!),
  }));
  const rows: Row[] = data.map((d, i) => {
    const row: Row = { name: d.name, value: spread(kilo(d.signaturesPerSecond), 'k/s'), ratio: `${spread(d.ratioToNodeCrypto, '×')} · vs crypto-js ${round(d.ratioToCryptoJs.median)}×` };
    if (all[i]!.defaultPath) {
      row.target = '≥ 0.8× node:crypto, ≥ 5× crypto-js';
      row.met = d.ratioToNodeCrypto.median >= 0.8 && d.ratioToCryptoJs.median >= 5;
    }
    if (all[i]!.perCall) {
      row.target = '≥ 0.7× node:crypto createHmac + Base64';
      row.met = d.ratioToNodeCrypto.median >= 0.7;
    }
    return row;
  });
  return {
    title: 'Signing throughput in Node (1,000 client ids, one secret)',
    method: `${rounds} rounds after ${warmup} warm-up rounds; in each round every contender signs the 1,000 ids repeatedly for ≥ ${minMs} ms, in a rotated order. Ratios are to node:crypto in the same round; median (min–max) over rounds.`,
    rows,
    data,
  };
}

const kilo = (s: Summary): Summary => ({ ...s, median: s.median / 1000, min: s.min / 1000, max: s.max / 1000, p10: s.p10 / 1000, p90: s.p90 / 1000 });
