/**
 * Serves a fetch-style handler from Node's `http.createServer` (or anything with the same request and
 * response objects: Express, Koa's `ctx.req`/`ctx.res`, `https`). Written against the shapes it uses
 * rather than `node:http`, so the `server` entry imports nothing Node-specific and type-checks without
 * `@types/node`.
 * @module
 */
import { _invalid } from '../errors.js';
import { _requireOptions } from '../credentials/validate.js';
import { _nodeListener, type NodeRequestLike, type NodeResponseLike } from '../http/node-adapter.js';

export type { NodeRequestLike, NodeResponseLike };

/** Inputs of {@link toNodeListener}. */
export interface NodeListenerOptions {
  /**
   * Largest body read into memory before the handler sees it, bytes (default 65 536); larger → 413 and
   * the connection is closed. Every method's body counts: a GET or HEAD body is drained and dropped.
   */
  maxBodyBytes?: number;
  /**
   * Longest time to receive a whole body, ms (default 10 000), whatever the method; slower → 408 and
   * the connection is closed. Without it a client sending a byte a second holds a connection for
   * Node's 300 s.
   */
  bodyTimeoutMs?: number;
  /**
   * Told about a handler that threw (it should not) or a request that broke off. Whatever it throws
   * is ignored: a logger must not bring the server down.
   */
  onError?: (error: unknown) => void;
}

/**
 * A Node `request` listener that runs a fetch-style handler. A `Host` header that is not a valid
 * `host[:port]`, or a request target that is not a path, is answered 400 before the handler runs.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * createServer(toNodeListener(createCredentialHandler({ ... }))).listen(8080, '127.0.0.1');
 * ```
 */
export function toNodeListener(
  handler: (request: Request) => Promise<Response | undefined> | Response | undefined,
  options: NodeListenerOptions = {},
): (req: NodeRequestLike, res: NodeResponseLike) => void {
  if (typeof handler !== 'function') throw _invalid('handler', 'must be a function (request: Request) => Response');
  options = _requireOptions(options, 'options');
  const max = options.maxBodyBytes ?? 65_536;
  if (!(Number.isSafeInteger(max) && max >= 0)) throw _invalid('maxBodyBytes', 'must be a whole number of bytes');
  const timeoutMs = options.bodyTimeoutMs ?? 10_000;
  if (!(typeof timeoutMs === 'number' && timeoutMs > 0 && timeoutMs <= 2 ** 31 - 1)) throw _invalid('bodyTimeoutMs', 'must be a positive number of milliseconds, at most 2147483647');
  const { onError } = options;
  if (onError !== undefined && typeof onError !== 'function') throw _invalid('onError', 'must be a function');
  const report = (error: unknown) => {
    try {
      onError?.(error);
    } catch {
      // A failing logger must not turn one bad request into a crash.
    }
  };
  const listener = _nodeListener(handler, { maxBodyBytes: max, bodyTimeoutMs: timeoutMs, report });
  return (req, res) => {
    if (typeof req?.on !== 'function' || typeof res?.setHeader !== 'function' || typeof res.end !== 'function') {
      throw _invalid('req', 'must be a Node request and response pair');
    }
    listener(req, res);
  };
}
