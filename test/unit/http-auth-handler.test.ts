/**
 * The HTTP-authentication endpoint handler as a fetch-style function, in Node and in Chromium: the
 * instance's request parsed and checked, the app's verdict answered in the exact format (200,
 * application/json, result/expireAt/acl), verdicts beyond the documented limits never sent, and no
 * password in any answer.
 */
import { describe, expect, it } from 'vitest';
import { signatureCredentials } from '../../src/index.js';
import {
  createHttpAuthHandler,
  credentialsMatch,
  formatHttpAuthRequest,
  formatHttpAuthResponse,
  parseHttpAuthResponse,
  HTTP_AUTH_MAX_BODY_BYTES,
  HTTP_AUTH_MAX_RULES,
  type HttpAuthDecision,
  type HttpAuthHandlerOptions,
} from '../../src/server/server-entry.js';
import { DOC_VECTOR } from '../helpers/vectors.js';

const URL_ = 'http://auth.test/mqtt/auth';
const PASSWORD = 'Pa55-DoNotLeak-5e1f';

function instanceRequest(body: unknown, init: { method?: string; type?: string } = {}): Request {
  const method = init.method ?? 'POST';
  return new Request(URL_, {
    method,
    headers: { 'content-type': init.type ?? 'application/json' },
    ...(method === 'GET' ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

const credentials = { username: 'meter-1', password: PASSWORD, clientId: 'GID_meter@@@1' };

async function answer(options: HttpAuthHandlerOptions, request = instanceRequest(credentials)) {
  const response = await createHttpAuthHandler(options)(request);
  const text = await response.text();
  expect(text).not.toContain(PASSWORD);
  return { status: response.status, type: response.headers.get('content-type'), text, body: JSON.parse(text) as Record<string, unknown> };
}

describe('answers in the documented format', () => {
  it('allow with ACL rules and expireAt: 200, application/json, exactly result/expireAt/acl', async () => {
    const acl = [
      { effect: 'allow', action: ['publish', 'subscribe'], topic: 'meters/1/#' },
      { effect: 'deny', action: ['publish'], topic: 'meters/1/config' },
    ] as const;
    let seen: unknown;
    const a = await answer({
      authenticate: (c, context) => {
        seen = { ...c, url: context.request.url };
        return { result: 'allow', acl, expireAt: 1_900_000_000_000 };
      },
    });
    expect(seen).toEqual({ ...credentials, url: URL_ });
    expect(a.status).toBe(200);
    expect(a.type?.split(';')[0]).toBe('application/json');
    expect(a.body).toEqual({ result: 'allow', expireAt: 1_900_000_000_000, acl });
    expect(parseHttpAuthResponse(a.text)).toEqual({ ok: true, value: { result: 'allow', acl, expireAt: 1_900_000_000_000 } });
  });

  it('deny, and the boolean shorthands', async () => {
    expect((await answer({ authenticate: () => ({ result: 'deny' }) })).body).toEqual({ result: 'deny' });
    expect((await answer({ authenticate: () => false })).body).toEqual({ result: 'deny' });
    expect((await answer({ authenticate: async () => true })).body).toEqual({ result: 'allow' });
  });

  it('the app can check a Signature-mode password with the SDK builders and credentialsMatch', async () => {
    const { accessKeyId, accessKeySecret, instanceId, clientId } = DOC_VECTOR;
    const good = await signatureCredentials({ accessKeyId, accessKeySecret, instanceId, clientId });
    const authenticate = async (c: { username: string; password: string; clientId: string }): Promise<HttpAuthDecision> =>
      credentialsMatch(c, await signatureCredentials({ accessKeyId, accessKeySecret, instanceId, clientId: c.clientId }))
        ? { result: 'allow', acl: [{ effect: 'allow', action: ['subscribe'], topic: 'telemetry/#' }] }
        : { result: 'deny' };
    const handler = createHttpAuthHandler({ authenticate });
    const allowed = await handler(instanceRequest({ username: good.username, password: good.password, clientId }));
    expect(await allowed.json()).toMatchObject({ result: 'allow' });
    const other = await handler(instanceRequest({ username: good.username, password: good.password, clientId: 'GID_Test@@@0002' }));
    expect(await other.json()).toEqual({ result: 'deny' });
    expect(credentialsMatch({ username: 'a', password: 'b' }, { username: 'a', password: 'bb' })).toBe(false);
  });
});

describe("the instance's request is checked", () => {
  const never = { authenticate: () => Promise.reject(new Error('must not be called')) };
  it.each([
    ['GET', instanceRequest(undefined, { method: 'GET' }), 405, 'method'],
    ['text/plain', instanceRequest(credentials, { type: 'text/plain' }), 415, 'content-type'],
    ['not JSON', instanceRequest('{"username":'), 400, 'body'],
    ['an array', instanceRequest([credentials]), 400, 'body'],
    ['no clientId', instanceRequest({ username: 'u', password: 'p' }), 400, 'clientId'],
    ['a number password', instanceRequest({ ...credentials, password: 42 }), 400, 'password'],
    ['too large', instanceRequest({ ...credentials, username: 'x'.repeat(20_000) }), 413, 'body'],
  ])('%s → %i on %s', async (_name, request, status, field) => {
    const a = await answer(never, request);
    expect(a.status).toBe(status);
    expect(a.body).toMatchObject({ error: { code: 'ERR_INVALID_ARGUMENT', field } });
  });
});

describe('a verdict beyond the documented limits is never sent', () => {
  const errors: unknown[] = [];
  const limited = (verdict: unknown) => answer({ authenticate: () => verdict as HttpAuthDecision, onError: (e) => errors.push(e) });
  const rule = (i: number) => ({ effect: 'allow' as const, action: ['publish' as const], topic: `t/${i}` });

  it(`more than ${HTTP_AUTH_MAX_RULES} rules, a bad topic filter, a bad action, a bad result → 500, onError told why`, async () => {
    for (const [verdict, field] of [
      [{ result: 'allow', acl: Array.from({ length: HTTP_AUTH_MAX_RULES + 1 }, (_, i) => rule(i)) }, 'acl'],
      [{ result: 'allow', acl: [{ ...rule(0), topic: 'a/#/b' }] }, 'acl[0].topic'],
      [{ result: 'allow', acl: [{ ...rule(0), action: ['read'] }] }, 'acl[0].action'],
      [{ result: 'allow', acl: [{ ...rule(0), effect: 'ALLOW' }] }, 'acl[0].effect'],
      [{ result: 'maybe' }, 'result'],
      [{ result: 'allow', expireAt: -1 }, 'expireAt'],
    ] as const) {
      errors.length = 0;
      const a = await limited(verdict);
      expect(a.status).toBe(500);
      expect(a.body).toEqual({ error: { code: 'ERR_CREDENTIALS_UNAVAILABLE', message: 'the authentication service failed' } });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field });
    }
    expect(Array.from({ length: HTTP_AUTH_MAX_RULES }, (_, i) => rule(i))).toHaveLength(10);
    expect((await limited({ result: 'allow', acl: Array.from({ length: HTTP_AUTH_MAX_RULES }, (_, i) => rule(i)) })).status).toBe(200);
  });

  it(`an answer over ${HTTP_AUTH_MAX_BODY_BYTES} bytes → 500`, async () => {
    errors.length = 0;
    const long = Array.from({ length: 10 }, (_, i) => ({ ...rule(i), topic: `${'x'.repeat(400)}/${i}` }));
    expect(() => formatHttpAuthResponse({ result: 'allow', acl: long })).toThrow(/4096 bytes/);
    expect((await limited({ result: 'allow', acl: long })).status).toBe(500);
    expect(errors[0]).toMatchObject({ field: 'body' });
  });

  it('an authenticate that throws → 500, the error to onError only', async () => {
    errors.length = 0;
    const a = await answer({ authenticate: () => Promise.reject(new Error(`db down, password was ${PASSWORD}`)), onError: (e) => errors.push(e) });
    expect(a.status).toBe(500);
    expect(errors).toHaveLength(1);
  });

  it('bad options are named at creation', () => {
    expect(() => createHttpAuthHandler({} as never)).toThrow(expect.objectContaining({ field: 'authenticate' }));
    expect(() => createHttpAuthHandler({ authenticate: () => true, maxBodyBytes: 1 })).toThrow(expect.objectContaining({ field: 'maxBodyBytes' }));
  });
});

describe('the request the instance sends', () => {
  it('is JSON with username, password and clientId', () => {
    expect(JSON.parse(formatHttpAuthRequest(credentials))).toEqual(credentials);
  });
});
