/** What every benchmark section returns: table rows for the console and BENCHMARKS.md, and raw data for results.json. */
export interface Row {
  /** What was measured. */
  name: string;
  /** The headline figure, formatted (e.g. `412k/s (398k–420k)`). */
  value: string;
  /** The ratio to the section's baseline, formatted, when there is one. */
  ratio?: string;
  /** The target the issue sets, if any, and whether this run met it. */
  target?: string;
  met?: boolean;
}

export interface Section {
  title: string;
  /** How it was measured, in a sentence or two (printed above the table). */
  method: string;
  rows: Row[];
  /** Everything measured, unrounded where it matters. */
  data: unknown;
}

/** Common knobs, from the command line. */
export interface BenchOptions {
  /** Fewer rounds and shorter runs: for trying the harness, not for publishing. */
  quick: boolean;
}
