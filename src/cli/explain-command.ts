/**
 * `explain`: the exact bytes behind a Password, and every rule each part breaks.
 * @module
 */
import { explainSignature, type SignatureExplanation } from '../index.js';
import { usageError, withFlags, type Flags } from './args.js';
import { FIELD_FLAGS, SECRET_SOURCES, SIGNED, credentialFlagsWithout, secretVariablesBlock } from './credential-flags.js';
import { readClientId, readMode, readSecret, readSignMode, refuseOtherModesFlags } from './inputs.js';
import type { CliIo } from './io.js';
import { CLIENT_ID_NEED, requireAll, secretNeed } from './needs.js';
import { rows } from './output.js';
import { PROGRAM, type CommandSpec, type FlagDef } from './spec.js';

const OPTIONAL = 'optional: checked, and the Username shown';

// Token mode signs nothing, so explain takes no tokens.
const FLAGS: Record<string, FlagDef> = credentialFlagsWithout('token-r', 'token-w', 'token-rw');
Object.assign(FLAGS, {
  mode: { ...FLAGS.mode!, help: 'signature (default), device (or DeviceCredential) or custom; token mode signs nothing' },
  'access-key-id': { ...FLAGS['access-key-id']!, help: `the AccessKey ID; ${OPTIONAL}` },
  'device-access-key-id': { ...FLAGS['device-access-key-id']!, help: `the DeviceAccessKeyId; ${OPTIONAL}` },
  'instance-id': { ...FLAGS['instance-id']!, help: `the instance id; ${OPTIONAL}` },
  'client-id': { ...FLAGS['client-id']!, help: 'the client id that is signed, even when it breaks a rule (required)' },
  username: { ...FLAGS.username!, help: "the custom identity's username: shown and checked" },
  'sign-mode': { ...FLAGS['sign-mode']!, help: 'SIGNED (default); ORIGIN signs nothing, so there is nothing to explain' },
  json: { ...FLAGS.json!, help: 'the whole explanation as one JSON object (it holds the Password, never the secret)' },
});

const FIELD_LABELS: Record<string, string> = { ...FIELD_FLAGS, groupId: '  GroupId', deviceId: '  DeviceId' };

/** Runs `explain` on parsed flags; resolves to the exit code. */
async function runExplain(flags: Flags, io: CliIo): Promise<number> {
  const mode = readMode(flags, 'signature', SIGNED);
  if (mode === 'token') throw usageError('--mode', 'token signs nothing (the Password is the tokens themselves): explain covers signature, device and custom');
  refuseOtherModesFlags(flags, FLAGS, mode);
  if (readSignMode(flags) === 'ORIGIN') throw usageError('--sign-mode', 'ORIGIN signs nothing (the Password is the secret itself): explain covers SIGNED');
  requireAll([CLIENT_ID_NEED, secretNeed(mode)], flags, io, 'to explain a signature');
  const { clientId, flagOf } = readClientId(flags, false)!;
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

/** `explain`: its flags, help and run. */
export const EXPLAIN: CommandSpec = {
  name: 'explain',
  summary: 'show exactly what is signed: bytes in hex, secret length, HMAC, checks per part',
  usage: '[--mode signature|device|custom] [flags]',
  about: `Shows exactly what is signed, so that a Password computed elsewhere (your own code, the console's
Signature Verification tool) can be compared step by step: the client id's UTF-8 bytes in hex, the
secret's length in bytes (never its value), the HMAC-SHA1 in hex and in Base64 (the Password), and
the verdict on each part. The client id is signed even when it breaks a rule.`,
  before: [secretVariablesBlock(SIGNED)],
  flags: FLAGS,
  sections: ['Client', 'Secrets', 'Output', 'Help'],
  modes: SIGNED,
  after: [
    {
      title: 'Example',
      lines: [`  APSARAMQ_ACCESS_KEY_SECRET=XXXXX ${PROGRAM} explain --access-key-id YYYYY \\`, '      --instance-id mqtt-xxxxx --client-id GID_Test@@@0001'],
    },
  ],
  exitCodes: 'Exit codes: 0 every part passes, 1 some part breaks a rule (listed), 2 bad input.',
  run: runExplain,
};

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
