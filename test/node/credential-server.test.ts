/**
 * The credential handler behind a real `http.createServer` on 127.0.0.1 through `toNodeListener`,
 * with the OpenAPI service on its own loopback port: HTTP semantics over the wire, CORS with real
 * Origin headers, and a thousand clients at once costing one ApplyToken.
 */
import { Agent, get } from 'node:http';
import { connect } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenApiService, type OpenApiService } from '../../src/broker/openapi-service.js';
import { ApsaraMqttAuthError, remoteCredentials, signatureCredentials } from '../../src/index.js';
import {
  createCredentialHandler,
  createOnsMqttClient,
  createTokenIssuer,
  type CredentialHandlerOptions,
  type OnsMqttClient,
  type TokenIssuer,
} from '../../src/server/server-entry.js';
import { serve, type Served } from '../helpers/loopback.js';
import { TokenStore } from '../../src/broker/broker-entry.js';
import { post } from '../helpers/requests.js';
import { SECRET } from '../suites/api.js';

const INSTANCE = 'mqtt-cn-http';
const AK = 'LTAI5tHttp';
const CLIENT = 'GID_Test@@@0001';

let service: OpenApiService;
let openapi: Served;
let client: OnsMqttClient;
let tokenIssuer: TokenIssuer;
let base: CredentialHandlerOptions;
const servers: Served[] = [];
const bodies: string[] = [];

beforeAll(async () => {
  service = createOpenApiService({ accessKeys: { [AK]: SECRET }, instanceId: INSTANCE, tokens: new TokenStore({ instanceId: INSTANCE }) });
  openapi = await serve(service);
  client = createOnsMqttClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: openapi.url, instanceId: INSTANCE });
  tokenIssuer = createTokenIssuer({ client });
  base = { instanceId: INSTANCE, accessKeyId: AK, accessKeySecret: SECRET, tokenIssuer };
});
afterAll(async () => {
  await Promise.all([openapi, ...servers].map((s) => s?.close()));
});

/** Starts the handler for these options on a fresh loopback port. */
async function start(options: CredentialHandlerOptions): Promise<Served> {
  const served = await serve(createCredentialHandler(options));
  servers.push(served);
  return served;
}

async function send(served: Served, init: RequestInit & { query?: string } = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const { query = `?clientId=${encodeURIComponent(CLIENT)}`, ...rest } = init;
  const response = await fetch(`${served.url}credentials${rest.method && rest.method !== 'GET' ? '' : query}`, rest);
  const text = await response.text();
  bodies.push(text);
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** GET over node:http with a given agent, parsed as JSON. */
function getJson(url: string, agent: Agent): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function call(options: CredentialHandlerOptions, init: RequestInit = {}) {
  return send(await start(options), init);
}

describe('over HTTP', () => {
  it('GET and POST answer JSON credentials with no-store headers', async () => {
    const served = await start({ ...base, authorize: () => ({ mode: 'signature' }) });
    const expected = await signatureCredentials({ accessKeyId: AK, accessKeySecret: SECRET, instanceId: INSTANCE, clientId: CLIENT });
    for (const init of [{}, post({ clientId: CLIENT })]) {
      const { status, headers, body } = await send(served, init);
      expect(status).toBe(200);
      expect(body).toMatchObject(expected);
      expect(headers.get('cache-control')).toBe('no-store');
      expect(headers.get('content-type')).toBe('application/json; charset=utf-8');
    }
  });

  it('authorize sees the URL the client called and its headers', async () => {
    let seen: [string, string | null] | undefined;
    const served = await start({
      ...base,
      authorize: (request) => {
        seen = [request.url, request.headers.get('x-session')];
        return false;
      },
    });
    expect((await send(served, { headers: { 'x-session': 's-1' } })).status).toBe(403);
    expect(seen).toEqual([`http://127.0.0.1:${served.port}/credentials?clientId=${encodeURIComponent(CLIENT)}`, 's-1']);
  });

  it('1,000 clients asking at once for the same topics → one ApplyToken call', async () => {
    const served = await start({ ...base, tokenIssuer: createTokenIssuer({ client }), authorize: () => ({ mode: 'token', resources: ['fleet/+/telemetry'], actions: 'R' }) });
    const before = service.calls['ApplyToken'] ?? 0;
    // All requests are sent at once over a pool of keep-alive sockets (a thousand fresh TCP handshakes
    // would test the kernel, not the issuer); every one reaches the handler before any answer is read.
    const agent = new Agent({ keepAlive: true, maxSockets: 100 });
    const answers = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => getJson(`${served.url}?clientId=GID_fleet@@@device-${i}`, agent) as Promise<{ status: number; body: { password: string; clientId: string } }>),
    ).finally(() => agent.destroy());
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(new Set(answers.map((a) => a.body.password)).size).toBe(1);
    expect(answers[999]!.body.clientId).toBe('GID_fleet@@@device-999');
    expect((service.calls['ApplyToken'] ?? 0) - before).toBe(1);
  });
});

