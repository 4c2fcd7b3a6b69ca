/**
 * The demo's one web origin on 127.0.0.1: the example pages, the files they load (`dist/`, mqtt.js's
 * browser bundles, `@noble/hashes` for pages outside a secure context), the page configuration,
 * the credential server, and two demo buttons' endpoints. One origin, so the credential server
 * needs no CORS: it answers same-origin calls only.
 */
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { toNodeListener } from 'apsaramq-mqtt-auth/server';
import { notFound, staticFiles } from './static-files.mjs';

/** Where the pages find things; the dashboard's import map and the script-tag page use these. */
export const PATHS = Object.freeze({
  config: '/api/config',
  credentials: '/api/mqtt-credentials',
  rotate: '/api/demo/rotate',
  revoke: '/api/demo/revoke',
});

const json = (status, body) => Response.json(body, { status, headers: { 'cache-control': 'no-store' } });

/** A browser's cross-site POST carries its own Origin; only this origin's pages may press the buttons. */
function sameOrigin(request) {
  try {
    return new URL(request.headers.get('origin') ?? '').host === new URL(request.url).host;
  } catch {
    return false; // no Origin, or "null" (a sandboxed or file:// page)
  }
}

/**
 * @param {{ root: string, port: number, pageConfig: object, credentials: ReturnType<typeof import('./credentials.mjs').createDemoCredentials>,
 *   log: (line: string) => void }} options
 * @returns {Promise<{ port: number, url: (path: string) => string, close: () => Promise<void> }>}
 */
export async function startWebServer(options) {
  const { root, pageConfig, credentials, log } = options;
  const files = staticFiles({
    '/dist/': join(root, 'dist'),
    '/node_modules/mqtt/dist/': join(root, 'node_modules/mqtt/dist'),
    '/node_modules/@noble/hashes/': join(root, 'node_modules/@noble/hashes'),
  });
  const landing = join(root, 'examples/index.html');
  // Every folder of examples/ is served at /<folder>/: the demo pages, and a page of your own saved as
  // examples/<folder>/index.html (the README's browser sample). Files at the top of examples/ are not.
  const examples = join(root, 'examples');
  const exampleFiles = staticFiles({ '/': examples });
  const inExampleFolder = async (pathname) => {
    const top = pathname.split('/')[1];
    return Boolean(top) && !top.startsWith('.') && (await stat(join(examples, top)).catch(() => undefined))?.isDirectory() === true;
  };

  const demoAction = async (request, action, done) => {
    if (request.method !== 'POST') return json(405, { error: { code: 'ERR_INVALID_ARGUMENT', message: 'method must be POST' } });
    if (!sameOrigin(request)) return json(403, { error: { code: 'ERR_FORBIDDEN', message: 'only the demo pages may call this' } });
    try {
      await action();
      log(done);
      return json(200, { ok: true });
    } catch (error) {
      log(`${request.url}: ${error?.message ?? error}`);
      return json(502, { error: { code: 'ERR_OPENAPI', message: 'the token service failed; see the npm start output' } });
    }
  };

  const handler = async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === PATHS.credentials) return credentials.handler(request);
    if (pathname === PATHS.config) return json(200, pageConfig);
    if (pathname === PATHS.rotate) return demoAction(request, () => credentials.rotate(), 'token rotation asked for: the next credential request gets a new token');
    if (pathname === PATHS.revoke) return demoAction(request, () => credentials.revoke(), 'token revoked: the broker disconnects the pages holding it');
    if (pathname === '/' || pathname === '/index.html') {
      return new Response(await readFile(landing), { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });
    }
    return (await files(request)) ?? ((await inExampleFolder(pathname)) ? await exampleFiles(request) : undefined) ?? notFound();
  };

  const server = createServer(toNodeListener(handler, { onError: (error) => log(`web server: ${error?.message ?? error}`) }));
  const port = await new Promise((resolve, reject) => {
    server.once('error', (error) => reject(Object.assign(new Error(`the web server could not listen on 127.0.0.1:${options.port} (${error.code ?? error.message}); set DEMO_WEB_PORT to another port`), { cause: error })));
    server.listen(options.port, '127.0.0.1', () => resolve(server.address().port));
  });
  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
