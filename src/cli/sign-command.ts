/**
 * `sign`: the Username and Password for one client, in every auth mode.
 * @module
 */
import { customCredentials, deviceCredentials, signatureCredentials, tokenCredentials, type AuthMode, type Credentials } from '../index.js';
import { usageError, withFlags, type Flags } from './args.js';
import { CREDENTIAL_FLAGS, FIELD_FLAGS, MODES, secretVariablesBlock } from './credential-flags.js';
import { readMode, readSecret, readSignMode, readTokens, refuseOtherModesFlags, requireClientId, secretWarnings, tokenWarnings } from './inputs.js';
import type { CliIo } from './io.js';
import { CLIENT_ID_NEED, TOKENS_NEED, flagNeed, needsBlock, requireAll, secretNeed, type Need } from './needs.js';
import { DEFAULT_ENV_PREFIX, envLines, rows } from './output.js';
import { PROGRAM, type CommandSpec, type FlagDef } from './spec.js';

const SIGN_MODE_NEED = flagNeed('sign-mode', ': ORIGIN (the Password is the secret) or SIGNED (Base64 HMAC-SHA1 of the client id)');

/** What each mode needs: checked all at once before anything is read, and listed in the help. */
const NEEDS: Record<AuthMode, readonly Need[]> = {
  signature: [flagNeed('access-key-id'), flagNeed('instance-id'), CLIENT_ID_NEED, secretNeed('signature')],
  token: [flagNeed('access-key-id'), flagNeed('instance-id'), TOKENS_NEED],
  device: [flagNeed('device-access-key-id'), flagNeed('instance-id'), CLIENT_ID_NEED, secretNeed('device')],
  custom: [flagNeed('username'), SIGN_MODE_NEED, CLIENT_ID_NEED, secretNeed('custom')],
};

const OUTPUT = 'Output (default: aligned lines for people)';
const { help, ...credentialFlags } = CREDENTIAL_FLAGS;
const FLAGS: Record<string, FlagDef> = {
  ...credentialFlags,
  json: { ...CREDENTIAL_FLAGS.json, help: '{"username": "...", "password": "..."}', section: OUTPUT },
  env: {
    type: 'boolean',
    help: 'lines for a .env file (single-quoted, also fine for a shell\'s "source"):\nAPSARAMQ_USERNAME, APSARAMQ_PASSWORD, and when known\nAPSARAMQ_CLIENT_ID, APSARAMQ_INSTANCE_ID',
    section: OUTPUT,
  },
  'env-prefix': { type: 'string', value: '<p>', help: 'use <p> instead of APSARAMQ_ in those names (e.g. MQTT_)', section: OUTPUT },
  help,
};

interface Signed {
  credentials: Credentials;
  clientId?: string;
  instanceId?: string;
  /** What is worth a word about the secret or tokens as given (they are used as given). */
  warnings: string[];
}

async function build(mode: AuthMode, flags: Flags, io: CliIo): Promise<Signed> {
  const flagOf: Record<string, string> = { ...FIELD_FLAGS };
  return withFlags(flagOf, async () => {
    // Presence was checked by requireAll: every string below is there.
    const flag = (name: string) => flags.string(name)!;
    if (mode === 'token') {
      const { tokens, flagOf: tokenFlags } = readTokens(flags, io);
      Object.assign(flagOf, tokenFlags);
      const instanceId = flag('instance-id');
      return { credentials: tokenCredentials({ accessKeyId: flag('access-key-id'), instanceId, tokens }), instanceId, warnings: tokenWarnings(tokens, tokenFlags) };
    }
    const signMode = readSignMode(flags);
    const { clientId, flagOf: idFlags } = requireClientId(flags, true, `in ${mode} mode`);
    Object.assign(flagOf, idFlags);
    const secret = await readSecret(flags, io, mode);
    const warnings = await secretWarnings(mode, secret, clientId, signMode !== 'ORIGIN');
    if (mode === 'custom') {
      flagOf.secret = secret.source;
      return { credentials: await customCredentials({ username: flag('username'), secret: secret.value, clientId, signMode: signMode! }), clientId, warnings };
    }
    const instanceId = flag('instance-id');
    if (mode === 'device') {
      flagOf.deviceAccessKeySecret = secret.source;
      const credentials = await deviceCredentials({ deviceAccessKeyId: flag('device-access-key-id'), deviceAccessKeySecret: secret.value, instanceId, clientId });
      return { credentials, clientId, instanceId, warnings };
    }
    flagOf.accessKeySecret = secret.source;
    return { credentials: await signatureCredentials({ accessKeyId: flag('access-key-id'), accessKeySecret: secret.value, instanceId, clientId }), clientId, instanceId, warnings };
  });
}

