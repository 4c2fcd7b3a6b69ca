/**
 * The part of vitest's API the portable suites use (`describe`, `it`, `.each`, `expect`, `vi.spyOn`),
 * for runtimes vitest does not run in: Bun, Deno, workerd, a bare `node:vm` context, QuickJS. The
 * suite bundle (see bundle.ts) resolves `vitest` to this file. `expect` is vitest's own
 * (`@vitest/expect` on chai) and `vi.spyOn` is `@vitest/spy`, so assertions mean what they mean
 * under vitest; only collecting and running the tests is done here, in order, one at a time.
 */
import { ASYMMETRIC_MATCHERS_OBJECT, JestAsymmetricMatchers, JestChaiExpect, JestExtend, chai, customMatchers, getState, setState } from '@vitest/expect';
import { restoreAllMocks, spyOn } from '@vitest/spy';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

type Expect = typeof import('vitest').expect;

function createExpect(): Expect {
  const expect = ((value: unknown, message?: string) => {
    setState({ assertionCalls: getState(expect).assertionCalls + 1 }, expect);
    return chai.expect(value, message);
  }) as unknown as Expect;
  Object.assign(expect, chai.expect);
  Object.assign(expect, (globalThis as Record<symbol, unknown>)[ASYMMETRIC_MATCHERS_OBJECT]);
  setState({ assertionCalls: 0, isExpectingAssertions: false, isExpectingAssertionsError: null, expectedAssertionsNumber: null, expectedAssertionsNumberErrorGen: null }, expect);
  (expect as unknown as { extend(m: unknown): void }).extend = (matchers: unknown) => (chai.expect as unknown as { extend(e: unknown, m: unknown): void }).extend(expect, matchers);
  (expect as unknown as { extend(m: unknown): void }).extend(customMatchers);
  return expect;
}

export const expect = createExpect();
export const vi = { spyOn, restoreAllMocks };

interface Registered {
  name: string;
  fn: () => unknown;
}

const registered: Registered[] = [];
const path: string[] = [];

/** vitest's test-name formatting for `.each`: `$field` for object cases, printf-style `%s %j %d %i` for arrays and primitives. */
function title(template: string, item: unknown): string {
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    return template.replace(/\$([\w.]+)/g, (_, key: string) => String((item as Record<string, unknown>)[key]));
  }
  const args = Array.isArray(item) ? [...item] : [item];
  return template.replace(/%[sjdi]/g, (spec) => {
    const value = args.shift();
    return spec === '%j' ? JSON.stringify(value) : String(value);
  });
}

const spread = (item: unknown): unknown[] => (Array.isArray(item) ? item : [item]);

type Body = (...args: never[]) => unknown;

export function describe(name: string, fn: () => void): void {
  path.push(name);
  try {
    fn();
  } finally {
    path.pop();
  }
}
describe.each = (cases: readonly unknown[]) => (name: string, fn: Body) => {
  for (const item of cases) describe(title(name, item), () => (fn as (...a: unknown[]) => unknown)(...spread(item)));
};

export function it(name: string, fn: () => unknown): void {
  registered.push({ name: [...path, name].join(' > '), fn });
}
it.each = (cases: readonly unknown[]) => (name: string, fn: Body) => {
  for (const item of cases) it(title(name, item), () => (fn as (...a: unknown[]) => unknown)(...spread(item)));
};
export const test = it;

/** One test's outcome, as the launcher reports it to vitest. */
export interface TestResult {
  name: string;
  ok: boolean;
  /** The failure: message and the first lines of the stack. */
  error?: string;
}

/** Runs every test registered so far, in order, and forgets them. */
export async function runRegistered(onResult?: (result: TestResult) => void): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const { name, fn } of registered.splice(0)) {
    let result: TestResult;
    try {
      await fn();
      result = { name, ok: true };
    } catch (error) {
      const e = error as { message?: unknown; stack?: unknown };
      result = { name, ok: false, error: `${String(e?.message ?? error)}\n${String(e?.stack ?? '').split('\n').slice(0, 6).join('\n')}` };
    } finally {
      restoreAllMocks();
    }
    results.push(result);
    onResult?.(result);
  }
  return results;
}
