/**
 * The Redis token store facing a Redis that answers what it never should (the second security review,
 * findings 2 and 3), against a real redis-server on a free loopback port: a client that forwards every
 * command to it but rewrites one reply, as a broken proxy, a compromised server or a hostile network
 * position would; and entries written into it for another permission.
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApsaraMqttAuthError } from '../../src/errors.js';
import { AppliedToken, createRedisTokenStore, createTokenIssuer, type RedisCommandClient, type TokenApplier } from '../../src/server/server-entry.js';
import { ADMIT } from '../../src/server/redis-scripts.js';
import { startRedis, type RedisServer } from '../../e2e/helpers/redis.js';

const INSTANCE = 'mqtt-cn-sec';
let server: RedisServer;
let real: ReturnType<typeof createClient>;

beforeAll(async () => {
  server = await startRedis();
  real = createClient({ url: server.url });
  real.on('error', () => {});
  await real.connect();
});
afterAll(async () => {
  await real?.destroy();
  await server?.close();
});

/** An applier answering every ApplyToken with a new token for exactly what was asked. */
function applier(): TokenApplier & { calls: number } {
  const a = {
    accessKeyId: 'LTAI5tSecRedis',
    instanceId: INSTANCE,
    calls: 0,
    async applyToken(request: { instanceId?: string; resources: readonly string[] | string; actions: 'R' | 'W' | 'R,W'; expireTime: number }) {
      a.calls++;
      const resources = [request.resources].flat().sort();
      return new AppliedToken(`token-${a.calls}`, { instanceId: INSTANCE, resources, actions: request.actions, type: request.actions === 'R,W' ? 'RW' : request.actions, expiresAt: request.expireTime });
    },
  };
  return a;
}

/** The real client, with the reply of the commands `rewrite` picks replaced. */
const rewriting = (rewrite: (args: string[]) => { reply: unknown } | undefined): RedisCommandClient => ({
  sendCommand: (args: string[]) => {
    const hostile = rewrite(args);
    return hostile ? Promise.resolve(hostile.reply) : real.sendCommand(args);
  },
});

describe('finding 2: a Redis reply is validated before it is acted upon', () => {
  it('a rate-limit reply of 2000000000 ms is a Redis fault (onError, local pace), not a 23-day sleep', async () => {
    const reports: ApsaraMqttAuthError[] = [];
    const redis = rewriting((args) => (args[0] === 'EVAL' && args[1] === ADMIT ? { reply: 2_000_000_000 } : undefined));
    const store = createRedisTokenStore({ redis, prefix: 'f2:', onError: (e) => reports.push(e) });
    const issuer = createTokenIssuer({ client: applier(), store, queueTimeout: 1000 });
    // Before: never settled (the store's delay was slept as it came). Now: served at the local pace.
    const token = await issuer.issue({ resources: ['devices/one'], actions: 'R' });
    expect(token.resources).toEqual(['devices/one']);
    expect(store.healthy).toBe(false);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    expect(reports[0]!.message).toMatch(/Redis answered 2000000000 to the rate script/);
  });

  it('every out-of-range or mistyped rate reply is a fault, and the caller is answered', async () => {
    for (const reply of [-2, 1.5, 10_001, '12abc', ['0'], { delay: 0 }, Number.NaN, true]) {
      const reports: ApsaraMqttAuthError[] = [];
      const redis = rewriting((args) => (args[0] === 'EVAL' && args[1] === ADMIT ? { reply } : undefined));
      const store = createRedisTokenStore({ redis, prefix: 'f2b:', onError: (e) => reports.push(e) });
      const issuer = createTokenIssuer({ client: applier(), store, queueTimeout: 10_000 });
      await expect(issuer.issue({ resources: [`devices/${String(reply).length}`], actions: 'R' })).resolves.toBeInstanceOf(AppliedToken);
      expect(reports.map((r) => r.code), `reply ${JSON.stringify(reply)}`).toEqual(['ERR_STORE_UNAVAILABLE']);
    }
  });

  it('a lock reply that is neither OK nor nil is a fault: the caller applies locally, no wait', async () => {
    const reports: ApsaraMqttAuthError[] = [];
    const redis = rewriting((args) => (args[0] === 'SET' && args.includes('NX') ? { reply: 'QUEUED' } : undefined));
    const store = createRedisTokenStore({ redis, prefix: 'f2c:', onError: (e) => reports.push(e) });
    const issuer = createTokenIssuer({ client: applier(), store });
    await expect(issuer.issue({ resources: ['devices/lock'], actions: 'R' })).resolves.toMatchObject({ resources: ['devices/lock'] });
    expect(reports[0]!.message).toMatch(/Redis answered "QUEUED" to SET NX/);
  });
});

describe('finding 3: a stored token is served only for the permission it was applied for', () => {
  it("an entry holding resources ['#'], R,W under the key of devices/one R is not served, here or in another process", async () => {
    const client = applier();
    const broad = new AppliedToken('broad-token', { instanceId: INSTANCE, resources: ['#'], actions: 'R,W', type: 'RW', expiresAt: Date.now() + 3600_000 });
    const key = `${client.accessKeyId}|${INSTANCE}|R|devices/one`;
    // Written through the store itself, so it lies exactly where the store reads the permission's token.
    const writer = createRedisTokenStore({ redis: real, prefix: 'f3:', nearCacheMaxAge: 0 });
    await writer.set(key, broad, 3600_000);

    const reader = createTokenIssuer({ client, store: createRedisTokenStore({ redis: real, prefix: 'f3:', nearCacheMaxAge: 0 }) });
    const served = await reader.issue({ resources: ['devices/one'], actions: 'R' });
    expect(served.token).not.toBe('broad-token');
    expect(served).toMatchObject({ instanceId: INSTANCE, resources: ['devices/one'], actions: 'R', type: 'R' });
    expect(client.calls).toBe(1);
    // The good token replaced it in Redis, though the wrong one expired later.
    const other = createTokenIssuer({ client, store: createRedisTokenStore({ redis: real, prefix: 'f3:', nearCacheMaxAge: 0 }) });
    expect((await other.issue({ resources: ['devices/one'], actions: 'R' })).token).toBe(served.token);
    expect(client.calls).toBe(1);
  });

  it('an entry for another instance or other actions is not served either', async () => {
    const client = applier();
    const prefix = 'f3b:';
    const writer = createRedisTokenStore({ redis: real, prefix, nearCacheMaxAge: 0 });
    const later = Date.now() + 3600_000;
    await writer.set(`${client.accessKeyId}|${INSTANCE}|R|a/b`, new AppliedToken('other-instance', { instanceId: 'mqtt-cn-other', resources: ['a/b'], actions: 'R', type: 'R', expiresAt: later }), 3600_000);
    await writer.set(`${client.accessKeyId}|${INSTANCE}|W|a/b`, new AppliedToken('other-actions', { instanceId: INSTANCE, resources: ['a/b'], actions: 'R', type: 'R', expiresAt: later }), 3600_000);
    const issuer = createTokenIssuer({ client, store: createRedisTokenStore({ redis: real, prefix, nearCacheMaxAge: 0 }) });
    expect((await issuer.issue({ resources: ['a/b'], actions: 'R' })).token).not.toBe('other-instance');
    expect((await issuer.issue({ resources: ['a/b'], actions: 'W' })).token).not.toBe('other-actions');
    expect(client.calls).toBe(2);
  });
});