/** Runs `sign` on parsed flags; resolves to the exit code. */
async function runSign(flags: Flags, io: CliIo): Promise<number> {
  if (flags.bool('json') && flags.bool('env')) throw usageError('--json', 'cannot be combined with --env: choose one output format');
  if (flags.has('env-prefix') && !flags.bool('env')) throw usageError('--env-prefix', 'only applies with --env');
  const mode = readMode(flags);
  refuseOtherModesFlags(flags, FLAGS, mode);
  readSignMode(flags); // a value given wrong is named before what is missing
  requireAll(NEEDS[mode], flags, io, `in ${mode} mode`);
  const { credentials, clientId, instanceId, warnings } = await build(mode, flags, io);
  // The Password is right for the secret as given; a stray newline in it is still worth a word.
  for (const warning of warnings) io.err(`${PROGRAM}: warning: ${warning}`);

  if (flags.bool('json')) {
    io.out(JSON.stringify({ username: credentials.username, password: credentials.password }));
  } else if (flags.bool('env')) {
    const entries: [string, string][] = [
      ['USERNAME', credentials.username],
      ['PASSWORD', credentials.password],
    ];
    if (clientId !== undefined) entries.push(['CLIENT_ID', clientId]);
    if (instanceId !== undefined) entries.push(['INSTANCE_ID', instanceId]);
    for (const line of envLines(flags.string('env-prefix') ?? DEFAULT_ENV_PREFIX, entries)) io.out(line);
  } else {
    const entries: [string, string][] = [
      ['Username', credentials.username],
      ['Password', credentials.password],
    ];
    if (clientId !== undefined) entries.push(['Client ID', clientId]);
    for (const line of rows(entries)) io.out(line);
  }
  return 0;
}

/** `sign`: its flags, help and run. */
export const SIGN: CommandSpec = {
  name: 'sign',
  summary: 'compute the Username and Password for a client (every auth mode)',
  usage: '[--mode signature|token|device|custom] [flags]',
  about: 'Computes the MQTT Username and Password for one client, on this machine only.',
  before: [needsBlock(NEEDS, 'signature'), secretVariablesBlock(MODES)],
  flags: FLAGS,
  sections: ['Client', 'Secrets', OUTPUT, 'Help'],
  modes: MODES,
  after: [
    {
      title: 'Examples',
      lines: [
        `  export APSARAMQ_ACCESS_KEY_SECRET=...   # or: read -rs APSARAMQ_ACCESS_KEY_SECRET`,
        `  ${PROGRAM} sign --access-key-id LTAI5t... --instance-id mqtt-cn-xxx --client-id GID_demo@@@dev1`,
        `  ${PROGRAM} sign --mode token --access-key-id LTAI5t... --instance-id mqtt-cn-xxx --json`,
        `  pass show mqtt/device | ${PROGRAM} sign --mode device --secret-stdin --device-access-key-id dak \\`,
        `      --instance-id mqtt-cn-xxx --group-id GID_demo --device-id dev1 --env >> .env`,
      ],
    },
  ],
  exitCodes: 'Exit codes: 0 done, 2 bad input (one line on stderr naming the flag and the rule).',
  run: runSign,
};
