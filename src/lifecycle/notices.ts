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
  code: number;
  reason: TokenInvalidReason;
  /** The token type the notice is about (`R`, `W`, `RW`), when the broker says. */
  type?: string;
}

/** Payload of the `tokenExpiring` event. */
export interface TokenExpireNotice {
  /** When the token expires (UNIX ms). */
  expireTime: number;
  type?: string;
}

export const UPLOAD_TOKEN_TOPIC = '$SYS/uploadToken';

function parse(payload: Uint8Array | string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const typeOf = (body: Record<string, unknown>) => (typeof body.type === 'string' ? { type: body.type } : {});

/**
 * @internal Reads a `$SYS` notice; `undefined` for any other topic. The documentation also shows
 * the misspelt `tokenExprireNotice` / `exprireTime`, so both spellings are accepted.
 */
export function _parseNotice(
  topic: string,
  payload: Uint8Array | string,
): { kind: 'expiring'; notice: TokenExpireNotice } | { kind: 'invalid'; notice: TokenInvalidNotice } | undefined {
  if (topic === '$SYS/tokenExpireNotice' || topic === '$SYS/tokenExprireNotice') {
    const body = parse(payload);
    const expireTime = Number(body.expireTime ?? body.exprireTime);
    return { kind: 'expiring', notice: { expireTime: Number.isFinite(expireTime) ? expireTime : 0, ...typeOf(body) } };
  }
  if (topic === '$SYS/tokenInvalidNotice') {
    const body = parse(payload);
    const code = Number(body.code);
    return { kind: 'invalid', notice: { code, reason: TOKEN_INVALID_REASONS[code] ?? 'unknown', ...typeOf(body) } };
  }
  return undefined;
}

/** @internal The `(type, token)` pairs of a Token-mode password `R|a|W|b|RW|c`; empty if not Token mode. */
export function _tokenPairs(username: string, password: string): { type: string; token: string }[] {
  if (!username.startsWith('Token|')) return [];
  const parts = password.split('|');
  const pairs: { type: string; token: string }[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) pairs.push({ type: parts[i]!, token: parts[i + 1]! });
  return pairs;
}
