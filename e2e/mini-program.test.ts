/**
 * examples/mini-program's page in a WeChat and in an Alipay mini-program, as far as its code can
 * tell (e2e/helpers/mini-program.ts: no web APIs, CommonJS, `Page`, the platform's socket and
 * request APIs backed by `ws` and fetch on loopback). With the files its `vendor.mjs` writes (the
 * SDK's single-file build, mqtt.js's browser bundle), the page connects through mqtt.js's own
 * wx/ali transports to the local broker with Token credentials from a real credential server
 * (createCredentialHandler + token issuer + the broker's OpenAPI), receives what a Node client
 * publishes, rotates its token in band when its refresh button asks for a new one within the
 * server's renewal margin (no reconnect, still receiving after the first token expired) and again
 * by itself on the broker's expiry notice, and closes on unload. One manual clock drives the broker and the issuer; waits are on state, never
 * on time.
 */
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createManualClock, createOpenApiService, startBroker, type LocalBroker, type ManualClock } from '../src/broker/broker-entry.js';
import { connectAsync, signatureCredentials } from '../src/index.js';
import { createCredentialHandler, createOnsMqttClient, createTokenIssuer, toNodeListener } from '../src/server/server-entry.js';
import { loadMiniProgram, type MiniProgram, type MiniProgramPlatform } from './helpers/mini-program.js';
import { ROOT } from './helpers/paths.js';
import { freePort } from './helpers/ports.js';
import { WAIT } from './helpers/wait.js';

const EXAMPLE = join(ROOT, 'examples/mini-program');
const INSTANCE = 'mqtt-cn-miniprogram';
const AK = { accessKeyId: 'LTAI5tMiniProgram', accessKeySecret: 'mini-program-secret-7Q' };
const MINUTE = 60_000;
const TOPIC_FILTER = 'demo/+/telemetry';

let clock: ManualClock;
let broker: LocalBroker;
let credentialServer: Server;
let credentialUrl: string;
let publisher: MqttClient;
/** Every ApplyToken the credential server's issuer made, in order. */
const applied: string[] = [];

beforeAll(async () => {
  // The page's own refresh timer runs on the real clock: start the manual one at real time, so
  // the expiry the server reports is minutes ahead on both.
  clock = createManualClock(Date.now());
  broker = await startBroker({ instanceId: INSTANCE, accessKeys: [AK], clock });
  // The onsmqtt OpenAPI (ApplyToken) on the broker's HTTP listener, as `npm start` mounts it.
  broker.addRoute(createOpenApiService({ accessKeys: [AK], instanceId: INSTANCE, tokens: broker.tokens, devices: broker.devices, clock }));
  const openApi = createOnsMqttClient({ ...AK, instanceId: INSTANCE, endpoint: `${broker.url('http')}/`, clock });
  const issuer = createTokenIssuer({
    client: {
      accessKeyId: AK.accessKeyId,
      instanceId: INSTANCE,
      applyToken: async (options) => {
        const token = await openApi.applyToken(options);
        applied.push(token.token);
        return token;
      },
    },
    clock,
    ttl: 30 * MINUTE,
    refreshMargin: 5 * MINUTE,
  });
  const handler = createCredentialHandler({ instanceId: INSTANCE, tokenIssuer: issuer, authorize: () => ({ mode: 'token', resources: [TOPIC_FILTER], actions: 'R' }) });
  const port = await freePort();
  credentialServer = createServer(toNodeListener(handler));
  await new Promise<void>((resolve) => credentialServer.listen(port, '127.0.0.1', resolve));
  credentialUrl = `http://127.0.0.1:${port}/api/mqtt-credentials`;
  const publisherId = 'GID_demo@@@node-publisher';
  publisher = await connectAsync({ instanceId: INSTANCE, clientId: publisherId, credentials: signatureCredentials({ ...AK, instanceId: INSTANCE, clientId: publisherId }), ...broker.endpoint('tcp'), reconnectPeriod: 0 });
  // What a developer runs once: vendor/ gets the SDK's single-file build and mqtt.js as a module.
  execFileSync(process.execPath, [join(EXAMPLE, 'vendor.mjs')], { stdio: 'pipe' });
});

afterAll(async () => {
  await publisher?.endAsync(true);
  await new Promise((resolve) => credentialServer?.close(resolve));
  await broker?.close();
});

