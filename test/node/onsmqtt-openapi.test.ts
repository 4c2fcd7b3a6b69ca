/**
 * The onsmqtt OpenAPI client against the OpenAPI service on loopback (real HTTP through the SDK's
 * Node adapter): every call signed, every signature verified, and failures typed without secrets.
 */
import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenApiService, type OpenApiService } from '../../src/broker/openapi-service.js';
import { deviceCredentials } from '../../src/index.js';
import { AppliedToken, createOnsMqttClient, OpenApiError, percentEncode, type OnsMqttClientOptions } from '../../src/server/server-entry.js';
import { serve, type Served } from '../helpers/loopback.js';
import { DeviceStore, TokenStore } from '../../src/broker/broker-entry.js';
import { manualClock } from '../helpers/manual-clock.js';
import { SECRET } from '../suites/api.js';

const AK = 'LTAI5tLocalTest';
const INSTANCE = 'mqtt-cn-local';
const T0 = Date.UTC(2026, 0, 1);
const clock = manualClock(T0);

let store: TokenStore;
let service: OpenApiService;
let served: Served;
let base: OnsMqttClientOptions;

beforeAll(async () => {
  store = new TokenStore({ instanceId: INSTANCE, clock });
  const devices = new DeviceStore({ instanceId: INSTANCE, clock });
  service = createOpenApiService({ accessKeys: [{ accessKeyId: AK, accessKeySecret: SECRET }], instanceId: INSTANCE, tokens: store, devices, clock });
  served = await serve(service);
  base = { accessKeyId: AK, accessKeySecret: SECRET, endpoint: served.url, instanceId: INSTANCE, clock };
});
afterAll(() => served?.close());

/** Every textual form a value can take. */
const renderings = (value: unknown) => [String(value), JSON.stringify(value) ?? '', inspect(value, { depth: 10, showHidden: true }), (value as Error)?.stack ?? ''];

async function rejection(promise: Promise<unknown>): Promise<OpenApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenApiError);
  const typed = error as OpenApiError;
  expect(typed.code).toBe('ERR_OPENAPI');
  expect(typed.name).toBe('ApsaraMqttAuthError');
  for (const text of renderings(typed)) expect(text).not.toContain(SECRET);
  return typed;
}

