/**
 * Driving a managed connection's manual clock in e2e tests, where real brokers answer between steps.
 * Apart from wait.ts because it needs vitest's `vi` (wait.ts also runs in the benchmarks, outside vitest).
 * @module
 */
import { vi } from 'vitest';

/**
 * Moves a manual clock on in 250 ms steps until `condition` holds (at most 60 s of the client's time), letting
 * real I/O run between steps: the managed connection's e2e suites drive its timers this way.
 */
export async function advanceUntil(clock: { now(): number; advance(ms: number): unknown }, condition: () => boolean, what: string): Promise<void> {
  const start = clock.now();
  const late = await vi.waitFor(
    () => {
      if (condition()) return false;
      if (clock.now() - start > 60_000) return true;
      clock.advance(250);
      throw new Error(`waiting for ${what}`);
    },
    { timeout: 30_000, interval: 5 },
  );
  if (late) throw new Error(`${what} did not happen within 60 s of the client's time`);
}
