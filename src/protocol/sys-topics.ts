/**
 * The `$SYS` topics ApsaraMQ uses for the token lifecycle and for ordered sending, their payloads
 * and the codes of `$SYS/tokenInvalidNotice`: formatted and parsed here for the client session and
 * the local broker alike. Sources are cited in ARCHITECTURE.md ("MQTT rules of the local broker").
 * @module
 */
import type { TokenType } from './token-password.js';
import { isTokenType } from './token-password.js';
import { _fromUtf8 } from '../internal/bytes.js';
import { _ownCopy } from '../own.js';

/** The topic a client publishes a new token to (QoS 1) to rotate it without reconnecting. */
// A literal, not read from SYS_TOPICS: a property read at the top of a module is code that bundlers
// such as esbuild keep in every bundle, used or not.
export const UPLOAD_TOKEN_TOPIC = '$SYS/uploadToken';

/** The `$SYS` topics. */
export const SYS_TOPICS = {
  /** Client → broker: `{"token", "type"}` at QoS 1; the PUBACK means installed. */
  UPLOAD_TOKEN: UPLOAD_TOKEN_TOPIC,
  /** Broker → client: `{"expireTime", "type"}` ahead of expiry. */
  TOKEN_EXPIRE_NOTICE: '$SYS/tokenExpireNotice',
  /** Broker → client: `{"code", "type"}`, then the broker disconnects the client. */
  TOKEN_INVALID_NOTICE: '$SYS/tokenInvalidNotice',
  /** Client → broker: `{"order":"true"}` at QoS 1 right after connecting, before sending ordered messages. */
  ENABLE_ORDER_MSG: '$SYS/enableOrderMsg',
} as const;


/** The codes of `$SYS/tokenInvalidNotice`, as ApsaraMQ documents them. */
export const TOKEN_INVALID_CODES = {
  /** The token was not issued by this service (or is malformed). */
  FORGED: 1,
  /** The token's expiry time has passed. */
  EXPIRED: 2,
  /** The token was revoked (RevokeToken). */
  REVOKED: 3,
  /** A topic used, or a subscription held, is outside the token's resources. */
  RESOURCE_MISMATCH: 4,
  /** The permission type (R / W / RW) does not match the token's actions. */
  PERMISSION_TYPE_MISMATCH: 5,
  /** The token's signature does not verify (tampered). */
  INVALID_SIGNATURE: 8,
  /** The token belongs to another account (AccessKey) than the one in the Username. */
  INVALID_ACCOUNT: -1,
} as const;

/** One of {@link TOKEN_INVALID_CODES}. */
export type TokenInvalidCode = (typeof TOKEN_INVALID_CODES)[keyof typeof TOKEN_INVALID_CODES];

/** Why the broker says a token is invalid (`$SYS/tokenInvalidNotice` codes). */
export type TokenInvalidReason =
  | 'forged'
  | 'expired'
  | 'revoked'
  | 'resource-mismatch'
  | 'permission-type-mismatch'
  | 'invalid-signature'
  | 'invalid-account-permission'
  /**
   * Not a notice: the broker refused a publish or subscribe with an MQTT reason code (`code`), on its
   * SUBACK/PUBACK or on the DISCONNECT that followed it (MQTT 5).
   */
  | 'not-authorized'
  /**
   * Not a notice: MQTT 3.1.1 has no reason code on a disconnect. The broker closed the connection
   * (cleanly, with no error on the client's side) while the call waited for its answer; `code` is 0.
   */
  | 'connection-closed'
  | 'unknown';

/**
 * The documented codes, by number: the keys are TOKEN_INVALID_CODES' values, written out (an object
 * with computed keys at the top of a module is kept by bundlers such as esbuild in every bundle,
 * used or not). test/unit/protocol.test.ts checks they agree.
 */
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
  /** The code by name (`forged`, `expired`, `revoked`, …, or `not-authorized`). */
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
  /** MQTT 5: the Reason String the broker sent with the refusing SUBACK, PUBACK or DISCONNECT. */
  reasonString?: string;
}

