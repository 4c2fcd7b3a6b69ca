/**
 * What exactly is signed: the bytes, lengths and digest behind a Password, and every rule each part
 * breaks. Shared by the CLI's `explain` command and the offline signature-check page.
 * @module
 */
import { _invalid } from '../errors.js';
import { _fromBase64, _hex, _toBytes, _typeName } from '../internal/bytes.js';
import { hmacBackend, type HmacBackend } from '../hmac/hmac.js';
import { _codecReady } from '../hmac/noble.js';
import type { HmacSha1 } from '../hmac/hmac-types.js';
import { validateClientId } from './client-id.js';
import { _signClientId } from './sign.js';
import { _joinUsername, USERNAME_LABELS, type AuthMode } from '../protocol/username.js';
import { _requireHmac, _requireOptions, _requireSegment } from './validate.js';

/** The modes whose Password is an HMAC of the client id. */
export type SignedMode = Exclude<AuthMode, 'token'>;

/** Inputs of {@link explainSignature}. Only `secret` and `clientId` are required. */
export interface ExplainSignatureOptions {
  /** `signature` (default), `device` or `custom` (a custom identity in SIGNED mode). */
  mode?: SignedMode;
  /** The AccessKey ID (`signature`) or DeviceAccessKeyId (`device`); checked and put in the Username when given. */
  accessKeyId?: string;
  /** The instance id; checked and put in the Username when given. */
  instanceId?: string;
  /** `custom` only: the registered username (it is the Username as is). */
  username?: string;
  /** The key: AccessKey secret, DeviceAccessKeySecret or the custom identity's secret. Never echoed. */
  secret: string;
  /** The message: the client id, signed even when it breaks a rule, so the digest can be compared. */
  clientId: string;
  /** HMAC-SHA1 to use instead of the default. */
  hmac?: HmacSha1;
}

/** The verdict on one input part. */
export interface ExplainedPart {
  /** Which part: `accessKeyId` (or `deviceAccessKeyId`), `instanceId`, `username`, `clientId`, `groupId`, `deviceId`, `secret`. */
  field: string;
  /** The part's text; absent for the secret, which is described by its length only. */
  value?: string;
  /** True when no rule is broken. */
  ok: boolean;
  /** One sentence per rule broken, naming the part and the fix. */
  problems: string[];
}

/**
 * Everything {@link explainSignature} found. Contains the Password (`hmacBase64`), never the secret.
 */
export interface SignatureExplanation {
  /** The mode whose Password this is. */
  mode: SignedMode;
  /** The Username that goes with the Password, when its parts were given. */
  username?: string;
  /** The signed message (the client id): its text, its UTF-8 bytes in hex, and how many bytes. */
  message: { text: string; utf8Hex: string; byteLength: number };
  /** The key, described without its value: UTF-8 byte length and character (code point) count. */
  key: { byteLength: number; characters: number };
  /** The HMAC-SHA1 digest in lower-case hex. */
  hmacHex: string;
  /** The HMAC-SHA1 digest in standard Base64 with padding: this is the Password. */
  hmacBase64: string;
  /** Which HMAC computed it: the default rule's pick, or `caller` for an adapter passed as `hmac`. */
  backend: HmacBackend | 'caller';
  /** Every part checked, in input order; parts not given are left out. */
  parts: ExplainedPart[];
  /** True when every part is `ok`. */
  valid: boolean;
}

