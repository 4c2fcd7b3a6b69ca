/**
 * Fuzzes every function an entry exports, found at run time (so exports added later are covered
 * without touching this file), and the methods of what they return. Each call must return, or fail
 * with an `ApsaraMqttAuthError`; settle within a bounded wait; and leave the canary secret out of
 * every error's message, stack, JSON and `util.inspect`, out of every HTTP response, and out of the
 * printed form of the objects that promise to hide their secrets.
 */
import fc from 'fast-check';
import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ApsaraMqttAuthError } from '../../../src/errors.js';
import { HIDING_METHODS, METHOD_SEEDS, PLANS, type ExportPlan } from './seeds.js';
import { CALLBACKS, CANARY, SECRET, callback, request, str, value } from './values.js';

/**
 * Runs per export: `FUZZ_RUNS` (default 150) for pure functions, a tenth of it (at least 15) for
 * those that do I/O (listen, read files, connect). The security review (SECURITY.md) used 100,000.
 */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
export const IO_RUNS = Math.max(15, Math.floor(RUNS / 10));
/** `FUZZ_SEED` replays a campaign (fast-check prints the seed of a failing one). */
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/** How long one call may take to settle before it counts as a hang. Generous: the machine is shared. */
const HANG_MS = 15_000;

type AnyFunction = (...args: unknown[]) => unknown;

const isClass = (fn: AnyFunction) => /^class\b/.test(Function.prototype.toString.call(fn));

/** A copy of the plain objects and arrays in `value`, so mutating a seed's arguments never changes the seed. */
function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (v !== null && typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
    const copy = Object.create(Object.getPrototypeOf(v)) as Record<string, unknown>;
    for (const key of Object.keys(v)) copy[key] = clone((v as Record<string, unknown>)[key]);
    return copy;
  }
  return v;
}

/** Every plain object or array reachable from the arguments (depth ≤ 3), with the arguments list itself first. */
function containers(args: unknown[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [args as unknown as Record<string, unknown>];
  const walk = (v: unknown, depth: number) => {
    if (depth > 3 || v === null || typeof v !== 'object') return;
    const proto = Object.getPrototypeOf(v);
    if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return;
    out.push(v as Record<string, unknown>);
    for (const key of Object.keys(v)) walk((v as Record<string, unknown>)[key], depth + 1);
  };
  for (const a of args) walk(a, 1);
  return out;
}

interface Mutation {
  at: number;
  kind: 'drop' | 'replace' | 'add' | 'callback';
  key: string;
  pick: number;
  v: unknown;
  fn: AnyFunction;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('drop', 'replace', 'replace', 'add', 'callback'),
  // Keys are names, not secrets: the canary goes in values only.
  key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hmac', 'authorize', 'host', 'mode', 'cors', 'then')),
  pick: fc.nat(),
  v: value,
  fn: callback,
});

function mutate(args: unknown[], mutations: Mutation[]): void {
  for (const m of mutations) {
    const all = containers(args);
    const target = all[m.at % all.length]!;
    const keys = Object.keys(target);
    let key = keys.length && m.kind !== 'add' ? keys[m.pick % keys.length]! : m.key;
    // Arrays get index keys only (an own `length` cannot be redefined; an own `constructor` breaks their printing).
    if (Array.isArray(target) && !/^\d+$/.test(key)) key = String(m.pick % (target.length + 1));
    if (m.kind === 'drop') {
      const index = Number(key);
      if (Array.isArray(target) && Number.isInteger(index) && index >= 0 && index < target.length) {
        // Not splice: a mutated array may carry its own `constructor`.
        for (let i = index; i < target.length - 1; i++) target[i] = target[i + 1];
        target.length--;
      } else delete target[key];
    } else {
      Object.defineProperty(target, key, { value: m.kind === 'callback' ? m.fn : clone(m.v), enumerable: true, writable: true, configurable: true });
    }
  }
}

