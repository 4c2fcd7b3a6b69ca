/**
 * `sign`: the Username and Password for one client, in every auth mode.
 * @module
 */
import { customCredentials, deviceCredentials, signatureCredentials, tokenCredentials, type AuthMode, type Credentials } from '../index.js';
import { PROGRAM, parseFlags, usageError, withFlags, type Flags } from './args.js';
import {
  CREDENTIAL_FLAGS,
  readMode,
  readSecret,
  readSignMode,
  readTokens,
  refuseOtherModesFlags,
  requireClientId,
  requireFlag,
} from './inputs.js';
import type { CliIo } from './io.js';
import { DEFAULT_ENV_PREFIX, envLines, rows } from './output.js';

const FLAGS = { ...CREDENTIAL_FLAGS, env: { type: 'boolean' }, 'env-prefix': { type: 'string' } } as const;

/** `sign --help`. */
export const SIGN_HELP = `Usage: ${PROGRAM} sign [--mode signature|token|device|custom] [flags]

Computes the MQTT Username and Password for one client, on this machine only.

Modes and what each needs:
  signature (default)  --access-key-id <id> --instance-id <id> --client-id <id>
                       secret: APSARAMQ_ACCESS_KEY_SECRET, or --secret-stdin
  token                --access-key-id <id> --instance-id <id>
                       tokens: APSARAMQ_TOKEN_R, APSARAMQ_TOKEN_W, APSARAMQ_TOKEN_RW
                       (or --token-r/--token-w/--token-rw <token>)
  device               --device-access-key-id <id> --instance-id <id> --client-id <id>
                       secret: APSARAMQ_DEVICE_ACCESS_KEY_SECRET, or --secret-stdin
  custom               --username <name> --sign-mode ORIGIN|SIGNED --client-id <id>
                       secret: APSARAMQ_CUSTOM_SECRET, or --secret-stdin

Client id: --client-id <GroupId>@@@<DeviceId>, or --group-id <GroupId> with --device-id <DeviceId>.

Secrets:
  --secret-stdin       read the secret from standard input (one trailing newline is dropped)
  --access-key-secret, --device-access-key-secret, --custom-secret, --token-r/-w/-rw <value>
                       work, but warn: the shell history and the process list keep them

Output (default: aligned lines for people):
  --json               {"username": "...", "password": "..."}
  --env                lines for a .env file (single-quoted, also fine for a shell's "source"):
                       APSARAMQ_USERNAME, APSARAMQ_PASSWORD, and when known
                       APSARAMQ_CLIENT_ID, APSARAMQ_INSTANCE_ID
  --env-prefix <p>     use <p> instead of APSARAMQ_ in those names (e.g. MQTT_)

Examples:
  export APSARAMQ_ACCESS_KEY_SECRET=...   # or: read -rs APSARAMQ_ACCESS_KEY_SECRET
  ${PROGRAM} sign --access-key-id LTAI5t... --instance-id mqtt-cn-xxx --client-id GID_demo@@@dev1
  ${PROGRAM} sign --mode token --access-key-id LTAI5t... --instance-id mqtt-cn-xxx --json
  pass show mqtt/device | ${PROGRAM} sign --mode device --secret-stdin --device-access-key-id dak \\
      --instance-id mqtt-cn-xxx --group-id GID_demo --device-id dev1 --env >> .env

Exit codes: 0 done, 2 bad input (one line on stderr naming the flag and the rule).`;

interface Signed {
  credentials: Credentials;
  clientId?: string;
  instanceId?: string;
}

async function build(mode: AuthMode, flags: Flags, io: CliIo): Promise<Signed> {
  const flagOf: Record<string, string> = {
    accessKeyId: '--access-key-id',
    deviceAccessKeyId: '--device-access-key-id',
    instanceId: '--instance-id',
    username: '--username',
    signMode: '--sign-mode',
  };
  return withFlags(flagOf, async () => {
    const why = `in ${mode} mode`;
    if (mode === 'token') {
      const accessKeyId = requireFlag(flags, 'access-key-id', why);
      const instanceId = requireFlag(flags, 'instance-id', why);
      const { tokens, flagOf: tokenFlags } = readTokens(flags, io);
      Object.assign(flagOf, tokenFlags);
      return { credentials: tokenCredentials({ accessKeyId, instanceId, tokens }), instanceId };
    }
    if (mode === 'custom') {
      const username = requireFlag(flags, 'username', why);
      const signMode = readSignMode(flags);
      if (!signMode) throw usageError('--sign-mode', `is required ${why}: ORIGIN (the Password is the secret) or SIGNED (Base64 HMAC-SHA1 of the client id)`);
      const { clientId, flagOf: idFlags } = requireClientId(flags, true, why);
      Object.assign(flagOf, idFlags);
      const secret = await readSecret(flags, io, mode);
      flagOf.secret = secret.source;
      return { credentials: await customCredentials({ username, secret: secret.value, clientId, signMode }), clientId };
    }
    const idFlag = mode === 'device' ? 'device-access-key-id' : 'access-key-id';
    const keyId = requireFlag(flags, idFlag, why);
    const instanceId = requireFlag(flags, 'instance-id', why);
    const { clientId, flagOf: idFlags } = requireClientId(flags, true, why);
    Object.assign(flagOf, idFlags);
    const secret = await readSecret(flags, io, mode);
    if (mode === 'device') {
      flagOf.deviceAccessKeySecret = secret.source;
      const credentials = await deviceCredentials({ deviceAccessKeyId: keyId, deviceAccessKeySecret: secret.value, instanceId, clientId });
      return { credentials, clientId, instanceId };
    }
    flagOf.accessKeySecret = secret.source;
    return { credentials: await signatureCredentials({ accessKeyId: keyId, accessKeySecret: secret.value, instanceId, clientId }), clientId, instanceId };
  });
}

/** Runs `sign`; resolves to the exit code. */
export async function runSign(argv: readonly string[], io: CliIo): Promise<number> {
  const flags = parseFlags(argv, FLAGS, 'sign');
  if (flags.bool('help')) {
    io.out(SIGN_HELP);
    return 0;
  }
  if (flags.bool('json') && flags.bool('env')) throw usageError('--json', 'cannot be combined with --env: choose one output format');
  if (flags.has('env-prefix') && !flags.bool('env')) throw usageError('--env-prefix', 'only applies with --env');
  const mode = readMode(flags);
  refuseOtherModesFlags(flags, mode);
  const { credentials, clientId, instanceId } = await build(mode, flags, io);

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
