/**
 * What `check` decides: does a Username/Password pair made elsewhere fit the secret, and if not,
 * which part differs and what slip most likely caused it. Node only (kept out of the browser bundle,
 * which has no use for it), built on the public API.
 * @module
 */
import { parseTokenPassword } from '../protocol/token-password.js';
import {
  USERNAME_LABELS,
  hmacSha1,
  tokenCredentials,
  validateClientId,
  type AuthMode,
  type CustomSignMode,
  type TokenSet,
} from '../index.js';
import { usageError } from './args.js';
import { usernameAsMeant } from './username-meant.js';

/** Inputs of {@link checkCredentials}: the pair under test, and what it is expected to be made of. */
export interface CheckCredentialsOptions {
  /** The Username under test. */
  username: string;
  /** The Password under test. Never echoed. */
  password: string;
  /** The mode expected; by default the one the Username names (a Username without a mode label is a custom identity's). */
  mode?: AuthMode;
  /** The AccessKey ID (or DeviceAccessKeyId) expected in the Username; not compared when absent. */
  accessKeyId?: string;
  /** The instance id expected in the Username; not compared when absent. */
  instanceId?: string;
  /** The client id that connects; required for signed modes. */
  clientId?: string;
  /** The secret the Password should come from; required for every mode but `token`. Never echoed. */
  secret?: string;
  /** Custom identities: how the Password is made (default `SIGNED`). */
  signMode?: CustomSignMode;
  /** Token mode: the tokens the Password should carry; without them only its layout is checked. Never echoed. */
  tokens?: TokenSet;
}

/** `ok`: matches; `differs`: does not; `unchecked`: nothing to compare with (the part is shown only). */
export type CheckStatus = 'ok' | 'differs' | 'unchecked';

/** The verdict on one part of the pair. */
export interface CheckedPart {
  part: 'mode' | 'username' | 'accessKeyId' | 'instanceId' | 'password';
  status: CheckStatus;
  /** What was compared and found, without any secret, token or password. */
  detail: string;
  /** Likely causes of a difference, most specific first. */
  hints: string[];
}

/** The result of {@link checkCredentials}. */
export interface CredentialCheck {
  /** True when no part `differs`. */
  match: boolean;
  /** The mode the Password was checked as (the expected one, else the one the Username names). */
  mode: AuthMode;
  parts: CheckedPart[];
}

const MODE_NAMES: Record<AuthMode, string> = { signature: 'Signature', token: 'Token', device: 'DeviceCredential', custom: 'custom identity' };
const q = JSON.stringify;

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
/** Strict standard Base64: `undefined` unless the text is exactly what encoding its bytes gives. */
function fromBase64(text: string): Uint8Array | undefined {
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? new Uint8Array(bytes) : undefined;
}

/**
 * Compares a Username/Password pair with what the secret gives, part by part, and names likely
 * slips for a Password that differs (secret with a trailing newline, another client id signed, key
 * and message swapped, hex or base64url instead of Base64, …). A mismatch is a result, not an
 * error; no secret, token or password is ever put in the result.
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` when an input the mode needs is missing.
 */
export async function checkCredentials(options: CheckCredentialsOptions): Promise<CredentialCheck> {
  const { username, password } = options;
  const parsed = usernameAsMeant(username);
  const mode = options.mode ?? parsed.mode;
  const parts: CheckedPart[] = [];

  if (options.mode === undefined) {
    const names = parsed.problems.length ? 'seems meant for' : 'names';
    parts.push({ part: 'mode', status: 'unchecked', detail: `the Username ${names} ${MODE_NAMES[parsed.mode]} mode`, hints: [] });
  } else if (options.mode === parsed.mode) {
    parts.push({ part: 'mode', status: 'ok', detail: `${MODE_NAMES[mode]} mode`, hints: [] });
  } else {
    const expected = mode === 'custom' ? 'a custom username' : `${USERNAME_LABELS[mode]}|<AccessKeyId>|<InstanceId>`;
    const found = parsed.mode === 'custom' ? 'has no mode label' : `names ${MODE_NAMES[parsed.mode]} mode`;
    parts.push({ part: 'mode', status: 'differs', detail: `the Username ${found}; ${MODE_NAMES[mode]} mode expects ${expected}`, hints: [] });
  }
  if (parsed.problems.length) {
    const { accessKeyId, instanceId } = parsed;
    const meant = parsed.mode !== 'custom' && accessKeyId && instanceId ? [`write it as ${q(`${USERNAME_LABELS[parsed.mode]}|${accessKeyId.trim()}|${instanceId.trim()}`)}`] : [];
    parts.push({ part: 'username', status: 'differs', detail: parsed.problems.join('; '), hints: meant });
  }
  if (parsed.mode !== 'custom') {
    parts.push(comparePart('accessKeyId', parsed.accessKeyId, options.accessKeyId));
    parts.push(comparePart('instanceId', parsed.instanceId, options.instanceId));
  }
  parts.push(mode === 'token' ? checkTokens(password, options.tokens) : await checkSigned(mode, options, parsed.accessKeyId));
  return { match: parts.every((p) => p.status !== 'differs'), mode, parts };
}

