/**
 * The fuzz suite's HTTP adapters: raw requests with hostile `Host` headers and repeated parameters,
 * sent over real sockets to `toNodeListener` in front of the credential handler and to the local
 * broker's HTTP listener. The properties need no knowledge of the Host rule itself:
 * - whatever the Host, a handler that runs sees exactly the path and query that were sent, under
 *   exactly the Host that was sent (a Host cannot move the URL); a Host holding `/ ? # @ \ %` or
 *   white space never reaches a handler and is answered 400;
 * - a request naming a parameter twice (query, form, JSON, or query beside a body) is answered 400
 *   and `authorize` never runs; when it runs, the client id it is asked about is the one the URL's
 *   `searchParams.get` (or the body) gives: there is no second reading;
 * - every request is answered within a bounded time, never 5xx.
 * Runs: `FUZZ_RUNS` (default 150) per property; `FUZZ_STATS=1` prints how many requests each answer got.
 */
import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type LocalBroker } from '../../src/broker/broker-entry.js';
import { createCredentialHandler, toNodeListener } from '../../src/server/server-entry.js';
import { RUNS } from './fuzz/harness.js';

const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const stats: Record<string, Record<string, number>> = {};
const count = (property: string, outcome: string) => ((stats[property] ??= {})[outcome] = (stats[property]![outcome] ?? 0) + 1);

/** What the credential handler's authorize was asked: the Request's URL and the client id. */
const asked: { url: string; clientId: string; params: Record<string, string> }[] = [];
let server: Server;
let port: number;
let broker: LocalBroker;
const routed: string[] = [];

beforeAll(async () => {
  const handler = createCredentialHandler({
    instanceId: 'mqtt-cn-fuzz-http',
    accessKeyId: 'LTAI5tFuzzHttp',
    accessKeySecret: 'fuzz-http-secret-DoNotLeak',
    authorize: (request, clientId, { params }) => {
      asked.push({ url: request.url, clientId, params: { ...params } });
      return { mode: 'signature' };
    },
  });
  // Every Request the handler gets is recorded, whichever path: the Host property is checked on all.
  server = createServer(toNodeListener((request) => (routed.push(request.url), handler(request)), { bodyTimeoutMs: 2000 }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  broker = await startBroker({
    instanceId: 'mqtt-fuzz-http',
    tcpPort: 0,
    httpPort: 0,
    routes: [async (request) => (routed.push(request.url), undefined)],
  });
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await broker?.close();
  if (process.env.FUZZ_STATS) console.log(JSON.stringify(stats, null, 1));
});

/** One raw HTTP/1.1 request, `Connection: close`; the status and body of the answer. */
function send(to: number, head: string, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(to, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => (socket.destroy(), reject(new Error(`no answer within 10 s to ${JSON.stringify(head.slice(0, 200))}`))), 10_000);
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(`${head}Connection: close\r\n${body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`);
  });
}

// Hosts: real names, addresses and ports, and the characters that would move a URL if pasted in.
const label = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/);
const goodHost = fc.oneof(
  fc.constantFrom('localhost', '127.0.0.1', '[::1]', 'cred.example.com', 'LOCALHOST', 'app.localhost'),
  fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => l.join('.')),
);
const INJECTION = ['/', '?', '#', '@', '\\', '%', ' ', '/admin?x=', '/control/sessions?', '#frag', '?a=1', '@evil.example', '%2f', ':', '::', '..', '\t'];
const host = fc.oneof(
  goodHost,
  fc.tuple(goodHost, fc.integer({ min: 0, max: 99_999 })).map(([h, p]) => `${h}:${p}`),
  fc.tuple(goodHost, fc.constantFrom(...INJECTION), fc.oneof(goodHost, fc.constant(''))).map(([a, i, b]) => `${a}${i}${b}`),
  fc.tuple(fc.constantFrom(...INJECTION), goodHost).map(([i, h]) => `${i}${h}`),
  fc.string({ maxLength: 16 }).filter((s) => !/[\r\n\0]/.test(s)),
);
const path = fc.constantFrom('/credentials?clientId=GID_fuzzhttp@@@1', '/public', '/', '/a/b?x=1&y=2', '/control/sessions', '/?Action=QueryToken');

