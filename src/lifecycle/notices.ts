/**
 * The broker's `$SYS` token notices, parsed. They arrive without any subscription.
 * @module
 */

/** Why the broker says a token is invalid (`$SYS/tokenInvalidNotice` codes). */
export type TokenInvalidReason =
  | 'forged'
  | 'expired'
  | 'revoked'
  | 'resource-mismatch'
  | 'permission-type-mismatch'
  | 'invalid-signature'
  | 'invalid-account-permission'
  /** Not a notice: the broker refused a publish or subscribe with an MQTT reason code (`code`). */
  | 'not-authorized'
  | 'unknown';

/** The documented codes. */
export const TOKEN_INVALID_REASONS: Readonly<Record<number, TokenInvalidReason>> = {
  1: 'forged',
  2: 'expired',
  3: 'revoked',
  4: 'resource-mismatch',
  5: 'permission-type-mismatch',
  8: 'invalid-signature',
  [-1]: 'invalid-account-permission',
};

/** Payload of the `tokenInvalid` event. */
export interface TokenInvalidNotice {
  /** The notice's code; for a refusal by MQTT reason code (reason `not-authorized`), that code (e.g. 135 = 0x87). */
  code: number;
  reason: TokenInvalidReason;
  /** The token type the notice is about (`R`, `W`, `RW`), when the broker says. */
  type?: string;
  /**
   * The call the broker refused, when the session could tell: the notice names none, so it is the
   * oldest publish or subscribe still unanswered when the broker cut the connection.
   */
  action?: 'publish' | 'subscribe';
  /** The topic (or topic filter) of that call. */
  topic?: string;
}

/**
 * @internal Whether a `tokenInvalidNotice` code calls for new credentials. Codes 4 and 5 say a call
 * went outside what the token allows: the token itself is fine, and a new one would be the same.
 */
export const _needsFreshCredentials = (code: number): boolean => code !== 4 && code !== 5;

/** Payload of the `tokenExpiring` event. */
export interface TokenExpireNotice {
  /** When the token expires (UNIX ms). */
  expireTime: number;
  type?: string;
}

/** The topic a client publishes a new token to (QoS 1) to rotate it without reconnecting. */
export const UPLOAD_TOKEN_TOPIC = '$SYS/uploadToken';

/**
 * @internal Reads a `$SYS` notice; `undefined` for any other topic. The documentation also shows
 * the misspelt `tokenExprireNotice` / `exprireTime`, so both spellings are accepted.
 */
export function _parseNotice(
  topic: string,
  payload: Uint8Array | string,
): { kind: 'expiring'; notice: TokenExpireNotice } | { kind: 'invalid'; notice: TokenInvalidNotice } | undefined {
  const kind = /^\$SYS\/token(Expr?ire|Invalid)Notice$/.exec(topic)?.[1];
  if (!kind) return undefined;
  let body: Record<string, unknown> = {};
  try {
    // Object() turns null and other non-objects into something safe to read fields from.
    body = Object(JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload)));
  } catch {
    // a notice with an unreadable body still counts; its fields are unknown
  }
  const type = typeof body.type === 'string' ? { type: body.type } : {};
  if (kind === 'Invalid') {
    const code = Number(body.code);
    return { kind: 'invalid', notice: { code, reason: TOKEN_INVALID_REASONS[code] ?? 'unknown', ...type } };
  }
  const expireTime = Number(body.expireTime ?? body.exprireTime);
  return { kind: 'expiring', notice: { expireTime: Number.isFinite(expireTime) ? expireTime : 0, ...type } };
}

/** @internal The `(type, token)` pairs of a Token-mode password `R|a|W|b|RW|c`; empty if not Token mode. */
export function _tokenPairs(username: string, password: string): { type: string; token: string }[] {
  const parts = username.startsWith('Token|') ? password.split('|') : [];
  const pairs: { type: string; token: string }[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) pairs.push({ type: parts[i]!, token: parts[i + 1]! });
  return pairs;
}
