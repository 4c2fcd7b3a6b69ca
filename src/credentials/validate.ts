/**
 * Argument checks shared by the builders. Each names the field; none ever prints a secret's value.
 * @module
 */
import { _invalid } from '../errors.js';
import { _mustBe } from '../internal/bytes.js';
import type { HmacSha1 } from '../hmac/types.js';

/** @internal The options object itself. */
export function _requireOptions<T>(value: T, name: string): T {
  if (value === null || typeof value !== 'object') throw _mustBe(name, 'an options object', value);
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
