/**
 * The Username of the three AccessKey-based modes, `<Label>|<Id>|<InstanceId>`: the labels, the
 * rule for the parts, formatting and parsing. The client builders, the broker's authenticator and
 * the CLI's `check` all read it from here. Custom identities use a registered username instead.
 * @module
 */
import { _invalid } from '../errors.js';
import { _requireString } from '../internal/bytes.js';

/** The four ways a client proves who it is, named as the CLI's `--mode` names them. */
export type AuthMode = 'signature' | 'token' | 'device' | 'custom';

/** The first part of a `Label|Id|Instance` Username. */
export type UsernameLabel = 'Signature' | 'Token' | 'DeviceCredential';

// One constant per label, so that a bundle holding one builder carries only its own label.
/** @internal */ export const _SIGNATURE_LABEL = 'Signature';
/** @internal */ export const _TOKEN_LABEL = 'Token';
/** @internal */ export const _DEVICE_LABEL = 'DeviceCredential';

/** The first part of a `Mode|Id|Instance` Username, per mode. Custom identities have none. */
export const USERNAME_LABELS: { readonly [M in Exclude<AuthMode, 'custom'>]: UsernameLabel } = {
  signature: _SIGNATURE_LABEL,
  token: _TOKEN_LABEL,
  device: _DEVICE_LABEL,
};

/** Separates the parts of a Username (and the pairs of a token Password). */
export const SEPARATOR = '|';

/**
 * @internal A part of a Username (AccessKey id, instance id): a non-empty string without `|` (it
 * would shift the parts) or white space (always a copy-paste slip). Never echoes the value.
 */
export function _requireSegment(value: unknown, field: string): string {
  if (/[|\s]/.test(_requireString(value, field))) throw _invalid(field, 'must not contain "|" or white space');
  return value as string;
}

/** @internal `<Label>|<id>|<instanceId>` as is (for showing a Username whose parts may be wrong). */
export function _joinUsername(label: UsernameLabel, id: string, instanceId: string): string {
  return `${label}|${id}|${instanceId}`;
}

/**
 * @internal `<Label>|<id>|<instanceId>`, both parts checked with {@link _requireSegment} (errors name
 * `idField`, then `instanceId`).
 */
export function _formatUsername(label: UsernameLabel, id: unknown, idField: string, instanceId: unknown): string {
  return `${label}|${_requireSegment(id, idField)}|${_requireSegment(instanceId, 'instanceId')}`;
}

/** A Username taken apart by {@link parseUsername}. */
export interface ParsedUsername {
  /** The mode the label names; `custom` when the Username has no label (a custom identity's). */
  readonly mode: AuthMode;
  /** The AccessKey ID (or DeviceAccessKeyId), when present. */
  readonly id?: string;
  /** The instance id, when present. */
  readonly instanceId?: string;
  /** What breaks the format, in words (empty when it is exactly `<Label>|<Id>|<InstanceId>`). */
  readonly problems: readonly string[];
}

const q = JSON.stringify;

/**
 * Takes a Username apart. A first part that is a label in another case or with white space still
 * names its mode, with a problem saying so (the broker refuses it; `check` explains it). Anything
 * without a label is a custom identity's username.
 *
 * @example
 * ```ts
 * parseUsername('Token|LTAI5t|mqtt-cn-abc') // { mode: 'token', id: 'LTAI5t', instanceId: 'mqtt-cn-abc', problems: [] }
 * ```
 */
export function parseUsername(username: string): ParsedUsername {
  if (typeof username !== 'string') throw _invalid('username', `must be a string (got ${username === null ? 'null' : typeof username})`);
  const parts = username.split(SEPARATOR);
  const head = parts[0]!;
  const entry = (Object.entries(USERNAME_LABELS) as [AuthMode, UsernameLabel][]).find(([, label]) => label.toLowerCase() === head.trim().toLowerCase());
  if (!entry || parts.length === 1) return { mode: 'custom', problems: [] };
  const [mode, label] = entry;
  const problems: string[] = [];
  if (head !== label) problems.push(`the Username starts with ${q(head.slice(0, 20))}; ApsaraMQ expects exactly ${q(label)}`);
  if (parts.length !== 3) problems.push(`the Username has ${parts.length} "|"-separated parts; ${label} mode needs 3: ${label}|<AccessKeyId>|<InstanceId>`);
  return {
    mode,
    ...(parts[1] === undefined ? {} : { id: parts[1] }),
    ...(parts[2] === undefined ? {} : { instanceId: parts.slice(2).join(SEPARATOR) }),
    problems,
  };
}
