/**
 * Argument checks shared by the builders. Each names the field; none ever prints a secret's value.
 * @module
 */
import { _invalid } from '../errors.js';
import { _ownCopy } from '../own.js';
import { _mustBe } from '../internal/bytes.js';
import type { HmacSha1 } from '../hmac/hmac-types.js';

/**
 * @internal The options object, as a copy of its own enumerable properties (`_ownCopy`): every
 * later read sees only what the caller passed, never a property a polluted `Object.prototype` adds
 * (an `hmac` that would receive the secret, an `authorize` that grants everything). Shallow: nested
 * objects the SDK reads go through this again.
 */
export function _requireOptions<T>(value: T, name: string): T {
  if (value === null || typeof value !== 'object') throw _mustBe(name, 'an options object', value);
  try {
    return _ownCopy(value);
  } catch {
    // A getter that threw: its error is the caller's and could quote anything, so it is not kept.
    throw _invalid(name, 'could not be read (a getter threw)');
  }
}

/** @internal `object[key]` if it is the object's own property, else `undefined` (a polluted prototype adds nothing). */
export function _own(object: unknown, key: string): unknown {
  return object !== null && (typeof object === 'object' || typeof object === 'function') && Object.hasOwn(object, key) ? (object as Record<string, unknown>)[key] : undefined;
}

/** @internal `value` if it has every method named, else an error naming `field`. */
export function _requireMethods<T>(value: T, methods: readonly string[], field: string, what: string): T {
  for (const m of methods) if (typeof (value as Record<string, unknown> | null | undefined)?.[m] !== 'function') throw _invalid(field, `must be ${what}`);
  return value;
}

export { _requireString } from '../internal/bytes.js';

/** @internal A part of a `Mode|Id|Instance` Username; the rule lives with the Username format. */
export { _requireSegment } from '../protocol/username.js';

/** @internal An optional caller-supplied HMAC adapter. */
export function _requireHmac(value: unknown): HmacSha1 | undefined {
  if (value !== undefined && typeof value !== 'function') throw _mustBe('hmac', 'a function', value);
  return value as HmacSha1 | undefined;
}
