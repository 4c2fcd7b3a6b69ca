/**
 * The inputs every command shares: the mode, the client id, secrets and tokens, with where each came
 * from (so that errors can name the flag or variable). Secrets come from the environment or standard
 * input; on the command line they work, with a warning.
 * @module
 */
import { parseUsername } from '../protocol/username.js';
import { formatClientId, type AuthMode, type CustomSignMode, type TokenSet, type TokenType } from '../index.js';
import { PROGRAM, relabel, usageError, type FlagSpec, type Flags } from './args.js';
import type { CliIo } from './io.js';

/** Where each mode's secret comes from. */
export const SECRET_SOURCES = {
  signature: { env: 'APSARAMQ_ACCESS_KEY_SECRET', flag: '--access-key-secret', field: 'accessKeySecret', what: 'AccessKey secret' },
  device: { env: 'APSARAMQ_DEVICE_ACCESS_KEY_SECRET', flag: '--device-access-key-secret', field: 'deviceAccessKeySecret', what: 'DeviceAccessKeySecret' },
  custom: { env: 'APSARAMQ_CUSTOM_SECRET', flag: '--custom-secret', field: 'secret', what: 'custom identity secret' },
} as const;

/** Token mode: one variable and one flag per token type. */
export const TOKEN_SOURCES: { readonly [T in TokenType]: { env: string; flag: string } } = {
  R: { env: 'APSARAMQ_TOKEN_R', flag: '--token-r' },
  W: { env: 'APSARAMQ_TOKEN_W', flag: '--token-w' },
  RW: { env: 'APSARAMQ_TOKEN_RW', flag: '--token-rw' },
};

/** The flags that describe a client's credentials, shared by sign, explain and check. */
export const CREDENTIAL_FLAGS: Record<string, FlagSpec> = {
  mode: { type: 'string' },
  'access-key-id': { type: 'string' },
  'device-access-key-id': { type: 'string' },
  'instance-id': { type: 'string' },
  'client-id': { type: 'string' },
  'group-id': { type: 'string' },
  'device-id': { type: 'string' },
  username: { type: 'string' },
  'sign-mode': { type: 'string' },
  'token-r': { type: 'string' },
  'token-w': { type: 'string' },
  'token-rw': { type: 'string' },
  'access-key-secret': { type: 'string' },
  'device-access-key-secret': { type: 'string' },
  'custom-secret': { type: 'string' },
  'secret-stdin': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const SIGNED: readonly AuthMode[] = ['signature', 'device', 'custom'];
/** Which modes each mode-specific flag belongs to; a flag given in another mode is an error. */
const MODES_OF_FLAG: Readonly<Record<string, readonly AuthMode[]>> = {
  'access-key-id': ['signature', 'token'],
  'device-access-key-id': ['device'],
  'instance-id': ['signature', 'token', 'device'],
  'client-id': SIGNED,
  'group-id': SIGNED,
  'device-id': SIGNED,
  username: ['custom'],
  'sign-mode': ['custom'],
  'token-r': ['token'],
  'token-w': ['token'],
  'token-rw': ['token'],
  'access-key-secret': ['signature'],
  'device-access-key-secret': ['device'],
  'custom-secret': ['custom'],
  'secret-stdin': SIGNED,
};

const MODES: readonly AuthMode[] = ['signature', 'token', 'device', 'custom'];

/** `--mode`, default `signature`; `DeviceCredential` is accepted for `device`, case does not matter. */
export function readMode(flags: Flags, fallback: AuthMode = 'signature'): AuthMode {
  const raw = flags.string('mode');
  if (raw === undefined) return fallback;
  const mode = raw.toLowerCase() === 'devicecredential' ? 'device' : raw.toLowerCase();
  if (!MODES.includes(mode as AuthMode)) throw usageError('--mode', `must be signature, token, device or custom (got ${JSON.stringify(raw.slice(0, 20))})`);
  return mode as AuthMode;
}

/** The mode a Username names (`Signature|…`, `Token|…`, `DeviceCredential|…`), else `custom`. */
export function modeOfUsername(username: string): AuthMode {
  return parseUsername(username).mode;
}

/** Refuses flags that do not belong to `mode` (e.g. `--token-r` with `--mode signature`), naming them. */
export function refuseOtherModesFlags(flags: Flags, mode: AuthMode, except: readonly string[] = []): void {
  for (const name of flags.given()) {
    const modes = MODES_OF_FLAG[name];
    if (modes && !modes.includes(mode) && !except.includes(name)) {
      throw usageError(`--${name}`, `is for --mode ${modes.join(' or --mode ')}, not --mode ${mode}`);
    }
  }
}

/** A required string flag. */
export function requireFlag(flags: Flags, name: string, why: string): string {
  const value = flags.string(name);
  if (value === undefined) throw usageError(`--${name}`, `is required ${why}`);
  return value;
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
  if (clientId !== undefined) return { clientId, flagOf: { clientId: '--client-id', groupId: '--client-id', deviceId: '--client-id' } };
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
  if (mode !== 'ORIGIN' && mode !== 'SIGNED') throw usageError('--sign-mode', `must be ORIGIN or SIGNED (got ${JSON.stringify(raw.slice(0, 20))})`);
  return mode;
}

/** Warns, once per flag, that a secret given on the command line is kept by the shell. */
export function warnCommandLineSecret(io: CliIo, flag: string, better: string): void {
  io.err(`${PROGRAM}: warning: ${flag} puts a secret in your shell history and the process list; use ${better} instead`);
}

/** Reads standard input for `flag`; one trailing newline (what `echo` and most files add) is dropped. */
export async function readStdinValue(io: CliIo, flag: string, what: string): Promise<string> {
  if (io.stdinIsTTY) io.err(`${PROGRAM}: reading the ${what} from standard input; end with Ctrl-D (it is shown as you type: prefer a pipe)`);
  const text = (await io.readStdin()).replace(/\r?\n$/, '');
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
  if (fromEnv === undefined) throw usageError(env, `is not set: export the ${what} in ${env}, or pipe it in with --secret-stdin`);
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
    throw usageError('--token-r/--token-w/--token-rw', 'are all missing: set APSARAMQ_TOKEN_R, APSARAMQ_TOKEN_W or APSARAMQ_TOKEN_RW (the tokens from ApplyToken)');
  }
  return { tokens, flagOf: { ...flagOf, tokens: '--token-r/--token-w/--token-rw' } };
}

/** Refuses more than one flag that reads standard input. */
export function refuseTwoStdinReaders(flags: Flags): void {
  const readers = flags.given().filter((name) => name.endsWith('-stdin'));
  if (readers.length > 1) throw usageError(`--${readers[1]}`, `cannot be combined with --${readers[0]}: standard input can be read once`);
}
