/**
 * A fleet of four credential-server processes (the built package, node-redis, createRedisTokenStore)
 * sharing one real redis-server started on a free loopback port, in front of the onsmqtt OpenAPI played
 * by the local broker's service, which counts every ApplyToken it answers. A gate in front of the
 * service can hold an ApplyToken request, so a test can act while a process is mid-call.
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FLEET_KEY, startFleet, startOpenApi, type FleetMember, type OpenApi } from './helpers/fleet.js';
import { startRedis, type RedisServer } from './helpers/redis.js';
import { WAIT } from './helpers/wait.js';

interface Answer {
  mode?: string;
  password?: string;
  tokens?: { token: string; resources: string[] }[];
  error?: { code: string };
}

const LOCK_TTL = 1500;
/**
 * The fleet's pace: 40 calls/s allowed, so 32/s sent, well under the service's 100/s. The local service
 * counts a call when it gets to run it, so on a loaded machine a stall of its event loop crowds
 * calls sent over two seconds into one; the headroom keeps that from reading as the fleet's fault.
 */
const RATE = 40;
let redis: RedisServer;
let openapi: OpenApi;
let fleet: FleetMember[];
let inspector: ReturnType<typeof createClient>;
const extra: FleetMember[] = [];

const ask = (member: FleetMember, topic: string, more = '') =>
  member.get<Answer>(`/credentials?clientId=GID_fleet%40%40%40dev-1&topic=${encodeURIComponent(topic)}${more}`);
const tokenOf = (answer: { status: number; body: Answer }) => {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.tokens![0]!.token;
};
const health = (member: FleetMember) => member.get<{ healthy: boolean; size: number; storeErrors: number; requests: number }>('/admin/health');
const received = async (members: FleetMember[]) => (await Promise.all(members.map(health))).reduce((sum, h) => sum + h.body.requests, 0);
const spread = (count: number, topic: string, members = fleet) => Promise.all(Array.from({ length: count }, (_, i) => ask(members[i % members.length]!, topic)));

beforeAll(async () => {
  [redis, openapi] = await Promise.all([startRedis(), startOpenApi()]);
  fleet = await startFleet(4, { openApiUrl: openapi.url, store: 'redis', redisUrl: redis.url, lockTtl: LOCK_TTL, rateLimit: RATE });
  inspector = createClient({ url: redis.url });
  inspector.on('error', () => {});
  await inspector.connect();
});

afterAll(async () => {
  await inspector?.destroy();
  await Promise.all([...(fleet ?? []), ...extra].map((m) => m.stop()));
  await openapi?.close();
  await redis?.close();
});

