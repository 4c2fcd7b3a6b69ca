/**
 * The main script-tag build (dist/apsaramq-mqtt-auth.umd.min.js) in Debian's Chromium, loaded by a
 * `<script src>` tag from a real URL, as a page loads it: every portable suite runs in the page
 * (the suite bundle of test/runtimes, through a second script tag), on a secure origin (127.0.0.1:
 * WebCrypto signs) and on a plain-http origin that is not a secure context (noble signs, loaded on
 * demand from the sibling file dist/apsaramq-mqtt-auth.noble.js). A page that signs with WebCrypto
 * fetches no sibling at all. check.sh builds dist/ first.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { DOC_VECTOR } from '../test/helpers/vectors.js';
import type { TestResult } from '../test/runtimes/harness.js';
import { OUT, bundleSuites } from '../test/runtimes/bundle.js';
import { launchChromium, recordPage } from './helpers/chromium.js';
import { failedToStart, reportResults } from './helpers/launchers.js';
import { ROOT } from './helpers/paths.js';
import { startStaticServer, type StaticServer } from './helpers/static-server.js';

const INSECURE_HOST = 'script.test';
const SCRIPT = '/dist/apsaramq-mqtt-auth.umd.min.js';
const SIBLING = '/dist/apsaramq-mqtt-auth.noble.js';

const pageDir = join(OUT, 'script-page');
mkdirSync(pageDir, { recursive: true });
writeFileSync(
  join(pageDir, 'index.html'),
  `<!doctype html><meta charset="utf-8"><title>main script build</title><script src="${SCRIPT}"></script><script src="/runtimes/suites.js"></script>`,
);

// The "copy one file into vendor/" habit: the main script alone, without its sibling, on a page of its own.
const vendorDir = join(OUT, 'lone-vendor');
const lonePageDir = join(OUT, 'lone-page');
mkdirSync(vendorDir, { recursive: true });
mkdirSync(lonePageDir, { recursive: true });
copyFileSync(join(ROOT, SCRIPT), join(vendorDir, 'apsaramq-mqtt-auth.umd.min.js'));
writeFileSync(join(lonePageDir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>lone script</title><script src="/vendor/apsaramq-mqtt-auth.umd.min.js"></script>');

let browser: Browser | undefined;
let server: StaticServer | undefined;

async function runInPage(host: string | undefined, backend: 'webcrypto' | 'noble'): Promise<TestResult[]> {
  const context = await browser!.newContext();
  try {
    const page = await context.newPage();
    const log = recordPage(page);
    await page.goto(server!.url('/page/', host));
    const secure = await page.evaluate(() => window.isSecureContext);
    if (secure !== (backend === 'webcrypto')) return failedToStart(`the page is ${secure ? '' : 'not '}a secure context`, new Error(log.text()));
    return await page.evaluate(
      (b) => (window as unknown as { __suites: { runSuites(api: unknown, o: object): Promise<TestResult[]> }; ApsaraMqttAuth: unknown }).__suites.runSuites((window as never as { ApsaraMqttAuth: unknown }).ApsaraMqttAuth, { backend: b, surface: 'script' }),
      backend,
    );
  } finally {
    await context.close();
  }
}

let secure: TestResult[];
let insecure: TestResult[];
try {
  await bundleSuites('iife');
  server = await startStaticServer({ roots: { '/dist/': join(ROOT, 'dist'), '/runtimes/': OUT, '/page/': pageDir, '/vendor/': vendorDir, '/lone/': lonePageDir } });
  browser = await launchChromium({ args: [`--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`] });
  secure = await runInPage(undefined, 'webcrypto');
  insecure = await runInPage(INSECURE_HOST, 'noble');
} catch (error) {
  secure = insecure = failedToStart('start Chromium and the static server', error);
}

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

reportResults(`${SCRIPT} in Chromium on http://127.0.0.1 (secure context: WebCrypto)`, secure);
reportResults(`${SCRIPT} in Chromium on http://${INSECURE_HOST} (not a secure context: noble from ${SIBLING})`, insecure);

describe(`${SCRIPT}: the sibling is fetched only when needed`, () => {
  it('a secure page signs with WebCrypto and fetches no sibling; an insecure one fetches it once, from beside the script', async () => {
    for (const [host, fetches] of [[undefined, []], [INSECURE_HOST, [SIBLING]]] as const) {
      const context = await browser!.newContext();
      try {
        const page = await context.newPage();
        const from = server!.requests.length;
        await page.goto(server!.url('/page/', host));
        const result = await page.evaluate(async (vector) => {
          const api = (window as unknown as { ApsaraMqttAuth: typeof import('../src/index.js') }).ApsaraMqttAuth;
          const { accessKeyId, accessKeySecret, instanceId, clientId } = vector;
          const first = await api.signatureCredentials({ accessKeyId, accessKeySecret, instanceId, clientId });
          const second = await api.signatureCredentials({ accessKeyId, accessKeySecret, instanceId, clientId });
          return { backend: api.hmacBackend(), passwords: [first.password, second.password] };
        }, DOC_VECTOR);
        expect(result).toEqual({ backend: host ? 'noble' : 'webcrypto', passwords: [DOC_VECTOR.password, DOC_VECTOR.password] });
        expect(server!.requests.slice(from).map((r) => r.url).filter((u) => u.startsWith('/dist/'))).toEqual([SCRIPT, ...fetches]);
      } finally {
        await context.close();
      }
    }
  });

  it('alone in a vendor folder on plain http, signing fails with ERR_HMAC_UNAVAILABLE naming the URL it looked at and the single-file build', async () => {
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      await page.goto(server!.url('/lone/', INSECURE_HOST));
      const error = await page.evaluate(async (vector) => {
        const api = (window as unknown as { ApsaraMqttAuth: typeof import('../src/index.js') }).ApsaraMqttAuth;
        const { accessKeyId, accessKeySecret, instanceId, clientId } = vector;
        return api.signatureCredentials({ accessKeyId, accessKeySecret, instanceId, clientId }).then(
          () => undefined,
          (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message }),
        );
      }, DOC_VECTOR);
      const sibling = server!.url('/vendor/apsaramq-mqtt-auth.noble.js', INSECURE_HOST);
      expect(error).toEqual({
        code: 'ERR_HMAC_UNAVAILABLE',
        message: `the noble HMAC did not load: apsaramq-mqtt-auth.noble.js did not load from ${sibling}: put it beside this script, or load the single-file build apsaramq-mqtt-auth.full.umd.min.js`,
      });
      expect(server!.requests.filter((r) => r.url === '/vendor/apsaramq-mqtt-auth.noble.js').map((r) => r.status)).toContain(404);
    } finally {
      await context.close();
    }
  });
});