/**
 * @internal Whether a `tokenInvalidNotice` code calls for new credentials. Codes 4 and 5 say a call
 * went outside what the token allows: the token itself is fine, and a new one would be the same.
 */
export const _needsFreshCredentials = (code: number): boolean =>
  code !== TOKEN_INVALID_CODES.RESOURCE_MISMATCH && code !== TOKEN_INVALID_CODES.PERMISSION_TYPE_MISMATCH;

/** Payload of the `tokenExpiring` event. */
export interface TokenExpireNotice {
  /** When the token expires (UNIX ms). */
  expireTime: number;
  /** The token type the notice is about (`R`, `W`, `RW`), when the broker says. */
  type?: string;
}

/**
 * A payload's JSON object as a copy of its own fields (`_ownCopy`), or an empty one when it is not
 * an object (never throws): a polluted `Object.prototype` must not put words in anyone's mouth.
 */
function readJson(payload: Uint8Array | string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(typeof payload === 'string' ? payload : _fromUtf8(payload));
    return _ownCopy((parsed !== null && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>);
  } catch {
    return _ownCopy<Record<string, unknown>>({});
  }
}

/**
 * @internal Reads a `$SYS` notice; `undefined` for any other topic. The documentation also shows
 * the misspelt `tokenExprireNotice` / `exprireTime`, so both spellings are accepted. A notice with
 * an unreadable body still counts; its fields are then unknown.
 */
export function _parseNotice(
  topic: string,
  payload: Uint8Array | string,
): { kind: 'expiring'; notice: TokenExpireNotice } | { kind: 'invalid'; notice: TokenInvalidNotice } | undefined {
  const kind = /^\$SYS\/token(Expr?ire|Invalid)Notice$/.exec(topic)?.[1];
  if (!kind) return undefined;
  const body = readJson(payload);
  const type = typeof body.type === 'string' ? { type: body.type } : {};
  if (kind === 'Invalid') {
    const code = Number(body.code);
    return { kind: 'invalid', notice: { code, reason: (Object.hasOwn(TOKEN_INVALID_REASONS, code) && TOKEN_INVALID_REASONS[code]) || 'unknown', ...type } };
  }
  const expireTime = Number(body.expireTime ?? body.exprireTime);
  return { kind: 'expiring', notice: { expireTime: Number.isFinite(expireTime) ? expireTime : 0, ...type } };
}

/** @internal The `$SYS/tokenInvalidNotice` body the broker sends. */
export function _formatInvalidNotice(code: TokenInvalidCode, type: TokenType): { code: TokenInvalidCode; type: TokenType } {
  return { code, type };
}

/** @internal The `$SYS/tokenExpireNotice` body the broker sends. */
export function _formatExpireNotice(expireTime: number, type: TokenType): { expireTime: number; type: TokenType } {
  return { expireTime, type };
}

/** @internal The `$SYS/uploadToken` payload a client sends: `{"token":"…","type":"R"|"W"|"RW"}`. */
export function _formatUploadToken(token: string, type: TokenType): string {
  return JSON.stringify({ token, type });
}

/**
 * @internal Reads a `$SYS/uploadToken` payload. The current documentation spells the key `token`,
 * an older table `Token`: both are read (`token` first). `undefined` fields were missing or malformed.
 */
export function _parseUploadToken(payload: Uint8Array | string): { token?: string; type?: TokenType } {
  const body = readJson(payload);
  const token = typeof body.token === 'string' ? body.token : typeof body.Token === 'string' ? body.Token : undefined;
  const type = isTokenType(body.type) ? body.type : undefined;
  return { ...(token ? { token } : {}), ...(type ? { type } : {}) };
}

/**
 * @internal Reads a `$SYS/enableOrderMsg` payload: `{"order":"true"}` as the official demos send
 * it (a JSON `true` also counts). `undefined` when the payload does not say.
 */
export function _parseOrderMsg(payload: Uint8Array | string): boolean | undefined {
  const { order } = readJson(payload);
  if (order === 'true' || order === true) return true;
  if (order === 'false' || order === false) return false;
  return undefined;
}
