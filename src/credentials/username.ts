/**
 * Reading a Username back into its parts, for the diagnostics (`explainSignature`, `checkCredentials`).
 * @module
 */

/** The four ways a client proves who it is, named as the CLI's `--mode` names them. */
export type AuthMode = 'signature' | 'token' | 'device' | 'custom';

/** The first part of a `Mode|Id|Instance` Username, per mode. Custom identities have none. */
export const USERNAME_LABELS: { readonly [M in Exclude<AuthMode, 'custom'>]: string } = {
  signature: 'Signature',
  token: 'Token',
  device: 'DeviceCredential',
};

/** @internal A Username taken apart; `problems` lists what is malformed (never throws). */
export interface _ParsedUsername {
  mode: AuthMode;
  accessKeyId?: string;
  instanceId?: string;
  problems: string[];
}

/**
 * @internal `Signature|<id>|<instance>`, `Token|…`, `DeviceCredential|…`; anything else is read as a
 * custom identity's username, unless its first part is a label in the wrong case (a common slip).
 */
export function _parseUsername(username: string): _ParsedUsername {
  const parts = username.split('|');
  const head = parts[0]!;
  const entry = (Object.entries(USERNAME_LABELS) as [AuthMode, string][]).find(([, label]) => label.toLowerCase() === head.trim().toLowerCase());
  if (!entry || parts.length === 1) return { mode: 'custom', problems: [] };
  const [mode, label] = entry;
  const problems: string[] = [];
  if (head !== label) problems.push(`the Username starts with ${JSON.stringify(head)}; ApsaraMQ expects exactly ${JSON.stringify(label)}`);
  if (parts.length !== 3) {
    problems.push(`the Username has ${parts.length} "|"-separated parts; ${label} mode needs 3: ${label}|<AccessKeyId>|<InstanceId>`);
  }
  const result: _ParsedUsername = { mode, problems };
  if (parts[1] !== undefined) result.accessKeyId = parts[1];
  if (parts[2] !== undefined) result.instanceId = parts.slice(2).join('|');
  return result;
}
