/**
 * Argument checks shared by the builders. Each names the field; none ever prints a secret's value.
 * @module
 */
import { _invalid } from '../errors.js';
import { _typeName } from '../internal/bytes.js';
import type { HmacSha1 } from '../hmac/types.js';

/** @internal The options object itself. */
export function _requireOptions<T>(value: T, name: string): T {
  if (value === null || typeof value !== 'object') throw _invalid(name, `must be an options object (got ${_typeName(value)})`);
  return value;
}

/** @internal A non-empty string. Safe for secrets: the value is never echoed. */
export function _requireString(value: unknown, field: string): string {
  if (typeof value !== 'string') throw _invalid(field, `must be a non-empty string (got ${_typeName(value)})`);
  if (value.length === 0) throw _invalid(field, 'must not be empty');
  return value;
}

/**
 * @internal A part of a `Mode|Id|Instance` username (AccessKey id, instance id): non-empty,
 * no `|` (it would shift the parts), no white space (always a copy-paste slip).
 */
export function _requireSegment(value: unknown, field: string): string {
  const text = _requireString(value, field);
  if (text.includes('|')) throw _invalid(field, 'must not contain "|" (it separates the parts of the Username)');
  if (/\s/.test(text)) throw _invalid(field, 'must not contain white space (check for a copy-paste slip)');
  return text;
}

/** @internal An optional caller-supplied HMAC adapter. */
export function _requireHmac(value: unknown): HmacSha1 | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw _invalid('hmac', `must be a function (key, message) => Uint8Array | Promise<Uint8Array> (got ${_typeName(value)})`);
  }
  return value as HmacSha1 | undefined;
}
