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

/** @internal A non-empty string. Safe for secrets: the value is never echoed. */
export function _requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || !value) throw _mustBe(field, 'a non-empty string', value);
  return value;
}

/**
 * @internal A part of a `Mode|Id|Instance` username (AccessKey id, instance id): non-empty,
 * no `|` (it would shift the parts), no white space (always a copy-paste slip).
 */
export function _requireSegment(value: unknown, field: string): string {
  if (/[|\s]/.test(_requireString(value, field))) throw _invalid(field, 'must not contain "|" or white space');
  return value as string;
}

/** @internal An optional caller-supplied HMAC adapter. */
export function _requireHmac(value: unknown): HmacSha1 | undefined {
  if (value !== undefined && typeof value !== 'function') throw _mustBe('hmac', 'a function', value);
  return value as HmacSha1 | undefined;
}