describe('token calls', () => {
  it('ApplyToken → QueryToken → RevokeToken → QueryToken', async () => {
    const api = createOnsMqttClient(base);
    const before = service.calls;
    const token = await api.applyToken({ resources: ['fleet/b', 'fleet/a/#', 'fleet/b'], actions: 'R,W', expireTime: clock.now() + 3600_000 });
    expect(token).toBeInstanceOf(AppliedToken);
    expect(token).toMatchObject({ instanceId: INSTANCE, resources: ['fleet/a/#', 'fleet/b'], actions: 'R,W', type: 'RW', expiresAt: clock.now() + 3600_000 });
    expect(token.requestId).toMatch(/^[0-9A-F-]{36}$/);
    // What the service stored is what was signed and sent: sorted topics, bound to the applying key.
    expect(store.describe(token.token)).toMatchObject({ resources: ['fleet/a/#', 'fleet/b'], actions: 'R,W', expireTime: clock.now() + 3600_000, accessKeyId: AK });
    expect(await api.queryToken({ token: token.token })).toBe(true);
    await api.revokeToken({ token: token.token });
    expect(await api.queryToken({ token: token.token })).toBe(false);
    const after = service.calls;
    expect((after['ApplyToken'] ?? 0) - (before['ApplyToken'] ?? 0)).toBe(1);
    expect((after['QueryToken'] ?? 0) - (before['QueryToken'] ?? 0)).toBe(2);
    expect((after['RevokeToken'] ?? 0) - (before['RevokeToken'] ?? 0)).toBe(1);
  });

  it('GET requests are signed as GET and accepted', async () => {
    const api = createOnsMqttClient({ ...base, method: 'GET' });
    const token = await api.applyToken({ resources: 'a', actions: 'R', expireTime: clock.now() + 120_000 });
    expect(token.type).toBe('R');
    expect(await api.queryToken({ token: token.token })).toBe(true);
  });

  it('the service accepts a request signed independently with node:crypto', async () => {
    const params: Record<string, string> = {
      AccessKeyId: AK,
      Action: 'ApplyToken',
      Actions: 'W',
      ExpireTime: String(clock.now() + 600_000),
      Format: 'JSON',
      InstanceId: INSTANCE,
      Resources: 'x/y,x/z',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: 'independent-oracle-nonce',
      SignatureVersion: '1.0',
      Timestamp: new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z'),
      Version: '2020-04-20',
    };
    // RFC 3986 by hand: encodeURIComponent plus the four characters it leaves alone.
    const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    const query = Object.keys(params)
      .sort()
      .map((k) => `${enc(k)}=${enc(params[k]!)}`)
      .join('&');
    const signature = createHmac('sha1', `${SECRET}&`).update(`GET&%2F&${enc(query)}`).digest('base64');
    const response = await fetch(`${served.url}?${query}&Signature=${enc(signature)}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { Token: string; RequestId: string };
    expect(store.describe(body.Token)).toMatchObject({ resources: ['x/y', 'x/z'], actions: 'W' });
    expect(percentEncode(query)).toBe(enc(query));
  });
});

describe('the service verifies every request', () => {
  it('a wrong secret → SignatureDoesNotMatch, nothing issued', async () => {
    const size = store.size;
    const api = createOnsMqttClient({ ...base, accessKeySecret: 'not-the-secret' });
    const error = await rejection(api.applyToken({ resources: ['a'], actions: 'R', expireTime: clock.now() + 120_000 }));
    expect(error).toMatchObject({ openApiCode: 'SignatureDoesNotMatch', status: 400 });
    expect(error.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(error.message).toContain('ApplyToken failed: SignatureDoesNotMatch');
    expect(store.size).toBe(size);
  });

  it('a parameter changed after signing → SignatureDoesNotMatch', async () => {
    const size = store.size;
    const api = createOnsMqttClient({
      ...base,
      fetch: (url, init) => fetch(url, { ...init, body: init.body!.replace('Actions=R&', 'Actions=W&') }),
    });
    const error = await rejection(api.applyToken({ resources: ['a'], actions: 'R', expireTime: clock.now() + 120_000 }));
    expect(error.openApiCode).toBe('SignatureDoesNotMatch');
    expect(store.size).toBe(size);
  });

  it('an unknown AccessKey id → InvalidAccessKeyId.NotFound (404)', async () => {
    const api = createOnsMqttClient({ ...base, accessKeyId: 'LTAIunknown' });
    expect(await rejection(api.queryToken({ token: 'whatever' }))).toMatchObject({ openApiCode: 'InvalidAccessKeyId.NotFound', status: 404 });
  });

  it('a reused nonce → SignatureNonceUsed', async () => {
    const api = createOnsMqttClient({ ...base, nonce: () => 'the-same-nonce-twice' });
    expect(await api.queryToken({ token: 'a-token' })).toBe(false);
    expect((await rejection(api.queryToken({ token: 'a-token' }))).openApiCode).toBe('SignatureNonceUsed');
  });

  it('a Timestamp more than 15 minutes off → InvalidTimeStamp.Expired', async () => {
    const api = createOnsMqttClient({ ...base, clock: manualClock(clock.now() - 16 * 60_000) });
    expect((await rejection(api.queryToken({ token: 'a-token' }))).openApiCode).toBe('InvalidTimeStamp.Expired');
  });

  it('another instance → InstancePermissionCheckFailed (400), as the token actions document it', async () => {
    const api = createOnsMqttClient({ ...base, instanceId: 'mqtt-cn-other' });
    expect(await rejection(api.applyToken({ resources: ['a'], actions: 'R', expireTime: clock.now() + 120_000 }))).toMatchObject({ openApiCode: 'InstancePermissionCheckFailed', status: 400 });
  });

  it('an unknown action → InvalidAction.NotFound', async () => {
    const api = createOnsMqttClient(base);
    expect((await rejection(api.call('DescribeNothing', {}))).openApiCode).toBe('InvalidAction.NotFound');
  });

  it('more than 5 RevokeToken calls in one second → RevokeTokenOverFlow, as documented', async () => {
    clock.advance(1000); // a fresh one-second window
    const api = createOnsMqttClient(base);
    for (let i = 0; i < 5; i++) await api.revokeToken({ token: `t-${i}` });
    expect(await rejection(api.revokeToken({ token: 't-5' }))).toMatchObject({ openApiCode: 'RevokeTokenOverFlow', status: 400 });
    clock.advance(1000);
    await api.revokeToken({ token: 't-6' });
  });

  it('a token quoted back by the service (V2 string to sign) is redacted from the error', async () => {
    const token = 'tok/+=' + 'q'.repeat(40);
    // V2's string to sign quotes every parameter; V3's canonical request has the form body only as its hash.
    const api = createOnsMqttClient({ ...base, accessKeySecret: 'wrong-secret', signatureAlgorithm: 'v2' });
    const error = await rejection(api.queryToken({ token }));
    expect(error.openApiCode).toBe('SignatureDoesNotMatch');
    expect(error.message).toContain('***');
    for (const text of renderings(error)) expect(text).not.toContain(token);
  });
});

describe('the ExpireTime rule is checked before any call', () => {
  it('less than 60 s ahead, or more than 30 days: ERR_INVALID_ARGUMENT and no request', async () => {
    const api = createOnsMqttClient(base);
    const calls = JSON.stringify([service.calls, service.errors]);
    await expect(api.applyToken({ resources: ['a'], actions: 'R', expireTime: clock.now() + 59_999 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'expireTime' });
    await expect(api.applyToken({ resources: ['a'], actions: 'R', expireTime: clock.now() + 30 * 86_400_000 + 1 })).rejects.toMatchObject({ field: 'expireTime' });
    await expect(api.applyToken({ resources: [], actions: 'R', expireTime: clock.now() + 120_000 })).rejects.toMatchObject({ field: 'resources' });
    await expect(api.applyToken({ resources: ['a'], actions: 'RW' as never, expireTime: clock.now() + 120_000 })).rejects.toMatchObject({ field: 'actions' });
    expect(JSON.stringify([service.calls, service.errors])).toBe(calls);
  });

  it('the service applies the same rule: too short → InvalidParameter.ExpireTime', async () => {
    // A client whose clock runs 2 minutes behind passes its own check, but not the service's.
    const api = createOnsMqttClient({ ...base, clock: manualClock(clock.now() - 120_000) });
    const error = await rejection(api.applyToken({ resources: ['a'], actions: 'R', expireTime: clock.now() + 30_000 }));
    expect(error).toMatchObject({ openApiCode: 'InvalidParameter.ExpireTime', status: 400 });
  });
});

describe('device credentials', () => {
  it('Register → Get → Refresh → UnRegister, with the secret hidden from every rendering', async () => {
    const api = createOnsMqttClient(base);
    const clientId = 'GID_demo@@@sensor-1';
    const made = await api.registerDeviceCredential({ clientId });
    expect(made).toMatchObject({ clientId, instanceId: INSTANCE });
    expect(made.deviceAccessKeySecret.length).toBeGreaterThanOrEqual(16);
    for (const text of renderings(made)) expect(text).not.toContain(made.deviceAccessKeySecret);
    const got = await api.getDeviceCredential({ clientId });
    expect(got.deviceAccessKeySecret).toBe(made.deviceAccessKeySecret);
    const refreshed = await api.refreshDeviceCredential({ clientId });
    expect(refreshed.deviceAccessKeyId).toBe(made.deviceAccessKeyId);
    expect(refreshed.deviceAccessKeySecret).not.toBe(made.deviceAccessKeySecret);
    const creds = await deviceCredentials({ deviceAccessKeyId: refreshed.deviceAccessKeyId, deviceAccessKeySecret: refreshed.deviceAccessKeySecret, instanceId: INSTANCE, clientId });
    expect(creds.password).toBe(createHmac('sha1', refreshed.deviceAccessKeySecret).update(clientId).digest('base64'));
    await api.unregisterDeviceCredential({ clientId });
    expect((await rejection(api.getDeviceCredential({ clientId }))).openApiCode).toBe('DeviceCredentialNotFound');
    await expect(api.registerDeviceCredential({ clientId: 'not-a-client-id' })).rejects.toMatchObject({ code: 'ERR_INVALID_CLIENT_ID' });
  });
});

describe('secrets and transport failures', () => {
  it('neither the client nor a token shows the secret or the token value', async () => {
    const api = createOnsMqttClient(base);
    const token = await api.applyToken({ resources: ['a'], actions: 'W', expireTime: clock.now() + 120_000 });
    for (const text of [...renderings(api), ...renderings(token)]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(token.token);
    }
    expect(Object.isFrozen(token)).toBe(true);
  });

  it('an endpoint that refuses connections → ERR_OPENAPI naming the host, without openApiCode', async () => {
    const closed = await serve(() => undefined);
    await closed.close();
    const api = createOnsMqttClient({ ...base, endpoint: closed.url });
    const error = await rejection(api.queryToken({ token: 't' }));
    expect(error.openApiCode).toBeUndefined();
    expect(error.message).toContain(`127.0.0.1:${closed.port}`);
  });

  it('an endpoint that answers HTML → ERR_OPENAPI with the status', async () => {
    const html = await serve(() => new Response('<html>gateway error</html>', { status: 503, headers: { 'content-type': 'text/html' } }));
    try {
      const error = await rejection(createOnsMqttClient({ ...base, endpoint: html.url }).queryToken({ token: 't' }));
      expect(error.status).toBe(503);
      expect(error.message).toContain('not a JSON object');
    } finally {
      await html.close();
    }
  });

  it('bad options are named', () => {
    expect(() => createOnsMqttClient({ ...base, endpoint: undefined, regionId: undefined })).toThrow(expect.objectContaining({ field: 'regionId' }));
    expect(() => createOnsMqttClient({ ...base, endpoint: 'ftp://x' })).toThrow(expect.objectContaining({ field: 'endpoint' }));
    expect(() => createOnsMqttClient({ ...base, accessKeySecret: '' })).toThrow(expect.objectContaining({ field: 'accessKeySecret' }));
    expect(createOnsMqttClient({ ...base, endpoint: undefined, regionId: 'cn-hangzhou' }).endpoint).toBe('https://onsmqtt.cn-hangzhou.aliyuncs.com/');
  });
});
