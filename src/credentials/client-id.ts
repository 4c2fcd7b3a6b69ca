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
const BAD_CHAR = /[^A-Za-z0-9_-]/;

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
  valid: boolean;
  groupId?: string;
  deviceId?: string;
  problems: ClientIdProblem[];
}

const show = (s: string) => JSON.stringify(s.length > 80 ? s.slice(0, 77) + '...' : s);

function checkPart(field: 'groupId' | 'deviceId', value: string, problems: ClientIdProblem[]): void {
  if (field === 'groupId') {
    if (!/^GID[_-]/.test(value)) {
      problems.push({ field, rule: 'group-prefix', message: `groupId ${show(value)} must start with "GID_" or "GID-"` });
    }
    if (value.length < 7 || value.length > 64) {
      problems.push({ field, rule: 'group-length', message: `groupId ${show(value)} must be 7 to 64 characters long (it has ${value.length})` });
    }
  } else if (value.length === 0) {
    problems.push({ field, rule: 'empty', message: 'deviceId must not be empty' });
  }
  const bad = BAD_CHAR.exec(value);
  if (bad) {
    problems.push({
      field,
      rule: 'chars',
      message: `${field} ${show(value)} may contain only letters, digits, "-" and "_" (found ${JSON.stringify(bad[0])} at position ${bad.index})`,
    });
  }
}

function checkLength(clientId: string, problems: ClientIdProblem[]): void {
  if (clientId.length > MAX_CLIENT_ID_LENGTH) {
    problems.push({
      field: 'clientId',
      rule: 'length',
      message: `clientId is ${clientId.length} characters long; ApsaraMQ allows at most ${MAX_CLIENT_ID_LENGTH} (shorten the GroupId or DeviceId)`,
    });
  }
}

/**
 * Checks a client id against every ApsaraMQ rule and reports all that are broken (never throws).
 *
 * @example
 * ```ts
 * validateClientId('GID_demo@@@dev/1').problems[0].message
 * // 'deviceId "dev/1" may contain only letters, digits, "-" and "_" (found "/" at position 3)'
 * ```
 */
export function validateClientId(clientId: unknown): ClientIdValidation {
  const problems: ClientIdProblem[] = [];
  if (typeof clientId !== 'string') {
    problems.push({ field: 'clientId', rule: 'type', message: `clientId must be a string (got ${_typeName(clientId)})` });
    return { valid: false, problems };
  }
  const parts = clientId.split(SEPARATOR);
  if (parts.length !== 2) {
    problems.push({
      field: 'clientId',
      rule: 'separator',
      // Not echoed: a value without "@@@" may be a secret passed in the wrong field.
      message: `clientId (${clientId.length} characters) must be <GroupId>@@@<DeviceId> with exactly one "@@@" (e.g. "GID_demo@@@device-1")`,
    });
    checkLength(clientId, problems);
    return { valid: false, problems };
  }
  const [groupId, deviceId] = parts as [string, string];
  checkPart('groupId', groupId, problems);
  checkPart('deviceId', deviceId, problems);
  checkLength(clientId, problems);
  return { valid: problems.length === 0, groupId, deviceId, problems };
}

function fail(problem: ClientIdProblem): never {
  throw new ApsaraMqttAuthError('ERR_INVALID_CLIENT_ID', problem.message, { field: problem.field });
}

/**
 * Splits a valid client id into its parts.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_CLIENT_ID` naming the first rule broken.
 */
export function parseClientId(clientId: string): { groupId: string; deviceId: string } {
  const result = validateClientId(clientId);
  if (!result.valid) fail(result.problems[0]!);
  return { groupId: result.groupId!, deviceId: result.deviceId! };
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
  const problems: ClientIdProblem[] = [];
  for (const [field, value] of [['groupId', groupId], ['deviceId', deviceId]] as const) {
    if (typeof value !== 'string') fail({ field, rule: 'type', message: `${field} must be a string (got ${_typeName(value)})` });
    if (value.includes(SEPARATOR)) fail({ field, rule: 'separator', message: `${field} ${show(value)} must not contain "@@@"` });
    checkPart(field, value, problems);
  }
  const clientId = groupId + SEPARATOR + deviceId;
  checkLength(clientId, problems);
  if (problems.length) fail(problems[0]!);
  return clientId;
}

/** @internal The check every builder runs before signing. */
export function _requireClientId(clientId: unknown): string {
  parseClientId(clientId as string);
  return clientId as string;
}
