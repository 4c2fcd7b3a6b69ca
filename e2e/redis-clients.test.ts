/**
 * createRedisTokenStore with the Redis clients people use, each passed as its package makes it (no
 * adapter): node-redis 6 and 5 (`createClient`, `createCluster`), ioredis 5 (`new Redis`,
 * `new Redis.Cluster`) and iovalkey; against a real redis-server on a free loopback port and a real
 * cluster of three masters with a replica each (Debian's redis-server 7.0 in cluster mode). Two stores
 * on two connections play two processes. For each: one ApplyToken for concurrent misses, a cached
 * permission answered with no Redis command (counted by the servers' `INFO commandstats`), a revocation
 * through one seen by the other's next answer, later tokens winning, and invalidate() on every master.
 * On the cluster, a failover of the master holding a lock while requests wait on it.
 */
import { Cluster as IoCluster, Redis as IoRedis } from 'ioredis';
import { Cluster as ValkeyCluster, Redis as Valkey } from 'iovalkey';
import { createClient, createCluster } from 'redis';
import { createClient as createClient5, createCluster as createCluster5 } from 'redis5';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppliedToken, createOnsMqttClient, createRedisTokenStore, createTokenIssuer, type OnsMqttClient, type RedisTokenStore, type RedisTokenStoreOptions, type TokenIssuer, type TokenPermission } from '../src/server/server-entry.js';
import { FLEET_INSTANCE, FLEET_KEY, startOpenApi, type OpenApi } from './helpers/fleet.js';
import { startRedisCluster, type RedisCluster } from './helpers/redis-cluster.js';
import { startRedis, type RedisServer } from './helpers/redis.js';
import { WAIT } from './helpers/wait.js';

let server: RedisServer;
let cluster: RedisCluster;
let openapi: OpenApi;
let api: OnsMqttClient;
const closers: (() => unknown)[] = [];

type Client = RedisTokenStoreOptions['redis'];
interface Flavour {
  name: string;
  kind: string;
  cluster: boolean;
  connect(): Promise<Client>;
}

const track = <T>(client: T, close: (c: T) => unknown): T => (closers.push(() => close(client)), client);
const flavours: Flavour[] = [
  { name: 'node-redis 6 createClient', kind: 'node-redis', cluster: false, connect: async () => track(await createClient({ url: server.url }).on('error', () => {}).connect(), (c) => c.destroy()) },
  { name: 'node-redis 5 createClient', kind: 'node-redis', cluster: false, connect: async () => track(await createClient5({ url: server.url }).on('error', () => {}).connect(), (c) => c.destroy()) },
  { name: 'ioredis 5 new Redis', kind: 'ioredis', cluster: false, connect: async () => track(new IoRedis(server.url).on('error', () => {}), (c) => c.disconnect()) },
  { name: 'iovalkey new Valkey', kind: 'ioredis', cluster: false, connect: async () => track(new Valkey(server.url).on('error', () => {}), (c) => c.disconnect()) },
  {
    name: 'node-redis 6 createCluster',
    kind: 'node-redis cluster',
    cluster: true,
    connect: async () => track(await createCluster({ rootNodes: cluster.rootNodes }).on('error', () => {}).connect(), (c) => c.destroy()),
  },
  {
    name: 'node-redis 5 createCluster',
    kind: 'node-redis cluster',
    cluster: true,
    connect: async () => track(await createCluster5({ rootNodes: cluster.rootNodes }).on('error', () => {}).connect(), (c) => c.destroy()),
  },
  { name: 'ioredis 5 new Redis.Cluster', kind: 'ioredis cluster', cluster: true, connect: async () => track(new IoCluster(cluster.nodes).on('error', () => {}), (c) => c.disconnect()) },
  { name: 'iovalkey new Cluster', kind: 'ioredis cluster', cluster: true, connect: async () => track(new ValkeyCluster(cluster.nodes).on('error', () => {}), (c) => c.disconnect()) },
];

/**
 * Not per request: the heartbeats (PUBLISH, every 200 ms per store here), a cluster client's upkeep of its
 * slot map, the replicas' acknowledgements, and this test's INFO.
 */
const UPKEEP = new Set(['publish', 'cluster|slots', 'cluster|nodes', 'cluster|shards', 'replconf', 'info']);

