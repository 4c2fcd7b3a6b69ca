/**
 * The server side end to end: the local broker serves the onsmqtt OpenAPI on its HTTP listener (every
 * request signature verified), the token issuer applies for tokens there, the credential handler runs
 * behind `http.createServer` on 127.0.0.1, and real mqtt.js clients connect to the broker with what
 * the handler gave them. One manual clock drives broker, OpenAPI service, client and issuer.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock, startBroker, type LocalBroker, type ManualClock } from '../src/broker/broker-entry.js';
import { createOpenApiService, type OpenApiService } from '../src/broker/openapi-service.js';
import { connectAsync, parseClientId, remoteCredentials, type Credentials } from '../src/index.js';
import {
  createCredentialHandler,
  createOnsMqttClient,
  createTokenIssuer,
  type CredentialBody,
  type OnsMqttClient,
  type TokenIssuer,
} from '../src/server/server-entry.js';
import { serve, type Served } from '../test/helpers/loopback.js';
import { closeAll, closed, connect, nextMessage } from './broker-helpers.js';

const INSTANCE = 'mqtt-credential-server';
const AK = { accessKeyId: 'LTAI-cred-server', accessKeySecret: 'cred-server-secret-Q7' };
const MINUTE = 60_000;

let clock: ManualClock;
let broker: LocalBroker;
let service: OpenApiService;
let api: OnsMqttClient;
let issuer: TokenIssuer;
let credentialServer: Served;
const managed = new Set<MqttClient>();
/** Every body the credential server sent, checked for secrets at the end. */
const bodies: string[] = [];

/** Devices may read all telemetry and write their own; `fleet` is the only group served. */
const authorize = (request: Request, clientId: string) => {
  const { groupId, deviceId } = parseClientId(clientId);
  if (groupId !== 'GID_fleet') return false;
  return new URL(request.url).searchParams.get('mode') === 'device'
    ? ({ mode: 'device' } as const)
    : ({ mode: 'token', resources: ['fleet/+/telemetry', `fleet/${deviceId}/#`], actions: 'R,W' } as const);
};

async function credentialsFor(clientId: string, query = ''): Promise<{ status: number; body: CredentialBody & { error?: { code: string } } }> {
  const response = await fetch(`${credentialServer.url}?clientId=${encodeURIComponent(clientId)}${query}`);
  const text = await response.text();
  bodies.push(text);
  return { status: response.status, body: JSON.parse(text) };
}

const applyCalls = () => service.calls['ApplyToken'] ?? 0;
const asCredentials = (body: CredentialBody): Credentials => ({ username: body.username, password: body.password });

beforeAll(async () => {
  clock = createManualClock(Date.UTC(2026, 10, 23, 12));
  broker = await startBroker({ instanceId: INSTANCE, accessKeys: [AK], clock });
  service = createOpenApiService({ accessKeys: [AK], instanceId: INSTANCE, tokens: broker.tokens, devices: broker.devices, clock });
  broker.addRoute(service);
  api = createOnsMqttClient({ ...AK, instanceId: INSTANCE, endpoint: `${broker.url('http')}/`, clock });
  issuer = createTokenIssuer({ client: api, clock, ttl: 20 * MINUTE, refreshMargin: 5 * MINUTE });
  const handler = createCredentialHandler({
    instanceId: INSTANCE,
    tokenIssuer: issuer,
    // Device secrets stay on the server: looked up through GetDeviceCredential, only the password goes out.
    deviceSecret: async (clientId) => {
      const found = await api.getDeviceCredential({ clientId });
      return { deviceAccessKeyId: found.deviceAccessKeyId, deviceAccessKeySecret: found.deviceAccessKeySecret };
    },
    authorize,
  });
  credentialServer = await serve(handler);
});

afterEach(async () => {
  await Promise.all([...managed].map((c) => c.endAsync(true).catch(() => undefined)));
  managed.clear();
  await closeAll();
});

afterAll(async () => {
  await credentialServer?.close();
  await broker?.close();
});