describe('one token cache for four processes', () => {
  it('1,000 concurrent requests spread over the four processes for one permission → exactly one ApplyToken', async () => {
    const [calls, arrivals] = [openapi.applyCalls(), openapi.applyArrivals()];
    const before = await received(fleet);
    // The first ApplyToken is held until every request has reached a process: all 1,000 are waiting at once.
    const held = openapi.holdNext();
    const answers = spread(1000, 'fleet/stampede/#');
    await held.arrived;
    await vi.waitFor(async () => expect((await received(fleet)) - before, 'the requests to reach the fleet').toBeGreaterThanOrEqual(1000), { ...WAIT, timeout: 30_000 });
    held.pass();
    const tokens = (await answers).map(tokenOf);
    expect(new Set(tokens).size).toBe(1);
    expect(openapi.applyCalls() - calls).toBe(1);
    expect(openapi.applyArrivals() - arrivals).toBe(1);
    // And the next requests are served from Redis without another call.
    expect(new Set((await spread(100, 'fleet/stampede/#')).map(tokenOf))).toEqual(new Set(tokens));
    expect(openapi.applyCalls() - calls).toBe(1);
  });

  it('a revoke through one process → no process serves the token again', async () => {
    const calls = openapi.applyCalls();
    const first = new Set((await spread(8, 'fleet/revoke/#')).map(tokenOf));
    expect(first.size).toBe(1);
    const [revoked] = [...first] as [string];
    expect((await fleet[0]!.get('/admin/revoke?topic=fleet%2Frevoke%2F%23')).body).toEqual({ revoked: true });
    expect(openapi.tokens.query(revoked)).toBe(false);
    const after = new Set((await spread(200, 'fleet/revoke/#')).map(tokenOf));
    expect(after.size).toBe(1);
    expect(after.has(revoked)).toBe(false);
    expect(openapi.applyCalls() - calls).toBe(2);
  });

  it('a token found revoked (a client reports it invalid, QueryToken agrees) is dropped for every process', async () => {
    const calls = openapi.applyCalls();
    const [old] = [...new Set((await spread(8, 'fleet/verify/#')).map(tokenOf))] as [string];
    // Revoked behind the fleet's back (the console, another service): only a client's report reveals it.
    openapi.tokens.revoke(old);
    const reported = tokenOf(await ask(fleet[2]!, 'fleet/verify/#', '&reason=token-invalid'));
    expect(reported).not.toBe(old);
    expect(new Set((await spread(200, 'fleet/verify/#')).map(tokenOf))).toEqual(new Set([reported]));
    expect(openapi.applyCalls() - calls).toBe(2);
    // A client that merely says so about a valid token costs a QueryToken, not an ApplyToken.
    expect(tokenOf(await ask(fleet[1]!, 'fleet/verify/#', '&reason=token-invalid'))).toBe(reported);
    expect(openapi.applyCalls() - calls).toBe(2);
  });

  it('a mass reconnect needing more ApplyToken calls than the account allows per second queues instead of being throttled', async () => {
    const calls = openapi.applyCalls();
    const throttled = openapi.service.errors['ApplyTokenOverFlow'] ?? 0;
    // 160 devices, each with its own topic, asking the four processes at once: 160 calls, which the four
    // would send at four times the pace if each kept its own.
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 160 }, (_, i) => ask(fleet[i % 4]!, `fleet/device-${i}/#`)));
    const elapsed = Date.now() - started;
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(openapi.applyCalls() - calls).toBe(160);
    expect((openapi.service.errors['ApplyTokenOverFlow'] ?? 0) - throttled).toBe(0);
    // They queued at one pace for the whole fleet: 4 at once, then one every 1250/40 ms (a lower bound,
    // which a loaded machine only lengthens).
    expect(elapsed).toBeGreaterThanOrEqual((160 - 4) * (1250 / RATE) * 0.9);
  });

  it('the lock holder killed mid-apply: the next process applies once the lock expires, nothing hangs', async () => {
    const [victim] = await startFleet(1, { openApiUrl: openapi.url, store: 'redis', redisUrl: redis.url, lockTtl: LOCK_TTL, rateLimit: RATE });
    extra.push(victim!);
    const [calls, arrivals] = [openapi.applyCalls(), openapi.applyArrivals()];
    const held = openapi.holdNext();
    const lost = ask(victim!, 'fleet/orphan/#').then(
      () => 'answered',
      () => 'connection lost',
    );
    await held.arrived; // the victim holds the lock and is waiting for ApplyToken
    const before = await received(fleet);
    const answers = spread(40, 'fleet/orphan/#');
    await vi.waitFor(async () => expect((await received(fleet)) - before, 'the requests to reach the fleet').toBeGreaterThanOrEqual(40), WAIT);
    await victim!.process.stop({ signal: 'SIGKILL' });
    held.drop(); // its call never reaches the service
    expect(await lost).toBe('connection lost');
    const tokens = (await answers).map(tokenOf);
    expect(new Set(tokens).size).toBe(1);
    expect(openapi.applyCalls() - calls).toBe(1);
    expect(openapi.applyArrivals() - arrivals).toBe(2);
    // The successor released its lock: the key is free for the next refresh.
    expect(await inspector.keys('apsaramq-mqtt-auth:*:lock')).toEqual([]);
  });

  it('Redis stopped mid-run: requests keep being answered with bounded ApplyToken calls, onError once per process, Redis used again once back', async () => {
    const known = tokenOf((await spread(4, 'fleet/outage/known/#'))[0]!); // every process has seen it
    const calls = openapi.applyCalls();
    const reported = fleet.map((m) => m.storeErrors().length);
    await redis.stop();

    // A permission every process has seen: answered from each process's own copy, no ApplyToken.
    const seen = await spread(200, 'fleet/outage/known/#');
    expect(new Set(seen.map(tokenOf))).toEqual(new Set([known]));
    expect(openapi.applyCalls() - calls).toBe(0);
    // A new permission: at most one call per process (local single flight), however many ask.
    const fresh = await spread(400, 'fleet/outage/new/#');
    expect(fresh.every((a) => a.status === 200)).toBe(true);
    const during = openapi.applyCalls() - calls;
    expect(during).toBeGreaterThanOrEqual(1);
    expect(during).toBeLessThanOrEqual(4);
    expect(new Set(fresh.map(tokenOf)).size).toBe(during);
    for (const [i, member] of fleet.entries()) {
      expect((await health(member)).body.healthy).toBe(false);
      expect(member.storeErrors().slice(reported[i])).toEqual([expect.stringMatching(/^store-error ERR_STORE_UNAVAILABLE /)]);
    }

    await redis.start(); // empty: nothing was persisted
    await vi.waitFor(
      async () => {
        // Requests are what make a process look at Redis again (a background PING, backing off).
        await spread(4, 'fleet/outage/known/#');
        expect((await Promise.all(fleet.map(health))).map((h) => h.body.healthy), 'every process to use Redis again').toEqual(fleet.map(() => true));
      },
      { timeout: 30_000, interval: 250 },
    );
    const back = openapi.applyCalls();
    const after = await spread(400, 'fleet/outage/after/#');
    expect(new Set(after.map(tokenOf)).size).toBe(1);
    expect(openapi.applyCalls() - back).toBe(1);
    expect(await inspector.exists(`apsaramq-mqtt-auth:{${FLEET_KEY.accessKeyId}|mqtt-cn-fleet|R|fleet/outage/after/#}:token`)).toBe(1);
    // One incident, one report per process.
    for (const [i, member] of fleet.entries()) expect(member.storeErrors()).toHaveLength(reported[i]! + 1);
  });

  it('Redis holds tokens and their permissions, never an AccessKey secret', async () => {
    const keys = await inspector.keys('*');
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).not.toContain(FLEET_KEY.accessKeySecret);
      const type = await inspector.type(key);
      if (type === 'none') continue; // expired (a lock, say) between the listing and this read
      const values = type === 'string' ? [(await inspector.get(key))!] : type === 'zset' ? await inspector.zRange(key, 0, -1) : [];
      for (const value of values) expect(value).not.toContain(FLEET_KEY.accessKeySecret);
      if (key.endsWith(':token')) {
        expect(Object.keys(JSON.parse(values[0]!)).sort()).toEqual(['actions', 'expiresAt', 'instanceId', 'requestId', 'resources', 'token', 'type']);
      }
    }
  });
});
