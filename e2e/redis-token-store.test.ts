/**
 * createRedisTokenStore in one process against a real redis-server on a free loopback port: its Lua
 * scripts, a lock left by a dead holder, what it does with an entry it cannot read, and a Redis that
 * stops answering for a while (`CLIENT PAUSE`, so its data survives) — twice, one report per incident —
 * with a token found revoked during the pause staying gone once Redis answers again.
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApsaraMqttAuthError } from '../src/errors.js';
import { createOnsMqttClient, createRedisTokenStore, createTokenIssuer, type OnsMqttClient, type RedisTokenStore, type RedisTokenStoreOptions } from '../src/server/server-entry.js';
import { DELETE_TOKEN, RELEASE_LOCK, WRITE_TOKEN } from '../src/server/redis-scripts.js';
import { FLEET_INSTANCE, FLEET_KEY, startOpenApi, type OpenApi } from './helpers/fleet.js';
import { startRedis, type RedisServer } from './helpers/redis.js';
import { WAIT } from './helpers/wait.js';

let server: RedisServer;
let openapi: OpenApi;
let api: OnsMqttClient;
const clients: { destroy(): void }[] = [];
const stores: RedisTokenStore[] = [];
/** A store, closed after the tests (its subscription is a connection of its own). */
const storeOf = (options: RedisTokenStoreOptions) => {
  const store = createRedisTokenStore(options);
  stores.push(store);
  return store;
};

/** A node-redis client as an application makes it (its type is what `redis` must accept). */
async function connect() {
  const client = createClient({ url: server.url });
  client.on('error', () => {});
  await client.connect();
  clients.push(client);
  return client;
}

const keyOf = (topic: string) => `apsaramq-mqtt-auth:{${FLEET_KEY.accessKeyId}|${FLEET_INSTANCE}|R|${topic}}:token`;

beforeAll(async () => {
  [server, openapi] = await Promise.all([startRedis(), startOpenApi()]);
  api = createOnsMqttClient({ ...FLEET_KEY, instanceId: FLEET_INSTANCE, endpoint: openapi.url });
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all(clients.map((c) => c.destroy()));
  await openapi?.close();
  await server?.close();
});

