/**
 * Token mode: `Token|<AccessKeyId>|<InstanceId>`, Password `<type>|<token>` pairs (the format is
 * `src/protocol/token-password.ts`'s). Each token is checked against the token store for the
 * declared type and the account; the same check serves tokens uploaded in band.
 * @module
 */
import { parseTokenPassword, TOKEN_TYPES, type TokenType } from '../../protocol/token-password.js';
import { TOKEN_INVALID_CODES, type TokenInvalidCode } from '../../protocol/sys-topics.js';
import { permissionsPolicy } from '../access.js';
import type { TokenStore } from '../tokens.js';
import type { AccessKeys } from './access-keys.js';
import { _refuse, type AuthResult, type HeldToken } from './auth-types.js';

/** The verdict on one token. */
export type TokenCheckResult = { ok: true; held: HeldToken } | { ok: false; code: TokenInvalidCode; reason: string };

/** Checks Token-mode CONNECTs and uploaded tokens against the token store. */
export class TokenMode {
  readonly #keys: AccessKeys;
  readonly #tokens: TokenStore;

  constructor(keys: AccessKeys, tokens: TokenStore) {
    this.#keys = keys;
    this.#tokens = tokens;
  }

  /** Checks one token presented (in the Password or `$SYS/uploadToken`) by a client of AccessKey `accessKeyId`. */
  check(token: string, type: TokenType, accessKeyId: string): TokenCheckResult {
    const check = this.#tokens.check(token, { type, accessKeyId });
    if (!check.valid) return { ok: false, code: check.code, reason: check.reason };
    return { ok: true, held: { token, type, info: check.info, permissions: check.permissions } };
  }

  authenticate(accessKeyId: string, password: string): AuthResult {
    if (!this.#keys.has(accessKeyId)) return _refuse('bad-credentials', 'unknown AccessKey id');
    const parsed = parseTokenPassword(password);
    if (parsed.problems.length) return _refuse('bad-credentials', 'Token password is not <type>|<token> pairs with types R, W, RW');
    const tokens = new Map<TokenType, HeldToken>();
    for (const type of TOKEN_TYPES) {
      const token = parsed.tokens[type];
      if (token === undefined) continue;
      const check = this.check(token, type, accessKeyId);
      if (!check.ok) {
        const kind = check.code === TOKEN_INVALID_CODES.FORGED || check.code === TOKEN_INVALID_CODES.INVALID_SIGNATURE ? 'bad-credentials' : 'not-authorized';
        return _refuse(kind, `${type} token: ${check.reason}`, check.code);
      }
      tokens.set(type, check.held);
    }
    const access = permissionsPolicy([...tokens.values()].map((t) => t.permissions));
    return { ok: true, identity: { mode: 'Token', id: accessKeyId, access, tokens } };
  }
}
