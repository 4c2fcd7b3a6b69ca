/**
 * `{ clock }` on every factory that keeps time, one manual clock driving them all; a clock of the wrong
 * shape is refused naming it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  DeviceStore,
  GroupStore,
  createOpenApiService,
  parseBrokerConfig,
  startBroker,
  TokenStore,
  type LocalBroker,
} from '../../src/broker/broker-entry.js';
import { createMemoryTokenStore, createOnsMqttClient, createRedisTokenStore, createTokenIssuer, type RedisCommandClient } from '../../src/server/server-entry.js';
import { manualClock } from '../helpers/manual-clock.js';
import { SECRET } from '../suites/api.js';

const INSTANCE = 'mqtt-cn-clock';
const AK = 'LTAI5tClockTest';
const START = Date.UTC(2021, 5, 1); // years before the real time: only a clock that is used can pass
const MINUTE = 60_000;

/** The OpenAPI service, its token store, the client and the issuer, each given `time(…)`. */
function stack(time: (part: string) => object) {
  const tokens = new TokenStore({ instanceId: INSTANCE, ...time('tokens') });
  const service = createOpenApiService({ accessKeys: { [AK]: SECRET }, instanceId: INSTANCE, tokens, ...time('service') });
  const fetch = async (url: string, init: RequestInit) => (await service(new Request(url, init)))!;
  const client = createOnsMqttClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: 'http://openapi.test/', instanceId: INSTANCE, fetch, ...time('client') });
  const issuer = createTokenIssuer({ client, ttl: 10 * MINUTE, refreshMargin: 2 * MINUTE, ...time('issuer') });
  return { tokens, service, client, issuer };
}

describe('one manual clock drives the server side and the OpenAPI service', () => {
  it("Timestamp, ExpireTime, the service's check and the cache's lifetime all follow it", async () => {
    const clock = manualClock(START);
    const { tokens, issuer, service } = stack(() => ({ clock }));
    const first = await issuer.issue({ resources: ['clock/a'], actions: 'R' });
    expect(first.expiresAt).toBe(START + 10 * MINUTE);
    expect(tokens.describe(first.token)).toMatchObject({ expireTime: START + 10 * MINUTE, createTime: START });
    clock.advance(8 * MINUTE - 1);
    expect((await issuer.issue({ resources: ['clock/a'], actions: 'R' })).token).toBe(first.token);
    clock.advance(1); // within refreshMargin of expiry: replaced
    const second = await issuer.issue({ resources: ['clock/a'], actions: 'R' });
    expect(second.token).not.toBe(first.token);
    expect(second.expiresAt).toBe(START + 18 * MINUTE);
    expect(service.errors).toEqual({});
  });

  it('a client on another clock than the service is refused as Alibaba refuses it (InvalidTimeStamp.Expired)', async () => {
    const service = manualClock(START);
    const { client } = stack((part) => (part === 'client' ? {} : { clock: service }));
    await expect(client.queryToken({ token: 'any' })).rejects.toMatchObject({ openApiCode: 'InvalidTimeStamp.Expired' });
  });

  it('the in-memory store paces on its clock', () => {
    const clock = manualClock(START);
    const store = createMemoryTokenStore({ clock });
    const turns = Array.from({ length: 11 }, () => store.admit('AK', 100, 10_000));
    expect(turns.at(-1)).toBe(13);
    clock.advance(10_000);
    expect(store.admit('AK', 100, 0)).toBe(0);
  });

  it('the Redis store takes a clock (it never asks Redis here)', () => {
    const redis: RedisCommandClient = { sendCommand: async () => null };
    expect(createRedisTokenStore({ redis, clock: manualClock() }).healthy).toBe(true);
  });
});

describe("the broker's stores", () => {
  it('TokenStore, DeviceStore and GroupStore date what they make by the clock', () => {
    const clock = manualClock(START);
    const tokens = new TokenStore({ instanceId: INSTANCE, clock });
    const token = tokens.apply({ resources: 'a', actions: 'R', expireTime: START + MINUTE });
    expect(tokens.query(token)).toBe(true);
    clock.advance(MINUTE);
    expect(tokens.query(token)).toBe(false);
    const devices = new DeviceStore({ instanceId: INSTANCE, clock });
    expect(devices.register('GID_clock@@@d1').CreateTime).toBe(START + MINUTE);
    const groups = new GroupStore({ instanceId: INSTANCE, clock });
    groups.create('GID_clock');
    expect(groups.list()[0]).toMatchObject({ CreateTime: START + MINUTE });
  });

  it('the config file counts expiresInMs from the clock', () => {
    const json = { instanceId: INSTANCE, tokens: [{ token: 'a-token-from-the-file', resources: 'a', actions: 'R', expiresInMs: MINUTE }] };
    expect(parseBrokerConfig(json, { clock: manualClock(START) }).tokens![0]).toMatchObject({ expireTime: START + MINUTE });
    expect(() => parseBrokerConfig(json, { clock: { now: () => START } as never })).toThrow(expect.objectContaining({ field: 'clock' }));
  });
});

describe('startBroker', () => {
  let broker: LocalBroker | undefined;
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
  });

  it('its stores and token timers run on the clock', async () => {
    const clock = manualClock(START);
    broker = await startBroker({ instanceId: INSTANCE, httpPort: false, wsPort: false, clock });
    const token = broker.tokens.apply({ resources: 'a', actions: 'R', expireTime: START + MINUTE });
    expect(broker.tokens.describe(token)).toMatchObject({ createTime: START });
    expect(broker.devices.register('GID_clock@@@d1').CreateTime).toBe(START);
    clock.advance(MINUTE);
    expect(broker.tokens.query(token)).toBe(false);
  });
});

describe('a clock of the wrong shape is refused naming clock', () => {
  const clock = manualClock();
  const redis: RedisCommandClient = { sendCommand: async () => null };
  const client = createOnsMqttClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: 'http://openapi.test/', instanceId: INSTANCE, fetch: async () => new Response('{}') });
  const factories: [string, (time: object) => unknown][] = [
    ['createTokenIssuer', (time) => createTokenIssuer({ client, ...time })],
    ['createOnsMqttClient', (time) => createOnsMqttClient({ accessKeyId: AK, accessKeySecret: SECRET, regionId: 'cn-hangzhou', ...time })],
    ['createMemoryTokenStore', (time) => createMemoryTokenStore(time)],
    ['createRedisTokenStore', (time) => createRedisTokenStore({ redis, ...time })],
    ['createOpenApiService', (time) => createOpenApiService({ accessKeys: {}, instanceId: INSTANCE, tokens: new TokenStore({ instanceId: INSTANCE }), ...time })],
    ['TokenStore', (time) => new TokenStore({ instanceId: INSTANCE, ...time })],
    ['DeviceStore', (time) => new DeviceStore({ instanceId: INSTANCE, ...time })],
    ['GroupStore', (time) => new GroupStore({ instanceId: INSTANCE, ...time })],
  ];
  for (const [name, make] of factories) {
    it(name, () => {
      expect(() => make({ clock: { now: clock.now } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', field: 'clock' }));
      expect(() => make({ clock: 5 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', field: 'clock' }));
      expect(make({ clock })).toBeTruthy();
    });
  }

  it('startBroker', async () => {
    for (const time of [{ clock: { now: clock.now } }, { clock: 5 }]) {
      await expect(startBroker({ instanceId: INSTANCE, ...(time as object) })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'clock' });
    }
  });
});
