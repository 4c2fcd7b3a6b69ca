/**
 * Command-line parsing on `node:util` `parseArgs`, and turning every input error into one line that
 * names the flag (or variable) and the rule, without ever echoing a value that could be a secret.
 * @module
 */
import { parseArgs } from 'node:util';
import { ApsaraMqttAuthError } from '../index.js';

/** The program's name, as typed. */
export const PROGRAM = 'apsaramq-mqtt-auth';

/** One flag as `parseArgs` takes it. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
}

/** A bad command line (exit code 2): `field` is the flag or variable at fault. */
export function usageError(flag: string, rule: string): ApsaraMqttAuthError {
  return new ApsaraMqttAuthError('ERR_INVALID_ARGUMENT', `${flag} ${rule}`, { field: flag });
}

/** True for errors that mean "fix your input" (exit code 2) rather than "something failed" (1). */
export function isUsageError(error: unknown): error is ApsaraMqttAuthError {
  return error instanceof ApsaraMqttAuthError && (error.code === 'ERR_INVALID_ARGUMENT' || error.code === 'ERR_INVALID_CLIENT_ID');
}

/** Parsed flags with typed getters. */
export class Flags {
  readonly #values: Record<string, string | boolean | undefined>;
  constructor(values: Record<string, string | boolean | undefined>) {
    this.#values = values;
  }
  /** The value of a string flag, if given. */
  string(name: string): string | undefined {
    const value = this.#values[name];
    return typeof value === 'string' ? value : undefined;
  }
  /** Whether a boolean flag was given. */
  bool(name: string): boolean {
    return this.#values[name] === true;
  }
  /** Whether a flag was given at all. */
  has(name: string): boolean {
    return this.#values[name] !== undefined;
  }
  /** The names of the flags given. */
  given(): string[] {
    return Object.keys(this.#values).filter((name) => this.#values[name] !== undefined);
  }
}

/** Parses `argv` strictly: unknown flags, missing values and stray words are one-line errors. */
export function parseFlags(argv: readonly string[], specs: Record<string, FlagSpec>, command: string): Flags {
  try {
    const { values } = parseArgs({ args: [...argv], options: specs, strict: true, allowPositionals: false });
    return new Flags(values as Record<string, string | boolean | undefined>);
  } catch (error) {
    throw translateParseError(error, command);
  }
}

function translateParseError(error: unknown, command: string): unknown {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : '';
  // Only the flag's name is quoted back, never what follows "=" (it could be a secret).
  const flag = /'(-[^'=\s<]*)/.exec(message)?.[1] ?? 'an option';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return usageError(flag, `is not an option of "${command}" (${PROGRAM} ${command} --help lists them)`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /does not take an argument/.test(message)
        ? usageError(flag, 'takes no value')
        : usageError(flag, `needs a value (write ${flag}=<value> for a value that starts with "-")`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return usageError(command, 'takes no positional arguments: every value goes after its flag, e.g. --client-id <id>');
    default:
      return error;
  }
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