/** Commands every node of the target has run so far (`INFO commandstats`), upkeep left out. */
async function commands(onCluster: boolean): Promise<number> {
  const ports = onCluster ? cluster.ports : [server.port];
  let total = 0;
  for (const port of ports) {
    const info = await cluster.cli(port, 'INFO', 'commandstats');
    for (const [, name, calls] of info.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) if (!UPKEEP.has(name!)) total += Number(calls);
  }
  return total;
}

beforeAll(async () => {
  [server, cluster, openapi] = await Promise.all([startRedis(), startRedisCluster(), startOpenApi()]);
  api = createOnsMqttClient({ ...FLEET_KEY, instanceId: FLEET_INSTANCE, endpoint: openapi.url });
});

afterAll(async () => {
  await Promise.all(closers.map(async (close) => close()));
  await openapi?.close();
  await Promise.all([server?.close(), cluster?.close()]);
});

/** `issuer.revoke`, retried a second later when the service's limit (RevokeToken: 5 calls a second, as documented) refuses it. */
async function revoke(issuer: TokenIssuer, permission: TokenPermission): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await issuer.revoke(permission);
    } catch (error) {
      if ((error as { openApiCode?: string }).openApiCode !== 'RevokeTokenOverFlow' || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }
  }
}

/** Two stores on two connections of the flavour, their issuers, and a permission of their own. */
async function pair(flavour: Flavour, topic: string, options: Partial<RedisTokenStoreOptions> = {}) {
  const prefix = `t:${flavour.name.replace(/\W+/g, '-')}:`;
  const stores: RedisTokenStore[] = [];
  for (let i = 0; i < 2; i++) {
    const store = createRedisTokenStore({ redis: await flavour.connect(), prefix, heartbeat: 200, ...options });
    closers.push(() => store.close());
    stores.push(store);
  }
  const issuers = stores.map((store) => createTokenIssuer({ client: api, store }));
  return { stores, issuers, prefix, permission: { resources: [`clients/${topic}`], actions: 'R' as const } };
}

describe.each(flavours)('$name', (flavour) => {
  it('is taken as it is, and two processes share one ApplyToken for concurrent misses', async () => {
    const { stores, issuers, permission } = await pair(flavour, 'stampede');
    expect(stores.map((s) => s.client)).toEqual([flavour.kind, flavour.kind]);
    const calls = openapi.applyCalls();
    const tokens = await Promise.all(Array.from({ length: 40 }, (_, i) => issuers[i % 2]!.issue(permission)));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(openapi.applyCalls() - calls).toBe(1);
    expect(stores.every((s) => s.healthy)).toBe(true);
  });

  it('a cached permission touches no Redis: at most 0.01 commands per request', async () => {
    const { stores, issuers, permission } = await pair(flavour, 'near');
    await Promise.all(issuers.map((issuer) => issuer.issue(permission)));
    await vi.waitFor(() => expect(stores.map((s) => s.nearCacheLive)).toEqual([true, true]), WAIT);
    await Promise.all(issuers.map((issuer) => issuer.issue(permission))); // each has it in its near cache now
    const before = await commands(flavour.cluster);
    const requests = 2000;
    const tokens = await Promise.all(Array.from({ length: requests }, (_, i) => issuers[i % 2]!.issue(permission)));
    const used = (await commands(flavour.cluster)) - before;
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(used / requests).toBeLessThanOrEqual(0.01);
  });

  it('a revocation through one process is seen by the other before its next answer', async () => {
    const { stores, issuers, permission } = await pair(flavour, 'revoke');
    const first = await issuers[0]!.issue(permission);
    expect((await issuers[1]!.issue(permission)).token).toBe(first.token);
    await vi.waitFor(() => expect(stores.map((s) => s.nearCacheLive)).toEqual([true, true]), WAIT);
    expect((await issuers[1]!.issue(permission)).token).toBe(first.token); // from its near cache
    for (let round = 0; round < 2; round++) {
      const current = await issuers[0]!.issue(permission);
      expect(await revoke(issuers[0]!, permission)).toBe(true);
      // revoke() resolves once Redis has sent the change to every subscriber: the other process's next answer is new.
      const next = await issuers[1]!.issue(permission);
      expect(next.token).not.toBe(current.token);
      expect((await issuers[0]!.issue(permission)).token).toBe(next.token);
    }
  });

  it('later tokens win: a write never replaces a token with one that expires sooner', async () => {
    const { stores } = await pair(flavour, 'later', { nearCacheMaxAge: 0 });
    const key = `${FLEET_KEY.accessKeyId}|${FLEET_INSTANCE}|R|clients/later`;
    const token = (name: string, expiresAt: number) => new AppliedToken(name, { instanceId: FLEET_INSTANCE, resources: ['clients/later'], actions: 'R', type: 'R', expiresAt });
    const now = Date.now();
    await stores[0]!.set(key, token('fresher', now + 3600_000), 3600_000);
    // A holder whose lock expired while it worked comes back with an older token.
    await stores[1]!.set(key, token('older', now + 1800_000), 1800_000);
    expect((await stores[1]!.get(key))?.token).toBe('fresher');
    await stores[1]!.set(key, token('newest', now + 7200_000), 7200_000);
    expect((await stores[0]!.get(key))?.token).toBe('newest');
  });

  it('invalidate() forgets every token of its AccessKey and instance, on every master', async () => {
    const { issuers, stores, prefix } = await pair(flavour, 'all');
    const topics = Array.from({ length: 12 }, (_, i) => `clients/all/${i}`);
    const first = await Promise.all(topics.map((topic) => issuers[0]!.issue({ resources: [topic], actions: 'R' })));
    await Promise.all(topics.map((topic) => issuers[1]!.issue({ resources: [topic], actions: 'R' })));
    await issuers[0]!.invalidate();
    const left: string[] = [];
    for (const port of flavour.cluster ? cluster.ports : [server.port]) {
      const keys = await cluster.cli(port, '--scan', '--pattern', `${prefix}*:token`);
      left.push(...keys.split('\n').filter(Boolean));
    }
    expect(left).toEqual([]);
    // The other process heard of it: its next answers are new tokens.
    const after = await Promise.all(topics.map((topic) => issuers[1]!.issue({ resources: [topic], actions: 'R' })));
    for (const [i, token] of after.entries()) expect(token.token).not.toBe(first[i]!.token);
    expect(stores.every((s) => s.healthy)).toBe(true);
  });
});

