/**
 * `check`: does a Username/Password pair fit the secret, and if not, which part differs and why.
 * @module
 */
import { PROGRAM, parseFlags, usageError, withFlags, type Flags } from './args.js';
import { checkCredentials, type CheckCredentialsOptions, type CredentialCheck } from './check-credentials.js';
import {
  CREDENTIAL_FLAGS,
  TOKEN_SOURCES,
  modeOfUsername,
  readClientId,
  readMode,
  readSecret,
  readSignMode,
  readStdinValue,
  readTokens,
  refuseOtherModesFlags,
  refuseTwoStdinReaders,
  requireClientId,
  warnCommandLineSecret,
} from './inputs.js';
import type { CliIo } from './io.js';
import { rows } from './output.js';

const FLAGS = {
  ...CREDENTIAL_FLAGS,
  password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  'json-stdin': { type: 'boolean' },
} as const;

/** `check --help`. */
export const CHECK_HELP = `Usage: ${PROGRAM} check --username <Username> [flags]

Tells whether a Username/Password pair (from your own code, a server, another tool) is what the
secret gives, and if not, which part differs (mode, AccessKey ID, instance id, Password) and the
likely slip: a trailing newline in the secret, another client id signed, key and message swapped,
hex or base64url instead of Base64, ... No secret, token or password is printed.

The pair under test:
  --username <text>     the Username (default: APSARAMQ_USERNAME)
  the Password          APSARAMQ_PASSWORD, or --password-stdin; --password <p> works but warns
  --json-stdin          read both from standard input as {"username": ..., "password": ...}
                        (e.g. the output of "sign --json" or a credential server's answer)

What it should be made of:
  --mode <mode>         signature, token, device or custom (default: what the Username names)
  --access-key-id <id> (device mode: --device-access-key-id), --instance-id <id>
                        compared with the Username's when given
  --client-id <id>, or --group-id with --device-id
                        the client id that connects (signature, device, custom SIGNED)
  secret                as for sign: APSARAMQ_ACCESS_KEY_SECRET, APSARAMQ_DEVICE_ACCESS_KEY_SECRET
                        or APSARAMQ_CUSTOM_SECRET (by mode), or --secret-stdin
  --sign-mode ORIGIN|SIGNED   custom identities (default SIGNED)
  tokens                token mode, optional: APSARAMQ_TOKEN_R/_W/_RW (or --token-r/-w/-rw);
                        without them only the Password's layout is checked
  --json                the verdict as JSON

Example:
  ${PROGRAM} sign --access-key-id YYYYY --instance-id mqtt-xxxxx --client-id GID_Test@@@0001 --json \\
    | ${PROGRAM} check --json-stdin --mode signature --access-key-id YYYYY --client-id GID_Test@@@0001

Exit codes: 0 match, 1 mismatch (differing parts and hints listed), 2 bad input.`;

async function readPair(flags: Flags, io: CliIo): Promise<{ username: string; password: string }> {
  if (flags.bool('json-stdin')) {
    for (const name of ['username', 'password']) if (flags.has(name)) throw usageError(`--${name}`, 'cannot be combined with --json-stdin');
    const text = await readStdinValue(io, '--json-stdin', 'JSON credentials');
    let pair: unknown;
    try {
      pair = JSON.parse(text);
    } catch {
      throw usageError('--json-stdin', 'needs a JSON object on standard input (what came is not JSON)');
    }
    const { username, password } = (pair ?? {}) as Record<string, unknown>;
    if (typeof username !== 'string' || typeof password !== 'string') {
      throw usageError('--json-stdin', 'needs a JSON object with string "username" and "password" fields');
    }
    return { username, password };
  }
  const username = flags.string('username') ?? io.env.APSARAMQ_USERNAME;
  if (username === undefined) throw usageError('--username', 'is required (or set APSARAMQ_USERNAME, or pipe JSON in with --json-stdin)');
  let password = flags.string('password');
  if (password !== undefined) {
    if (flags.bool('password-stdin')) throw usageError('--password', 'cannot be combined with --password-stdin');
    warnCommandLineSecret(io, '--password', 'APSARAMQ_PASSWORD or --password-stdin');
  } else if (flags.bool('password-stdin')) {
    password = await readStdinValue(io, '--password-stdin', 'Password');
  } else {
    password = io.env.APSARAMQ_PASSWORD;
    if (password === undefined) throw usageError('APSARAMQ_PASSWORD', 'is not set: give the Password under test there, or with --password-stdin or --json-stdin');
  }
  return { username, password };
}

