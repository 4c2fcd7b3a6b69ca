/**
 * A page in Chromium that holds no secret: it asks the credential handler (another origin, so CORS
 * and its preflight are real) for Token credentials through `remoteCredentials`, connects to the local
 * broker over WebSocket, and shows a message published from Node. Every response the page received is
 * checked: none carries an AccessKey secret or a device secret.
 */
import mqtt from 'mqtt';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOpenApiService, startBroker, type LocalBroker } from '../src/broker/broker-entry.js';
import { signatureCredentials } from '../src/index.js';
import { createCredentialHandler, createOnsMqttClient, createTokenIssuer } from '../src/server/server-entry.js';
import { serve, type Served } from '../test/helpers/loopback.js';
import { launchChromium, recordPage, recordResponses, screenshot } from './helpers/chromium.js';
import { ROOT } from './helpers/paths.js';
import { demoRoots } from './helpers/demo-page.js';
import { startStaticServer, type StaticServer } from './helpers/static-server.js';
import { WAIT } from './helpers/wait.js';

const INSTANCE = 'mqtt-browser-credentials';
const AK = { accessKeyId: 'LTAI-browser-creds', accessKeySecret: 'browser-creds-AccessKeySecret-9' };
const DEVICE_SECRET = 'browser-creds-device-secret-4';

let broker: LocalBroker;
let credentialServer: Served;
let pages: StaticServer;
let browser: Browser;
const handlerRequests: { method: string; origin: string | null }[] = [];

beforeAll(async () => {
  broker = await startBroker({ instanceId: INSTANCE, accessKeys: [AK], devices: [{ clientId: 'GID_web@@@sensor', deviceAccessKeyId: 'DK-web', deviceAccessKeySecret: DEVICE_SECRET }] });
  broker.addRoute(createOpenApiService({ accessKeys: [AK], instanceId: INSTANCE, tokens: broker.tokens, devices: broker.devices }));
  pages = await startStaticServer({ roots: demoRoots(ROOT) });
  const api = createOnsMqttClient({ ...AK, instanceId: INSTANCE, endpoint: `${broker.url('http')}/` });
  const handler = createCredentialHandler({
    instanceId: INSTANCE,
    accessKeyId: AK.accessKeyId,
    accessKeySecret: AK.accessKeySecret,
    tokenIssuer: createTokenIssuer({ client: api }),
    // Dashboards read telemetry; nothing else is served.
    authorize: (_request, clientId) => clientId.startsWith('GID_web@@@dashboard') && { mode: 'token', resources: ['web/telemetry/#'], actions: 'R' },
    cors: { origin: [pages.origin] },
  });
  credentialServer = await serve(async (request) => {
    handlerRequests.push({ method: request.method, origin: request.headers.get('origin') });
    return handler(request);
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await Promise.allSettled([browser?.close(), pages?.close(), credentialServer?.close()]);
  await broker?.close();
});

describe('a page that gets its credentials from the handler', () => {
  it('connects with a token, receives a message, and never receives a secret', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const log = recordPage(page);
      const responses = recordResponses(page);
      const query = new URLSearchParams({
        credentials: credentialServer.url,
        instanceId: INSTANCE,
        clientId: 'GID_web@@@dashboard-1',
        host: '127.0.0.1',
        port: String(broker.wsPort),
        topic: 'web/telemetry/#',
      });
      await page.goto(`${pages.url('/credentials.html')}?${query}`);
      await page.waitForFunction(() => (window as unknown as { page: { state: string } }).page?.state !== 'starting', undefined, { timeout: 20_000 });
      const state = await page.evaluate(() => (window as unknown as { page: { state: string; error: unknown } }).page);
      expect(state, log.text()).toMatchObject({ state: 'subscribed' });

      const publisher = await mqtt.connectAsync(broker.url('tcp'), {
        clientId: 'GID_web@@@publisher',
        ...(await signatureCredentials({ ...AK, instanceId: INSTANCE, clientId: 'GID_web@@@publisher' })),
      });
      try {
        await publisher.publishAsync('web/telemetry/room-1', 'temperature=21.5', { qos: 1 });
      } finally {
        await publisher.endAsync();
      }
      await page.locator('#messages li', { hasText: 'temperature=21.5' }).waitFor({ timeout: 10_000 });
      await screenshot(page, 'browser-credentials-token');

      // The browser preflighted the cross-origin JSON POST, then sent it: both reached the handler.
      expect(handlerRequests.map((r) => r.method)).toEqual(['OPTIONS', 'POST']);
      expect(handlerRequests.every((r) => r.origin === pages.origin)).toBe(true);
      const seen = await responses.all();
      expect(seen.length).toBeGreaterThan(3); // the page, its modules, the credentials
      const fromHandler = seen.filter((r) => r.url.startsWith(credentialServer.url));
      expect(fromHandler.map((r) => r.status)).toEqual([200]);
      const credentials = JSON.parse(fromHandler[0]!.body) as { username: string; password: string; tokens: { type: string }[] };
      expect(credentials.username).toBe(`Token|${AK.accessKeyId}|${INSTANCE}`);
      expect(credentials.tokens.map((t) => t.type)).toEqual(['R']);
      for (const { body } of seen) {
        expect(body).not.toContain(AK.accessKeySecret);
        expect(body).not.toContain(DEVICE_SECRET);
      }
    } finally {
      await context.close();
    }
  });

  it('a page from an origin the handler does not allow gets no credentials', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const log = recordPage(page);
      const before = { requests: handlerRequests.length, tokens: broker.tokens.size };
      // The page is served from `localhost`, a different origin from the allowed `127.0.0.1` one.
      const query = new URLSearchParams({
        credentials: credentialServer.url,
        instanceId: INSTANCE,
        clientId: 'GID_web@@@dashboard-2',
        host: '127.0.0.1',
        port: String(broker.wsPort),
        topic: 'web/telemetry/#',
      });
      await page.goto(`${pages.url('/credentials.html', 'localhost')}?${query}`);
      await vi.waitFor(() => expect(log.lines.some((line) => line.includes('blocked by CORS policy')), 'the CORS refusal in the page').toBe(true), { ...WAIT, timeout: 20_000 });
      // The preflight was refused, so the POST that would have issued a token was never sent.
      const methods = new Set(handlerRequests.slice(before.requests).map((r) => r.method));
      expect([...methods]).toEqual(['OPTIONS']);
      expect(broker.tokens.size).toBe(before.tokens);
      expect(await page.evaluate(() => (window as unknown as { page: { state: string } }).page.state)).not.toBe('subscribed');
    } finally {
      await context.close();
    }
  });
});
