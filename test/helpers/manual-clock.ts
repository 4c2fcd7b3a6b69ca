/**
 * The one manual clock of the tests: the SDK's own (`createManualClock`), started at a fixed time.
 * `advanceAsync` lets promises settle between the timers it fires (managed connections, providers);
 * `dueTimes()` says what is scheduled.
 */
import { createManualClock, type ManualClock } from '../../src/manual-clock.js';

export type { ManualClock };

/** Where a test's clock starts (November 2023): a plausible time, the same in every run. */
export const T0 = 1_700_000_000_000;

/** A manual clock at {@link T0} (or `start`). */
export const manualClock = (start = T0): ManualClock => createManualClock(start);