function hasTokens(flags: Flags, io: CliIo): boolean {
  return Object.values(TOKEN_SOURCES).some(({ env, flag }) => flags.has(flag.slice(2)) || io.env[env] !== undefined);
}

/** Runs `check`; resolves to the exit code. */
export async function runCheck(argv: readonly string[], io: CliIo): Promise<number> {
  const flags = parseFlags(argv, FLAGS, 'check');
  if (flags.bool('help')) {
    io.out(CHECK_HELP);
    return 0;
  }
  refuseTwoStdinReaders(flags);
  const { username, password } = await readPair(flags, io);
  const mode = readMode(flags, modeOfUsername(username));
  refuseOtherModesFlags(flags, mode, ['username']);

  const flagOf: Record<string, string> = {
    username: flags.bool('json-stdin') ? '--json-stdin' : '--username',
    password: flags.bool('json-stdin') ? '--json-stdin' : '--password',
    accessKeyId: mode === 'device' ? '--device-access-key-id' : '--access-key-id',
    instanceId: '--instance-id',
    signMode: '--sign-mode',
  };
  const options: CheckCredentialsOptions = { username, password };
  if (flags.has('mode')) options.mode = mode;
  const keyId = flags.string(mode === 'device' ? 'device-access-key-id' : 'access-key-id');
  if (keyId !== undefined) options.accessKeyId = keyId;
  const instanceId = flags.string('instance-id');
  if (instanceId !== undefined) options.instanceId = instanceId;
  let clientIdShown: string | undefined;

  if (mode === 'token') {
    if (hasTokens(flags, io)) {
      const { tokens, flagOf: tokenFlags } = readTokens(flags, io);
      Object.assign(flagOf, tokenFlags);
      options.tokens = tokens;
    }
  } else {
    const signMode = readSignMode(flags);
    if (signMode) options.signMode = signMode;
    const needsClientId = !(mode === 'custom' && signMode === 'ORIGIN');
    const clientId = needsClientId ? requireClientId(flags, false, `to check a ${mode} Password`) : readClientId(flags, false);
    if (clientId) {
      Object.assign(flagOf, clientId.flagOf);
      options.clientId = clientIdShown = clientId.clientId;
    }
    const secret = await readSecret(flags, io, mode);
    flagOf.secret = secret.source;
    options.secret = secret.value;
  }

  const verdict = await withFlags(flagOf, () => checkCredentials(options));
  if (flags.bool('json')) io.out(JSON.stringify(verdict, null, 2));
  else {
    const against = mode !== 'token' ? `the secret from ${flagOf.secret}` : options.tokens ? 'the tokens given' : undefined;
    for (const line of describe(verdict, clientIdShown, against)) io.out(line);
  }
  return verdict.match ? 0 : 1;
}

const PART_LABELS: Record<string, string> = { accessKeyId: 'AccessKey ID', instanceId: 'instance id', mode: 'mode', username: 'Username', password: 'Password' };

function describe(verdict: CredentialCheck, clientId: string | undefined, against: string | undefined): string[] {
  const differing = verdict.parts.filter((p) => p.status === 'differs').map((p) => PART_LABELS[p.part]);
  const forClient = clientId === undefined ? '' : ` and client id ${JSON.stringify(clientId)}`;
  let verdictLine = `MISMATCH: ${differing.join(', ')} ${differing.length > 1 ? 'differ' : 'differs'}`;
  if (verdict.match) {
    verdictLine = against ? `match: the pair fits ${against}${forClient}` : 'match: nothing differs (no tokens given: set APSARAMQ_TOKEN_* to compare them too)';
  }
  const lines = [verdictLine, ''];
  const table: [string, string][] = [];
  for (const part of verdict.parts) {
    table.push([`${part.status.padEnd(9)}  ${PART_LABELS[part.part]}`, part.detail]);
    for (const hint of part.hints) table.push(['', `hint: ${hint}`]);
  }
  lines.push(...rows(table, '  '));
  return lines;
}
