/**
 * Summaries for repeated measurements: median with min and max (and the 10th/90th percentiles for
 * latency samples). Ratios are always formed within one round, against a baseline measured in the
 * same round, so that a machine that slows down between rounds moves both sides together.
 * @module
 */

/** Median, extremes and percentiles of a sample. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  p10: number;
  p90: number;
  n: number;
}

/** The value at quantile `q` (0..1) of sorted `values`, interpolated. */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

export function summarize(values: readonly number[]): Summary {
  if (!values.length) throw new Error('summarize: no values');
  const sorted = [...values].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), min: sorted[0]!, max: sorted.at(-1)!, p10: quantile(sorted, 0.1), p90: quantile(sorted, 0.9), n: sorted.length };
}

/** Rounds a number for tables and JSON: 3 significant digits. */
export function round(value: number): number {
  return Number(value.toPrecision(3));
}

/** A summary with every field rounded. */
export function rounded(summary: Summary): Summary {
  const out = { ...summary };
  for (const key of ['median', 'min', 'max', 'p10', 'p90'] as const) out[key] = round(summary[key]);
  return out;
}

/** `median (min–max)` for a table cell. */
export function spread(s: Summary, unit = ''): string {
  return `${round(s.median)}${unit} (${round(s.min)}–${round(s.max)})`;
}

/** The contenders in a different order each round, so none always runs first or last. */
export function rotate<T>(items: readonly T[], round: number): T[] {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
