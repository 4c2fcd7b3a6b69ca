/**
 * Command-line parsing (`node:util` `parseArgs` tokens, checked against a command's flag table), and
 * turning every input error into one line that names the flag (or variable) and the rule, without
 * ever echoing a value that could be a secret.
 * @module
 */
import { parseArgs } from 'node:util';
import { ApsaraMqttAuthError } from '../index.js';
import { closest, quoteIfSafe } from './suggest.js';
import { Flags } from './parsed-flags.js';
import { PROGRAM, flagLabel, type CommandSpec } from './spec.js';

// The parser's result lives in its own file, which `spec.ts` (a command's `run(flags)`) can import
// without importing the parser, which imports `spec.ts`.
export { Flags };

/** A bad command line (exit code 2): `field` is the flag or variable at fault. */
export function usageError(flag: string, rule: string): ApsaraMqttAuthError {
  return new ApsaraMqttAuthError('ERR_INVALID_ARGUMENT', `${flag} ${rule}`, { field: flag });
}

/** A bad command line whose message does not start with the field (a list, a sentence about several flags). */
export function usageErrorAt(field: string, message: string): ApsaraMqttAuthError {
  return new ApsaraMqttAuthError('ERR_INVALID_ARGUMENT', message, { field });
}

/** True for errors that mean "fix your input" (exit code 2) rather than "something failed" (1). */
export function isUsageError(error: unknown): error is ApsaraMqttAuthError {
  return error instanceof ApsaraMqttAuthError && (error.code === 'ERR_INVALID_ARGUMENT' || error.code === 'ERR_INVALID_CLIENT_ID');
}

/** `the 3rd argument after "sign"`: how a word that is not repeated is pointed at. */
function nth(index: number, command: string): string {
  const n = index + 1;
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `the ${n}${suffix} argument after "${command}"`;
}

/**
 * An unknown flag: how it is named (the whole argument as typed, if that is safe) and what it most
 * likely meant. `-abc` is one argument however many letters it groups: letter by letter, a secret
 * typed after one dash would be spelt out.
 */
function unknownFlag(arg: string, index: number, spec: CommandSpec, others: readonly CommandSpec[]): { shown: string; hint?: string } {
  const typed = arg.replace(/=[^]*$/, '');
  const shown = quoteIfSafe(typed)?.slice(1, -1) ?? `${nth(index, spec.name)} (not shown: it could be a secret)`;
  if (!typed.startsWith('--') && typed.length > 2) return { shown };
  const near = closest(typed, Object.keys(spec.flags));
  if (near !== undefined) return { shown, hint: `did you mean --${near}?` };
  for (const other of others) {
    const there = other === spec ? undefined : closest(typed, Object.keys(other.flags));
    if (there !== undefined) return { shown, hint: `--${there} is an option of "${other.name}"` };
  }
  return { shown };
}

/** `--client-id <id>`: the command's first flag that takes a value, as help shows it. */
function example(spec: CommandSpec): string {
  const entry = Object.entries(spec.flags).find(([name, def]) => def.type === 'string' && name !== 'mode');
  return entry ? flagLabel(...entry) : '--flag <value>';
}

/**
 * Parses `argv` against the command's flag table. Every unknown flag is reported at once, each with
 * a "did you mean"; a missing value, a value given to a switch and a stray word are one-line errors.
 * Nothing the user typed is repeated unless it cannot be a secret (see {@link quoteIfSafe}).
 * `--help` anywhere wins over every other mistake: whoever typed it wants the help.
 */
export function parseFlags(argv: readonly string[], spec: CommandSpec, others: readonly CommandSpec[] = []): Flags {
  const options = Object.fromEntries(Object.entries(spec.flags).map(([name, def]) => [name, def.short ? { type: def.type, short: def.short } : { type: def.type }]));
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | boolean> = {};
  const unknownAt = new Map<number, { shown: string; hint?: string }>();
  let problem: ApsaraMqttAuthError | undefined;
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      problem ??= usageError(spec.name, `takes no positional arguments: every value goes after its flag, e.g. ${example(spec)}`);
      continue;
    }
    const def = Object.hasOwn(spec.flags, token.name) ? spec.flags[token.name] : undefined;
    if (!def) {
      if (!unknownAt.has(token.index)) unknownAt.set(token.index, unknownFlag(argv[token.index]!, token.index, spec, others));
      continue;
    }
    const flag = `--${token.name}`;
    if (def.type === 'boolean') {
      if (token.value !== undefined) problem ??= usageError(flag, 'takes no value');
      else values[token.name] = true;
    } else if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-'))) {
      // `--mode --json` or `--instance-id -x`: the next word is a flag, or looks like one.
      problem ??= usageError(flag, `needs a value (write ${flag}=<value> for a value that starts with "-")`);
    } else {
      values[token.name] = token.value;
    }
  }
  if (values.help === true) return new Flags({ help: true });
  const unknown = [...unknownAt.values()];
  if (unknown.length) {
    const help = `(${PROGRAM} ${spec.name} --help lists them)`;
    const field = unknown[0]!.shown.startsWith('-') ? unknown[0]!.shown : 'argv';
    if (unknown.length === 1) {
      const { shown, hint } = unknown[0]!;
      throw usageErrorAt(field, `${shown} is not an option of "${spec.name}"${hint ? `: ${hint}` : ''} ${help}`);
    }
    const list = unknown.map(({ shown, hint }) => (hint ? `${shown} (${hint})` : shown)).join(', ');
    throw usageErrorAt(field, `${list} are not options of "${spec.name}" ${help}`);
  }
  if (problem) throw problem;
  return new Flags(values);
}

/**
 * One line for an SDK error raised by the library with a field name: the field is replaced by the
 * flag (or variable) the value came from, e.g. `instanceId must not …` → `--instance-id must not …`.
 */
export function describeError(error: ApsaraMqttAuthError, flagOf: Readonly<Record<string, string>>): string {
  const field = error.field;
  const flag = field === undefined ? undefined : flagOf[field];
  const message = error.message.split('\n')[0]!;
  if (field === undefined || flag === undefined || flag === field) return message;
  // `groupId "x" must …` stays whole under --client-id: the part's name is the useful bit there.
  const partOfWhole = flag === '--client-id' && field !== 'clientId';
  if (message.startsWith(field + ' ') && !partOfWhole) return flag + message.slice(field.length);
  return `${flag}: ${message}`;
}

/** An SDK error with its field replaced by the flag it came from (other errors pass through). */
export function relabel(error: unknown, flagOf: Readonly<Record<string, string>>): unknown {
  if (!(error instanceof ApsaraMqttAuthError) || error.field === undefined || flagOf[error.field] === undefined) return error;
  return new ApsaraMqttAuthError(error.code, describeError(error, flagOf), { field: flagOf[error.field] });
}

/**
 * Runs `fn`, re-labelling any SDK error it throws with the flag its field came from. `flagOf` may be
 * filled in while `fn` runs (e.g. once it knows whether the secret came from a variable or stdin).
 */
export async function withFlags<T>(flagOf: Record<string, string>, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw relabel(error, flagOf);
  }
}
