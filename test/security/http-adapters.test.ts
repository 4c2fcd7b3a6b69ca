/**
 * The second security audit, on the Node adapters (the server entry's `toNodeListener` and the local
 * broker's HTTP listener, which share `src/http/node-adapter.ts`): every method's body is bounded in
 * size and time (a GET or HEAD body trickled a byte at a time once held a connection past 30 s), and
 * a `Host` that is not `host[:port]` is refused before it can move the URL a handler sees
 * (`Host: cred.example.com/admin?x=` once turned `GET /public` into path `/admin`). Real servers on
 * 127.0.0.1, raw sockets, since no HTTP client would send these requests.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type LocalBroker } from '../../src/broker/broker-entry.js';
import { toNodeListener, type NodeListenerOptions } from '../../src/server/server-entry.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
let broker: LocalBroker;

beforeAll(async () => {
  broker = await startBroker({ instanceId: 'mqtt-sec-adapters', tcpPort: 0, wsPort: 0, httpPort: 0 });
});
afterAll(async () => {
  await broker?.close();
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve())))));
});

/** A server through `toNodeListener`; `seen` collects the URL of every Request the handler got. */
async function listen(options?: NodeListenerOptions): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer(
    toNodeListener((request) => {
      seen.push(request.url);
      return new Response('ok');
    }, options),
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, seen };
}

/** A raw connection, and everything the server sends on it until it closes. */
function raw(port: number): { socket: Socket; closed: Promise<string>; text: () => string } {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let text = '';
  socket.on('data', (chunk) => (text += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(text)));
  return { socket, closed, text: () => text };
}

/** Bounded: `promise`, or a rejection saying what was still pending after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** Sends `head` with a chunked body, then one byte of body every `everyMs` until the socket closes. */
function trickle(socket: Socket, head: string, everyMs: number): () => void {
  socket.write(`${head}Transfer-Encoding: chunked\r\n\r\n`);
  const drip = setInterval(() => socket.writable && socket.write('1\r\nx\r\n'), everyMs);
  socket.on('close', () => clearInterval(drip));
  return () => clearInterval(drip);
}

const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as unknown;

describe('finding 1: every method’s body is bounded in time and size', () => {
  it.each(['GET', 'HEAD', 'DELETE', 'OPTIONS'])('toNodeListener answers 408 and closes a %s whose body trickles in', async (method) => {
    const { port, seen } = await listen({ bodyTimeoutMs: 1000 });
    const { socket, closed } = raw(port);
    const stop = trickle(socket, `${method} /public HTTP/1.1\r\nHost: 127.0.0.1\r\n`, 200);
    try {
      // Before the fix the connection stayed open for as long as the client kept dripping (> 30 s).
      expect(await within(closed, 8_000, `${method} connection still open`)).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      stop();
    }
    expect(seen).toEqual([]);
  });

  it('toNodeListener answers 413 to a GET body over maxBodyBytes, without reading it all', async () => {
    const { port, seen } = await listen({ maxBodyBytes: 1000 });
    const { socket, closed } = raw(port);
    socket.write('GET /public HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n');
    for (let i = 0; i < 4; i++) socket.write(`400\r\n${'x'.repeat(1024)}\r\n`);
    expect(await within(closed, 8_000, 'connection still open')).toMatch(/^HTTP\/1\.1 413 /);
    expect(seen).toEqual([]);
  });

  it('toNodeListener drains a small GET body nobody reads: the handler answers and the connection serves the next request', async () => {
    const { port, seen } = await listen({ bodyTimeoutMs: 2000 });
    const { socket, text } = raw(port);
    socket.write('GET /one HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhelloGET /two HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await within(
      new Promise<void>((resolve) => {
        const check = setInterval(() => text().split('HTTP/1.1 200').length === 3 && (clearInterval(check), resolve()), 20);
      }),
      5_000,
      'two answers not seen',
    );
    expect(seen).toEqual([`http://127.0.0.1/one`, `http://127.0.0.1/two`]);
  });

  it('the broker’s HTTP listener answers 408 and closes a GET whose body trickles in (10 s limit)', async () => {
    const { socket, closed } = raw(broker.httpPort!);
    const stop = trickle(socket, `GET /control/sessions HTTP/1.1\r\nHost: 127.0.0.1:${broker.httpPort}\r\n`, 500);
    const started = Date.now();
    try {
      // Before the fix it was still open after 14 s against the 10 s limit.
      expect(await within(closed, 25_000, 'broker connection still open')).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      stop();
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
  }, 40_000);
});

describe('finding 5: a Host that is not host[:port] is refused (400), never pasted into the URL', () => {
  const HOSTILE = ['cred.example.com/admin?x=', 'x#', 'x?y', 'a b', 'user@evil.example', 'evil.example\\admin', 'host:port', 'host:99999', 'host:', '[::1', '%65vil', 'a/..'];

  it.each(HOSTILE)('toNodeListener refuses Host %j before the handler runs', async (host) => {
    const { port, seen } = await listen();
    const { socket, closed } = raw(port);
    socket.write(`GET /public?clientId=GID_x@@@a HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    const answer = await within(closed, 5_000, 'connection still open');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(answer)).toMatchObject({ error: { code: 'ERR_INVALID_ARGUMENT', field: 'host' } });
    expect(seen).toEqual([]);
  });

  it('toNodeListener refuses a request target that is not a path (absolute-form, a fragment)', async () => {
    for (const target of ['http://evil.example/admin', '*', '/public#frag']) {
      const { port, seen } = await listen();
      const { socket, closed } = raw(port);
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      const answer = await within(closed, 5_000, 'connection still open');
      expect(answer, target).toMatch(/^HTTP\/1\.1 400 /);
      expect(seen, target).toEqual([]);
    }
  });

  it('toNodeListener still takes names, IPv4 and IPv6 addresses with and without ports, and no Host at all', async () => {
    const { port, seen } = await listen();
    for (const host of ['cred.example.com', 'cred.example.com:8443', '127.0.0.1:80', '[::1]:8080', '[::1]', 'my_host.local', undefined]) {
      const { socket, closed } = raw(port);
      socket.write(`GET /public?clientId=1 HTTP/1.${host === undefined ? '0' : '1'}\r\n${host === undefined ? '' : `Host: ${host}\r\n`}Connection: close\r\n\r\n`);
      expect(await within(closed, 5_000, 'connection still open'), String(host)).toMatch(/^HTTP\/1\.[01] 200 /);
    }
    expect(seen.map((u) => new URL(u).pathname + new URL(u).search)).toEqual(new Array(7).fill('/public?clientId=1'));
  });

  it('the broker refuses Host "localhost/control/sessions?" (400) instead of routing it to /control', async () => {
    for (const host of ['localhost/control/sessions?', 'localhost#', `localhost:${broker.httpPort}/control`]) {
      const { socket, closed } = raw(broker.httpPort!);
      socket.write(`GET /openapi HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${broker.controlSecret}\r\n\r\n`);
      const answer = await within(closed, 5_000, 'connection still open');
      expect(answer, host).toMatch(/^HTTP\/1\.1 400 /);
      expect(bodyOf(answer)).toMatchObject({ error: { field: 'host' } });
    }
  });

  it('the broker refuses such a Host on a WebSocket upgrade too', async () => {
    const refused = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${broker.wsPort}/mqtt`, 'mqtt', { headers: { host: 'localhost/evil?' } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
      ws.on('open', () => (ws.close(), reject(new Error('upgraded'))));
      ws.on('error', () => undefined);
    });
    expect(refused).toBe(403);
  });
});
