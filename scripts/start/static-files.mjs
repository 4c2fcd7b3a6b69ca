/**
 * Static files as a fetch-style route: URL prefixes mounted on directories, nothing outside them (no
 * `..`, no dot-files), `GET`/`HEAD` only, no caching. The one static file server: `npm start`'s web
 * origin serves the demo pages with it, the e2e tests the pages Chromium loads (e2e/helpers/static-server.ts).
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

/** Content types by file extension; anything else is `application/octet-stream`. */
export const MIME_TYPES = Object.freeze({
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
});

/** The answer for a path nothing serves. */
export const notFound = () => new Response('not found\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });

async function isFile(path) {
  return (await stat(path).catch(() => undefined))?.isFile() === true;
}

/**
 * @param {Record<string, string>} mounts URL prefix (ending in `/`) → directory; the longest prefix wins.
 * @returns {(request: Request) => Promise<Response | undefined>} `undefined` when no mount matches.
 */
export function staticFiles(mounts) {
  const list = Object.entries(mounts)
    .map(([prefix, dir]) => [prefix, resolve(dir)])
    .sort((a, b) => b[0].length - a[0].length);
  return async (request) => {
    const { pathname } = new URL(request.url);
    const mount = list.find(([prefix]) => pathname.startsWith(prefix) || pathname === prefix.slice(0, -1));
    if (!mount) return undefined;
    const [prefix, dir] = mount;
    if (pathname === prefix.slice(0, -1)) return new Response(null, { status: 308, headers: { location: prefix } });
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('method not allowed\n', { status: 405, headers: { allow: 'GET, HEAD' } });
    let relative;
    try {
      relative = decodeURIComponent(pathname.slice(prefix.length));
    } catch {
      return new Response('bad path\n', { status: 400 });
    }
    const file = resolve(dir, '.' + sep + relative);
    const inside = file === dir || file.startsWith(dir + sep);
    if (!inside || /(^|[\\/])\./.test(relative)) return notFound();
    const info = await stat(file).catch(() => undefined);
    // A folder without its trailing slash would resolve the page's relative URLs one level up.
    if (info?.isDirectory() && !pathname.endsWith('/')) return new Response(null, { status: 308, headers: { location: `${pathname}/` } });
    const target = info?.isFile() ? file : info?.isDirectory() && (await isFile(join(file, 'index.html'))) ? join(file, 'index.html') : undefined;
    if (!target) return notFound();
    const headers = { 'content-type': MIME_TYPES[extname(target)] ?? 'application/octet-stream', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
    return new Response(request.method === 'HEAD' ? null : await readFile(target), { headers });
  };
}
