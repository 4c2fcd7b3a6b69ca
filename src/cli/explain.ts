/**
 * `explain`: the exact bytes behind a Password, and every rule each part breaks.
 * @module
 */
import { explainSignature, type SignatureExplanation } from '../index.js';
import { PROGRAM, parseFlags, usageError, withFlags } from './args.js';
import { CREDENTIAL_FLAGS, SECRET_SOURCES, readMode, readSecret, readSignMode, refuseOtherModesFlags, requireClientId } from './inputs.js';
import type { CliIo } from './io.js';
import { rows } from './output.js';

/** `explain --help`. */
export const EXPLAIN_HELP = `Usage: ${PROGRAM} explain [--mode signature|device|custom] [flags]

Shows exactly what is signed, so that a Password computed elsewhere (your own code, the console's
Signature Verification tool) can be compared step by step: the client id's UTF-8 bytes in hex, the
secret's length in bytes (never its value), the HMAC-SHA1 in hex and in Base64 (the Password), and
the verdict on each part. The client id is signed even when it breaks a rule.

Flags (as for sign; token mode signs nothing, so it has nothing to explain):
  --client-id <id>, or --group-id <id> with --device-id <id>      required
  --access-key-id <id> (device mode: --device-access-key-id <id>)  optional: checked, Username shown
  --instance-id <id>                                               optional: checked, Username shown
  --username <name>                                                custom mode: shown and checked
  secret: APSARAMQ_ACCESS_KEY_SECRET, APSARAMQ_DEVICE_ACCESS_KEY_SECRET or APSARAMQ_CUSTOM_SECRET
          (by mode), or --secret-stdin
  --json   the whole explanation as one JSON object (it holds the Password, never the secret)

Example:
  APSARAMQ_ACCESS_KEY_SECRET=XXXXX ${PROGRAM} explain --access-key-id YYYYY \\
      --instance-id mqtt-xxxxx --client-id GID_Test@@@0001

Exit codes: 0 every part passes, 1 some part breaks a rule (listed), 2 bad input.`;

const FIELD_LABELS: Record<string, string> = {
  accessKeyId: '--access-key-id',
  deviceAccessKeyId: '--device-access-key-id',
  instanceId: '--instance-id',
  username: '--username',
  groupId: '  GroupId',
  deviceId: '  DeviceId',
};

/** Runs `explain`; resolves to the exit code. */
export async function runExplain(argv: readonly string[], io: CliIo): Promise<number> {
  const flags = parseFlags(argv, CREDENTIAL_FLAGS, 'explain');
  if (flags.bool('help')) {
    io.out(EXPLAIN_HELP);
    return 0;
  }
  const mode = readMode(flags);
  if (mode === 'token') throw usageError('--mode', 'token signs nothing (the Password is the tokens themselves): explain covers signature, device and custom');
  refuseOtherModesFlags(flags, mode);
  if (readSignMode(flags) === 'ORIGIN') throw usageError('--sign-mode', 'ORIGIN signs nothing (the Password is the secret itself): explain covers SIGNED');
  const { clientId, flagOf } = requireClientId(flags, false, 'to explain a signature');
  const secret = await readSecret(flags, io, mode);
  const source = SECRET_SOURCES[mode];
  const accessKeyId = flags.string(mode === 'device' ? 'device-access-key-id' : 'access-key-id');
  const instanceId = flags.string('instance-id');
  const username = flags.string('username');
  const explanation = await withFlags({ ...flagOf, [source.field]: secret.source }, () =>
    explainSignature({
      mode,
      secret: secret.value,
      clientId,
      ...(accessKeyId !== undefined ? { accessKeyId } : {}),
      ...(instanceId !== undefined ? { instanceId } : {}),
      ...(username !== undefined ? { username } : {}),
    }),
  );

  if (flags.bool('json')) io.out(JSON.stringify(explanation, null, 2));
  else for (const line of describe(explanation, { ...FIELD_LABELS, clientId: flagOf.clientId!, [source.field]: secret.source }, `the ${source.what} from ${secret.source}`)) io.out(line);
  return explanation.valid ? 0 : 1;
}

function describe(e: SignatureExplanation, labels: Record<string, string>, key: string): string[] {
  const lines = [`${e.mode} mode: what is signed`, ''];
  const facts: [string, string][] = [];
  if (e.username !== undefined) facts.push(['Username', e.username]);
  facts.push(
    ['Key', `${key}: ${e.key.byteLength} bytes as UTF-8 (value not shown)`],
    ['Message', `the client id ${JSON.stringify(e.message.text)}: ${e.message.byteLength} bytes as UTF-8`],
    ['Message (hex)', e.message.utf8Hex],
    ['HMAC-SHA1 (hex)', e.hmacHex],
    ['HMAC-SHA1 (Base64)', `${e.hmacBase64}   <- the Password`],
    ['Computed with', e.backend],
  );
  lines.push(...rows(facts, '  '), '', 'Checks');
  const checks: [string, string][] = [];
  for (const part of e.parts) {
    const value = part.value === undefined ? `${e.key.byteLength} bytes` : JSON.stringify(part.value);
    checks.push([`${part.ok ? 'ok  ' : 'FAIL'}  ${labels[part.field] ?? part.field}`, value]);
    for (const problem of part.problems) checks.push(['', `- ${problem}`]);
  }
  lines.push(...rows(checks, '  '));
  const failed = e.parts.filter((p) => !p.ok).length;
  lines.push('', failed === 0 ? 'every part passes' : `${failed} part${failed > 1 ? 's break' : ' breaks'} a rule (see FAIL above)`);
  return lines;
}