describe.each(flavours.filter((f) => f.cluster))('$name, a failover', (flavour) => {
  it('of the master holding a lock while requests wait on it: no request fails, at most one extra ApplyToken', async () => {
    const { stores, issuers, prefix, permission } = await pair(flavour, `failover-${flavour.name.replace(/\W+/g, '-')}`, { timeout: 3000 });
    const key = `${FLEET_KEY.accessKeyId}|${FLEET_INSTANCE}|R|${permission.resources[0]}`;
    const master = await cluster.masterOf(`${prefix}{${key}}:lock`);
    const replica = await cluster.replicaOf(master);
    const [calls, arrivals] = [openapi.applyCalls(), openapi.applyArrivals()];
    const held = openapi.holdNext();
    const answers = Promise.allSettled(Array.from({ length: 60 }, (_, i) => issuers[i % 2]!.issue(permission)));
    await held.arrived; // one process holds the lock and waits for ApplyToken; the other polls
    expect(await cluster.cli(master, 'EXISTS', `${prefix}{${key}}:lock`)).toBe('1');
    await cluster.failover(replica);
    held.pass();
    const settled = await answers;
    expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
    const tokens = new Set(settled.map((s) => (s as PromiseFulfilledResult<AppliedToken>).value.token));
    expect(tokens.size).toBeLessThanOrEqual(2);
    expect(openapi.applyCalls() - calls).toBeLessThanOrEqual(2);
    expect(openapi.applyArrivals() - arrivals).toBeLessThanOrEqual(2);
    // A client that saw the failover as an error may have counted it as an incident (served locally,
    // as in any outage); requests bring every store back to Redis, which serves on from the new master.
    await vi.waitFor(
      async () => {
        await Promise.all(issuers.map((issuer) => issuer.issue(permission)));
        expect(stores.map((s) => s.healthy)).toEqual([true, true]);
      },
      { timeout: 20_000, interval: 200 },
    );
    const next = await Promise.all(Array.from({ length: 10 }, (_, i) => issuers[i % 2]!.issue(permission)));
    expect(new Set(next.map((t) => t.token)).size).toBe(1);
  }, 60_000);
});
