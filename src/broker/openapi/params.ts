/**
 * The parameters of an RPC request: from the query string and, for a form POST, the body (Alibaba's
 * SDKs put the action's own parameters in either), bounded while read.
 * @module
 */
import { _readBody } from '../../http/body-limit.js';
import { ApiFailure, invalidParameter, repeated, requestTooLarge } from './error-answers.js';

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

/**
 * One request's parameters, as the actions' context carries them: the contract's parser
 * (`openapi/onsmqtt-codec.ts`) reads them by the names it describes.
 */
export class Params {
  constructor(readonly all: Readonly<Record<string, string>>) {}

  /** The value, or `undefined` when absent. */
  get(name: string): string | undefined {
    return Object.hasOwn(this.all, name) ? this.all[name] : undefined;
  }
}

/** Re-exported for the actions: every failure they throw is an {@link ApiFailure}. */
export { ApiFailure };
