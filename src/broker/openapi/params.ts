/**
 * The parameters of an RPC request: from the query string and, for a form POST, the body (Alibaba's
 * SDKs put the action's own parameters in either), with typed readers that answer the gateway's and
 * the product's error codes.
 * @module
 */
import { _readBody } from '../../http/body-limit.js';
import { ApiFailure, invalidParameter, missing, repeated, requestTooLarge } from './errors.js';

/**
 * The most a request may carry: bounds checked while reading, before any signature is computed (a
 * megabyte with a wrong signature once took half a second to refuse). The largest real requests are
 * far below them: ApplyToken's 100 topics of 64 characters are about 7 KB, and a batch of 100 client
 * ids about 120 parameters.
 */
export const MAX_REQUEST_BYTES = 64 * 1024;
export const MAX_PARAMETERS = 256;

/**
 * Reads a request's parameters (query, then form body); a name given twice is refused, and so is a
 * request over {@link MAX_REQUEST_BYTES} or {@link MAX_PARAMETERS}.
 */
export async function readParams(request: Request): Promise<Record<string, string>> {
  const params: Record<string, string> = Object.create(null);
  let count = 0;
  const add = (source: URLSearchParams): void => {
    for (const [key, value] of source) {
      if (++count > MAX_PARAMETERS) throw requestTooLarge(`more than ${MAX_PARAMETERS} parameters`);
      if (key in params) throw repeated(key);
      params[key] = value;
    }
  };
  const url = new URL(request.url);
  if (url.search.length > MAX_REQUEST_BYTES) throw requestTooLarge(`a query string over ${MAX_REQUEST_BYTES} bytes`);
  add(url.searchParams);
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (request.method.toUpperCase() === 'POST' && type === 'application/x-www-form-urlencoded') {
    const body = await _readBody(request, MAX_REQUEST_BYTES);
    if (body === 'too-large') throw requestTooLarge(`a body over ${MAX_REQUEST_BYTES} bytes`);
    if (body === 'unreadable') throw invalidParameter('Body', 'The body is not UTF-8 text.');
    add(new URLSearchParams(body));
  }
  return params;
}

/** The most items a repeat list (`Name.1`, `Name.2`, …) may have before the reader stops looking. */
const MAX_LIST = 1000;

/** Typed access to one request's parameters. */
export class Params {
  constructor(readonly all: Readonly<Record<string, string>>) {}

  /** The value, or `undefined` when absent. */
  get(name: string): string | undefined {
    return Object.hasOwn(this.all, name) ? this.all[name] : undefined;
  }

  /** The value of a required parameter; `Missing<Name>` when absent or empty (as the gateway answers). */
  required(name: string): string {
    const value = this.get(name);
    if (value === undefined || value === '') throw missing(name);
    return value;
  }

  /** An optional parameter; an empty value counts as absent (SDKs send `NextToken=` on a first page). */
  optional(name: string): string | undefined {
    const value = this.get(name);
    return value === '' ? undefined : value;
  }

  /**
   * A repeat list as Alibaba's SDKs send arrays: `Name.1`, `Name.2`, … (numbered from 1, no gaps).
   * `Missing<Name>` when `required` and empty.
   */
  list(name: string, required = false): string[] {
    const items: string[] = [];
    for (let i = 1; i <= MAX_LIST; i++) {
      const value = this.get(`${name}.${i}`);
      if (value === undefined) break;
      items.push(value);
    }
    const stray = Object.keys(this.all).find((key) => key.startsWith(`${name}.`) && !/^\d+$/.test(key.slice(name.length + 1)));
    if (stray !== undefined) throw invalidParameter(name, `${stray} is not an item of the list (use ${name}.1, ${name}.2, …).`);
    const numbered = Object.keys(this.all).filter((key) => key.startsWith(`${name}.`)).length;
    if (numbered !== items.length) throw invalidParameter(name, `the items must be numbered ${name}.1, ${name}.2, … without gaps.`);
    if (required && items.length === 0) throw missing(name);
    return items;
  }

  /** An integer parameter within `[min, max]`; `InvalidParameter.<Name>` otherwise. */
  integer(name: string, range: { min: number; max: number }, required: true): number;
  integer(name: string, range: { min: number; max: number }, required?: false): number | undefined;
  integer(name: string, range: { min: number; max: number }, required = false): number | undefined {
    const text = required ? this.required(name) : this.optional(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value) || value < range.min || value > range.max) {
      throw invalidParameter(name, `${name} must be an integer from ${range.min} to ${range.max}.`);
    }
    return value;
  }

  /** One of the allowed values; `InvalidParameter.<Name>` otherwise. */
  oneOf<T extends string>(name: string, allowed: readonly T[], required: true): T;
  oneOf<T extends string>(name: string, allowed: readonly T[], required?: false): T | undefined;
  oneOf<T extends string>(name: string, allowed: readonly T[], required = false): T | undefined {
    const value = required ? this.required(name) : this.optional(name);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) throw invalidParameter(name, `${name} must be ${allowed.join(' or ')}.`);
    return value as T;
  }
}

/** Re-exported for the actions: every failure they throw is an {@link ApiFailure}. */
export { ApiFailure };
