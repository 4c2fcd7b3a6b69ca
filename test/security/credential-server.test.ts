/**
 * The credential server: each problem of the security review (SECURITY.md), against the handler and
 * `toNodeListener` behind a real `http.createServer` on 127.0.0.1, with raw sockets where a browser
 * or a hostile client would do what fetch cannot (stall a body, abort halfway).
 */
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApsaraMqttAuthError } from '../../src/errors.js';
import { createCredentialHandler, toNodeListener, type CredentialHandlerOptions, type NodeListenerOptions } from '../../src/server/server-entry.js';
import { SECRET } from '../suites/api.js';

const base: CredentialHandlerOptions = { instanceId: 'mqtt-cn-sec', accessKeyId: 'LTAI5tSec', accessKeySecret: SECRET, authorize: () => ({ mode: 'signature' }) };
const CLIENT = 'GID_sec@@@device-1';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve())))));
});

async function listen(handler: (request: Request) => Promise<Response | undefined> | Response | undefined, options?: NodeListenerOptions): Promise<number> {
  const server = createServer(toNodeListener(handler, options));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A raw connection, and everything the server sends on it until it closes. */
function raw(port: number): { socket: Socket; closed: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let text = '';
  socket.on('data', (chunk) => (text += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(text)));
  return { socket, closed };
}

/** Bounded: `promise`, or a rejection saying what was still pending after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

describe('CORS: credentials are never offered to every origin', () => {
  it("refuses origin '*' with credentials: true when the handler is created, naming cors", () => {
    let caught: unknown;
    try {
      createCredentialHandler({ ...base, cors: { origin: '*', credentials: true } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ApsaraMqttAuthError);
    expect(caught).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'cors' });
  });

  it("answers origin '*' with the literal '*', not by echoing the caller", async () => {
    const handler = createCredentialHandler({ ...base, cors: { origin: '*' } });
    const response = await handler(new Request(`http://127.0.0.1/x?clientId=${CLIENT}`, { headers: { origin: 'https://any.example' } }));
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it.each([
    ['*', { origin: '*' as const }],
    ['a predicate that allows everything', { origin: () => true }],
    ['a list naming "null"', { origin: ['https://app.example', 'null'] }],
  ])('never echoes the opaque origin null (%s)', async (_name, cors) => {
    let handler: (request: Request) => Promise<Response>;
    try {
      handler = createCredentialHandler({ ...base, cors });
    } catch (error) {
      // A list naming "null" is refused outright: that is as good as never echoing it.
      expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'cors' });
      return;
    }
    for (const method of ['GET', 'OPTIONS']) {
      const response = await handler(new Request(`http://127.0.0.1/x?clientId=${CLIENT}`, { method, headers: { origin: 'null', 'access-control-request-method': 'GET' } }));
      expect(response.headers.get('access-control-allow-origin')).not.toBe('null');
      expect(response.status).toBe(403);
    }
  });

  it('checks every cors option when the handler is created', () => {
    for (const cors of [{ origin: 5 }, { origin: [] }, { origin: ['app.example'] }, { origin: ['https://a.example'], credentials: 'yes' }, { origin: '*', allowHeaders: ['bad header'] }, { origin: '*', maxAge: -1 }]) {
      expect(() => createCredentialHandler({ ...base, cors: cors as never })).toThrow(expect.objectContaining({ field: 'cors' }));
    }
  });

  it('a cors predicate that throws allows nothing and does not break the answer', async () => {
    const handler = createCredentialHandler({
      ...base,
      cors: {
        origin: () => {
          throw new Error('predicate bug');
        },
      },
    });
    const response = await handler(new Request(`http://127.0.0.1/x?clientId=${CLIENT}`, { headers: { origin: 'https://app.example' } }));
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('toNodeListener: a body is read within bounds of time and size', () => {
  it('answers 408 and closes connections whose body trickles in (20 at a time)', async () => {
    const port = await listen(() => new Response('never reached'), { bodyTimeoutMs: 300 });
    const conns = Array.from({ length: 20 }, () => raw(port));
    for (const { socket } of conns) socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
    // The client keeps sending a byte now and then, never the whole body.
    const drip = setInterval(() => conns.forEach(({ socket }) => socket.writable && socket.write(' ')), 100);
    try {
      const answers = await within(Promise.all(conns.map((c) => c.closed)), 15_000, 'connections still open');
      for (const text of answers) expect(text).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(drip);
    }
  });

  it('has a default body timeout (10 s), far below Node’s 300 s request timeout', async () => {
    const port = await listen(() => new Response('never reached'));
    const { socket, closed } = raw(port);
    socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n{');
    expect(await within(closed, 30_000, 'connection still open')).toMatch(/^HTTP\/1\.1 408 /);
  }, 45_000);

  it('answers 413 to a chunked body larger than maxBodyBytes, without reading it all', async () => {
    let called = 0;
    const port = await listen(() => (called++, new Response('x')), { maxBodyBytes: 1000 });
    const { socket, closed } = raw(port);
    socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n');
    for (let i = 0; i < 5; i++) socket.write(`400\r\n${'x'.repeat(1024)}\r\n`);
    expect(await within(closed, 15_000, 'connection still open')).toMatch(/^HTTP\/1\.1 413 /);
    expect(called).toBe(0);
  });

  it('checks its options when created', () => {
    for (const options of [{ bodyTimeoutMs: 0 }, { bodyTimeoutMs: 2 ** 31 }, { maxBodyBytes: -1 }, { onError: 'log' }]) {
      expect(() => toNodeListener(() => new Response(''), options as never)).toThrow(ApsaraMqttAuthError);
    }
    expect(() => toNodeListener(5 as never)).toThrow(expect.objectContaining({ field: 'handler' }));
  });
});

describe('toNodeListener: nothing a logger or a client does crashes the server', () => {
  it('survives an onError that throws while clients abort mid-body and handlers fail', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    let reported = 0;
    try {
      const port = await listen(
        async (request) => {
          if (new URL(request.url).pathname === '/boom') throw new Error('handler bug');
          return new Response('ok');
        },
        {
          onError: () => {
            reported++;
            throw new Error('the logger is broken too');
          },
        },
      );
      // Clients that go away halfway through their body.
      for (let i = 0; i < 5; i++) {
        const { socket, closed } = raw(port);
        socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{"half":');
        setTimeout(() => socket.destroy(), 50);
        await within(closed, 5000, 'abort');
      }
      // A handler that throws: answered 500, the throwing logger ignored.
      const boom = await fetch(`http://127.0.0.1:${port}/boom`);
      expect(boom.status).toBe(500);
      // Whatever the server was told, it is still here and answering.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const after = await fetch(`http://127.0.0.1:${port}/`);
      expect(await after.text()).toBe('ok');
      expect(reported).toBeGreaterThanOrEqual(6);
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});
