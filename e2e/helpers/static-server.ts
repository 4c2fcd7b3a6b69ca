/**
 * A static file server on 127.0.0.1 for the pages Chromium loads: several roots mounted under URL
 * prefixes, correct MIME types, no caching, and a record of every request (so a test can assert what
 * a page fetched, or that it fetched nothing it should not).
 * @module
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { withTimeout } from './wait.js';

/** Content types by file extension. */
export const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
};

/** One request the server saw. */
export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** The Host header (e.g. `dashboard.test:41234` when Chromium maps a made-up name). */
  host: string;
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

async function fileFor(roots: [string, string][], pathname: string): Promise<string | undefined> {
  for (const [prefix, dir] of roots) {
    if (!pathname.startsWith(prefix)) continue;
    const file = resolve(dir, '.' + sep + pathname.slice(prefix.length));
    if (file !== dir && !file.startsWith(dir + sep)) return undefined; // `..` escaping the root
    const info = await stat(file).catch(() => undefined);
    if (info?.isDirectory()) {
      const index = join(file, 'index.html');
      return (await stat(index).catch(() => undefined))?.isFile() ? index : undefined;
    }
    return info?.isFile() ? file : undefined;
  }
  return undefined;
}

/** Starts serving `roots` on an ephemeral port of 127.0.0.1. */
export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const roots = Object.entries(options.roots)
    .map(([prefix, dir]): [string, string] => [prefix, resolve(dir)])
    .sort((a, b) => b[0].length - a[0].length);
  const requests: RecordedRequest[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const record = { method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '', status: 0 };
    requests.push(record);
    const send = (status: number, body: string) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'bad path');
    }
    const file = await fileFor(roots, pathname);
    if (!file) return send(404, 'not found');
    record.status = 200;
    res.writeHead(200, { 'content-type': MIME_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
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