/** Arguments for a call: from a seed (mutated or not), or random. */
function argumentsFor(seeds: ExportPlan['seeds']): fc.Arbitrary<{ args: unknown[]; seed?: number }> {
  // Cloned: the arbitraries' constant objects are shared, and a mutation must not change them.
  const random = fc.array(value, { maxLength: 4 }).map((args) => ({ args: clone(args) as unknown[] }));
  if (!seeds.length) return random;
  const seeded = fc.record({ seed: fc.nat({ max: seeds.length - 1 }), mutations: fc.array(mutation, { maxLength: 3 }) }).map(({ seed, mutations }) => {
    const args = clone(seeds[seed]!.args()) as unknown[];
    mutate(args, mutations);
    seeds[seed]!.sanitize?.(args);
    return { args, seed };
  });
  const plain = fc.nat({ max: seeds.length - 1 }).map((seed) => ({ args: clone(seeds[seed]!.args()) as unknown[], seed }));
  return fc.oneof({ weight: 1, arbitrary: random }, { weight: 4, arbitrary: seeded }, { weight: 1, arbitrary: plain });
}

/** Each text a failure can be seen through. */
function renderings(error: unknown): string[] {
  const e = error as Error;
  const json = (v: unknown) => {
    try {
      return JSON.stringify(v) ?? '';
    } catch {
      return '';
    }
  };
  return [String(e), e?.message ?? '', e?.stack ?? '', json(e), json({ ...(e as object) }), inspect(e, { depth: 8 })];
}

function expectNoCanary(texts: string[], where: string, canaries: readonly string[] = [CANARY, SECRET]): void {
  for (const text of texts) {
    for (const canary of canaries) {
      const at = text.indexOf(canary);
      if (at >= 0) expect.fail(`${canary === SECRET ? 'the seeds\' secret' : 'the canary'} shows in ${where}: ${text.slice(Math.max(0, at - 200), at + 60)}`);
    }
  }
}

/** Settles `work` (a value or a promise) within the hang bound. */
async function settle(work: unknown): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
  if (!work || typeof (work as PromiseLike<unknown>).then !== 'function') return { ok: true, value: work };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HangError()), HANG_MS);
  });
  try {
    return { ok: true, value: await Promise.race([work as Promise<unknown>, hang]) };
  } catch (error) {
    if (error instanceof HangError) throw error;
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

class HangError extends Error {
  override message = `a call did not settle within ${HANG_MS} ms`;
}

/** Per call site: how many calls returned and how many failed (typed). `FUZZ_STATS=1` prints them. */
const stats = new Map<string, { ok: number; refused: number }>();
const count = (name: string, ok: boolean) => {
  const entry = stats.get(name) ?? { ok: 0, refused: 0 };
  entry[ok ? 'ok' : 'refused']++;
  stats.set(name, entry);
};
/** The counts so far, one line per call site. */
export function fuzzStats(): string {
  return [...stats]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, { ok, refused }]) => `${name.padEnd(56)} ok ${String(ok).padStart(7)}  refused ${String(refused).padStart(7)}`)
    .join('\n');
}

/** An error one of the fuzzer's own callbacks threw (see `callback` in values.ts). */
const fromCallback = (error: unknown) =>
  (error instanceof Error && error.message.startsWith('callback got ')) || (typeof error === 'string' && error.startsWith('thrown text '));

/** Calls `fn`, checks how it failed if it did, and returns its result (undefined after a failure). */
async function checkedCall(name: string, run: () => unknown, propagates = false): Promise<unknown> {
  let outcome: Awaited<ReturnType<typeof settle>>;
  try {
    outcome = await settle(run());
  } catch (error) {
    if (error instanceof HangError) throw new Error(`${name}: ${error.message}`);
    outcome = { ok: false, error };
  }
  count(name, outcome.ok);
  if (outcome.ok) return outcome.value;
  const { error } = outcome;
  if (propagates && fromCallback(error)) return undefined;
  if (!(error instanceof ApsaraMqttAuthError)) {
    expect.fail(`${name} failed with ${Object.prototype.toString.call(error)} ${String((error as Error)?.name)}: ${String((error as Error)?.message ?? error).slice(0, 300)}`);
  }
  expectNoCanary(renderings(error), `an error of ${name}`);
  return undefined;
}

function expectHidden(result: unknown, name: string): void {
  if (result === null || (typeof result !== 'object' && typeof result !== 'function')) return;
  let json = '';
  try {
    json = JSON.stringify(result) ?? '';
  } catch {
    // circular or BigInt: nothing printed this way
  }
  expectNoCanary([inspect(result, { depth: 8 }), json], `the printed result of ${name}`, [SECRET]);
}

const isBuiltIn = (proto: object) => {
  const ctor = (proto as { constructor?: unknown }).constructor;
  return proto === EventEmitter.prototype || (typeof ctor === 'function' && /\{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(ctor)));
};

