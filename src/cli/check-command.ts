/**
 * `check`: does a Username/Password pair fit the secret, and if not, which part differs and why.
 * @module
 */
import type { AuthMode } from '../index.js';
import { usageError, withFlags, type Flags } from './args.js';
import { checkCredentials, type CheckCredentialsOptions, type CredentialCheck } from './check-credentials.js';
import { usernameAsMeant } from './username-meant.js';
import { CREDENTIAL_FLAGS, FIELD_FLAGS, MODES, SECRET_SOURCES, TOKEN_SOURCES, secretVariablesBlock } from './credential-flags.js';
import {
  readClientId,
  readMode,
  readSecret,
  readSignMode,
  readStdinValue,
  readTokens,
  refuseOtherModesFlags,
  refuseTwoStdinReaders,
  warnCommandLineSecret,
} from './inputs.js';
import type { CliIo } from './io.js';
import { CLIENT_ID_NEED, requireAll, secretNeed, type Need } from './needs.js';
import { rows } from './output.js';
import { PROGRAM, type CommandSpec, type FlagDef } from './spec.js';

const PAIR = 'The pair under test';
const MADE_OF = 'What it should be made of';

const FLAGS: Record<string, FlagDef> = {
  ...CREDENTIAL_FLAGS,
  username: { type: 'string', value: '<text>', help: 'the Username (default: APSARAMQ_USERNAME)', section: PAIR },
  password: { type: 'string', value: '<p>', help: 'the Password; works, but warns (default: APSARAMQ_PASSWORD)', section: PAIR },
  'password-stdin': { type: 'boolean', help: 'read the Password from standard input', section: PAIR },
  'json-stdin': {
    type: 'boolean',
    help: 'read both from standard input as {"username": ..., "password": ...}\n(e.g. the output of "sign --json" or a credential server\'s answer)',
    section: PAIR,
  },
  mode: { ...CREDENTIAL_FLAGS.mode, help: 'signature, token, device or custom (default: what the Username names,\neven in the wrong case or with another separator)', section: MADE_OF },
  'access-key-id': { ...CREDENTIAL_FLAGS['access-key-id'], help: "the AccessKey ID; compared with the Username's when given", section: MADE_OF },
  'device-access-key-id': { ...CREDENTIAL_FLAGS['device-access-key-id'], help: "the DeviceAccessKeyId; compared with the Username's", section: MADE_OF },
  'instance-id': { ...CREDENTIAL_FLAGS['instance-id'], help: "the instance id; compared with the Username's when given", section: MADE_OF },
  'client-id': { ...CREDENTIAL_FLAGS['client-id'], help: 'the client id that connects (custom identities: SIGNED only)', section: MADE_OF },
  'group-id': { ...CREDENTIAL_FLAGS['group-id'], section: MADE_OF },
  'device-id': { ...CREDENTIAL_FLAGS['device-id'], section: MADE_OF },
  'sign-mode': { ...CREDENTIAL_FLAGS['sign-mode'], help: 'custom identities: ORIGIN or SIGNED (default SIGNED)', section: MADE_OF },
  'token-r': { ...CREDENTIAL_FLAGS['token-r'], help: 'token mode, optional: the R token to compare with; works, but warns' },
  json: { ...CREDENTIAL_FLAGS.json, help: 'the verdict as JSON' },
};

const USERNAME_NEED: Need = {
  label: '--username (or APSARAMQ_USERNAME)',
  field: '--username',
  rule: () => 'is required (or set APSARAMQ_USERNAME, or pipe JSON in with --json-stdin)',
  present: (flags, io) => flags.has('username') || flags.bool('json-stdin') || io.env.APSARAMQ_USERNAME !== undefined,
};

const PASSWORD_NEED: Need = {
  label: 'the Password (APSARAMQ_PASSWORD or --password-stdin)',
  field: 'APSARAMQ_PASSWORD',
  rule: () => 'is not set: give the Password under test there, or with --password-stdin or --json-stdin',
  present: (flags, io) => flags.has('password') || flags.bool('password-stdin') || flags.bool('json-stdin') || io.env.APSARAMQ_PASSWORD !== undefined,
};

