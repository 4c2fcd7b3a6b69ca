/**
 * The local broker over HTTP and WebSocket: it runs on developers' machines while they browse,
 * so any web page can send requests to it. The control API needs its secret; POSTs must be JSON;
 * every HTTP request and WebSocket upgrade must name the broker in `Host` and, from a browser, come
 * from a page on a loopback or configured host. Real broker, real sockets, on 127.0.0.1.
 */
import { request as httpRequest } from 'node:http';
import { inspect } from 'node:util';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlRoutes, createOpenApiService, startBroker, TokenStore, type LocalBroker } from '../../src/broker/broker-entry.js';
import { ApsaraMqttAuthError } from '../../src/errors.js';

const SECRET = 'broker-sec-secret-DoNotLeak-11';
let broker: LocalBroker;
let clientId: string;

beforeAll(async () => {
  broker = await startBroker({
    instanceId: 'mqtt-sec-broker',
    accessKeys: [{ accessKeyId: 'LTAI5tSecBroker', accessKeySecret: SECRET }],
    allowedHosts: ['broker.test'],
    allowedOrigins: ['https://dev.example:8443'],
  });
  clientId = 'GID_sec@@@victim';
  broker.devices.register(clientId);
});
afterAll(async () => {
  await broker?.close();
});

/** One raw HTTP request (fetch cannot set Host or Origin), answered with status and body. */
function raw(path: string, init: { method?: string; headers?: Record<string, string>; body?: string; port?: number } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: init.port ?? broker.httpPort, path, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const bearer = () => ({ authorization: `Bearer ${broker.controlSecret}` });
const deviceUrl = () => `/control/devices/${encodeURIComponent(clientId)}`;

describe('the control API needs its secret', () => {
  it('refuses to hand out a device secret, issue tokens or revoke without it (401)', async () => {
    for (const [path, method, body] of [
      [deviceUrl(), 'GET', undefined],
      ['/control/tokens', 'POST', JSON.stringify({ resources: '#', actions: 'R,W', expireTime: Date.now() + 3_600_000 })],
      ['/control/tokens/revoke', 'POST', JSON.stringify({ token: 'x' })],
      ['/control', 'GET', undefined],
      ['/control/sessions', 'GET', undefined],
    ] as const) {
      for (const authorization of [undefined, 'Bearer wrong-secret-of-some-length', `Basic ${broker.controlSecret}`]) {
        const answer = await raw(path, { method, headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, ...(body ? { body } : {}) });
        expect(answer.status, `${method} ${path} with ${authorization ?? 'nothing'}`).toBe(401);
        expect(answer.body).not.toContain('DeviceAccessKeySecret');
      }
    }
    expect(broker.tokens.size).toBe(0);
  });

  it('answers with the secret', async () => {
    const answer = await raw(deviceUrl(), { headers: bearer() });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toHaveProperty('DeviceAccessKeySecret');
  });

  it('refuses the simple-form content types a page can POST without asking (415), even with the secret', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
      const answer = await raw('/control/tokens', {
        method: 'POST',
        headers: { ...bearer(), ...(type ? { 'content-type': type } : {}) },
        body: JSON.stringify({ resources: '#', actions: 'R,W', expireTime: Date.now() + 3_600_000 }),
      });
      expect(answer.status, String(type)).toBe(415);
    }
    expect(broker.tokens.size).toBe(0);
  });

  it('is generated at start (32 random bytes), taken from the config, and never shown by inspect or JSON', async () => {
    expect(broker.controlSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const dump = inspect(broker, { depth: 6 }) + JSON.stringify(Object.keys(broker));
    expect(dump).not.toContain(broker.controlSecret);
    const chosen = await startBroker({ instanceId: 'mqtt-sec-chosen', controlSecret: 'a-chosen-secret-of-20', tcpPort: 0, tlsPort: false, wsPort: false, wssPort: false });
    try {
      expect(chosen.controlSecret).toBe('a-chosen-secret-of-20');
    } finally {
      await chosen.close();
    }
    await expect(startBroker({ instanceId: 'mqtt-sec-weak', controlSecret: 'short' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'controlSecret' });
  });
});

describe('Host and Origin are checked on every HTTP request', () => {
  it('refuses a Host that does not name the broker (DNS rebinding), on every route', async () => {
    for (const path of [deviceUrl(), '/', '/?Action=QueryToken', '/anything']) {
      const answer = await raw(path, { headers: { ...bearer(), host: `evil.example:${broker.httpPort}` } });
      expect(answer.status, path).toBe(403);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'ERR_FORBIDDEN', field: 'host' } });
    }
  });

  it('accepts loopback names, IP addresses and the configured names', async () => {
    for (const host of ['127.0.0.1', 'localhost', 'app.localhost', '[::1]', '10.1.2.3', 'broker.test', 'BROKER.TEST']) {
      expect((await raw(deviceUrl(), { headers: { ...bearer(), host: `${host}:${broker.httpPort}` } })).status, host).toBe(200);
    }
  });

  it('refuses pages from other origins, and the opaque origin null', async () => {
    for (const origin of ['https://evil.example', 'null', 'http://192.168.1.66:8080', 'file://', 'chrome-extension://abc']) {
      const answer = await raw(deviceUrl(), { headers: { ...bearer(), origin } });
      expect(answer.status, origin).toBe(403);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { field: 'origin' } });
    }
  });

  it('accepts pages on loopback hosts, on the configured names, and the configured origins', async () => {
    for (const origin of ['http://127.0.0.1:5173', 'http://localhost:3000', 'https://broker.test', 'https://dev.example:8443']) {
      expect((await raw(deviceUrl(), { headers: { ...bearer(), origin } })).status, origin).toBe(200);
    }
  });

  it('refuses a body over 64 KB before any route reads it', async () => {
    const answer = await raw('/control/tokens', { method: 'POST', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }) });
    expect(answer.status).toBe(413);
  });

  it('the control routes refuse a body over 64 KB wherever they are mounted (413), without reading it whole', async () => {
    const routes = createControlRoutes(broker);
    const big = () =>
      new Request('http://127.0.0.1/control/tokens', { method: 'POST', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }) });
    const answer = await routes(big());
    expect(answer?.status).toBe(413);
    expect(await answer?.json()).toMatchObject({ error: { code: 'ERR_INVALID_ARGUMENT', field: 'body' } });
  });

  it('the OpenAPI refuses more than 256 parameters, or a body over 64 KB wherever it is mounted, before any signature work (413)', async () => {
    const many = new URLSearchParams({ Action: 'ApplyToken', AccessKeyId: 'LTAI5tSecBroker', Signature: 'wrong' });
    for (let i = 0; i < 300; i++) many.set(`P${i}`, 'x');
    const answer = await raw(`/?${many}`);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ Code: 'RequestTooLarge' });
    // Mounted in another server, with no listener bound in front of it.
    const service = createOpenApiService({ accessKeys: { LTAI5tSecBroker: SECRET }, instanceId: 'mqtt-sec-broker', tokens: new TokenStore({ instanceId: 'mqtt-sec-broker' }) });
    const big = await service(
      new Request('http://127.0.0.1/', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `Action=ApplyToken&AccessKeyId=LTAI5tSecBroker&Pad=${'x'.repeat(100 * 1024)}` }),
    );
    expect(big?.status).toBe(413);
    expect(service.errors).toEqual({ RequestTooLarge: 1 });
  });

  it('checks allowedHosts and allowedOrigins when the broker starts', async () => {
    for (const config of [{ allowedHosts: ['evil.example:80'] }, { allowedHosts: 'x' }, { allowedOrigins: ['null'] }, { allowedOrigins: ['evil.example'] }]) {
      await expect(startBroker({ instanceId: 'mqtt-sec-x', ...(config as object) })).rejects.toBeInstanceOf(ApsaraMqttAuthError);
    }
  });
});

describe('Host and Origin are checked on every WebSocket upgrade', () => {
  /** The HTTP status the upgrade got (101 when accepted). */
  function upgrade(headers: Record<string, string>): Promise<number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(broker.url('ws'), 'mqtt', { headers });
      ws.on('upgrade', () => {
        resolve(101);
        ws.terminate();
      });
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode!);
        ws.terminate();
      });
      ws.on('error', (error) => (error.message.includes('Unexpected server response') ? undefined : reject(error)));
    });
  }

  it('refuses a foreign Origin and a foreign Host; takes loopback pages and non-browser clients', async () => {
    expect(await upgrade({ origin: 'https://evil.example' })).toBe(403);
    expect(await upgrade({ origin: 'null' })).toBe(403);
    expect(await upgrade({ host: 'evil.example' })).toBe(403);
    expect(await upgrade({ origin: 'http://127.0.0.1:8080' })).toBe(101);
    expect(await upgrade({})).toBe(101);
  });
});
