/**
 * The rules of a token, shared by the client that applies for one, the credential server, and the
 * local service and broker that play ApsaraMQ: ApplyToken's inputs (resources: ≤ 100 topics,
 * sorted; actions `R`, `W`, `R,W`; ExpireTime 60 seconds to 30 days ahead, in milliseconds) and
 * which actions each permission type of the Password (`R`, `W`, `RW`) needs.
 * @module
 */
import { _invalid } from '../errors.js';
import { _typeName } from '../internal/bytes.js';
import type { TokenType } from './token-password.js';

/** What a token allows, as ApplyToken spells it: read, write, or both. */
export type TokenActions = 'R' | 'W' | 'R,W';

/** An action a token grants: `R` subscribe and receive, `W` publish. */
export type Action = 'R' | 'W';

/** The most topics one token may name. */
export const MAX_TOKEN_RESOURCES = 100;
/** The shortest lifetime ApplyToken accepts, in milliseconds, counted from when the service receives the call. */
export const MIN_TOKEN_TTL = 60_000;
/**
 * The shortest token lifetime to ask for, in milliseconds: ApplyToken's 60 s plus 10 s for the time
 * between computing `ExpireTime` and the service receiving it (network, clock skew). A token issuer
 * refuses a shorter `ttl` when it is created; `npm start`'s `DEMO_TOKEN_TTL_MS` the same.
 */
export const MIN_TOKEN_LIFETIME = MIN_TOKEN_TTL + 10_000;
/** The longest lifetime ApplyToken grants, in milliseconds (the service cuts longer ones to this). */
export const MAX_TOKEN_TTL = 30 * 24 * 60 * 60_000;

const ACTIONS: Readonly<Record<TokenActions, TokenType>> = { R: 'R', W: 'W', 'R,W': 'RW' };

/** @internal The actions each permission type of a Password needs from the token it carries. */
export const _TYPE_ACTIONS: Readonly<Record<TokenType, readonly Action[]>> = { R: ['R'], W: ['W'], RW: ['R', 'W'] };

// Only what would break the comma-separated list (or is a paste slip) is refused here; the service
// judges the rest (topic characters, parent topics that exist), and P2P topics carry `@@@`.
const BAD_TOPIC_CHAR = /[,\s\u0000-\u001f\u007f]/;

/** The token type (password prefix) that goes with a set of actions: `R`, `W`, or `RW` for `R,W`. */
export function tokenTypeOf(actions: TokenActions): TokenType {
  return ACTIONS[_requireActions(actions)];
}

/** @internal `R`, `W` or `R,W`, exactly. */
export function _requireActions(value: unknown, field = 'actions'): TokenActions {
  // An own property of the table only: `"constructor" in ACTIONS` is true.
  if (typeof value !== 'string' || !Object.hasOwn(ACTIONS, value)) {
    // The value is not echoed: a string typed in the wrong place can be a secret.
    throw _invalid(field, `must be "R", "W" or "R,W" (got ${typeof value === 'string' ? `a string of ${value.length} characters` : _typeName(value)})`);
  }
  return value as TokenActions;
}

/**
 * @internal Actions as written in a broker config or the control API: `R`, `W`, `R,W` (also `W,R`,
 * spaces around the comma, or a list `['R', 'W']`) → a set; `undefined` when not one of those.
 */
export function _parseActions(actions: unknown): Set<Action> | undefined {
  if (Array.isArray(actions)) actions = actions.join(',');
  if (typeof actions !== 'string') return undefined;
  const parts = actions.split(',').map((a) => a.trim());
  if (parts.length === 0 || parts.length > 2 || new Set(parts).size !== parts.length) return undefined;
  if (!parts.every((a) => a === 'R' || a === 'W')) return undefined;
  return new Set(parts as Action[]);
}

/** @internal A set of actions written the OpenAPI way: `R`, `W` or `R,W`. */
export function _formatActions(actions: ReadonlySet<Action>): TokenActions {
  return (['R', 'W'] as const).filter((a) => actions.has(a)).join(',') as TokenActions;
}

/**
 * @internal The topics of a token: an array (or a comma-separated string) of 1 to 100 topics,
 * returned sorted and without repeats, as ApplyToken wants them.
 */
export function _requireResources(value: unknown, field = 'resources'): string[] {
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list)) throw _invalid(field, `must be an array of topics (got ${_typeName(value)})`);
  const topics = new Set<string>();
  list.forEach((topic: unknown, i) => {
    if (typeof topic !== 'string' || topic.length === 0) throw _invalid(`${field}[${i}]`, 'must be a non-empty topic string');
    if (BAD_TOPIC_CHAR.test(topic)) throw _invalid(`${field}[${i}]`, 'must not contain commas, white space or control characters');
    topics.add(topic);
  });
  if (topics.size === 0) throw _invalid(field, 'must name at least one topic');
  if (topics.size > MAX_TOKEN_RESOURCES) throw _invalid(field, `names ${topics.size} topics; one token may name at most ${MAX_TOKEN_RESOURCES}`);
  return _sortResources(topics);
}

/** @internal Code-unit order, the same in every runtime and locale ("alphabetically" for ASCII topics). */
export function _sortResources(topics: Iterable<string>): string[] {
  return [...topics].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A duration in ms as a reader says it: `90 s`, `30 min`, `1 h`, `2.5 days`. */
function _spell(ms: number): string {
  const [unit, size] = ms >= 86_400_000 ? ['days', 86_400_000] : ms >= 3_600_000 ? ['h', 3_600_000] : ms >= 60_000 ? ['min', 60_000] : ['s', 1000];
  return `${Math.round((ms / (size as number)) * 10) / 10} ${unit}`;
}

/**
 * @internal An ExpireTime (ms since the epoch) that ApplyToken accepts at `now`: at least 60 s and at
 * most 30 days ahead. Longer is refused rather than sent: the service would cut it to 30 days without
 * saying so, and the caller would then believe in an expiry the token does not have.
 */
export function _requireExpireTime(value: unknown, now: number, field = 'expireTime'): number {
  if (typeof now !== 'number' || !Number.isFinite(now)) throw _invalid('now', 'must return a finite number of milliseconds since the epoch');
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw _invalid(field, `must be an integer number of milliseconds since the epoch (got ${_typeName(value)})`);
  if (value < now + MIN_TOKEN_TTL) {
    const rule = `must be a time at least ${MIN_TOKEN_TTL / 1000} seconds ahead, in milliseconds since the epoch`;
    // The usual slips: a lifetime where the time it ends belongs, and seconds where milliseconds belong.
    if (value > 0 && Math.abs(value * 1000 - now) < MAX_TOKEN_TTL * 12) throw _invalid(field, `${rule}: ${value} looks like seconds since the epoch: pass ${value} * 1000`);
    if (value > 0 && value <= MAX_TOKEN_TTL) throw _invalid(field, `${rule}: ${value} looks like a duration (${_spell(value)}), not a time: pass Date.now() + ${value}`);
    throw _invalid(field, `${rule} (it is ${Math.round((value - now) / 1000)} s ahead): pass Date.now() + the token's lifetime in milliseconds`);
  }
  if (value > now + MAX_TOKEN_TTL) throw _invalid(field, `must be at most 30 days ahead (it is ${Math.round((value - now) / 86_400_000)} days ahead); ApplyToken would silently cut it`);
  return value;
}
