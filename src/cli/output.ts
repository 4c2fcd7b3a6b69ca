/**
 * Text layouts: aligned label/value rows for people, `.env` lines for files.
 * @module
 */
import { usageError } from './args.js';

/** Rows of `label  value`, labels padded to one column. */
export function rows(entries: readonly (readonly [string, string])[], indent = ''): string[] {
  const width = Math.max(0, ...entries.map(([label]) => label.length));
  return entries.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`.trimEnd());
}

/** The default prefix of the variables `sign --env` writes. */
export const DEFAULT_ENV_PREFIX = 'APSARAMQ_';

/**
 * `NAME='value'` lines. Single quotes keep `|`, `+`, `/` and `=` literal both for dotenv-style
 * parsers (Node's `--env-file`, dotenv) and for a POSIX shell's `source`; a value that itself holds
 * a single quote, a line break or another control character cannot be written that way for both (nor
 * safely shown by `cat`), so it is refused.
 */
export function envLines(prefix: string, entries: readonly (readonly [string, string])[]): string[] {
  if (!/^([A-Za-z_][A-Za-z0-9_]*)?$/.test(prefix)) throw usageError('--env-prefix', 'must be letters, digits and "_", not starting with a digit');
  return entries.map(([name, value]) => {
    if (/['\u0000-\u001f\u007f-\u009f]/.test(value)) throw usageError('--env', `cannot write ${prefix}${name}: its value holds a quote, a line break or a control character (use --json)`);
    return `${prefix}${name}='${value}'`;
  });
}
