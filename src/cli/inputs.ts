/**
 * The inputs every command shares: the mode, the client id, secrets and tokens, with where each came
 * from (so that errors can name the flag or variable). Secrets come from the environment or standard
 * input; on the command line they work, with a warning.
 * @module
 */
import { explainSignature, formatClientId, parseClientId, type AuthMode, type CustomSignMode, type TokenSet, type TokenType } from '../index.js';
import { relabel, usageError, type Flags } from './args.js';
import { MAX_STDIN_BYTES, MODES, SECRET_SOURCES, TOKEN_SOURCES } from './credential-flags.js';
import type { CliIo } from './io.js';
import { TOKENS_NEED, secretNeed } from './needs.js';
import { PROGRAM, type FlagDef } from './spec.js';
import { closest, quoteIfSafe } from './suggest.js';


/** `(got "oauth"; did you mean …?)`: what was typed, only when it cannot be a secret, and the nearest allowed value. */
function gotAndHint(raw: string, allowed: readonly string[]): string {
  const near = closest(raw, allowed);
  const notes = [quoteIfSafe(raw) && `got ${quoteIfSafe(raw)}`, near && `did you mean ${near}?`].filter(Boolean);
  return notes.length ? ` (${notes.join('; ')})` : '';
}

/** `--mode`, default `signature`; `DeviceCredential` is accepted for `device`, case does not matter. */
export function readMode(flags: Flags, fallback: AuthMode = 'signature', allowed: readonly AuthMode[] = MODES): AuthMode {
  const raw = flags.string('mode');
  if (raw === undefined) return fallback;
  const mode = raw.toLowerCase() === 'devicecredential' ? 'device' : raw.toLowerCase();
  if (!MODES.includes(mode as AuthMode)) {
    throw usageError('--mode', `must be ${MODES.slice(0, -1).join(', ')} or ${MODES.at(-1)}${gotAndHint(raw, [...allowed, 'DeviceCredential'])}`);
  }
  return mode as AuthMode;
}

/** Refuses flags that do not belong to `mode` (e.g. `--token-r` with `--mode signature`), naming them. */
export function refuseOtherModesFlags(flags: Flags, table: Readonly<Record<string, FlagDef>>, mode: AuthMode): void {
  for (const name of flags.given()) {
    const modes = table[name]?.modes;
    if (modes && !modes.includes(mode)) throw usageError(`--${name}`, `is for --mode ${modes.join(' or --mode ')}, not --mode ${mode}`);
  }
}

/** The client id and the flags it came from (`--client-id`, or `--group-id` + `--device-id`). */
export interface ClientIdInput {
  clientId: string;
  /** SDK field name → flag, for error messages. */
  flagOf: Record<string, string>;
}

/**
 * `--client-id`, or `--group-id` with `--device-id`. With `strict`, the two parts are checked as
 * `formatClientId` does (errors name `--group-id` / `--device-id`); without it they are joined as is,
 * so that `explain` and `check` can report every rule broken instead of stopping at the first.
 */
export function readClientId(flags: Flags, strict: boolean): ClientIdInput | undefined {
  const clientId = flags.string('client-id');
  const groupId = flags.string('group-id');
  const deviceId = flags.string('device-id');
  if (clientId !== undefined && (groupId !== undefined || deviceId !== undefined)) {
    throw usageError('--client-id', 'cannot be combined with --group-id/--device-id: give the whole client id, or its two parts');
  }
  if (clientId !== undefined) {
    const flagOf = { clientId: '--client-id', groupId: '--client-id', deviceId: '--client-id' };
    // The builders state the rules in one line; the CLI names the first one broken, as formatClientId does.
    if (strict) {
      try {
        parseClientId(clientId);
      } catch (error) {
        throw relabel(error, flagOf);
      }
    }
    return { clientId, flagOf };
  }
  if (groupId === undefined && deviceId === undefined) return undefined;
  if (groupId === undefined) throw usageError('--group-id', 'is required with --device-id');
  if (deviceId === undefined) throw usageError('--device-id', 'is required with --group-id');
  const flagOf = { clientId: '--group-id', groupId: '--group-id', deviceId: '--device-id' };
  if (!strict) return { clientId: `${groupId}@@@${deviceId}`, flagOf };
  try {
    return { clientId: formatClientId(groupId, deviceId), flagOf };
  } catch (error) {
    throw relabel(error, flagOf);
  }
}

/** Like {@link readClientId}, but one of the two forms must be there. */
export function requireClientId(flags: Flags, strict: boolean, why: string): ClientIdInput {
  const input = readClientId(flags, strict);
  if (!input) throw usageError('--client-id', `(or --group-id with --device-id) is required ${why}`);
  return input;
}

/** `--sign-mode ORIGIN|SIGNED` (any case). */
export function readSignMode(flags: Flags): CustomSignMode | undefined {
  const raw = flags.string('sign-mode');
  if (raw === undefined) return undefined;
  const mode = raw.toUpperCase();
  if (mode !== 'ORIGIN' && mode !== 'SIGNED') throw usageError('--sign-mode', `must be ORIGIN or SIGNED${gotAndHint(raw, ['ORIGIN', 'SIGNED'])}`);
  return mode;
}

/** Warns, once per flag, that a secret given on the command line is kept by the shell. */
export function warnCommandLineSecret(io: CliIo, flag: string, better: string): void {
  io.err(`${PROGRAM}: warning: ${flag} puts a secret in your shell history and the process list; use ${better} instead`);
}