describe.each([
  { platform: 'wx' as MiniProgramPlatform, name: 'WeChat (wx.connectSocket, wx.request)', transport: 'wx' },
  { platform: 'my' as MiniProgramPlatform, name: 'Alipay (my.connectSocket, my.request)', transport: 'ali' },
])('examples/mini-program in $name', ({ platform, transport }) => {
  let app: MiniProgram;
  const clientId = `GID_demo@@@page-${platform}`;

  afterAll(() => app?.close());

  it('connects through mqtt.js with Token credentials from the credential server', async () => {
    const appliedBefore = applied.length;
    app = loadMiniProgram({
      platform,
      root: EXAMPLE,
      pagePath: 'pages/index/index.js',
      modules: { 'config.js': { instanceId: INSTANCE, clientId, host: '127.0.0.1', port: broker.wsPort, path: '/mqtt', transport, credentialUrl, topic: TOPIC_FILTER } },
    });
    app.page.onLoad();
    await vi.waitFor(() => expect(app.page.data.state === 'subscribed' || Boolean(app.page.data.error), 'the page to connect and subscribe').toBe(true), { ...WAIT, timeout: 20_000 });
    expect(app.page.data).toMatchObject({ state: 'subscribed', error: '' });
    expect(app.log.sockets).toEqual([`ws://127.0.0.1:${broker.wsPort}/mqtt`]);
    expect(app.log.requests).toEqual([credentialUrl]);
    expect(broker.sessions().find((s) => s.clientId === clientId)).toMatchObject({ mode: 'Token', id: AK.accessKeyId, tokens: [{ type: 'R', resources: [TOPIC_FILTER] }] });
    // One token serves every page with the same permission: applied once, at the first request.
    expect(applied.length - appliedBefore).toBeLessThanOrEqual(1);
  });

  it('receives what a Node client publishes', async () => {
    const payload = `hello ${platform} ${Date.now()}`;
    await publisher.publishAsync('demo/sensor-1/telemetry', payload, { qos: 1 });
    await vi.waitFor(() => expect(app.page.data.messages, 'the message in the page').toContain(`demo/sensor-1/telemetry: ${payload}`), WAIT);
  });

  it('rotates its token in band: a new token from the credential server, no reconnect, still receiving after the old one expired', async () => {
    const tokenBefore = broker.sessions().find((s) => s.clientId === clientId)!.tokens[0]!;
    // Within the issuer's renewal margin: the credential server now hands out a new token. The
    // page's refresh button asks for it; the SDK uploads it on the open connection.
    clock.advance(tokenBefore.expireTime - clock.now() - 4 * MINUTE);
    await app.page.onRefreshTap();
    await vi.waitFor(() => expect(app.page.data.rotations >= 1 || Boolean(app.page.data.error), 'the in-band rotation').toBe(true), { ...WAIT, timeout: 20_000 });
    expect(app.page.data).toMatchObject({ rotations: 1, error: '', state: 'subscribed' });
    expect(app.log.requests).toEqual([credentialUrl, credentialUrl]);
    const tokenAfter = broker.sessions().find((s) => s.clientId === clientId)!.tokens[0]!;
    expect(tokenAfter.expireTime).toBeGreaterThan(tokenBefore.expireTime);

    clock.advance(tokenBefore.expireTime - clock.now() + MINUTE); // the first token is now expired
    const payload = `after rotation ${platform}`;
    await publisher.publishAsync('demo/sensor-2/telemetry', payload, { qos: 1 });
    await vi.waitFor(() => expect(app.page.data.messages, 'the message after the first token expired').toContain(`demo/sensor-2/telemetry: ${payload}`), WAIT);
    expect(app.log.sockets).toHaveLength(1); // the same socket all along
    expect(app.page.data.state).toBe('subscribed');
  });

  it('rotates again by itself on the broker\'s expiry notice (its payload read without TextDecoder)', async () => {
    const token = broker.sessions().find((s) => s.clientId === clientId)!.tokens[0]!;
    const requests = app.log.requests.length;
    // The broker warns 5 minutes ahead; by then the issuer renews the cached token too.
    clock.advance(token.expireTime - clock.now() - 5 * MINUTE + 1_000);
    await vi.waitFor(() => expect(app.page.data.rotations >= 2 || Boolean(app.page.data.error), 'the rotation on the notice').toBe(true), { ...WAIT, timeout: 20_000 });
    expect(app.page.data).toMatchObject({ rotations: 2, error: '', state: 'subscribed' });
    expect(app.log.requests).toHaveLength(requests + 1);
    expect(broker.sessions().find((s) => s.clientId === clientId)!.tokens[0]!.expireTime).toBeGreaterThan(token.expireTime);
    expect(app.log.sockets).toHaveLength(1);
  });

  it('ends the connection when the page unloads', async () => {
    app.page.onUnload();
    await vi.waitFor(() => expect(broker.sessions().map((s) => s.clientId), 'the broker to see the client leave').not.toContain(clientId), WAIT);
    await vi.waitFor(() => expect(app.log.open, 'the socket to close').toBe(0), WAIT);
  });
});
