/**
 * The broker's call to an HTTP-authentication endpoint, against real HTTP servers on loopback: a
 * well-formed allow becomes rules and an expiry; deny, a non-200 status, a redirect, another content
 * type, more than 4 KB, more than 10 rules, a malformed body, no answer in time and an unreachable
 * endpoint are refusals with a reason that names the cause and no credential.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askHttpAuth, _checkHttpAuth } from '../../src/broker/http-auth-client.js';
import { checkRules, checkRulesSubscription } from '../../src/broker/rules.js';

const PASSWORD = 'Secret-Pass-93af';
const credentials = { username: 'meter-1', password: PASSWORD, clientId: 'GID_meter@@@1' };

type Reply = (body: Record<string, unknown>, headers: Record<string, string | string[] | undefined>) => { status?: number; type?: string; body?: string; hang?: boolean; location?: string };
let reply: Reply = () => ({ body: '{"result":"allow"}' });
const received: { body: Record<string, unknown>; headers: Record<string, string | string[] | undefined> }[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      received.push({ body, headers: req.headers });
      const r = reply(body, req.headers);
      if (r.hang) return; // never answers
      res.writeHead(r.status ?? 200, { 'content-type': r.type ?? 'application/json', ...(r.location ? { location: r.location } : {}) });
      res.end(r.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const ask = (overrides: Record<string, unknown> = {}) => askHttpAuth(_checkHttpAuth({ url, timeoutMs: 2000, ...overrides }), credentials, Date.now);

describe('a well-formed answer', () => {
  it('POSTs JSON {username, password, clientId} and turns an allow into rules and an expiry', async () => {
    const expireAt = Date.now() + 3600_000;
    reply = () => ({
      body: JSON.stringify({
        result: 'allow',
        expireAt,
        acl: [
          { effect: 'allow', action: ['publish', 'subscribe'], topic: 'meters/1/#' },
          { effect: 'deny', action: ['publish'], topic: 'meters/1/config' },
        ],
      }),
    });
    received.length = 0;
    const outcome = await ask({ headers: { 'x-shared-secret': 'abc' } });
    expect(received[0]!.body).toEqual(credentials);
    expect(received[0]!.headers['content-type']).toBe('application/json');
    expect(received[0]!.headers['x-shared-secret']).toBe('abc');
    expect(outcome).toMatchObject({ ok: true, expireAt });
    if (!outcome.ok) throw new Error('unreachable');
    const rules = outcome.rules!;
    expect(checkRules(rules, 'W', 'meters/1/temp')).toBeUndefined();
    expect(checkRules(rules, 'W', 'meters/1/config')).toBe('denied');
    expect(checkRules(rules, 'R', 'meters/1/config')).toBeUndefined();
    expect(checkRules(rules, 'W', 'meters/2/temp')).toBe('resource');
    expect(checkRulesSubscription(rules, 'meters/1/#')).toBeUndefined();
    expect(checkRulesSubscription(rules, 'meters/#')).toBe('resource');
  });

  it('an allow without acl restricts nothing; an expireAt in seconds is read as seconds', async () => {
    const seconds = Math.floor(Date.now() / 1000) + 600;
    reply = () => ({ type: 'application/json; charset=utf-8', body: JSON.stringify({ result: 'allow', expireAt: seconds }) });
    expect(await ask()).toEqual({ ok: true, rules: undefined, expireAt: seconds * 1000 });
  });
});

describe('everything else refuses the client', () => {
  const refusals: [string, Reply, RegExp][] = [
    ['deny', () => ({ body: '{"result":"deny"}' }), /answered deny/],
    ['HTTP 401', () => ({ status: 401, body: '{"result":"allow"}' }), /HTTP 401/],
    ['HTTP 500', () => ({ status: 500, body: '' }), /HTTP 500/],
    ['HTTP 204', () => ({ status: 204 }), /HTTP 204/],
    ['a redirect', () => ({ status: 302, location: 'http://127.0.0.1:1/elsewhere' }), /HTTP 302/],
    ['text/plain', () => ({ type: 'text/plain', body: '{"result":"allow"}' }), /content-type is "text\/plain"/],
    ['more than 4 KB', () => ({ body: JSON.stringify({ result: 'allow', pad: 'x'.repeat(4100) }) }), /larger than 4096 bytes/],
    [
      'more than 10 rules',
      () => ({ body: JSON.stringify({ result: 'allow', acl: Array.from({ length: 11 }, (_, i) => ({ effect: 'allow', action: ['publish'], topic: `t/${i}` })) }) }),
      /acl has 11 rules/,
    ],
    ['a malformed rule', () => ({ body: JSON.stringify({ result: 'allow', acl: [{ effect: 'allow', action: 'publish', topic: 't' }] }) }), /acl\[0\]\.action/],
    ['not JSON', () => ({ body: 'allow' }), /is not JSON/],
    ['result missing', () => ({ body: '{"acl":[]}' }), /result must be/],
    ['expireAt already past', () => ({ body: JSON.stringify({ result: 'allow', expireAt: Date.now() - 1000 }) }), /already past/],
  ];
  it.each(refusals)('%s', async (_name, r, reason) => {
    reply = r;
    const outcome = await ask();
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.reason).toMatch(reason);
    expect(outcome.reason).not.toContain(PASSWORD);
  });

  it('no answer in time', async () => {
    reply = () => ({ hang: true });
    expect(await ask({ timeoutMs: 300 })).toMatchObject({ ok: false, kind: 'failed', reason: expect.stringMatching(/no answer within 300 ms/) });
  });

  it('an endpoint that cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const outcome = await askHttpAuth(_checkHttpAuth({ url: `http://127.0.0.1:${port}/` }), credentials, Date.now);
    expect(outcome).toMatchObject({ ok: false, kind: 'failed', reason: expect.stringMatching(/could not be reached/) });
  });

  it('bad settings are named', () => {
    expect(() => _checkHttpAuth({ url: 'ftp://x' })).toThrow(expect.objectContaining({ field: 'httpAuth.url' }));
    expect(() => _checkHttpAuth({ url, timeoutMs: 0 })).toThrow(expect.objectContaining({ field: 'httpAuth.timeoutMs' }));
    expect(() => _checkHttpAuth('http://x')).toThrow(expect.objectContaining({ field: 'httpAuth' }));
  });
});