describe('Token credentials from the handler', () => {
  it('a real mqtt.js client connects with them over TCP and WebSocket and exchanges messages within its topics', async () => {
    const before = applyCalls();
    const rx = await credentialsFor('GID_fleet@@@rx-1');
    const tx = await credentialsFor('GID_fleet@@@tx-1');
    expect(rx.status).toBe(200);
    expect(rx.body).toMatchObject({ mode: 'token', username: `Token|${AK.accessKeyId}|${INSTANCE}`, expiresAt: clock.now() + 20 * MINUTE });
    expect(rx.body.tokens![0]).toMatchObject({ type: 'RW', resources: ['fleet/+/telemetry', 'fleet/rx-1/#'] });
    expect(applyCalls() - before).toBe(2);
    // What the broker was told is what the handler said.
    expect(broker.tokens.describe(rx.body.tokens![0]!.token)).toMatchObject({ resources: ['fleet/+/telemetry', 'fleet/rx-1/#'], actions: 'R,W', accessKeyId: AK.accessKeyId });

    const receiver = await connect(broker, { clientId: 'GID_fleet@@@rx-1', credentials: asCredentials(rx.body), transport: 'ws' });
    await receiver.subscribeAsync('fleet/+/telemetry', { qos: 1 });
    const sender = await connect(broker, { clientId: 'GID_fleet@@@tx-1', credentials: asCredentials(tx.body), transport: 'tcp' });
    const arrived = nextMessage(receiver, 'fleet/tx-1/telemetry');
    await sender.publishAsync('fleet/tx-1/telemetry', '{"t":21.5}', { qos: 1 });
    expect(await arrived).toMatchObject({ text: '{"t":21.5}', qos: 1 });

    // Outside the token's topics the broker disconnects the client: the grant is what it enforces.
    const gone = closed(sender);
    sender.publish('fleet/rx-1/commands', 'not yours', { qos: 1 });
    await gone;
  });

  it('a client id the server does not serve gets a 403 and no token', async () => {
    const before = broker.tokens.size;
    const { status, body } = await credentialsFor('GID_other@@@x');
    expect(status).toBe(403);
    expect(body.error!.code).toBe('ERR_FORBIDDEN');
    expect(broker.tokens.size).toBe(before);
  });

  it('a thousand managed clients connecting at once through remoteCredentials cost one ApplyToken', async () => {
    // Dashboards: every viewer may read all telemetry, so they share one cached token.
    const viewers = await serve(
      createCredentialHandler({
        instanceId: INSTANCE,
        tokenIssuer: createTokenIssuer({ client: api, clock }),
        authorize: (_request, clientId) => parseClientId(clientId).groupId === 'GID_viewer' && { mode: 'token', resources: ['fleet/+/telemetry'], actions: 'R' },
      }),
    );
    try {
      const before = applyCalls();
      const clients = await Promise.all(
        Array.from({ length: 1000 }, async (_, i) => {
          const client = await connectAsync({
            instanceId: INSTANCE,
            clientId: `GID_viewer@@@screen-${i}`,
            // POSTs { clientId, instanceId, reason }. A thousand at once from one process on a loaded
            // machine may take longer than remoteCredentials' default 10 s timeout.
            credentials: remoteCredentials(viewers.url, {}, { timeout: 120_000 }),
            ...broker.endpoint(i % 2 ? 'ws' : 'tcp'),
            clock,
            reconnectPeriod: 0,
            connectTimeout: 60_000,
          });
          managed.add(client);
          return client;
        }),
      );
      expect(clients.every((c) => c.connected)).toBe(true);
      expect(new Set(clients.map((c) => c.options.password)).size).toBe(1);
      expect(applyCalls() - before).toBe(1);
    } finally {
      await viewers.close();
    }
  }, 120_000);
});

