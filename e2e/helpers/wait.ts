/**
 * Bounded waiting: every wait has a deadline and says what it waited for.
 *
 * Tests wait with vitest's `vi.waitFor`, given {@link WAIT} (its own default gives up after 1 s, too
 * soon for real brokers and pages on a shared machine). The harness below also runs outside vitest
 * (`npm run bench` starts mosquitto, redis-server and processes with it), where `vi.waitFor` cannot:
 * it polls with {@link pollUntil}.
 * @module
 */

/** What tests give `vi.waitFor`: up to 10 s, checking every 25 ms. */
export const WAIT = Object.freeze({ timeout: 10_000, interval: 25 });

/** Options of {@link pollUntil}. */
export interface WaitOptions {
  /** Give up after this many milliseconds (default 10 s). */
  timeout?: number;
  /** Poll interval in milliseconds (default 25). */
  interval?: number;
  /** What is awaited, for the timeout message. */
  what?: string;
}

/**
 * For the harness (processes, ports): polls `check` until it returns a value other than
 * `undefined`/`false`, then resolves with it. Rejects after `timeout`, naming `what`. A thrown error
 * from `check` rejects at once.
 */
export async function pollUntil<T>(check: () => T | undefined | false | Promise<T | undefined | false>, options: WaitOptions = {}): Promise<T> {
  const { timeout = WAIT.timeout, interval = WAIT.interval, what = 'condition' } = options;
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** Resolves or rejects with `promise`, or rejects after `timeout` ms naming `what`. */
export function withTimeout<T>(promise: PromiseLike<T>, timeout: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeout} ms waiting for ${what}`)), timeout);
  });
  return Promise.race([Promise.resolve(promise), expired]).finally(() => clearTimeout(timer));
}
