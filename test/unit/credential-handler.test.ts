/**
 * The credential handler as a fetch-style function, in Node and in Chromium: the default refusal,
 * grants for every mode, bad input, CORS, and no secret in any answer. Token grants go through the
 * real token issuer, client and OpenAPI service, wired in-process (the service is a fetch handler).
 */
import { describe, expect, it } from 'vitest';
import { createOpenApiService } from '../../src/broker/openapi-service.js';
import { deviceCredentials, signatureCredentials } from '../../src/index.js';
import {
  ApsaraMqttAuthError,
  createCredentialHandler,
  createOnsMqttClient,
  createTokenIssuer,
  type CredentialHandlerOptions,
  type FetchLike,
} from '../../src/server/server-entry.js';
import { DOC_VECTOR } from '../helpers/vectors.js';
import { manualClock } from '../helpers/manual-clock.js';
import { memoryTokenStore } from '../helpers/stores.js';
import { post } from '../helpers/requests.js';
import { SECRET } from '../suites/api.js';

const INSTANCE = 'mqtt-cn-handler';
const AK = 'LTAI5tHandler';
const DEVICE_SECRET = 'D3v1ce-DoNotLeak-91c2';
const ORIGIN = 'http://credentials.test';
const CLIENT = DOC_VECTOR.clientId;
const clock = manualClock(Date.UTC(2026, 0, 1));

let keyEnabled = true;
const tokens = memoryTokenStore(clock);
const service = createOpenApiService({ accessKeys: (id) => (keyEnabled && id === AK ? SECRET : undefined), instanceId: INSTANCE, tokens, clock });
const inProcess: FetchLike = async (url, init) => (await service(new Request(url, init)))!;
const client = createOnsMqttClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: 'http://openapi.test/', instanceId: INSTANCE, clock, fetch: inProcess });
const tokenIssuer = createTokenIssuer({ client, clock });

/** Every body any test saw, checked for secrets at the end. */
const bodies: string[] = [];
const errorsSeen: unknown[] = [];

const base: CredentialHandlerOptions = {
  instanceId: INSTANCE,
  accessKeyId: AK,
  accessKeySecret: SECRET,
  tokenIssuer,
  deviceSecret: (clientId) => (clientId === CLIENT ? { deviceAccessKeyId: 'DK-1', deviceAccessKeySecret: DEVICE_SECRET } : undefined),
  onError: (error) => errorsSeen.push(error),
};