/** Methods of a result: own function properties and those of its classes, up to the first built-in one. */
function methodsOf(result: unknown): string[] {
  if (result === null || typeof result !== 'object') return [];
  const names = new Set<string>();
  for (let o: object | null = result; o && (o === result || !isBuiltIn(o)); o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key === 'constructor' || key.startsWith('_')) continue;
      const d = Object.getOwnPropertyDescriptor(o, key);
      // The fuzzer's own callbacks, kept on a result (an error's code, an option passed through), are not the SDK's.
      if (d && typeof d.value === 'function' && !CALLBACKS.has(d.value)) names.add(key);
    }
  }
  return [...names].sort();
}

/** EventEmitter's own machinery is Node's, not the SDK's. */
const EMITTER_METHODS = new Set(['on', 'off', 'once', 'emit', 'addListener', 'removeListener', 'removeAllListeners', 'prependListener', 'prependOnceListener', 'listeners', 'rawListeners', 'listenerCount', 'eventNames', 'setMaxListeners', 'getMaxListeners']);

/** Stops whatever a call started (brokers, clients) so runs do not pile up servers and timers. */
async function dispose(result: unknown): Promise<void> {
  if (result === null || typeof result !== 'object') return;
  const r = result as Record<string, unknown>;
  try {
    if (typeof r.close === 'function') await settle((r.close as AnyFunction).call(result));
    else if (typeof r.end === 'function' && typeof r.on === 'function') await settle((r.end as AnyFunction).call(result, true));
  } catch {
    // disposal problems are not what is being tested
  }
}

const follow = fc.array(
  fc.record({ pick: fc.nat(), seeded: fc.boolean(), seedPick: fc.nat(), args: fc.array(value, { maxLength: 3 }), request }),
  { maxLength: 4 },
);

/** Property-based checks for every function `entry` exports. */
export function fuzzEntry(entryName: string, entry: Record<string, unknown>): void {
  const functions = Object.keys(entry)
    .filter((name) => typeof entry[name] === 'function')
    .sort();

  describe(`fuzz: every export of ${entryName}`, () => {
    it('has functions to fuzz', () => {
      expect(functions.length).toBeGreaterThan(0);
    });

    for (const name of functions) {
      const plan = PLANS[name] ?? { seeds: [] };
      const runs = plan.io ? IO_RUNS : RUNS;
      const fn = entry[name] as AnyFunction;
      it(`${name}: ${runs} runs, only ApsaraMqttAuthError, no hang, no canary${PLANS[name] ? '' : ' (no seed: random arguments)'}`, async () => {
        await fc.assert(
          fc.asyncProperty(argumentsFor(plan.seeds), follow, async ({ args }, calls) => {
            const result = await checkedCall(name, () => (isClass(fn) ? Reflect.construct(fn, args) : fn(...args)));
            try {
              if (plan.hides) expectHidden(result, name);
              if (typeof result === 'function') {
                // A returned function: handlers get requests, everything else anything.
                for (const call of calls) {
                  const answer = await checkedCall(`${name}(…)(…)`, () => (result as AnyFunction)(...(call.seeded ? [call.request] : (clone(call.args) as unknown[]))));
                  if (answer instanceof Response) expectNoCanary([await answer.text()], `an HTTP response of ${name}(…)`, [SECRET]);
                }
              }
              const methods = (plan.foreign ? [] : methodsOf(result)).filter((m) => !EMITTER_METHODS.has(m) && m !== 'close' && m !== 'end');
              if (methods.length) {
                for (const call of calls) {
                  const method = methods[call.pick % methods.length]!;
                  const seeds = METHOD_SEEDS[method]?.() ?? [];
                  const args = clone(call.seeded && seeds.length ? seeds[call.seedPick % seeds.length] : call.args) as unknown[];
                  const answer = await checkedCall(`${name}(…).${method}`, () => ((result as Record<string, AnyFunction>)[method] as AnyFunction).apply(result, args), plan.propagates);
                  if (answer instanceof Response) expectNoCanary([await answer.text()], `an HTTP response of ${name}(…).${method}`, [SECRET]);
                  if (plan.hides && HIDING_METHODS.has(method)) expectHidden(answer, `${name}(…).${method}`);
                  await dispose(answer);
                }
              }
            } finally {
              await dispose(result);
            }
          }),
          { numRuns: runs, ...(SEED === undefined ? {} : { seed: SEED }) },
        );
      }, 600_000);
    }
  });
}