describe('createRedisTokenStore', () => {
  it('takes a node-redis client as createClient() makes it, and names a bad option', async () => {
    const redis = await connect();
    expect(storeOf({ redis }).healthy).toBe(true);
    const bad: [Partial<RedisTokenStoreOptions>, string][] = [
      [{ redis: {} as never }, 'redis'],
      [{ redis, prefix: 5 as never }, 'prefix'],
      [{ redis, lockTtl: 10 }, 'lockTtl'],
      [{ redis, timeout: 0 }, 'timeout'],
      [{ redis, maxWait: -1 }, 'maxWait'],
      [{ redis, onError: 'log' as never }, 'onError'],
      [{ redis, prefix: 'fleet{}:' }, 'prefix'],
      [{ redis, nearCacheMaxAge: -1 }, 'nearCacheMaxAge'],
      [{ redis, heartbeat: 1 }, 'heartbeat'],
    ];
    for (const [options, field] of bad) {
      expect(() => createRedisTokenStore(options as RedisTokenStoreOptions)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', field }));
    }
  });

  it('its Lua scripts delete a lock only for its holder, and a token entry only while it holds that token', async () => {
    const redis = await connect();
    await redis.set('t:lock', 'holder-a');
    expect(await redis.eval(RELEASE_LOCK, { keys: ['t:lock'], arguments: ['holder-b'] })).toBe(0);
    expect(await redis.get('t:lock')).toBe('holder-a');
    expect(await redis.eval(RELEASE_LOCK, { keys: ['t:lock'], arguments: ['holder-a'] })).toBe(1);
    expect(await redis.exists('t:lock')).toBe(0);
    await redis.set('t:token', JSON.stringify({ token: 'new-token' }));
    expect(await redis.eval(DELETE_TOKEN, { keys: ['t:token'], arguments: ['old-token'] })).toBe(0);
    expect(await redis.eval(DELETE_TOKEN, { keys: ['t:token'], arguments: ['new-token'] })).toBe(1);
    await redis.set('t:token', 'not json');
    expect(await redis.eval(DELETE_TOKEN, { keys: ['t:token'], arguments: ['new-token'] })).toBe(0);
  });

  it('its write script keeps a later token of the same permission, replaces anything else, and releases its lock', async () => {
    const redis = await connect();
    const entry = (token: string, expiresAt: number, resources = ['w/1']) => JSON.stringify({ token, instanceId: 'i', resources, actions: 'R', type: 'R', expiresAt });
    const write = (value: string, owner = '') => redis.eval(WRITE_TOKEN, { keys: ['{w}:token', '{w}:lock'], arguments: [value, '60000', owner, '', ''] });
    expect(await write(entry('first', 2000))).toBe(1);
    expect(await write(entry('sooner', 1000))).toBe(0);
    expect(JSON.parse((await redis.get('{w}:token'))!).token).toBe('first');
    // Another permission's entry (a foreign or broken one) is replaced whatever its expiry.
    await redis.set('{w}:token', entry('foreign', 9_999_999, ['#']));
    expect(await write(entry('mine', 1500))).toBe(1);
    // The lock goes with the write, for its holder only.
    await redis.set('{w}:lock', 'holder-a');
    await write(entry('later', 3000), 'holder-b');
    expect(await redis.get('{w}:lock')).toBe('holder-a');
    await write(entry('later-still', 4000), 'holder-a');
    expect(await redis.exists('{w}:lock')).toBe(0);
  });

  it('a lock whose holder is gone delays the next issuer until it expires, then that issuer applies once', async () => {
    const redis = await connect();
    const issuer = createTokenIssuer({ client: api, store: storeOf({ redis }) });
    // A holder that died right after taking the lock, 400 ms before it expires.
    await redis.set(`apsaramq-mqtt-auth:{${FLEET_KEY.accessKeyId}|${FLEET_INSTANCE}|R|dead/#}:lock`, 'gone', { expiration: { type: 'PX', value: 400 } });
    const before = openapi.applyCalls();
    const tokens = await Promise.all(Array.from({ length: 50 }, () => issuer.issue({ resources: ['dead/#'], actions: 'R' })));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(openapi.applyCalls() - before).toBe(1);
  });

  it('an entry it cannot read counts as none: the issuer applies and writes a good one', async () => {
    const redis = await connect();
    const issuer = createTokenIssuer({ client: api, store: storeOf({ redis }) });
    await redis.set(keyOf('garbled/#'), '{"token": 5}');
    const token = await issuer.issue({ resources: ['garbled/#'], actions: 'R' });
    expect(JSON.parse((await redis.get(keyOf('garbled/#')))!)).toMatchObject({ token: token.token, resources: ['garbled/#'], actions: 'R', type: 'R' });
  });

  it('invalidate() forgets every token of its AccessKey and instance, in Redis, and nothing else', async () => {
    const redis = await connect();
    const issuer = createTokenIssuer({ client: api, store: storeOf({ redis }) });
    await Promise.all(['all/1', 'all/2', 'all/3'].map((topic) => issuer.issue({ resources: [topic], actions: 'R' })));
    await redis.set('apsaramq-mqtt-auth:{LTAIother|mqtt-other|R|all/1}:token', '{}');
    await issuer.invalidate();
    expect(await redis.keys(`apsaramq-mqtt-auth:{${FLEET_KEY.accessKeyId}|*:token`)).toEqual([]);
    expect(await redis.exists('apsaramq-mqtt-auth:{LTAIother|mqtt-other|R|all/1}:token')).toBe(1);
  });

  it('Redis that stops answering: served from the local copy, onError once per incident, a revocation found meanwhile reaches Redis', async () => {
    const admin = await connect();
    const reports: ApsaraMqttAuthError[] = [];
    // The local fallback itself, without the near cache in front of it (which the heartbeat turns off in an outage).
    const store = storeOf({ redis: await connect(), timeout: 200, nearCacheMaxAge: 0, onError: (e) => reports.push(e) });
    const issuer = createTokenIssuer({ client: api, store });
    const permission = { resources: ['paused/#'], actions: 'R' as const };
    const old = await issuer.issue(permission);

    // Incident 1: Redis takes commands but answers none for 1.5 s.
    await admin.sendCommand(['CLIENT', 'PAUSE', '1500', 'ALL']);
    const during = await Promise.all(Array.from({ length: 100 }, () => issuer.issue(permission)));
    expect(new Set(during.map((t) => t.token))).toEqual(new Set([old.token]));
    expect(store.healthy).toBe(false);
    // Revoked meanwhile and reported by a client: replaced locally, and the deletion is remembered.
    openapi.tokens.revoke(old.token);
    const replaced = await issuer.issue(permission, { verify: true });
    expect(replaced.token).not.toBe(old.token);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ name: 'ApsaraMqttAuthError', code: 'ERR_STORE_UNAVAILABLE' });
    expect(reports[0]!.message).toMatch(/no answer within 200 ms/);

    await vi.waitFor(
      async () => {
        await issuer.issue(permission); // requests are what make the store try Redis again
        expect(store.healthy, 'the store to use Redis again').toBe(true);
      },
      { timeout: 15_000, interval: 100 },
    );
    // The revoked token is gone from Redis too: another process never sees it.
    expect(await admin.get(keyOf('paused/#'))).not.toContain(old.token);
    const elsewhere = createTokenIssuer({ client: api, store: storeOf({ redis: await connect() }) });
    expect((await elsewhere.issue(permission)).token).not.toBe(old.token);

    // Incident 2: one more report, however many requests.
    await admin.sendCommand(['CLIENT', 'PAUSE', '1000', 'ALL']);
    await Promise.all(Array.from({ length: 50 }, () => issuer.issue(permission)));
    expect(reports).toHaveLength(2);
  });
});
