/**
 * Token mode: on-demand permissions for untrusted clients.
 * @module
 */
import { _invalid } from '../errors.js';
import type { Credentials } from './types.js';
import { _fieldOf, _requireOptions, _requireSegment, _requireString } from './validate.js';

/** A token's permission type. */
export type TokenType = 'R' | 'W' | 'RW';

/** Tokens by permission type; at least one. */
export type TokenSet = { [K in TokenType]?: string };

/** Inputs of {@link tokenCredentials}. */
export interface TokenCredentialsOptions {
  /** The AccessKey ID of the account that applied for the tokens. */
  accessKeyId: string;
  /** The ApsaraMQ for MQTT instance id. */
  instanceId: string;
  /** The tokens from ApplyToken, by type (`R` read, `W` write, `RW` both). */
  tokens: TokenSet;
}

/** The order the types are written in the password. */
export const TOKEN_TYPES: readonly TokenType[] = ['R', 'W', 'RW'];

/** @internal `R|<t>|W|<t>|RW|<t>` for the types present, in that order; checks every token. */
export function _tokenPassword(tokens: unknown, field = 'tokens'): string {
  const given = _requireOptions(tokens as TokenSet, field);
  const parts: string[] = [];
  for (const type of Object.keys(given)) {
    // A key that reads as a name is named in the field; anything else is not echoed.
    if (TOKEN_TYPES.includes(type as TokenType)) continue;
    const named = _fieldOf(field, type);
    throw _invalid(named, named === field ? 'has a key that is not a token type: use R, W or RW' : 'is not a token type: use R, W or RW');
  }
  for (const type of TOKEN_TYPES) {
    if (given[type] === undefined) continue;
    if (_requireString(given[type], `${field}.${type}`).includes('|')) throw _invalid(`${field}.${type}`, 'must not contain "|" (it separates the parts of the Password)');
    parts.push(type, given[type]);
  }
  if (!parts.length) throw _invalid(field, 'must hold at least one token (R, W or RW)');
  return parts.join('|');
}

/**
 * Token-mode credentials: Username `Token|<AccessKeyId>|<InstanceId>`, Password the tokens as
 * `R|<token>|W|<token>|RW|<token>` (only the types given, in that order). Synchronous: nothing is signed.
 *
 * @example
 * ```ts
 * tokenCredentials({ accessKeyId: 'YYYYY', instanceId: 'mqtt-xxxxx', tokens: { RW: token } })
 * // { username: 'Token|YYYYY|mqtt-xxxxx', password: 'RW|' + token }
 * ```
 */
export function tokenCredentials(options: TokenCredentialsOptions): Credentials {
  options = _requireOptions(options, 'options');
  const accessKeyId = _requireSegment(options.accessKeyId, 'accessKeyId');
  const instanceId = _requireSegment(options.instanceId, 'instanceId');
  return { username: `Token|${accessKeyId}|${instanceId}`, password: _tokenPassword(options.tokens) };
}
