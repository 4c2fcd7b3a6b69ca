/**
 * The Redis token store behind a token issuer, facing a Redis that answers anything: a client whose
 * every reply is drawn by fast-check (wrong types, numbers out of range, NaN, huge strings, garbled or
 * foreign token entries, nested arrays, errors, replies that never come). Whatever it answers, every
 * `issue()` settles within the bounds the options document, with a token of exactly the permission
 * asked for or a typed error, and a reply out of range is reported through `onError`, never slept on.
 * Runs: `FUZZ_RUNS` (default 150) / 3 campaigns of a few calls each; the count is in the test's name.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApsaraMqttAuthError } from '../../src/errors.js';
import { AppliedToken, OpenApiError, createRedisTokenStore, createTokenIssuer, type TokenApplier } from '../../src/server/server-entry.js';
import { ADMIT } from '../../src/server/redis-scripts.js';

const RUNS = Math.max(30, Math.floor(Number(process.env.FUZZ_RUNS ?? 150) / 3));
const INSTANCE = 'mqtt-cn-fuzz';
const TIMEOUT = 40;
const QUEUE = 300;
const MAX_WAIT = 200;
/** The longest one issue may take: its turn, the lock wait, and a bounded number of command timeouts, generously. */
const BOUND = QUEUE + MAX_WAIT + 20 * TIMEOUT + 3000;

/** Stand-ins for a reply that fails and one that never comes (made per command, so none is left unobserved). */
const FAIL = Symbol('fails');
const HANG = Symbol('never answers');
const entry = (fields: Record<string, unknown>) => JSON.stringify(fields);

/** A reply Redis might give, or never would. */
const reply: fc.Arbitrary<unknown> = fc.oneof(
  // Replies a sane Redis gives, often enough that a campaign gets past its first command.
  { weight: 4, arbitrary: fc.constantFrom(null, 'OK', 'PONG', 0, 1) },
  fc.constantFrom(null, undefined, 'OK', 'PONG', 0, 1, -1, 2_000_000_000, -2, 1.5, Number.NaN, Infinity, -Infinity, 10n, true, '', '0', '12abc', 'QUEUED', [], {}, ['0', []]),
  fc.integer({ min: -1e12, max: 1e12 }),
  fc.double(),
  fc.string({ maxLength: 40 }),
  // Sizes: up to 4 MB of text in one reply.
  fc.integer({ min: 0, max: 22 }).map((n) => 'x'.repeat(2 ** n)),
  fc.uint8Array({ maxLength: 64 }),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null)), { maxLength: 6 }),
  fc.tuple(fc.oneof(fc.string({ maxLength: 6 }), fc.integer()), fc.array(fc.string({ maxLength: 30 }), { maxLength: 20 })),
  // Token entries: right shape, foreign permission, absurd expiries, wrong types.
  fc
    .record({
      token: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()),
      instanceId: fc.constantFrom(INSTANCE, 'mqtt-cn-other', 5),
      resources: fc.oneof(fc.constant(['#']), fc.constant(['fuzz/a']), fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }), fc.constant('fuzz/a')),
      actions: fc.constantFrom('R', 'W', 'R,W', 'X'),
      type: fc.constantFrom('R', 'W', 'RW', 'Z'),
      expiresAt: fc.oneof(fc.constant(Date.now() + 3600_000), fc.constant(Date.now() - 1000), fc.constant(8.64e15), fc.double(), fc.constant('soon')),
    })
    .map(entry),
  fc.constantFrom(FAIL, HANG),
);

/** A fake client answering command number i with `plan[i % plan.length]`, or `rate` for the rate script. */
function hostile(plan: unknown[], rate: unknown) {
  let i = 0;
  return {
    rateAnswers: 0,
    sendCommand(args: string[]) {
      const isRate = args[0] === 'EVAL' && args[1] === ADMIT;
      if (isRate) this.rateAnswers++;
      const next = isRate ? rate : plan[i++ % plan.length];
      if (next === FAIL) return Promise.reject(new Error('ERR hostile'));
      if (next === HANG) return new Promise<never>(() => undefined);
      return Promise.resolve(next);
    },
  };
}

