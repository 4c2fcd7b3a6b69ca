/**
 * "Did you mean": the known name nearest to a mistyped one, and the rule for quoting back what the
 * user typed (only text that cannot be a secret is ever repeated).
 * @module
 */

/**
 * `accessKeyId`, `--Access_Key_ID` and `access-key-id` all become `access-key-id`: case, `_` and
 * camelCase are the slips people make with flag names, not typos.
 */
export function normalizeName(name: string): string {
  return name
    .replace(/^-+/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
}

/** Edit distance counting a swap of two neighbours as one edit (`sigh`/`sign` 1, `acces`/`access` 1, `mdoe`/`mode` 1). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The one name in `names` the user most likely meant by `typed`, or `undefined` when none is close:
 * the same name in another spelling (case, `_`, camelCase), a name within a few edits (1 for short
 * names, 2 up to 8 characters, 3 beyond), or the only name that `typed` begins.
 */
export function closest(typed: string, names: readonly string[]): string | undefined {
  const wanted = normalizeName(typed);
  if (wanted === '') return undefined;
  const exact = names.find((name) => normalizeName(name) === wanted);
  if (exact !== undefined) return exact;
  const allowed = wanted.length <= 4 ? 1 : wanted.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = allowed + 1;
  let tie = false;
  for (const name of names) {
    const distance = editDistance(wanted, normalizeName(name));
    if (distance < bestDistance) [best, bestDistance, tie] = [name, distance, false];
    else if (distance === bestDistance) tie = true;
  }
  if (best !== undefined && !tie) return best;
  if (wanted.length < 3) return undefined;
  const prefixed = names.filter((name) => normalizeName(name).startsWith(wanted));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/**
 * `"text"` when what the user typed can safely be repeated in a message, else `undefined`. Only a
 * short lowercase word (`sigh`, `--verbose`, `--instance_id`, `oauth`) or a short number (`70000`) is repeated: a
 * secret or token typed in the wrong place (mixed case, digits among letters, long) never is.
 */
export function quoteIfSafe(text: string): string | undefined {
  return /^-{0,2}(?:[a-z][a-z_-]{0,23}|\d{1,6})$/.test(text) ? JSON.stringify(text) : undefined;
}
