/**
 * The Token-mode Password: `<type>|<token>` pairs joined by `|` (`R|a`, `R|a|W|b`, `RW|c`), with the
 * types `R`, `W` and `RW`. Formatted by `tokenCredentials`, parsed by the broker, the managed
 * session (to upload the tokens in band) and the CLI's `check`.
 * @module
 */
import { _fieldOf, _invalid } from '../errors.js';
import { _mustBe } from '../internal/bytes.js';
import { SEPARATOR, USERNAME_LABELS } from './username.js';

/** A token's permission type. */
export type TokenType = 'R' | 'W' | 'RW';

/** Tokens by permission type; at least one. */
export type TokenSet = { [K in TokenType]?: string };

/** The order the types are written in the password. */
export const TOKEN_TYPES: readonly TokenType[] = ['R', 'W', 'RW'];

/** Is `value` one of the token types `R`, `W`, `RW`? */
export function isTokenType(value: unknown): value is TokenType {
  return value === 'R' || value === 'W' || value === 'RW';
}

/**
 * @internal `R|<t>|W|<t>|RW|<t>` for the types present, in that order; every token checked (a
 * non-empty string without `|`), errors naming `<field>.<type>`.
 */
export function _formatTokenPassword(tokens: TokenSet, field = 'tokens'): string {
  const parts: string[] = [];
  // Own keys only; a key is named in the error only when it reads as a short name, never when it
  // could be a pasted token.
  for (const type of Object.keys(tokens)) {
    if (isTokenType(type)) continue;
    const named = _fieldOf(field, type);
    throw _invalid(named, named === field ? 'has a key that is not a token type: use R, W or RW' : 'is not a token type: use R, W or RW');
  }
  for (const type of TOKEN_TYPES) {
    const token: unknown = Object.hasOwn(tokens, type) ? tokens[type] : undefined;
    if (token === undefined) continue;
    if (typeof token !== 'string' || token.length === 0) throw _mustBe(`${field}.${type}`, 'a non-empty string', token);
    if (token.includes(SEPARATOR)) throw _invalid(`${field}.${type}`, 'must not contain "|" (it separates the parts of the Password)');
    parts.push(type, token);
  }
  if (!parts.length) throw _invalid(field, 'must hold at least one token (R, W or RW)');
  return parts.join(SEPARATOR);
}

/** One `<type>|<token>` pair as written, unchecked. */
export interface TokenPair {
  readonly type: string;
  readonly token: string;
}

/** The pairs of a token Password as written (a dangling type gets an empty token). */
function splitPairs(password: string): TokenPair[] {
  const parts = password.split(SEPARATOR);
  const pairs: TokenPair[] = [];
  for (let i = 0; i < parts.length; i += 2) pairs.push({ type: parts[i]!, token: parts[i + 1] ?? '' });
  return pairs;
}

/**
 * @internal The `(type, token)` pairs of a Token-mode Password (`R|a|W|b|RW|c`), for uploading them
 * in band; empty when the Username does not name Token mode. A dangling type is left out.
 */
export function _tokenPairs(username: string, password: string): TokenPair[] {
  return username.startsWith(USERNAME_LABELS.token + SEPARATOR) ? splitPairs(password).filter((p) => p.token !== '') : [];
}

/** A token Password read by {@link parseTokenPassword}. */
export interface ParsedTokenPassword {
  /** The tokens by type (the first of a repeated type). */
  readonly tokens: TokenSet;
  /** The types in the order written. */
  readonly types: readonly string[];
  /** What breaks the format, in words; empty when the Password is well formed. */
  readonly problems: readonly string[];
}

const q = (text: string) => JSON.stringify(text.slice(0, 8));

/**
 * Reads a Token-mode Password. Well formed means: pairs of a type (`R`, `W`, `RW`, each at most
 * once) and a non-empty token. The problems never quote a token.
 *
 * @example
 * ```ts
 * parseTokenPassword('R|abc|W|def') // { tokens: { R: 'abc', W: 'def' }, types: ['R', 'W'], problems: [] }
 * ```
 */
export function parseTokenPassword(password: string): ParsedTokenPassword {
  if (typeof password !== 'string') throw _mustBe('password', 'a string', password);
  const tokens: TokenSet = {};
  const types: string[] = [];
  const problems: string[] = [];
  const unknown: string[] = [];
  for (const { type, token } of splitPairs(String(password))) {
    types.push(type);
    if (!token) problems.push(`the ${q(type)} entry has no token after it`);
    if (!isTokenType(type)) unknown.push(type);
    else if (tokens[type] !== undefined) problems.push(`the type ${type} appears twice`);
    else if (token) tokens[type] = token;
  }
  if (unknown.length) problems.push(`${unknown.map(q).join(', ')} ${unknown.length > 1 ? 'are not token types' : 'is not a token type'} (R, W or RW)`);
  return { tokens, types, problems };
}