/**
 * Reads standard input for `flag`; one trailing newline (what `echo` and most files add) is dropped.
 * Reading stops after {@link MAX_STDIN_BYTES}: a larger input is the wrong file, and is refused.
 */
export async function readStdinValue(io: CliIo, flag: string, what: string): Promise<string> {
  if (io.stdinIsTTY) io.err(`${PROGRAM}: reading the ${what} from standard input; end with Ctrl-D (it is shown as you type: prefer a pipe)`);
  const input = await io.readStdin(MAX_STDIN_BYTES);
  if (input === undefined) throw usageError(flag, `read more than ${MAX_STDIN_BYTES / 1024} KiB on standard input and stopped: the ${what} is far shorter (the wrong file piped in?)`);
  const text = input.replace(/\r?\n$/, '');
  if (text === '') throw usageError(flag, `found nothing on standard input: pipe the ${what} in`);
  return text;
}

/** A secret and the flag or variable it came from. */
export interface SecretInput {
  value: string;
  source: string;
}

/** The secret for a signed mode: `--<secret flag>` (warns), `--secret-stdin`, or the mode's variable. */
export async function readSecret(flags: Flags, io: CliIo, mode: 'signature' | 'device' | 'custom'): Promise<SecretInput> {
  const { env, flag, what } = SECRET_SOURCES[mode];
  const onLine = flags.string(flag.slice(2));
  if (onLine !== undefined && flags.bool('secret-stdin')) throw usageError(flag, 'cannot be combined with --secret-stdin: give the secret once');
  if (onLine !== undefined) {
    warnCommandLineSecret(io, flag, `${env} or --secret-stdin`);
    return { value: onLine, source: flag };
  }
  if (flags.bool('secret-stdin')) return { value: await readStdinValue(io, '--secret-stdin', what), source: '--secret-stdin' };
  const fromEnv = io.env[env];
  if (fromEnv === undefined) throw usageError(env, secretNeed(mode).rule(''));
  if (fromEnv === '') throw usageError(env, `is empty: it must hold the ${what}`);
  return { value: fromEnv, source: env };
}

/** Token mode's tokens: from `--token-*` flags when any is given (warns), else from `APSARAMQ_TOKEN_*`. */
export function readTokens(flags: Flags, io: CliIo): { tokens: TokenSet; flagOf: Record<string, string> } {
  const types = Object.keys(TOKEN_SOURCES) as TokenType[];
  const onLine = types.filter((type) => flags.has(TOKEN_SOURCES[type].flag.slice(2)));
  const tokens: TokenSet = {};
  const flagOf: Record<string, string> = {};
  for (const type of types) {
    const { env, flag } = TOKEN_SOURCES[type];
    const value = onLine.length ? flags.string(flag.slice(2)) : io.env[env];
    if (value === undefined) continue;
    tokens[type] = value;
    flagOf[`tokens.${type}`] = onLine.length ? flag : env;
  }
  for (const type of onLine) warnCommandLineSecret(io, TOKEN_SOURCES[type].flag, TOKEN_SOURCES[type].env);
  if (Object.keys(tokens).length === 0) {
    throw usageError(TOKENS_NEED.field, TOKENS_NEED.rule(''));
  }
  return { tokens, flagOf: { ...flagOf, tokens: '--token-r/--token-w/--token-rw' } };
}

/** Refuses more than one flag that reads standard input. */
export function refuseTwoStdinReaders(flags: Flags): void {
  const readers = flags.given().filter((name) => name.endsWith('-stdin'));
  if (readers.length > 1) throw usageError(`--${readers[1]}`, `cannot be combined with --${readers[0]}: standard input can be read once`);
}

/**
 * What `explain` says is wrong with a secret (white space at an end, non-ASCII), as warnings naming
 * where the secret came from; never its value. A second newline at the end of standard input is
 * said as such: `--secret-stdin` drops one, so a remaining one was a second.
 */
export async function secretWarnings(mode: keyof typeof SECRET_SOURCES, secret: SecretInput, clientId: string, signed = true): Promise<string[]> {
  const { field, what } = SECRET_SOURCES[mode];
  const explanation = await explainSignature({ mode, secret: secret.value, clientId });
  // A custom identity's secret is whatever its owner chose: only AccessKey secrets are known to be ASCII.
  const problems = (explanation.parts.find((part) => part.field === field)?.problems ?? []).filter((p) => mode !== 'custom' || !/non-ASCII/.test(p));
  return problems.map((problem) => {
    let line = `the ${what} from ${secret.source}${problem.startsWith(field) ? problem.slice(field.length) : `: ${problem}`}`;
    // ORIGIN sends the secret itself as the Password: nothing is signed.
    if (!signed) line = line.replace('it is signed as is', 'it is sent as is');
    const second = secret.source === '--secret-stdin' && /\n$/.test(secret.value) && /ends with white space/.test(problem);
    return second ? `${line} (the input ended with two newlines: --secret-stdin drops only one)` : line;
  });
}

/** Tokens with white space at an end (a newline from a file or from echo): they go into the Password as is. */
export function tokenWarnings(tokens: TokenSet, flagOf: Readonly<Record<string, string>>): string[] {
  const warnings: string[] = [];
  for (const [type, token] of Object.entries(tokens) as [TokenType, string][]) {
    const from = `the ${type} token from ${flagOf[`tokens.${type}`]}`;
    if (/^\s/.test(token)) warnings.push(`${from} starts with white space (a copy-paste slip?); it is sent as is`);
    if (/\s$/.test(token)) warnings.push(`${from} ends with white space (a newline from a file or from echo?); it is sent as is`);
  }
  return warnings;
}