function comparePart(part: 'accessKeyId' | 'instanceId', found: string | undefined, expected: string | undefined): CheckedPart {
  const name = part === 'accessKeyId' ? 'AccessKey ID' : 'instance id';
  if (found === undefined) return { part, status: 'differs', detail: `the Username has no ${name}`, hints: [] };
  if (expected === undefined) return { part, status: 'unchecked', detail: `the Username has ${q(found)}`, hints: [] };
  if (found === expected) return { part, status: 'ok', detail: q(found), hints: [] };
  const hints: string[] = [];
  if (found.trim() === expected.trim()) hints.push('they differ only in white space at the ends');
  else if (found.toLowerCase() === expected.toLowerCase()) hints.push('they differ only in letter case');
  return { part, status: 'differs', detail: `the Username has ${q(found)}, expected ${q(expected)}`, hints };
}

const plural = (types: readonly string[]) => `${types.join(', ')} token${types.length > 1 ? 's' : ''}`;

function checkTokens(password: string, tokens: TokenSet | undefined): CheckedPart {
  const { types, problems } = parseTokenPassword(password);
  if (problems.length) {
    return { part: 'password', status: 'differs', detail: problems.join('; '), hints: ['a token Password is <type>|<token> pairs joined by "|", e.g. RW|<token>'] };
  }
  if (tokens === undefined) return { part: 'password', status: 'unchecked', detail: `carries ${plural(types)} (no tokens given to compare with)`, hints: [] };
  // tokenCredentials only lays the tokens out here (and checks them); the ids are placeholders.
  const expected = tokenCredentials({ accessKeyId: 'x', instanceId: 'x', tokens }).password;
  if (password === expected) return { part: 'password', status: 'ok', detail: `carries the expected ${plural(types)}`, hints: [] };
  const expectedTypes = parseTokenPassword(expected).types;
  let hint = 'a different token of the same type: an expired or revoked token, or one applied for another instance?';
  if (types.join() !== expectedTypes.join()) {
    hint =
      [...types].sort().join() === [...expectedTypes].sort().join()
        ? `same types in another order: write them as ${expectedTypes.join(', ')}`
        : `it carries ${types.join(', ')}, expected ${expectedTypes.join(', ')}`;
  }
  return { part: 'password', status: 'differs', detail: 'the tokens differ', hints: [hint] };
}

async function checkSigned(mode: Exclude<AuthMode, 'token'>, options: CheckCredentialsOptions, usernameKeyId: string | undefined): Promise<CheckedPart> {
  const { password, secret } = options;
  if (secret === undefined) throw usageError('secret', 'is required to check a signed Password');
  if (mode === 'custom' && options.signMode === 'ORIGIN') {
    if (password === secret) return { part: 'password', status: 'ok', detail: 'equals the secret (ORIGIN sign mode)', hints: [] };
    const hints = password.trim() === secret.trim() ? ['they differ only in white space at the ends (a trailing newline?)'] : [];
    return { part: 'password', status: 'differs', detail: 'does not equal the secret (ORIGIN sign mode sends the secret itself)', hints };
  }
  const { clientId } = options;
  if (clientId === undefined) throw usageError('clientId', 'is required to check a signed Password');
  const sign = async (key: string, message: string) => base64(await hmacSha1(key, message));
  const expected = await sign(secret, clientId);
  if (password === expected) return { part: 'password', status: 'ok', detail: 'equals Base64(HMAC-SHA1(secret, client id))', hints: [] };

  const hints: string[] = [];
  const { digest, formatHint } = readDigest(password);
  if (formatHint) hints.push(formatHint);
  if (digest && base64(digest) === expected) {
    return { part: 'password', status: 'differs', detail: 'the right digest in the wrong text form', hints };
  }
  const causes: string[] = [];
  if (password === secret) causes.push('the Password is the secret itself; this mode sends Base64(HMAC-SHA1(secret, client id))');
  if (digest) causes.push(...(await slips(base64(digest), { secret, clientId, username: options.username, keyId: options.accessKeyId ?? usernameKeyId }, sign)));
  if (causes.length === 0) {
    causes.push('signed a different client id, or with a different secret? The client id must be exactly the one that connects, and the secret the one paired with the AccessKey ID');
  }
  hints.push(...causes);
  if (!validateClientId(clientId).valid) hints.push('the client id breaks ApsaraMQ rules: the broker refuses it whatever the Password');
  return { part: 'password', status: 'differs', detail: 'does not equal Base64(HMAC-SHA1(secret, client id))', hints };
}

