/**
 * Messages that say the fix (issue 19): the slips a newcomer makes first, each answered with what to
 * write instead. A duration passed as ApplyToken's expireTime (or seconds for milliseconds); a bad
 * client id, which every path (credential builders, createConnectOptions, connect, the OpenAPI client,
 * parseClientId) reports rule by rule as validateClientId does; an OpenAPI call given a bare client id
 * or token instead of its options object. The OpenAPI client talks to the local service on loopback;
 * the refusals come before any call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenApiService, type OpenApiService } from '../../src/broker/openapi-service.js';
import { DeviceStore, TokenStore } from '../../src/broker/broker-entry.js';
import { connect, connectAsync, createConnectOptions, customCredentials, deviceCredentials, parseClientId, signatureCredentials, validateClientId } from '../../src/index.js';
import { createOnsMqttClient, type OnsMqttClient } from '../../src/server/server-entry.js';
import { serve, type Served } from '../helpers/loopback.js';
import { manualClock } from '../helpers/manual-clock.js';

const AK = 'LTAI5tFixMessages';
const SECRET = 'fix-messages-AccessKeySecret';
const INSTANCE = 'mqtt-cn-fix';
const T0 = Date.UTC(2026, 11, 7, 21, 0, 0);
const clock = manualClock(T0);

let service: OpenApiService;
let served: Served;
let api: OnsMqttClient;
let apiWithoutInstance: OnsMqttClient;

beforeAll(async () => {
  service = createOpenApiService({
    accessKeys: [{ accessKeyId: AK, accessKeySecret: SECRET }],
    instanceId: INSTANCE,
    tokens: new TokenStore({ instanceId: INSTANCE, clock }),
    devices: new DeviceStore({ instanceId: INSTANCE, clock }),
    clock,
  });
  served = await serve(service);
  api = createOnsMqttClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: served.url, instanceId: INSTANCE, clock });
  apiWithoutInstance = createOnsMqttClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: served.url, clock });
});
afterAll(() => served?.close());

const message = (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: Error & { field?: string; code?: string }) => ({ code: error.code, field: error.field, message: error.message }));

describe('applyToken: expireTime is a time, not a duration', () => {
  it('a duration where the time belongs (the README\'s usual mistake) says so and shows the fix', async () => {
    const calls = structuredClone(service.calls);
    expect(await message(api.applyToken({ resources: ['demo/#'], actions: 'R', expireTime: 3_600_000 }))).toEqual({
      code: 'ERR_INVALID_ARGUMENT',
      field: 'expireTime',
      message: 'expireTime must be a time at least 60 seconds ahead, in milliseconds since the epoch: 3600000 looks like a duration (1 h), not a time: pass Date.now() + 3600000',
    });
    expect(await message(api.applyToken({ resources: ['demo/#'], actions: 'R', expireTime: 90_000 }))).toMatchObject({ message: expect.stringContaining('90000 looks like a duration (1.5 min), not a time: pass Date.now() + 90000') });
    expect(await message(api.applyToken({ resources: ['demo/#'], actions: 'R', expireTime: 7 * 86_400_000 }))).toMatchObject({ message: expect.stringContaining('looks like a duration (7 days)') });
    expect(service.calls).toEqual(calls); // refused before any call
  });

  it('seconds since the epoch where milliseconds belong: multiply by 1000', async () => {
    const seconds = Math.floor(clock.now() / 1000) + 3600;
    expect(await message(api.applyToken({ resources: ['demo/#'], actions: 'R', expireTime: seconds }))).toMatchObject({
      field: 'expireTime',
      message: `expireTime must be a time at least 60 seconds ahead, in milliseconds since the epoch: ${seconds} looks like seconds since the epoch: pass ${seconds} * 1000`,
    });
  });

  it('a time in the past or too soon says how far ahead it is and how to write it', async () => {
    expect(await message(api.applyToken({ resources: ['demo/#'], actions: 'R', expireTime: clock.now() + 30_000 }))).toMatchObject({
      message: "expireTime must be a time at least 60 seconds ahead, in milliseconds since the epoch (it is 30 s ahead): pass Date.now() + the token's lifetime in milliseconds",
    });
  });
});

describe('a bad client id: the per-rule report, on every path', () => {
  const id = 'GID_demo@@@dev ice';
  const report = validateClientId(id).problems[0]!;
  const key = { accessKeyId: AK, accessKeySecret: SECRET, instanceId: INSTANCE };

  it('validateClientId names the rule and the fix', () => {
    expect(report).toEqual({ field: 'deviceId', rule: 'chars', message: 'deviceId has " " at 3: use only A-Z a-z 0-9 - _' });
  });

  it.each([
    ['signatureCredentials', () => signatureCredentials({ ...key, clientId: id })],
    ['deviceCredentials', () => deviceCredentials({ deviceAccessKeyId: 'dak', deviceAccessKeySecret: SECRET, instanceId: INSTANCE, clientId: id })],
    ['customCredentials', () => customCredentials({ username: 'u', secret: SECRET, clientId: id, signMode: 'SIGNED' })],
    ['createConnectOptions', async () => createConnectOptions({ instanceId: INSTANCE, clientId: id, credentials: { username: 'u', password: 'p' } })],
    ['connect', async () => connect({ instanceId: INSTANCE, clientId: id, credentials: { username: 'u', password: 'p' } })],
    ['connectAsync', () => connectAsync({ instanceId: INSTANCE, clientId: id, credentials: { username: 'u', password: 'p' } })],
    ['parseClientId', async () => parseClientId(id)],
    ['the OpenAPI client (registerDeviceCredential)', () => api.registerDeviceCredential({ clientId: id })],
  ])('%s says what validateClientId says', async (_, run) => {
    expect(await message(run())).toEqual({ code: 'ERR_INVALID_CLIENT_ID', field: report.field, message: report.message });
  });
});

describe('OpenAPI calls given a bare value instead of their options object', () => {
  it('registerDeviceCredential(clientId) shows the argument it takes, without repeating the value', async () => {
    const result = await message(api.registerDeviceCredential('GID_demo@@@device-9' as never));
    expect(result).toEqual({
      code: 'ERR_INVALID_ARGUMENT',
      field: 'options',
      message: "options must be { clientId, instanceId? }, as in registerDeviceCredential({ clientId: 'GID_demo@@@device-1' }) (got string)",
    });
    expect(JSON.stringify(result)).not.toContain('device-9');
  });

  it('without a default instance the instanceId is not optional; every call names itself', async () => {
    expect(await message(apiWithoutInstance.getDeviceCredential('GID_demo@@@device-9' as never))).toMatchObject({
      message: "options must be { clientId, instanceId }, as in getDeviceCredential({ clientId: 'GID_demo@@@device-1' }) (got string)",
    });
    expect(await message(api.unregisterDeviceCredential(undefined as never))).toMatchObject({ message: expect.stringMatching(/^options must be \{ clientId, instanceId\? \}, as in unregisterDeviceCredential\(/) });
    expect(await message(api.revokeToken('a-token-value' as never))).toEqual({ code: 'ERR_INVALID_ARGUMENT', field: 'options', message: 'options must be { token, instanceId? }, as in revokeToken({ token }) (got string)' });
    expect(await message(api.applyToken(null as never))).toMatchObject({ message: "options must be { resources, actions, expireTime, instanceId? }, as in applyToken({ resources: ['demo/+/telemetry'], actions: 'R', expireTime: Date.now() + 3_600_000 }) (got null)" });
  });
});