const segmentProblems = (value: string, field: string): string[] => {
  try {
    _requireSegment(value, field);
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
};

function secretProblems(secret: string, field: string, byteLength: number, characters: number): string[] {
  const problems: string[] = [];
  if (secret.length === 0) problems.push(`${field} must not be empty`);
  // Said without the value: where the white space is and what usually puts it there.
  if (/^\s/.test(secret)) problems.push(`${field} starts with white space (a copy-paste slip?); it is signed as is`);
  if (/\s$/.test(secret)) problems.push(`${field} ends with white space (a newline from a file or from echo?); it is signed as is`);
  if (byteLength !== characters) {
    problems.push(`${field} has non-ASCII characters (${characters} characters, ${byteLength} UTF-8 bytes); AccessKey secrets are ASCII`);
  }
  return problems;
}

/**
 * Signs the client id with the secret and reports the exact bytes involved, so that a Password
 * computed elsewhere (your own code, the console's tool) can be compared step by step. Nothing is
 * refused for breaking an ApsaraMQ rule: the rule is reported in `parts` and the digest still computed.
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` when an input is not a string, or `mode` is unknown.
 * @example
 * ```ts
 * const e = await explainSignature({ accessKeyId: 'YYYYY', instanceId: 'mqtt-xxxxx', clientId: 'GID_Test@@@0001', secret: 'XXXXX' })
 * e.message.utf8Hex // '4749445f5465737440404030303031'
 * e.key.byteLength  // 5
 * e.hmacBase64      // 'vI009IZJZVGRwBwZvnbwjfuXxVM=' (the Password)
 * ```
 */
export async function explainSignature(options: ExplainSignatureOptions): Promise<SignatureExplanation> {
  options = _requireOptions(options, 'options');
  const mode = options.mode ?? 'signature';
  if (mode !== 'signature' && mode !== 'device' && mode !== 'custom') {
    throw _invalid('mode', 'must be "signature", "device" or "custom" (token mode signs nothing)');
  }
  const { secret, clientId, accessKeyId, instanceId, username } = options;
  const keyField = mode === 'signature' ? 'accessKeySecret' : mode === 'device' ? 'deviceAccessKeySecret' : 'secret';
  const idField = mode === 'device' ? 'deviceAccessKeyId' : 'accessKeyId';
  // Empty strings are allowed here (and reported in `parts`): only a wrong type is refused.
  if (typeof secret !== 'string') throw _invalid(keyField, `must be a string (got ${_typeName(secret)})`);
  if (typeof clientId !== 'string') throw _invalid('clientId', `must be a string (got ${_typeName(clientId)})`);
  for (const [field, value] of [[idField, accessKeyId], ['instanceId', instanceId], ['username', username]] as const) {
    if (value !== undefined && typeof value !== 'string') throw _invalid(field, `must be a string (got ${_typeName(value)})`);
  }
  const hmac = _requireHmac(options.hmac);
  await _codecReady();
  const key = _toBytes(secret, keyField);
  const message = _toBytes(clientId, 'clientId');

  const parts: ExplainedPart[] = [];
  let fullUsername: string | undefined;
  if (mode === 'custom') {
    if (username !== undefined) {
      parts.push({ field: 'username', value: username, ok: username.length > 0, problems: username ? [] : ['username must not be empty'] });
      fullUsername = username;
    }
  } else {
    if (accessKeyId !== undefined) parts.push(part(idField, accessKeyId, segmentProblems(accessKeyId, idField)));
    if (instanceId !== undefined) parts.push(part('instanceId', instanceId, segmentProblems(instanceId, 'instanceId')));
    if (accessKeyId !== undefined && instanceId !== undefined) fullUsername = _joinUsername(USERNAME_LABELS[mode], accessKeyId, instanceId);
  }
  const validation = validateClientId(clientId);
  const problemsOf = (field: string) => validation.problems.filter((p) => p.field === field).map((p) => p.message);
  parts.push(part('clientId', clientId, problemsOf('clientId')));
  if (validation.groupId !== undefined) parts.push(part('groupId', validation.groupId, problemsOf('groupId')));
  if (validation.deviceId !== undefined) parts.push(part('deviceId', validation.deviceId, problemsOf('deviceId')));
  const characters = Array.from(secret).length;
  const secretIssues = secretProblems(secret, keyField, key.length, characters);
  parts.push({ field: keyField, ok: secretIssues.length === 0, problems: secretIssues });

  const hmacBase64 = await _signClientId(secret, clientId, hmac);
  const explanation: SignatureExplanation = {
    mode,
    message: { text: clientId, utf8Hex: _hex(message), byteLength: message.length },
    key: { byteLength: key.length, characters },
    hmacHex: _hex(_fromBase64(hmacBase64)!),
    hmacBase64,
    backend: hmac ? 'caller' : hmacBackend(),
    parts,
    valid: parts.every((p) => p.ok),
  };
  if (fullUsername !== undefined) explanation.username = fullUsername;
  return explanation;
}

function part(field: string, value: string, problems: string[]): ExplainedPart {
  return { field, value, ok: problems.length === 0, problems };
}
