/**
 * The built bundles in Chromium against mosquitto over WebSocket: the script-tag page and the ESM
 * page sign in the page, subscribe and show a message published from Node; a wrong secret is shown
 * as a readable refusal with no retry loop. Then the same pages on a plain-http origin that is not a
 * secure context (a made-up host name mapped to 127.0.0.1), where `crypto.subtle` is absent and the
 * noble fallback must sign.
 */
import { describe, expect, it } from 'vitest';
import { connectAsync, deviceCredentials, signatureCredentials, customCredentials, tokenCredentials, type Credentials } from '../src/index.js';
import { DOC_VECTOR } from '../test/helpers/vectors.js';
import { browserRoundTripSuite, pageIdentity, useBrowserRig, withPublisher, type BrowserTarget, type PageIdentity } from './helpers/browser-suite.js';
import { recordPage, screenshot } from './helpers/chromium.js';
import { demoUrl, waitForDemoMessage, waitForDemoState } from './helpers/demo-page.js';
import { freePort } from './helpers/ports.js';
import { startMosquitto } from './helpers/mosquitto.js';

const instanceId = 'mqtt-cn-web0001';
const INSECURE_HOST = 'dashboard.test';

const identity = (device: string, mode: PageIdentity['mode'], accessKeyId: string, secret: string) => pageIdentity(instanceId, device, mode, accessKeyId, secret);

const insecure = {
  umd: identity('insecure-umd', 'signature', 'LTAI-insecure-umd', 'insecure-secret-1'),
  esm: identity('insecure-esm', 'device', 'dak-insecure-esm', 'insecure-secret-2'),
};

/** What the SDK (in Node) computes for an identity: what mosquitto's password file must hold. */
function credentialsOf({ instanceId, clientId, mode, accessKeyId, secret }: PageIdentity): Promise<Credentials> | Credentials {
  switch (mode) {
    case 'signature':
      return signatureCredentials({ accessKeyId, accessKeySecret: secret, instanceId, clientId });
    case 'device':
      return deviceCredentials({ deviceAccessKeyId: accessKeyId, deviceAccessKeySecret: secret, instanceId, clientId });
    case 'custom':
      return customCredentials({ username: accessKeyId, secret, clientId, signMode: 'SIGNED' });
    case 'token':
      return tokenCredentials({ accessKeyId, instanceId, tokens: { RW: secret } });
  }
}

const target: BrowserTarget = {
  name: 'mosquitto',
  umd: identity('umd', 'signature', 'LTAI-umd', 'umd-AccessKeySecret'),
  esm: identity('esm', 'device', 'dak-esm', 'esm-DeviceAccessKeySecret'),
  refused: identity('refused', 'signature', 'LTAI-refused', 'not-the-secret-mosquitto-knows'),
  refusalCode: 5,
  async start() {
    const publisherId = 'GID_web@@@node-publisher';
    const publisherCredentials = await deviceCredentials({ deviceAccessKeyId: 'dak-publisher', deviceAccessKeySecret: 'publisher-secret', instanceId, clientId: publisherId });
    // The refused page signs with a wrong secret; the file holds the password the right one makes.
    const accepted = [this.umd, this.esm, insecure.umd, insecure.esm, { ...this.refused, secret: 'the-right-secret' }];
    const users = [...(await Promise.all(accepted.map(credentialsOf))), publisherCredentials];
    const broker = await startMosquitto({ users });
    return withPublisher(
      { wsPort: broker.wsPort, refusals: () => broker.connacks().filter((c) => c.code !== 0).length, stop: () => broker.stop() },
      () => connectAsync({ instanceId, clientId: publisherId, credentials: publisherCredentials, transport: 'tcp', host: broker.host, port: broker.tcpPort }),
    );
  },
};

const rig = useBrowserRig(target, { args: [`--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`] });

browserRoundTripSuite(target, rig);

describe(`a page on http://${INSECURE_HOST}:<port>/ (not a secure context): the noble fallback`, () => {
  it.each([
    { kind: 'umd', file: 'script-tag.html' },
    { kind: 'esm', file: 'esm.html' },
  ] as const)('$file: no crypto.subtle, signs the known-answer vector with noble, and connects to mosquitto', async ({ kind, file }) => {
    const { browser, server, target: running } = rig();
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const log = recordPage(page);
      const topic = `web/insecure/${kind}`;
      const firstRequest = server.requests.length;
      await page.goto(demoUrl(server, file, { ...insecure[kind], host: '127.0.0.1', port: running.wsPort, topic }, INSECURE_HOST));
      expect(page.url()).toMatch(new RegExp(`^http://${INSECURE_HOST.replace('.', '\\.')}:${server.port}/`));
      expect(server.requests.some((r) => r.url.startsWith(`/${file}`) && r.host === `${INSECURE_HOST}:${server.port}`)).toBe(true);

      const context_ = await page.evaluate(() => ({ isSecureContext: window.isSecureContext, subtle: typeof globalThis.crypto?.subtle }));
      expect(context_).toEqual({ isSecureContext: false, subtle: 'undefined' });

      const state = await waitForDemoState(page, 'subscribed', log);
      expect(state.backend).toBe('noble');

      const inPage = await page.evaluate(async (doc) => {
        // The API the page itself runs on: the UMD global, or the module esm.html imported.
        const api = (window as unknown as { demo: { api: typeof import('../src/index.js') } }).demo.api;
        const { accessKeyId, accessKeySecret, instanceId, clientId } = doc;
        const credentials = await api.signatureCredentials({ accessKeyId, accessKeySecret, instanceId, clientId });
        const webCrypto = await api.webCryptoHmacSha1('k', 'm').then(
          () => 'available',
          (e: { code?: string }) => e.code,
        );
        return { backend: api.hmacBackend(), credentials, webCrypto };
      }, DOC_VECTOR);
      expect(inPage).toEqual({
        backend: 'noble',
        credentials: { username: DOC_VECTOR.username, password: DOC_VECTOR.password },
        webCrypto: 'ERR_HMAC_UNAVAILABLE',
      });

      // Both load noble on demand: the ESM build its chunk, the script build its sibling file.
      const nobleFetched = server.requests.slice(firstRequest).map((r) => r.url).filter((u) => /noble/.test(u));
      if (kind === 'umd') expect(nobleFetched).toEqual(['/dist/apsaramq-mqtt-auth.noble.js']);
      else expect(nobleFetched).toEqual(expect.arrayContaining(['/dist/noble-sync.js', '/node_modules/@noble/hashes/legacy.js']));

      const payload = `noble-signed page (${kind}) receives this`;
      await running.publish(topic, payload);
      expect(await waitForDemoMessage(page, payload)).toBe(`${topic}: ${payload}`);
      await screenshot(page, `browser-mosquitto-insecure-${kind}`);
    } finally {
      await context.close();
    }
  });
});

describe('a broker that cannot be reached', () => {
  it('the script-tag page (event API) says it cannot reach the broker while mqtt.js retries', async () => {
    const { browser, server } = rig();
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const log = recordPage(page);
      const port = await freePort(); // nothing listens there
      await page.goto(demoUrl(server, 'script-tag.html', { ...target.umd, host: '127.0.0.1', port, topic: 'web/unreachable', via: 'connect' }));
      await waitForDemoState(page, 'offline', log);
      // Reconnects back off (jittered, from minBackoff), so the page names no fixed period.
    expect(await page.locator('#error').textContent()).toBe(`Cannot reach the broker at ws://127.0.0.1:${port}/mqtt; retrying with backoff`);
      await screenshot(page, 'browser-unreachable');
    } finally {
      await context.close();
    }
  });
});
