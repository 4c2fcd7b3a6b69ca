/**
 * Signing in Chromium (Debian's, through playwright-core): our WebCrypto and noble paths against
 * crypto-js loaded in the same page, plus raw WebCrypto as the ceiling of the async path.
 * @module
 */
import { join } from 'node:path';
import { launchChromium, recordPage } from '../e2e/helpers/chromium.js';
import { ROOT } from '../e2e/helpers/paths.js';
import { startStaticServer } from '../e2e/helpers/static-server.js';
import { round, spread, summarize } from './stats.js';
import type { BenchOptions, Row, Section } from './types.js';

export async function signingChromium(options: BenchOptions): Promise<Section> {
  const rounds = options.quick ? 4 : 12;
  const warmup = 2;
  const minMs = options.quick ? 60 : 150;
  const server = await startStaticServer({
    roots: { '/dist/': join(ROOT, 'dist'), '/crypto-js/': join(ROOT, 'node_modules/crypto-js'), '/bench/': join(ROOT, 'bench/pages') },
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const log = recordPage(page);
    // 127.0.0.1 is a secure context: crypto.subtle is there, as on an https page.
    await page.goto(server.url('/bench/signing.html'));
    const names = await page.evaluate(() => (window as unknown as { benchSetup(): Promise<string[]> }).benchSetup()).catch((error: Error) => {
      throw new Error(`${error.message}\n${log.text()}`);
    });
    const rates = new Map(names.map((n) => [n, [] as number[]]));
    const ratios = new Map(names.map((n) => [n, [] as number[]]));
    for (let r = 0; r < warmup + rounds; r++) {
      const got = await page.evaluate(([ms, i]) => (window as unknown as { benchRound(ms: number, i: number): Promise<Record<string, number>> }).benchRound(ms, i), [minMs, r] as const);
      if (r < warmup) continue;
      for (const n of names) {
        rates.get(n)!.push(got[n]! / 1000);
        ratios.get(n)!.push(got[n]! / got[names[0]!]!);
      }
    }
    const data = names.map((name) => ({ name, kiloSignaturesPerSecond: summarize(rates.get(name)!), ratioToCryptoJs: summarize(ratios.get(name)!) }));
    const rows: Row[] = data.map((d) => ({ name: d.name, value: spread(d.kiloSignaturesPerSecond, 'k/s'), ratio: `${spread(d.ratioToCryptoJs, '×')} vs crypto-js` }));
    return {
      title: 'Signing in Chromium (1,000 client ids, one secret, one page)',
      method: `Debian's Chromium, headless, page on http://127.0.0.1 (a secure context). ${rounds} rounds after ${warmup} warm-up rounds, each contender ≥ ${minMs} ms per round, rotated; ratios to crypto-js in the same round, median (min–max).`,
      rows,
      data: { chromium: browser.version(), results: data, medianRatios: Object.fromEntries(data.map((d) => [d.name, round(d.ratioToCryptoJs.median)])) },
    };
  } finally {
    await browser.close();
    await server.close();
  }
}
