/**
 * ApsaraMQ client ids: `<GroupId>@@@<DeviceId>`, at most 64 characters; GroupId starts with
 * `GID_` or `GID-` and is 7–64 characters; both parts use only letters, digits, `-` and `_`.
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';
import { _typeName } from '../internal/bytes.js';

/** Longest client id ApsaraMQ accepts. */
export const MAX_CLIENT_ID_LENGTH = 64;
const SEPARATOR = '@@@';

/** One broken rule, as reported by {@link validateClientId}. */
export interface ClientIdProblem {
  /** Which part is at fault. */
  field: 'clientId' | 'groupId' | 'deviceId';
  /** Stable rule id. */
  rule: 'type' | 'separator' | 'length' | 'group-prefix' | 'group-length' | 'chars' | 'empty';
  /** A sentence that names the part and how to fix it. */
  message: string;
}

/** The verdict of {@link validateClientId}: the parts that could be read, and every rule broken. */
export interface ClientIdValidation {
  /** Whether the client id breaks no rule. */
  valid: boolean;
  /** The part before `@@@`, when there is one. */
  groupId?: string;
  /** The part after `@@@`, when there is one. */
  deviceId?: string;
  /** Every rule broken, in the order checked; empty when `valid`. */
  problems: ClientIdProblem[];
}

/**
 * Checks a client id against every ApsaraMQ rule and reports all that are broken (never throws).
 *
 * @example
 * ```ts
 * validateClientId('GID_demo@@@dev/1').problems[0].message
 * // 'deviceId has "/" at 3: use only A-Z a-z 0-9 - _'
 * ```
 */
export function validateClientId(clientId: unknown): ClientIdValidation {
  const problems: ClientIdProblem[] = [];
  // Every message starts with the field's name.
  const add = (field: ClientIdProblem['field'], rule: ClientIdProblem['rule'], message: string) => void problems.push({ field, rule, message: `${field} ${message}` });
  if (typeof clientId !== 'string') {
    add('clientId', 'type', `must be a string (got ${_typeName(clientId)})`);
    return { valid: false, problems };
  }
  let parts = clientId.split(SEPARATOR);
  if (parts.length !== 2) {
    parts = [];
    // Not echoed: a value without "@@@" may be a secret passed in the wrong field.
    add('clientId', 'separator', 'must be <GroupId>@@@<DeviceId>, e.g. "GID_demo@@@device-1"');
  } else {
    const [groupId] = parts as [string];
    if (!/^GID[_-]/.test(groupId)) add('groupId', 'group-prefix', 'must start with "GID_" or "GID-"');
    if (groupId.length < 7 || groupId.length > 64) add('groupId', 'group-length', `has ${groupId.length} characters: use 7 to 64`);
    parts.forEach((value, i) => {
      const field = i ? 'deviceId' : 'groupId';
      if (!value && i) add(field, 'empty', 'must not be empty'); // an empty groupId breaks group-length
      // Without the u flag \w is exactly [A-Za-z0-9_].
      const bad = /[^\w-]/.exec(value);
      if (bad) add(field, 'chars', `has ${JSON.stringify(bad[0])} at ${bad.index}: use only A-Z a-z 0-9 - _`);
    });
  }
  if (clientId.length > MAX_CLIENT_ID_LENGTH) add('clientId', 'length', `has ${clientId.length} characters: use at most ${MAX_CLIENT_ID_LENGTH}`);
  // groupId and deviceId are undefined when the id could not be split.
  return { valid: !problems.length, groupId: parts[0], deviceId: parts[1], problems };
}

function fail(field: string, message: string): never {
  throw new ApsaraMqttAuthError('ERR_INVALID_CLIENT_ID', message, { field });
}

/**
 * Splits a valid client id into its parts.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_CLIENT_ID` naming the first rule broken.
 */
export function parseClientId(clientId: string): { groupId: string; deviceId: string } {
  const [groupId, deviceId] = _requireClientId(clientId).split(SEPARATOR) as [string, string];
  return { groupId, deviceId };
}

/**
 * Joins a GroupId and a DeviceId into a client id, checking both parts and the total length.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_CLIENT_ID` naming the part at fault.
 *
 * @example
 * ```ts
 * formatClientId('GID_Test', '0001') // 'GID_Test@@@0001'
 * ```
 */
export function formatClientId(groupId: string, deviceId: string): string {
  for (const [field, value] of [['groupId', groupId], ['deviceId', deviceId]] as const) {
    if (typeof value !== 'string') fail(field, `${field} must be a string (got ${_typeName(value)})`);
    if (value.includes(SEPARATOR)) fail(field, `${field} must not contain "@@@"`);
  }
  return _requireClientId(groupId + SEPARATOR + deviceId);
}

// Every rule above at once, for the common case of a valid id: a GroupId of GID_/GID- and 3–60 of
// [A-Za-z0-9_-] (7–64 in all), one @@@, a non-empty DeviceId of the same characters, at most 64 in
// all. Without the u flag \w is exactly [A-Za-z0-9_]. The signer suite checks it accepts exactly
// what validateClientId accepts.
const VALID = /^GID[_-][\w-]{3,60}@@@[\w-]+$/;

/**
 * @internal True for a client id that breaks no rule, in one regular expression: for the paths
 * where the full check costs as much as the signature (node:crypto, the batch signer).
 */
export const _isValidClientId = (clientId: unknown): clientId is string => typeof clientId === 'string' && clientId.length <= 64 && VALID.test(clientId); // 64: MAX_CLIENT_ID_LENGTH

/**
 * @internal The check every credential builder and `createConnectOptions` run: one regular
 * expression for the common case of a valid id, and for a bad one the first problem
 * {@link validateClientId} reports (`deviceId has " " at 3: use only A-Z a-z 0-9 - _`), so that every
 * path says the same thing, with the fix.
 */
export const _checkClientId = (clientId: unknown): string => (_isValidClientId(clientId) ? clientId : _requireClientId(clientId));

/**
 * @internal The first problem {@link validateClientId} finds, thrown: for the tools that explain
 * (`parseClientId`, `formatClientId`, the CLI, the server side).
 */
export function _requireClientId(clientId: unknown): string {
  const [problem] = validateClientId(clientId).problems;
  if (problem) fail(problem.field, problem.message);
  return clientId as string;
}
