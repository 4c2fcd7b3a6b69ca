/**
 * The token issuer in front of the OpenAPI service on loopback: ApplyToken calls are counted where
 * they arrive (the service), with one injected clock for issuer, client and service.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenApiService, type OpenApiService } from '../../src/broker/openapi-service.js';
import { createCredentialHandler, createMemoryTokenStore, createOnsMqttClient, createTokenIssuer, OpenApiError, RATE_WINDOW, type OnsMqttClient } from '../../src/server/server-entry.js';
import { serve, type Served } from '../helpers/loopback.js';
import { TokenStore } from '../../src/broker/broker-entry.js';
import { manualClock } from '../helpers/manual-clock.js';
import { SECRET } from '../suites/api.js';

const AK = 'LTAI5tIssuerTest';
const INSTANCE = 'mqtt-cn-issuer';
const MINUTE = 60_000;
const clock = manualClock(Date.UTC(2026, 0, 1));
let keyEnabled = true;

let service: OpenApiService;
let served: Served;
let client: OnsMqttClient;

beforeAll(async () => {
  service = createOpenApiService({ accessKeys: (id) => (keyEnabled && id === AK ? SECRET : undefined), instanceId: INSTANCE, tokens: new TokenStore({ instanceId: INSTANCE, clock }), clock });
  served = await serve(service);
  client = createOnsMqttClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: served.url, instanceId: INSTANCE, clock });
});
afterAll(() => served?.close());

const applyCalls = () => service.calls['ApplyToken'] ?? 0;
const applyErrors = () => service.errors['InvalidAccessKeyId.NotFound'] ?? 0;

describe('single flight', () => {
  it('1,000 concurrent requests for one (resources, actions) → exactly one ApplyToken call', async () => {
    const issuer = createTokenIssuer({ client, clock });
    const before = applyCalls();
    const orders = [['dash/b', 'dash/a/#'], ['dash/a/#', 'dash/b'], 'dash/b,dash/a/#'];
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => issuer.issue({ resources: orders[i % 3]!, actions: 'R' })));
    expect(applyCalls() - before).toBe(1);
    expect(new Set(results.map((t) => t.token)).size).toBe(1);
    expect(results[0]).toMatchObject({ resources: ['dash/a/#', 'dash/b'], actions: 'R', type: 'R', expiresAt: clock.now() + 60 * MINUTE });
    // And the next thousand are served from the cache.
    await Promise.all(Array.from({ length: 1000 }, () => issuer.issue({ resources: ['dash/b', 'dash/a/#'], actions: 'R' })));
    expect(applyCalls() - before).toBe(1);
  });

  it('distinct permissions get one call each, however many ask', async () => {
    const issuer = createTokenIssuer({ client, clock });
    const before = applyCalls();
    const permissions = [
      { resources: ['devices/a1'], actions: 'R' as const },
      { resources: ['devices/a1'], actions: 'W' as const },
      { resources: ['devices/a1'], actions: 'R,W' as const },
      { resources: ['devices/a2'], actions: 'R,W' as const },
    ];
    const results = await Promise.all(Array.from({ length: 400 }, (_, i) => issuer.issue(permissions[i % 4]!)));
    expect(applyCalls() - before).toBe(4);
    expect(new Set(results.map((t) => t.token)).size).toBe(4);
    expect(issuer.size).toBe(4);
  });
});

describe('refresh ahead of expiry', () => {
  it('serves the cached token until `refreshMargin` before expiry, then applies again', async () => {
    const issuer = createTokenIssuer({ client, clock, ttl: 10 * MINUTE, refreshMargin: 2 * MINUTE });
    const before = applyCalls();
    const start = clock.now();
    const first = await issuer.issue({ resources: ['r/1'], actions: 'W' });
    expect(first.expiresAt).toBe(start + 10 * MINUTE);
    clock.set(start + 8 * MINUTE - 1);
    expect((await issuer.issue({ resources: ['r/1'], actions: 'W' })).token).toBe(first.token);
    expect(applyCalls() - before).toBe(1);
    clock.set(start + 8 * MINUTE);
    const second = await issuer.issue({ resources: ['r/1'], actions: 'W' });
    expect(second.token).not.toBe(first.token);
    expect(second.expiresAt).toBe(start + 18 * MINUTE);
    expect(applyCalls() - before).toBe(2);
  });

  it('with no margin, a token is replaced at its expiry instant, never served expired', async () => {
    const issuer = createTokenIssuer({ client, clock, ttl: 2 * MINUTE, refreshMargin: 0 });
    const first = await issuer.issue({ resources: ['r/2'], actions: 'R' });
    clock.set(first.expiresAt - 1);
    expect((await issuer.issue({ resources: ['r/2'], actions: 'R' })).token).toBe(first.token);
    clock.set(first.expiresAt);
    const next = await issuer.issue({ resources: ['r/2'], actions: 'R' });
    expect(next.token).not.toBe(first.token);
    expect(next.expiresAt).toBeGreaterThan(clock.now());
  });
});

describe('failures', () => {
  it('are not cached: one failing call for the concurrent requests, then the next request tries again', async () => {
    const issuer = createTokenIssuer({ client, clock });
    const [calls, errors] = [applyCalls(), applyErrors()];
    keyEnabled = false;
    try {
      const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => issuer.issue({ resources: ['f/1'], actions: 'R' })));
      expect(outcomes.every((o) => o.status === 'rejected' && o.reason instanceof OpenApiError && o.reason.openApiCode === 'InvalidAccessKeyId.NotFound')).toBe(true);
      expect(applyErrors() - errors).toBe(1);
      expect(issuer.size).toBe(0);
    } finally {
      keyEnabled = true;
    }
    const token = await issuer.issue({ resources: ['f/1'], actions: 'R' });
    expect(token.token).toBeTruthy();
    expect(applyCalls() - calls).toBe(1);
  });

  it('a failed refresh returns the cached token while it is still valid, and never once it has expired', async () => {
    const issuer = createTokenIssuer({ client, clock, ttl: 10 * MINUTE, refreshMargin: 2 * MINUTE });
    const first = await issuer.issue({ resources: ['f/2'], actions: 'W' });
    const errors = applyErrors();
    keyEnabled = false;
    try {
      clock.set(first.expiresAt - MINUTE);
      expect((await issuer.issue({ resources: ['f/2'], actions: 'W' })).token).toBe(first.token);
      clock.set(first.expiresAt);
      await expect(issuer.issue({ resources: ['f/2'], actions: 'W' })).rejects.toBeInstanceOf(OpenApiError);
      expect(applyErrors() - errors).toBe(2);
    } finally {
      keyEnabled = true;
    }
  });
});

describe('cache management and options', () => {
  it('keeps at most maxEntries keys, least recently used dropped first; invalidate forgets', async () => {
    const issuer = createTokenIssuer({ client, clock, maxEntries: 2 });
    const a = await issuer.issue({ resources: ['m/a'], actions: 'R' });
    await issuer.issue({ resources: ['m/b'], actions: 'R' });
    await issuer.issue({ resources: ['m/a'], actions: 'R' });
    await issuer.issue({ resources: ['m/c'], actions: 'R' });
    expect(issuer.size).toBe(2);
    const before = applyCalls();
    expect((await issuer.issue({ resources: ['m/a'], actions: 'R' })).token).toBe(a.token);
    expect(applyCalls()).toBe(before);
    issuer.invalidate({ resources: ['m/a'], actions: 'R' });
    expect((await issuer.issue({ resources: ['m/a'], actions: 'R' })).token).not.toBe(a.token);
    issuer.invalidate();
    expect(issuer.size).toBe(0);
  });

  it('bad options and permissions are named', async () => {
    expect(() => createTokenIssuer({ client, ttl: 30 * 86_400_000 + 1 })).toThrow(expect.objectContaining({ field: 'ttl' }));
    expect(() => createTokenIssuer({ client, ttl: 2 * MINUTE, refreshMargin: 90_000 })).toThrow(expect.objectContaining({ field: 'ttl' }));
    expect(() => createTokenIssuer({ client: {} as never })).toThrow(expect.objectContaining({ field: 'client' }));
    expect(() => createTokenIssuer({ client: createOnsMqttClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: served.url }) })).toThrow(
      expect.objectContaining({ field: 'instanceId' }),
    );
    const issuer = createTokenIssuer({ client, clock });
    await expect(issuer.issue({ resources: ['ok'], actions: 'X' as never })).rejects.toMatchObject({ field: 'actions' });
    await expect(issuer.issue({ resources: [], actions: 'R' })).rejects.toMatchObject({ field: 'resources' });
  });
});

describe('verify on complaint (a client says its token was refused or invalid)', () => {
  const queryCalls = () => service.calls['QueryToken'] ?? 0;
  const permission = { resources: ['verify/#'], actions: 'R' as const };

  it('a token that still stands is served again after one QueryToken, however many complain at once', async () => {
    const issuer = createTokenIssuer({ client, clock });
    const first = await issuer.issue(permission);
    const [applies, queries] = [applyCalls(), queryCalls()];
    const again = await Promise.all(Array.from({ length: 200 }, () => issuer.issue(permission, { verify: true })));
    expect(new Set(again.map((t) => t.token))).toEqual(new Set([first.token]));
    expect(queryCalls() - queries).toBe(1);
    expect(applyCalls() - applies).toBe(0);
  });

  it('a revoked token is replaced: one QueryToken, one ApplyToken, and the new token for everyone', async () => {
    const issuer = createTokenIssuer({ client, clock });
    const first = await issuer.issue(permission);
    await client.revokeToken({ token: first.token });
    expect((await issuer.issue(permission)).token).toBe(first.token); // without a complaint the cache answers
    const [applies, queries] = [applyCalls(), queryCalls()];
    const replaced = await Promise.all(Array.from({ length: 200 }, () => issuer.issue(permission, { verify: true })));
    expect(new Set(replaced.map((t) => t.token)).size).toBe(1);
    expect(replaced[0]!.token).not.toBe(first.token);
    expect(queryCalls() - queries).toBe(1);
    expect(applyCalls() - applies).toBe(1);
    expect(await client.queryToken({ token: replaced[0]!.token })).toBe(true);
  });
});

describe('the pace of ApplyToken calls (rateLimit, queueTimeout)', () => {
  it('calls beyond the burst wait their turn; one whose turn is more than queueTimeout away fails at once with Throttling.Local', async () => {
    clock.advance(5000); // a second of the service's clock of its own
    // 20 calls per 1.25 s: 2 at once, then one every 62.5 ms; a turn 125 ms away is beyond 100 ms.
    const issuer = createTokenIssuer({ client, clock, rateLimit: 20, queueTimeout: 100 });
    const before = applyCalls();
    const outcomes = await Promise.allSettled(['p/1', 'p/2', 'p/3', 'p/4'].map((topic) => issuer.issue({ resources: [topic], actions: 'R' })));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    const refused = (outcomes[3] as PromiseRejectedResult).reason;
    expect(refused).toBeInstanceOf(OpenApiError);
    expect(refused).toMatchObject({ code: 'ERR_OPENAPI', openApiCode: 'Throttling.Local' });
    expect(applyCalls() - before).toBe(3);
    // The credential handler answers it as it answers the service's throttling: 503 and Retry-After.
    const handler = createCredentialHandler({ instanceId: INSTANCE, tokenIssuer: issuer, authorize: () => ({ mode: 'token', resources: ['p/5'], actions: 'R' }) });
    const response = await handler(new Request('http://127.0.0.1/?clientId=GID_pace%40%40%40device-1'));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    // Turns come back as the clock moves on.
    clock.advance(1250);
    expect((await issuer.issue({ resources: ['p/4'], actions: 'R' })).token).toBeTruthy();
  });

  it('the default pace (100 per 1.25 s) lets 10 go at once and queues the rest; rateLimit: false does not pace', async () => {
    clock.advance(5000);
    const paced = createTokenIssuer({ client, clock, queueTimeout: 1000 });
    const before = applyCalls();
    const tokens = await Promise.all(Array.from({ length: 30 }, (_, i) => paced.issue({ resources: [`q/${i}`], actions: 'W' })));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(30);
    const unpaced = createTokenIssuer({ client, clock, rateLimit: false, queueTimeout: 0 });
    await Promise.all(Array.from({ length: 30 }, (_, i) => unpaced.issue({ resources: [`u/${i}`], actions: 'W' })));
    expect(applyCalls() - before).toBe(60);
  });
});

describe('revoke', () => {
  it('revokes the cached token (RevokeToken) and forgets it: the next issue applies for a new one', async () => {
    const issuer = createTokenIssuer({ client, clock });
    const permission = { resources: ['rv/#'], actions: 'R,W' as const };
    expect(await issuer.revoke(permission)).toBe(false); // nothing cached, nothing revoked
    const first = await issuer.issue(permission);
    const before = service.calls['RevokeToken'] ?? 0;
    expect(await issuer.revoke(permission)).toBe(true);
    expect(service.calls['RevokeToken']! - before).toBe(1);
    expect(await client.queryToken({ token: first.token })).toBe(false);
    const next = await issuer.issue(permission);
    expect(next.token).not.toBe(first.token);
    const { revokeToken: _, ...withoutRevoke } = { accessKeyId: AK, instanceId: INSTANCE, applyToken: client.applyToken, revokeToken: client.revokeToken };
    await expect(createTokenIssuer({ client: withoutRevoke, clock }).revoke(permission)).rejects.toMatchObject({ field: 'client' });
  });
});

describe('the store', () => {
  it('one store passed to two issuers is one cache: the second gets the first one’s token without a call', async () => {
    const store = createMemoryTokenStore({ clock });
    const a = createTokenIssuer({ client, clock, store });
    const b = createTokenIssuer({ client, clock, store });
    const before = applyCalls();
    const token = await a.issue({ resources: ['st/1'], actions: 'R' });
    expect((await b.issue({ resources: ['st/1'], actions: 'R' })).token).toBe(token.token);
    expect(applyCalls() - before).toBe(1);
    expect(b.size).toBe(1);
    await b.invalidate();
    expect(a.size).toBe(0);
  });

  it('bad store options are named', () => {
    expect(() => createTokenIssuer({ client, store: {} as never })).toThrow(expect.objectContaining({ field: 'store' }));
    expect(() => createTokenIssuer({ client, store: { ...createMemoryTokenStore(), claim: 1 } as never })).toThrow(expect.objectContaining({ field: 'store.claim' }));
    expect(() => createTokenIssuer({ client, store: createMemoryTokenStore(), maxEntries: 5 })).toThrow(expect.objectContaining({ field: 'maxEntries' }));
    for (const rateLimit of [0, 1.5, -1, '100']) expect(() => createTokenIssuer({ client, rateLimit: rateLimit as never })).toThrow(expect.objectContaining({ field: 'rateLimit' }));
    expect(() => createTokenIssuer({ client, queueTimeout: -1 })).toThrow(expect.objectContaining({ field: 'queueTimeout' }));
    expect(() => createMemoryTokenStore({ maxEntries: 0 })).toThrow(expect.objectContaining({ field: 'maxEntries' }));
    expect(() => createMemoryTokenStore({ clock: 5 as never })).toThrow(expect.objectContaining({ field: 'clock' }));
  });

  it('the in-memory pace: 10 turns at once, then one every 12.5 ms; a turn beyond maxWait books nothing', () => {
    const time = manualClock(1_000_000);
    const store = createMemoryTokenStore({ clock: time });
    const turns = Array.from({ length: 12 }, () => store.admit('AK', 100, 10_000));
    expect(turns).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13, 25]);
    expect(store.admit('AK', 100, 40)).toBe(38);
    expect(store.admit('AK', 100, 40)).toBe(-1);
    expect(store.admit('AK', 100, 50)).toBe(50); // the refused one booked nothing
    expect(store.admit('other AccessKey', 100, 0)).toBe(0); // paced per AccessKey
    time.advance(RATE_WINDOW * 2);
    expect(store.admit('AK', 100, 0)).toBe(0);
  });
});

describe('what a store answers is checked', () => {
  it('a stored token of another permission (instance, topics or actions) is neither served nor kept as a fallback', async () => {
    const store = createMemoryTokenStore({ clock });
    const issuer = createTokenIssuer({ client, clock, store });
    const broad = await createTokenIssuer({ client, clock }).issue({ resources: ['devices/#'], actions: 'R,W' });
    const key = `${AK}|${INSTANCE}|R|devices/one`;
    store.set(key, broad);
    const before = applyCalls();
    const served = await issuer.issue({ resources: ['devices/one'], actions: 'R' });
    expect(served.token).not.toBe(broad.token);
    expect(served).toMatchObject({ resources: ['devices/one'], actions: 'R', instanceId: INSTANCE });
    expect(applyCalls() - before).toBe(1);
  });

  it("a store's turn longer than queueTimeout is waited for no longer than queueTimeout", async () => {
    const store = { ...createMemoryTokenStore({ clock }), admit: () => 2_000_000_000 };
    // queueTimeout is real time here (the issuer sleeps with setTimeout): 20 ms, not 23 days.
    const issuer = createTokenIssuer({ client, clock, store, queueTimeout: 20 });
    await expect(issuer.issue({ resources: ['devices/slow'], actions: 'R' })).resolves.toMatchObject({ resources: ['devices/slow'] });
  });
});