describe('the token lifecycle through the OpenAPI', () => {
  it('RevokeToken (a signed OpenAPI call) disconnects the client; the issuer then hands out a new token', async () => {
    const first = await credentialsFor('GID_fleet@@@revoked');
    const client = await connect(broker, { clientId: 'GID_fleet@@@revoked', credentials: asCredentials(first.body) });
    const notice = nextMessage(client, '$SYS/tokenInvalidNotice');
    const gone = closed(client);
    await api.revokeToken({ token: first.body.tokens![0]!.token });
    expect(JSON.parse((await notice).text)).toMatchObject({ code: 3 });
    await gone;
    expect(await api.queryToken({ token: first.body.tokens![0]!.token })).toBe(false);

    issuer.invalidate({ resources: first.body.tokens![0]!.resources, actions: 'R,W' });
    const second = await credentialsFor('GID_fleet@@@revoked');
    expect(second.body.password).not.toBe(first.body.password);
    const again = await connect(broker, { clientId: 'GID_fleet@@@revoked', credentials: asCredentials(second.body) });
    expect(again.connected).toBe(true);
  });

  it('near expiry the handler serves a fresh token; the old one then expires at the broker', async () => {
    const first = await credentialsFor('GID_fleet@@@ageing');
    const old = await connect(broker, { clientId: 'GID_fleet@@@ageing', credentials: asCredentials(first.body) });
    const before = applyCalls();

    clock.advance(15 * MINUTE); // inside the 5-minute refresh margin
    const fresh = await credentialsFor('GID_fleet@@@ageing');
    expect(applyCalls() - before).toBe(1);
    expect(fresh.body.expiresAt).toBe(clock.now() + 20 * MINUTE);
    expect(fresh.body.password).not.toBe(first.body.password);

    const expired = closed(old);
    clock.advance(5 * MINUTE); // the first token's expiry
    await expired;
    const renewed = await connect(broker, { clientId: 'GID_fleet@@@ageing', credentials: asCredentials(fresh.body) });
    expect(renewed.connected).toBe(true);
  });
});

describe('DeviceCredential through the OpenAPI', () => {
  it('RegisterDeviceCredential, then the handler signs for the device; the secret never leaves the server', async () => {
    const clientId = 'GID_fleet@@@sensor-7';
    const registered = await api.registerDeviceCredential({ clientId });
    const { status, body } = await credentialsFor(clientId, '&mode=device');
    expect(status).toBe(200);
    expect(body).toMatchObject({ mode: 'device', username: `DeviceCredential|${registered.deviceAccessKeyId}|${INSTANCE}` });
    expect(JSON.stringify(body)).not.toContain(registered.deviceAccessKeySecret);
    const client = await connect(broker, { clientId, credentials: asCredentials(body), transport: 'ws' });
    expect(client.connected).toBe(true);

    await api.refreshDeviceCredential({ clientId });
    await expect(connect(broker, { clientId, credentials: asCredentials(body) })).rejects.toMatchObject({ code: 5 });
  });
});

describe('failures', () => {
  it('an OpenAPI client with the wrong secret gets SignatureDoesNotMatch; the handler answers 502 and issues nothing', async () => {
    const wrong = createOnsMqttClient({ ...AK, accessKeySecret: 'not-the-secret', instanceId: INSTANCE, endpoint: `${broker.url('http')}/`, clock });
    const handler = createCredentialHandler({ instanceId: INSTANCE, tokenIssuer: createTokenIssuer({ client: wrong, clock }), authorize });
    const server = await serve(handler);
    try {
      const before = [broker.tokens.size, service.errors['SignatureDoesNotMatch'] ?? 0];
      const response = await fetch(`${server.url}?clientId=GID_fleet@@@nope`);
      const text = await response.text();
      bodies.push(text);
      expect(response.status).toBe(502);
      expect(JSON.parse(text)).toEqual({ error: { code: 'ERR_OPENAPI', message: 'the token service failed; try again later' } });
      expect([broker.tokens.size, service.errors['SignatureDoesNotMatch'] ?? 0]).toEqual([before[0], before[1]! + 1]);
    } finally {
      await server.close();
    }
  });

  it('no answer of the credential server contained the AccessKey secret', () => {
    expect(bodies.length).toBeGreaterThan(8);
    for (const text of bodies) expect(text).not.toContain(AK.accessKeySecret);
  });
});