/** Characters that can never be part of host[:port]. */
const MOVES_URL = /[/?#@\\%\s]/;

describe('fuzz: the HTTP adapters against hostile Host headers', () => {
  it.each([
    ['toNodeListener + credential handler', () => port],
    ['the broker’s HTTP listener', () => broker.httpPort!],
  ])(`%s: ${RUNS} runs, a Host never moves the URL, never 5xx`, async (name, target) => {
    await fc.assert(
      fc.asyncProperty(host, path, async (sent, p) => {
        routed.length = 0;
        const answer = await send(target(), `GET ${p} HTTP/1.1\r\nHost: ${sent}\r\n`);
        // HTTP drops white space around a header value (RFC 9110 §5.5): that is the Host received.
        const h = sent.replace(/^[ \t]+|[ \t]+$/g, '');
        count(name, `${answer.status} ${routed.length ? 'handler ran' : 'no handler ran'}`);
        expect(answer.status, h).toBeGreaterThanOrEqual(200);
        expect(answer.status, h).toBeLessThan(500);
        if (MOVES_URL.test(h)) {
          // Node itself may refuse some bytes first (400 from its parser): either way, no handler ran.
          expect(answer.status, h).toBe(400);
          expect(routed, h).toEqual([]);
        }
        for (const url of routed) {
          const seen = new URL(url);
          expect(seen.pathname + seen.search, h).toBe(new URL(p, 'http://x').pathname + new URL(p, 'http://x').search);
          expect(seen.host, h).toBe(new URL(`http://${h}`).host);
        }
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
  }, 600_000);
});

describe('fuzz: the credential handler behind toNodeListener against repeated parameters', () => {
  const NAMES = ['clientId', 'reason', 'other', 'clientid', 'client%49d'];
  const value = fc.constantFrom('GID_fuzzhttp@@@1', 'GID_fuzzhttp@@@2', 'refused', 'x', '');
  const pair = fc.tuple(fc.constantFrom(...NAMES), value);
  // Half the lists name each parameter once (and a GET then usually succeeds), half may repeat.
  const pairs = fc.oneof(fc.uniqueArray(pair, { maxLength: 4, selector: ([k]) => decodeURIComponent(k) }), fc.array(pair, { maxLength: 5 }));

  it(`${RUNS} runs: a repeat is 400 and authorize never runs; when it runs, one reading of each parameter`, async () => {
    const emptyOrPairs = fc.oneof(fc.constant([] as [string, string][]), pairs);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST form', 'POST json'), pairs, emptyOrPairs, async (how, queryGiven, bodyPairs) => {
        // A POST's query is mostly empty, as a client sending a body would do.
        const query = how === 'GET' || queryGiven.length < 2 ? queryGiven : [];
        asked.length = 0;
        const search = query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
        const target = `/credentials${search ? `?${search}` : ''}`;
        let body = '';
        let type = '';
        if (how === 'POST form') {
          body = bodyPairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
          type = 'application/x-www-form-urlencoded';
        } else if (how === 'POST json') {
          // Written by hand: JSON.stringify could not repeat a key.
          body = `{${bodyPairs.map(([k, v]) => `${JSON.stringify(decodeURIComponent(k))}:${JSON.stringify(v)}`).join(',')}}`;
          type = 'application/json';
        }
        const method = how === 'GET' ? 'GET' : 'POST';
        const answer = await send(port, `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${type ? `Content-Type: ${type}\r\n` : ''}`, body);
        count('repeated parameters', `${answer.status} ${asked.length ? 'authorize ran' : 'refused before authorize'}`);
        expect(answer.status).toBeLessThan(500);
        const queryNames = [...new URLSearchParams(search).keys()];
        const bodyNames = how === 'GET' ? [] : how === 'POST form' ? [...new URLSearchParams(body).keys()] : bodyPairs.map(([k]) => decodeURIComponent(k));
        const repeats = new Set(queryNames).size !== queryNames.length || new Set(bodyNames).size !== bodyNames.length || bodyNames.some((n) => queryNames.includes(n));
        if (repeats) {
          expect(answer.status, `${how} ${target} ${body}`).toBe(400);
          expect(asked).toEqual([]);
          return;
        }
        for (const call of asked) {
          const fromUrl = new URL(call.url).searchParams.get('clientId');
          // One reading: the client id authorize is asked about is the URL's (GET) or the body's (POST), never another.
          if (method === 'GET') expect(call.clientId).toBe(fromUrl);
          else {
            expect(fromUrl).toBeNull();
            expect(call.clientId).toBe(bodyPairs.find(([k]) => decodeURIComponent(k) === 'clientId')![1]);
          }
        }
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
  }, 600_000);
});
