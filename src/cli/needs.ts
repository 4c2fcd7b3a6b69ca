/**
 * What a command needs in each mode, declared once: the check that lists every missing input in
 * one line, and the help block "What each mode needs", come from the same table.
 * @module
 */
import type { AuthMode } from '../index.js';
import { usageError, usageErrorAt, type Flags } from './args.js';
import { SECRET_SOURCES, TOKEN_SOURCES } from './credential-flags.js';
import type { CliIo } from './io.js';
import { helpRows, type HelpBlock } from './spec.js';

/** One required input: a flag, or a value that may come from a flag, a variable or standard input. */
export interface Need {
  /** How a list of missing inputs names it (and how help lists it). */
  label: string;
  /** The flag or variable an error names when it is the only one missing. */
  field: string;
  /** The rule after `field` when it is the only one missing; `why` is e.g. `in signature mode`. */
  rule(why: string): string;
  /** Said once after the rule or the list when it is missing (why it is needed at all). */
  note?: string;
  /** Whether it was given (its value is checked later, by whatever reads it). */
  present(flags: Flags, io: CliIo): boolean;
}

/** A required string flag. */
export function flagNeed(name: string, detail = ''): Need {
  return { label: `--${name}`, field: `--${name}`, rule: (why) => `is required${why ? ` ${why}` : ''}${detail}`, present: (flags) => flags.has(name) };
}

/** `--client-id`, or both of `--group-id` and `--device-id` (one of the two alone is refused later, naming the other). */
export const CLIENT_ID_NEED: Need = {
  label: '--client-id (or --group-id with --device-id)',
  field: '--client-id',
  rule: (why) => `(or --group-id with --device-id) is required ${why}`,
  present: (flags) => flags.has('client-id') || flags.has('group-id') || flags.has('device-id'),
};

/** The secret of a signed mode: its flag, `--secret-stdin`, or its variable (an empty variable counts: it is refused by name later). */
export function secretNeed(mode: keyof typeof SECRET_SOURCES): Need {
  const { env, flag, what } = SECRET_SOURCES[mode];
  return {
    label: `the ${what} (${env} or --secret-stdin)`,
    field: env,
    rule: () => `is not set: export the ${what} in ${env}, or pipe it in with --secret-stdin`,
    present: (flags, io) => flags.has(flag.slice(2)) || flags.bool('secret-stdin') || io.env[env] !== undefined,
  };
}

/** Token mode: at least one token, from the flags or the variables. */
export const TOKENS_NEED: Need = {
  label: `tokens (${Object.values(TOKEN_SOURCES).map((s) => s.env).join(', ')})`,
  field: '--token-r/--token-w/--token-rw',
  rule: () => 'are all missing: set APSARAMQ_TOKEN_R, APSARAMQ_TOKEN_W or APSARAMQ_TOKEN_RW (the tokens from ApplyToken)',
  present: (flags, io) => Object.values(TOKEN_SOURCES).some(({ env, flag }) => flags.has(flag.slice(2)) || io.env[env] !== undefined),
};

const and = (items: readonly string[]) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

/**
 * Refuses the command line when any of `needs` is missing, naming all of them in one line: one
 * missing input keeps its own message (`--access-key-id is required in signature mode`), several are
 * listed (`--access-key-id, --instance-id and the AccessKey secret (…) are required in signature mode`).
 */
export function requireAll(needs: readonly Need[], flags: Flags, io: CliIo, why: string): void {
  const missing = needs.filter((need) => !need.present(flags, io));
  if (missing.length === 0) return;
  const notes = missing.flatMap((need) => (need.note ? [`; ${need.note}`] : [])).join('');
  if (missing.length === 1) throw usageError(missing[0]!.field, missing[0]!.rule(why) + notes);
  throw usageErrorAt(missing[0]!.field, `${and(missing.map((need) => need.label))} are required ${why}${notes}`);
}

/** Help's "What each mode needs", from the same table {@link requireAll} checks. */
export function needsBlock(needsByMode: Partial<Record<AuthMode, readonly Need[]>>, fallback?: AuthMode): HelpBlock {
  const rows = Object.entries(needsByMode).map(([mode, needs]) => [mode === fallback ? `${mode} (default)` : mode, needs.map((n) => n.label).join(', ')] as const);
  return { title: 'What each mode needs', lines: helpRows(rows) };
}