function applier(): TokenApplier {
  let n = 0;
  return {
    accessKeyId: 'LTAI5tFuzzRedis',
    instanceId: INSTANCE,
    async applyToken(request) {
      const resources = [request.resources].flat().sort();
      return new AppliedToken(`fuzz-token-${++n}`, { instanceId: INSTANCE, resources, actions: request.actions, type: request.actions === 'R,W' ? 'RW' : request.actions, expiresAt: request.expireTime! });
    },
    async revokeToken() {},
    async queryToken() {
      return false;
    },
  };
}

const PERMISSIONS = [
  { resources: ['fuzz/a'], actions: 'R' as const },
  { resources: ['fuzz/b', 'fuzz/a'], actions: 'R,W' as const },
];

describe('the Redis store facing hostile replies', () => {
  it(`every issue settles in bounds with a token of exactly its permission or a typed error (${RUNS} campaigns)`, async () => {
    let calls = 0;
    let faults = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(reply, { minLength: 1, maxLength: 12 }), reply, fc.array(fc.nat(3), { minLength: 1, maxLength: 6 }), async (plan, rate, steps) => {
        const reports: ApsaraMqttAuthError[] = [];
        const redis = hostile(plan, rate);
        // The store's clock jumps 10 s before each step, so a store in fallback tries Redis again at once.
        let skew = 0;
        const clock = { now: () => Date.now() + skew, setTimeout: (f: () => void, ms: number) => setTimeout(f, ms), clearTimeout: (h: unknown) => clearTimeout(h as never) };
        const store = createRedisTokenStore({ redis, clock, timeout: TIMEOUT, maxWait: MAX_WAIT, lockTtl: 100, onError: (e) => reports.push(e) });
        const issuer = createTokenIssuer({ client: applier(), store, queueTimeout: QUEUE });
        for (const step of steps) {
          skew += 10_000;
          const permission = PERMISSIONS[step % 2]!;
          const started = Date.now();
          const action =
            step === 2 ? issuer.issue(permission, { verify: true }) : step === 3 ? issuer.invalidate().then(() => issuer.issue(permission)) : issuer.issue(permission);
          let outcome: unknown;
          try {
            outcome = await action;
          } catch (error) {
            outcome = error;
          }
          calls++;
          expect(Date.now() - started, `issue settled within ${BOUND} ms`).toBeLessThan(BOUND);
          if (outcome instanceof AppliedToken) {
            expect(outcome).toMatchObject({ instanceId: INSTANCE, resources: [...permission.resources].sort(), actions: permission.actions });
          } else {
            // Only the pace may refuse (a rate reply of -1 means "over the queue limit"): a typed error.
            expect(outcome).toBeInstanceOf(OpenApiError);
            expect(outcome).toMatchObject({ openApiCode: 'Throttling.Local' });
          }
        }
        // A rate reply Redis never gives is reported as a fault, and the store is in fallback.
        const bad = typeof rate !== 'number' || !Number.isSafeInteger(rate) || rate < -1 || rate > QUEUE;
        if (bad && redis.rateAnswers > 0) expect(reports.length, `rate reply ${String(rate)} reported`).toBeGreaterThan(0);
        for (const r of reports) expect(r).toMatchObject({ name: 'ApsaraMqttAuthError', code: 'ERR_STORE_UNAVAILABLE' });
        faults += reports.length;
        await store.close();
      }),
      { numRuns: RUNS },
    );
    expect(calls).toBeGreaterThanOrEqual(RUNS);
    // Most campaigns meet a reply Redis would never give.
    expect(faults).toBeGreaterThan(0);
    if (process.env.FUZZ_STATS) console.log(`redis fuzz: ${RUNS} campaigns, ${calls} calls, ${faults} faults reported`);
  }, 600_000);
});
