/**
 * A static file server on 127.0.0.1 for the pages Chromium loads: the demo's own static file route
 * (`scripts/start/static-files.mjs`: roots mounted under URL prefixes, MIME types, no caching,
 * nothing outside a root), on an ephemeral port, with a record of every request (so a test can
 * assert what a page fetched, or that it fetched nothing it should not).
 * @module
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { notFound, staticFiles } from '../../scripts/start/static-files.mjs';
import { toNodeListener } from '../../src/server/server-entry.js';
import { withTimeout } from './wait.js';

/** One request the server saw. */
export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** The Host header (e.g. `dashboard.test:41234` when Chromium maps a made-up name). */
  host: string;
  /** The status answered (0 until the answer is sent). */
  status: number;
}

/** A running static server. */
export interface StaticServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** An absolute URL for `path` on this server, under `host` (default 127.0.0.1). */
  url(path: string, host?: string): string;
  /** Every request so far, in order. */
  readonly requests: readonly RecordedRequest[];
  /** Closes the server and every open connection (bounded). */
  close(): Promise<void>;
}

/** Options of {@link startStaticServer}. */
export interface StaticServerOptions {
  /** URL prefix (starting and ending with `/`) → directory. The longest matching prefix wins. */
  roots: Readonly<Record<string, string>>;
}

/** Starts serving `roots` on an ephemeral port of 127.0.0.1. */
export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const files = staticFiles(options.roots);
  const serve = toNodeListener(async (request) => (await files(request)) ?? notFound());
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const record = { method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '', status: 0 };
    requests.push(record);
    res.once('finish', () => (record.status = res.statusCode));
    serve(req, res);
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    url: (path, host = '127.0.0.1') => `http://${host}:${port}${path.startsWith('/') ? path : `/${path}`}`,
    requests,
    close: () =>
      (closed ??= withTimeout(
        new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
        5000,
        'the static server to close',
      )),
  };
}