describe('CORS', () => {
  const allow = () => ({ ...base, authorize: () => ({ mode: 'signature' as const }) });
  const app = 'https://app.example.com';

  it('answers a preflight from an allowed origin', async () => {
    const { status, headers } = await call(
      { ...allow(), cors: { origin: [app], credentials: true, maxAge: 60 } },
      { method: 'OPTIONS', headers: { origin: app, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } },
    );
    expect(status).toBe(204);
    expect(headers.get('access-control-allow-origin')).toBe(app);
    expect(headers.get('access-control-allow-credentials')).toBe('true');
    expect(headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
    expect(headers.get('access-control-allow-headers')).toBe('content-type, authorization');
    expect(headers.get('access-control-max-age')).toBe('60');
    expect(headers.get('vary')).toBe('Origin');
  });

  it('serves an allowed origin with the CORS headers', async () => {
    const { status, headers } = await call({ ...allow(), cors: { origin: (o) => o.endsWith('.example.com') } }, post({ clientId: CLIENT }, 'application/json', { origin: app }));
    expect(status).toBe(200);
    expect(headers.get('access-control-allow-origin')).toBe(app);
    expect(headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('refuses a foreign origin before authorize runs, and by default', async () => {
    let asked = 0;
    const counting = () => ({ ...base, authorize: () => (asked++, { mode: 'signature' as const }) });
    for (const options of [counting(), { ...counting(), cors: { origin: [app] } }]) {
      const { status, headers, body } = await call(options, post({ clientId: CLIENT }, 'application/json', { origin: 'https://evil.example.net' }));
      expect(status).toBe(403);
      expect(body.error).toMatchObject({ code: 'ERR_FORBIDDEN', field: 'origin' });
      expect(headers.get('access-control-allow-origin')).toBeNull();
    }
    expect(asked).toBe(0);
  });

  it('same-origin browser calls pass without CORS options', async () => {
    const served = await start(allow());
    const { status, headers } = await send(served, post({ clientId: CLIENT }, 'application/json', { origin: `http://127.0.0.1:${served.port}` }));
    expect(status).toBe(200);
    expect(headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('with the client-side remoteCredentials provider', () => {
  it('a default remoteCredentials POST gets token credentials it accepts, with expiresAt', async () => {
    const served = await start({ ...base, authorize: (_r, clientId, { params }) => params['reason'] === 'connect' && { mode: 'token', resources: [`devices/${clientId.split('@@@')[1]}`], actions: 'R,W' } });
    const provided = await remoteCredentials(served.url)({ clientId: CLIENT, instanceId: INSTANCE, reason: 'connect' });
    expect(provided.username).toBe(`Token|${AK}|${INSTANCE}`);
    expect(provided.password).toMatch(/^RW\|[A-Za-z0-9_.-]{20,}$/);
    expect(provided.expiresAt).toBeGreaterThan(Date.now());
  });

  it("the answer carries the server's time: remoteCredentials turns it into expiresIn, whatever the device's clock says", async () => {
    const served = await start({ ...base, authorize: () => ({ mode: 'token', resources: ['devices/#'], actions: 'R' }) });
    const provided = await remoteCredentials(served.url)({ clientId: CLIENT, instanceId: INSTANCE, reason: 'connect' });
    // The handler's issuedAt and expiresIn (whole seconds) come from the same clock as the token's expiry.
    expect(Number.isInteger(provided.expiresIn)).toBe(true);
    expect(provided.expiresIn! * 1000).toBeGreaterThan(provided.expiresAt! - Date.now() - 2000);
    expect(provided.expiresIn! * 1000).toBeLessThanOrEqual(provided.expiresAt! - Date.now() + 1000);
  });

  it("a server that adds no time fields: the HTTP Date header dates the answer (its second's end), on the real clock only", async () => {
    const serverNow = Date.now() + 2 * 3_600_000; // a server 2 h ahead of this process
    const expiresAt = serverNow + 90_000;
    const served = await serve(
      async () => new Response(JSON.stringify({ username: 'u', password: 'p', expiresAt }), { headers: { 'content-type': 'application/json', date: new Date(serverNow).toUTCString() } }),
    );
    try {
      const context = { clientId: CLIENT, instanceId: INSTANCE, reason: 'connect' as const };
      const provided = await remoteCredentials(served.url)(context);
      expect(provided.expiresAt).toBe(expiresAt);
      expect(provided.expiresIn! * 1000).toBe(expiresAt - (Math.floor(serverNow / 1000) * 1000 + 1000));
      // A test's manual clock is not the time a Date header tells: not read then.
      const manual = { now: () => 0, setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as never) };
      expect((await remoteCredentials(served.url, {}, { clock: manual })(context)).expiresIn).toBeUndefined();
    } finally {
      await served.close();
    }
  });

  it('a refusal reaches the client as ERR_CREDENTIALS_UNAVAILABLE with the status and the server code', async () => {
    const served = await start(base);
    const error = await Promise.resolve(remoteCredentials(served.url)({ clientId: CLIENT, instanceId: INSTANCE, reason: 'connect' })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApsaraMqttAuthError);
    expect(error).toMatchObject({ code: 'ERR_CREDENTIALS_UNAVAILABLE', returnCode: 403 });
    expect((error as Error).message).toContain('ERR_FORBIDDEN');
  });
});

describe('the Node adapter', () => {
  it('refuses a body over its limit with a JSON 413 before the handler runs', async () => {
    let ran = false;
    const served = await serve(async () => ((ran = true), new Response('{}')), { maxBodyBytes: 1024 });
    servers.push(served);
    const response = await fetch(served.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(4096) });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'ERR_INVALID_ARGUMENT', field: 'body' } });
    expect(ran).toBe(false);
  });

  it('a handler answering undefined is a JSON 404; one that throws is a generic JSON 500', async () => {
    const errors: unknown[] = [];
    const served = await serve(
      (request) => {
        if (new URL(request.url).pathname === '/throw') throw new Error(`boom ${SECRET}`);
        return undefined;
      },
      { onError: (e) => errors.push(e) },
    );
    servers.push(served);
    const missing = await fetch(`${served.url}nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { field: 'url' } });
    const crashed = await fetch(`${served.url}throw`);
    expect(crashed.status).toBe(500);
    const text = await crashed.text();
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text)).toEqual({ error: { code: 'ERR_CREDENTIALS_UNAVAILABLE', message: 'the server failed' } });
    expect(String(errors[0])).toContain('boom');
  });

  it('a Host header that makes no URL is a JSON 400, not a crash', async () => {
    const served = await serve(async () => new Response('{}'));
    servers.push(served);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(served.port, '127.0.0.1', () => socket.write('GET /credentials HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n'));
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw.startsWith('HTTP/1.1 400 ')).toBe(true);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'ERR_INVALID_ARGUMENT', field: 'host' } });
  });

  it('passes status, repeated headers, cookies and binary bodies through', async () => {
    const served = await serve(async (request) => {
      const body = new Uint8Array(await request.arrayBuffer());
      const headers = new Headers({ 'x-method': request.method, 'x-len': String(body.byteLength) });
      headers.append('set-cookie', 'a=1');
      headers.append('set-cookie', 'b=2');
      return new Response(body.reverse(), { status: 201, headers });
    });
    servers.push(served);
    const response = await fetch(served.url, { method: 'PUT', body: new Uint8Array([1, 2, 3, 255]) });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-method')).toBe('PUT');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([255, 3, 2, 1]);
  });
});

describe('secrets', () => {
  it('the handler, the issuer and the client print no secret', () => {
    const handler = createCredentialHandler({ ...base, authorize: () => false });
    for (const value of [handler, tokenIssuer, client]) {
      for (const text of [String(value), JSON.stringify(value) ?? '', inspect(value, { depth: 10, showHidden: true })]) expect(text).not.toContain(SECRET);
    }
  });

  it('no answer over HTTP contained the secret or a stack trace', () => {
    expect(bodies.length).toBeGreaterThan(5);
    for (const text of bodies) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toMatch(/\n\s+at /);
    }
  });
});