/** What checking a Password of `mode` needs besides the pair; `labelled` is false when the Username names no mode. */
function modeNeeds(mode: AuthMode, flags: Flags, labelled: boolean): Need[] {
  if (mode === 'token') return [];
  const needs = mode === 'custom' && readSignMode(flags) === 'ORIGIN' ? [] : [CLIENT_ID_NEED];
  const secret = secretNeed(mode);
  if (mode !== 'custom' || labelled || flags.has('mode')) return [...needs, secret];
  // A Username with no mode label is checked as a custom identity's: say so, since that decides which secret is read.
  const unlabelled = 'the Username names no mode (Signature|…, Token|…, DeviceCredential|…), so it is checked as a custom identity\'s: give --mode if it is not one';
  return [...needs, { ...secret, note: unlabelled }];
}

async function readPair(flags: Flags, io: CliIo): Promise<{ username: string; password: string }> {
  if (flags.bool('json-stdin')) {
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

/** The mode to check as: `--mode`, else the one the Username names or seems meant for. */
function modeOf(flags: Flags, username: string): { mode: AuthMode; labelled: boolean } {
  const parsed = usernameAsMeant(username);
  return { mode: readMode(flags, parsed.mode), labelled: parsed.labelled };
}

/** Runs `check` on parsed flags; resolves to the exit code. */
async function runCheck(flags: Flags, io: CliIo): Promise<number> {
  refuseTwoStdinReaders(flags);
  for (const name of ['username', 'password']) if (flags.bool('json-stdin') && flags.has(name)) throw usageError(`--${name}`, 'cannot be combined with --json-stdin');
  // Everything missing is named at once; the mode (and so the secret needed) is known before reading
  // standard input unless the Username itself comes from there.
  const early = flags.bool('json-stdin') ? undefined : (flags.string('username') ?? io.env.APSARAMQ_USERNAME);
  const known = flags.has('mode') ? { mode: readMode(flags), labelled: true } : early !== undefined ? modeOf(flags, early) : undefined;
  if (known) refuseOtherModesFlags(flags, FLAGS, known.mode);
  requireAll([USERNAME_NEED, PASSWORD_NEED, ...(known ? modeNeeds(known.mode, flags, known.labelled) : [])], flags, io, known ? `to check a ${known.mode} Password` : 'to check a pair');
  const { username, password } = await readPair(flags, io);
  const { mode, labelled } = known ?? modeOf(flags, username);
  if (!known) {
    refuseOtherModesFlags(flags, FLAGS, mode);
    requireAll(modeNeeds(mode, flags, labelled), flags, io, `to check a ${mode} Password`);
  }

  const flagOf: Record<string, string> = {
    ...FIELD_FLAGS,
    username: flags.bool('json-stdin') ? '--json-stdin' : '--username',
    password: flags.bool('json-stdin') ? '--json-stdin' : '--password',
    // checkCredentials names the key id accessKeyId in every mode.
    accessKeyId: mode === 'device' ? '--device-access-key-id' : '--access-key-id',
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
    const clientId = readClientId(flags, false);
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

/** `check`: its flags, help and run. */
export const CHECK: CommandSpec = {
  name: 'check',
  summary: 'tell whether a Username/Password pair fits a secret, and which part differs',
  usage: '--username <Username> [flags]',
  about: `Tells whether a Username/Password pair (from your own code, a server, another tool) is what the
secret gives, and if not, which part differs (mode, AccessKey ID, instance id, Password) and the
likely slip: a trailing newline in the secret, another client id signed, key and message swapped,
hex or base64url instead of Base64, ... No secret, token or password is printed.`,
  before: [secretVariablesBlock(MODES)],
  flags: FLAGS,
  sections: [PAIR, MADE_OF, 'Secrets', 'Output', 'Help'],
  modes: MODES,
  after: [
    {
      title: 'Example',
      lines: [
        `  ${PROGRAM} sign --access-key-id YYYYY --instance-id mqtt-xxxxx --client-id GID_Test@@@0001 --json \\`,
        `    | ${PROGRAM} check --json-stdin --mode signature --access-key-id YYYYY --client-id GID_Test@@@0001`,
      ],
    },
  ],
  exitCodes: 'Exit codes: 0 match, 1 mismatch (differing parts and hints listed), 2 bad input.',
  run: runCheck,
};

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