/** Reads the 20-byte digest out of a Password in any of the text forms people slip into. */
function readDigest(password: string): { digest?: Uint8Array; formatHint?: string } {
  const exact = fromBase64(password);
  if (exact?.length === 20) return { digest: exact };
  const trimmed = password.trim();
  // Before the other Base64 readings: 40 hex digits are also valid Base64 (of 30 bytes).
  if (/^[0-9a-fA-F]{40}$/.test(trimmed)) {
    return { digest: new Uint8Array(Buffer.from(trimmed, 'hex')), formatHint: 'the Password is a hex digest; ApsaraMQ expects the digest in standard Base64' };
  }
  if (exact) {
    const sha256 = exact.length === 32 ? ' (32 is HMAC-SHA256: ApsaraMQ uses SHA-1)' : '';
    return { formatHint: `the Password decodes to ${exact.length} bytes; an HMAC-SHA1 has 20${sha256}` };
  }
  if (trimmed !== password && fromBase64(trimmed)?.length === 20) {
    return { digest: fromBase64(trimmed)!, formatHint: 'the Password has white space at its ends (a trailing newline?)' };
  }
  let standard = trimmed.replace(/-/g, '+').replace(/_/g, '/');
  while (standard.length % 4) standard += '=';
  const loose = fromBase64(standard);
  if (loose?.length === 20) {
    return { digest: loose, formatHint: 'the Password is base64url or lacks its "=" padding; ApsaraMQ expects standard Base64 with padding' };
  }
  return { formatHint: notBase64(password) };
}

/**
 * Why `text` is not standard Base64, said without repeating it: the first character outside the
 * alphabet, a misplaced "=", a length that is not a multiple of 4, or spare bits an encoder leaves
 * zero. An HMAC-SHA1 in Base64 is 28 characters ending in "=": a value of that shape is told so.
 */
export function notBase64(text: string): string {
  const it =
    text.length === 28
      ? 'the Password has 28 characters, as an HMAC-SHA1 in Base64 does, but is not Base64: it'
      : 'the Password is not Base64 (an HMAC-SHA1 in Base64 is 28 characters ending in "="): it';
  // The character itself is not shown (the Password is never printed), only what kind it is.
  const kind = (c: string) => (/\s/.test(c) ? 'white space' : /[-_]/.test(c) ? 'a base64url character ("-" or "_")' : 'a character');
  const outside = /[^A-Za-z0-9+/=]/.exec(text);
  if (outside) return `${it} has ${kind(outside[0])} at position ${outside.index + 1}, outside the Base64 alphabet (A-Z a-z 0-9 + /)`;
  const padding = text.indexOf('=');
  if (padding !== -1 && !/^={1,2}$/.test(text.slice(padding))) return `${it} has "=" at position ${padding + 1}; Base64 has "=" only as one or two padding characters at the end`;
  if (text.length % 4 !== 0) return `${it} has ${text.length} characters; Base64 comes in groups of 4 (with "=" padding)`;
  return `${it} ends in a character whose spare bits are not zero: no Base64 encoder writes that (a character changed by hand?)`;
}

interface SlipInputs {
  secret: string;
  clientId: string;
  username: string;
  keyId: string | undefined;
}

/** Re-signs with the usual slips and names the ones that reproduce the Password. */
async function slips(got: string, input: SlipInputs, sign: (key: string, message: string) => Promise<string>): Promise<string[]> {
  const { secret, clientId, username, keyId } = input;
  const { groupId, deviceId } = validateClientId(clientId);
  const candidates: [string, string, string][] = [
    [secret.trim(), clientId, 'the Password was signed with the secret without white space at its ends: the secret given here has some (a trailing newline from a file or echo?)'],
    [secret + '\n', clientId, 'the Password was signed with a newline after the secret: the code that made it read the secret with its trailing newline'],
    [secret + '\r\n', clientId, 'the Password was signed with CR LF after the secret: the code that made it read the secret with its line ending'],
    [secret, clientId.trim(), 'the Password was signed over the client id without white space at its ends: the client id given here has some'],
    [secret, clientId + '\n', 'the Password was signed over the client id followed by a newline'],
    [clientId, secret, 'key and message are swapped: the key is the secret, the message the client id'],
    [secret, username, 'the Password was signed over the Username; the message is the client id'],
  ];
  if (groupId) candidates.push([secret, groupId, 'the Password was signed over the GroupId only; the message is the whole client id']);
  if (deviceId) candidates.push([secret, deviceId, 'the Password was signed over the DeviceId only; the message is the whole client id']);
  if (keyId) candidates.push([keyId, clientId, 'the Password was signed with the AccessKey ID as the key; the key is the AccessKey secret']);
  const hints: string[] = [];
  for (const [key, message, hint] of candidates) {
    if ((key !== secret || message !== clientId) && (await sign(key, message)) === got) hints.push(hint);
  }
  return hints;
}