async function call(options: CredentialHandlerOptions, init: RequestInit & { query?: string } = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const handler = createCredentialHandler(options);
  const { query = `?clientId=${encodeURIComponent(CLIENT)}`, ...rest } = init;
  const response = await handler(new Request(`${ORIGIN}/credentials${rest.method && rest.method !== 'GET' ? '' : query}`, rest));
  const text = response.status === 204 ? '' : await response.text();
  bodies.push(text);
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

describe('authorization', () => {
  it('refuses everything by default (403 ERR_FORBIDDEN, JSON, no-store)', async () => {
    const { status, headers, body } = await call(base);
    expect(status).toBe(403);
    expect(body.error).toMatchObject({ code: 'ERR_FORBIDDEN', field: 'clientId' });
    expect(headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuses when authorize returns false, or throws ERR_FORBIDDEN with its own message', async () => {
    expect((await call({ ...base, authorize: () => false })).status).toBe(403);
    const custom = await call({
      ...base,
      authorize: () => {
        throw new ApsaraMqttAuthError('ERR_FORBIDDEN', 'session expired: sign in again', { field: 'session' });
      },
    });
    expect(custom).toMatchObject({ status: 403, body: { error: { code: 'ERR_FORBIDDEN', message: 'session expired: sign in again', field: 'session' } } });
  });

  it('an authorize that crashes is a 500 with a generic message; the error goes to onError only', async () => {
    const seen = errorsSeen.length;
    const { status, body } = await call({
      ...base,
      authorize: () => {
        throw new Error(`db password is ${SECRET}`);
      },
    });
    expect(status).toBe(500);
    expect(body.error).toEqual({ code: 'ERR_CREDENTIALS_UNAVAILABLE', message: 'the credential server failed to authorize the request' });
    expect(String(errorsSeen[seen])).toContain('db password');
  });

  it('authorize sees the request, the client id and the request fields', async () => {
    const seen: unknown[] = [];
    await call(
      {
        ...base,
        authorize: (request, clientId, { params }) => {
          seen.push(request.headers.get('authorization'), clientId, { ...params });
          return false;
        },
      },
      post({ clientId: CLIENT, topic: 'fleet/1', n: 7 }, 'application/json', { authorization: 'Bearer abc' }),
    );
    expect(seen).toEqual(['Bearer abc', CLIENT, { clientId: CLIENT, topic: 'fleet/1' }]);
  });
});

describe('grants', () => {
  it('signature: the Signature-mode password, and the connect hints', async () => {
    const connect = { host: '127.0.0.1', port: 8083, transport: 'ws' };
    const { status, body } = await call({ ...base, connect, authorize: () => ({ mode: 'signature' }) });
    expect(status).toBe(200);
    const expected = await signatureCredentials({ accessKeyId: AK, accessKeySecret: SECRET, instanceId: INSTANCE, clientId: CLIENT });
    expect(body).toEqual({ mode: 'signature', clientId: CLIENT, instanceId: INSTANCE, connect, ...expected, issuedAt: clock.now() });
  });

  it('device: signed with the device secret, which never leaves the server', async () => {
    const { status, body } = await call({ ...base, authorize: () => ({ mode: 'device' }) }, post({ clientId: CLIENT }));
    expect(status).toBe(200);
    const expected = await deviceCredentials({ deviceAccessKeyId: 'DK-1', deviceAccessKeySecret: DEVICE_SECRET, instanceId: INSTANCE, clientId: CLIENT });
    expect(body).toEqual({ mode: 'device', clientId: CLIENT, instanceId: INSTANCE, ...expected, issuedAt: clock.now() });
    const unknown = await call({ ...base, authorize: () => ({ mode: 'device' }) }, { query: '?clientId=GID_Test@@@unregistered' });
    expect(unknown).toMatchObject({ status: 403, body: { error: { code: 'ERR_FORBIDDEN' } } });
  });

  it('token: a token from the issuer, with what in-band rotation needs', async () => {
    const { status, body } = await call({ ...base, authorize: (_r, clientId) => ({ mode: 'token', resources: [`p2p/${clientId}`, 'fleet/#'], actions: 'R,W' }) });
    expect(status).toBe(200);
    const [token] = body.tokens;
    expect(token).toMatchObject({ type: 'RW', resources: ['fleet/#', `p2p/${CLIENT}`], actions: 'R,W', expiresAt: clock.now() + 3600_000 });
    expect(tokens.query(token.token)).toBe(true);
    expect(body).toMatchObject({ mode: 'token', clientId: CLIENT, instanceId: INSTANCE, username: `Token|${AK}|${INSTANCE}`, password: `RW|${token.token}`, expiresAt: token.expiresAt });
    // Dated on the issuer's clock: a client whose clock is hours off still knows the lifetime.
    expect(body).toMatchObject({ issuedAt: clock.now(), expiresIn: 3600 });
  });

  it('dates its answers with its own clock when given one: issuedAt, and expiresIn rounded down', async () => {
    const own = manualClock(clock.now() - 1500); // 1.5 s behind the issuer
    const { body } = await call({ ...base, clock: own, authorize: () => ({ mode: 'token', resources: ['fleet/#'], actions: 'R' }) });
    expect(body.issuedAt).toBe(own.now());
    expect(body.expiresIn).toBe(Math.floor((body.expiresAt - own.now()) / 1000));
    expect(() => createCredentialHandler({ ...base, clock: { now: () => 1 } as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', field: 'clock' }));
  });

  it('token: several permissions make an R|…|W|… password with the earliest expiry', async () => {
    const { body } = await call({
      ...base,
      authorize: () => ({ mode: 'token', permissions: [{ resources: ['out/#'], actions: 'W' }, { resources: ['in/#'], actions: 'R' }] }),
    });
    const byType = Object.fromEntries(body.tokens.map((t: { type: string; token: string }) => [t.type, t.token]));
    expect(body.password).toBe(`R|${byType.R}|W|${byType.W}`);
    expect(body.expiresAt).toBe(Math.min(...body.tokens.map((t: { expiresAt: number }) => t.expiresAt)));
  });

  it('token: an OpenAPI failure is a 502 that says nothing about the account', async () => {
    const seen = errorsSeen.length;
    keyEnabled = false;
    try {
      const { status, body } = await call({ ...base, authorize: () => ({ mode: 'token', resources: ['never/cached'], actions: 'R' }) });
      expect(status).toBe(502);
      expect(body.error).toEqual({ code: 'ERR_OPENAPI', message: 'the token service failed; try again later' });
      expect(errorsSeen[seen]).toMatchObject({ code: 'ERR_OPENAPI', openApiCode: 'InvalidAccessKeyId.NotFound' });
    } finally {
      keyEnabled = true;
    }
  });

  it('token: a throttled ApplyToken is a 503 with Retry-After', async () => {
    const limited = createOpenApiService({ accessKeys: { [AK]: SECRET }, instanceId: INSTANCE, tokens: memoryTokenStore(clock), clock, rateLimits: { ApplyToken: 1 } });
    const limitedClient = createOnsMqttClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: 'http://openapi.test/', instanceId: INSTANCE, clock, fetch: async (url, init) => (await limited(new Request(url, init)))! });
    const options = { ...base, tokenIssuer: createTokenIssuer({ client: limitedClient, clock }) };
    const first = await call({ ...options, authorize: () => ({ mode: 'token', resources: ['a'], actions: 'R' }) });
    expect(first.status).toBe(200);
    const second = await call({ ...options, authorize: () => ({ mode: 'token', resources: ['b'], actions: 'R' }) });
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('1');
    expect(second.body.error).toEqual({ code: 'ERR_OPENAPI', message: 'the token service is busy; try again in a moment' });
    expect(limited.errors['ApplyTokenOverFlow']).toBe(1);
  });

  it('a grant the server cannot honour is a 500, not a leak', async () => {
    const { accessKeySecret: _drop, ...noSecret } = base;
    for (const options of [
      { ...noSecret, authorize: () => ({ mode: 'signature' as const }) },
      { ...base, authorize: () => ({ mode: 'magic' }) as never },
      { ...base, authorize: () => ({ mode: 'token' as const, permissions: [{ resources: ['a'], actions: 'R' as const }, { resources: ['b'], actions: 'R' as const }] }) },
      { ...base, authorize: () => ({ mode: 'token' as const, resources: ['bad topic'], actions: 'R' as const }) },
      { ...base, authorize: () => true as never },
    ]) {
      const { status, body } = await call(options);
      expect(status).toBe(500);
      expect(body.error.code).toBe('ERR_CREDENTIALS_UNAVAILABLE');
    }
  });
});

describe('bad input', () => {
  const allow = { ...base, authorize: () => ({ mode: 'signature' as const }) };
  it.each([
    { name: 'no clientId', init: { query: '' }, status: 400, code: 'ERR_INVALID_ARGUMENT', field: 'clientId' },
    { name: 'clientId without @@@', init: { query: '?clientId=GID_Test0001' }, status: 400, code: 'ERR_INVALID_CLIENT_ID', field: 'clientId' },
    { name: 'clientId with a bad device id', init: { query: '?clientId=GID_Test@@@a/b' }, status: 400, code: 'ERR_INVALID_CLIENT_ID', field: 'deviceId' },
    { name: 'body not JSON', init: post('{"clientId":'), status: 400, code: 'ERR_INVALID_ARGUMENT', field: 'body' },
    { name: 'body a JSON array', init: post([CLIENT]), status: 400, code: 'ERR_INVALID_ARGUMENT', field: 'body' },
    { name: 'clientId a number', init: post({ clientId: 42 }), status: 400, code: 'ERR_INVALID_ARGUMENT', field: 'clientId' },
    { name: 'text/plain body', init: post({ clientId: CLIENT }, 'text/plain'), status: 415, code: 'ERR_INVALID_ARGUMENT', field: 'content-type' },
    { name: 'body too large', init: post({ clientId: CLIENT, pad: 'x'.repeat(9000) }), status: 413, code: 'ERR_INVALID_ARGUMENT', field: 'body' },
    { name: 'PUT', init: { method: 'PUT', body: '{}' }, status: 405, code: 'ERR_INVALID_ARGUMENT', field: 'method' },
    { name: 'DELETE', init: { method: 'DELETE' }, status: 405, code: 'ERR_INVALID_ARGUMENT', field: 'method' },
  ])('$name → $status $code on $field', async ({ init, status, code, field }) => {
    const result = await call(allow, init as RequestInit);
    expect(result.status).toBe(status);
    expect(result.body.error).toMatchObject({ code, field });
    expect(result.headers.get('cache-control')).toBe('no-store');
    if (status === 405) expect(result.headers.get('allow')).toBe('GET, POST, OPTIONS');
  });

  it('a form-encoded POST works like JSON', async () => {
    const { status, body } = await call(allow, post(`clientId=${encodeURIComponent(CLIENT)}`, 'application/x-www-form-urlencoded'));
    expect(status).toBe(200);
    expect(body.password).toBe((await signatureCredentials({ accessKeyId: AK, accessKeySecret: SECRET, instanceId: INSTANCE, clientId: CLIENT })).password);
  });

  it('methods can be narrowed to POST', async () => {
    const result = await call({ ...allow, methods: ['POST'] });
    expect(result).toMatchObject({ status: 405, body: { error: { field: 'method' } } });
  });

  it('bad options are named at creation', () => {
    expect(() => createCredentialHandler({ ...base, instanceId: 'a|b' })).toThrow(expect.objectContaining({ field: 'instanceId' }));
    expect(() => createCredentialHandler({ ...base, instanceId: 'mqtt-other' })).toThrow(expect.objectContaining({ field: 'tokenIssuer' }));
    expect(() => createCredentialHandler({ ...base, authorize: 'yes' as never })).toThrow(expect.objectContaining({ field: 'authorize' }));
    expect(() => createCredentialHandler({ ...base, methods: ['PATCH' as never] })).toThrow(expect.objectContaining({ field: 'methods' }));
    expect(() => createCredentialHandler({ ...base, tokenIssuer: undefined, accessKeyId: undefined })).toThrow(expect.objectContaining({ field: 'accessKeyId' }));
  });
});

describe('origins', () => {
  it('same-origin calls pass without CORS options (Origin is set only where the runtime allows it)', async () => {
    const { status, headers } = await call({ ...base, authorize: () => ({ mode: 'signature' }) }, post({ clientId: CLIENT }, 'application/json', { origin: ORIGIN }));
    expect(status).toBe(200);
    expect(headers.get('access-control-allow-origin')).toBeNull();
  });
});

// Last in the file, so it sees every answer the tests above received.
describe('secrets', () => {
  it('no answer contained the AccessKey secret, the device secret or a stack trace', () => {
    expect(bodies.length).toBeGreaterThan(20);
    for (const text of bodies) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(DEVICE_SECRET);
      expect(text).not.toMatch(/\n\s+at /);
    }
  });
});
