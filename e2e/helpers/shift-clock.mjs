// Loaded with `node --import ./shift-clock.mjs`: this process's clock is CLOCK_SHIFT_MS off (a phone or
// a board without a real-time clock). `Date.now()` and `new Date()` move; timers, `performance.now()`
// and the kernel's clock do not, just as on a device whose wall clock is wrong.
const offset = Number(process.env.CLOCK_SHIFT_MS ?? 0);
const RealDate = globalThis.Date;
class ShiftedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + offset);
    else super(...args);
  }
  static now() {
    return RealDate.now() + offset;
  }
}
globalThis.Date = ShiftedDate;
