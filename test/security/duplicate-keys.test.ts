/**
 * The second security audit, findings 6 and 9: a parameter or JSON key given twice is read as the
 * last by one reader (`JSON.parse`, a loop over the entries) and as the first by another
 * (`URLSearchParams.get`, a strict parser). An `authorize` reading the URL itself once approved one
 * client id while credentials were issued for another, and the broker read the HTTP-authentication
 * answer `{"result":"deny","result":"allow"}` as allow. Every such request or answer is refused, the
 * field named. Real handlers, a real broker, mqtt.js and HTTP servers on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type LocalBroker } from '../../src/broker/broker-entry.js';
import { askHttpAuth, _checkHttpAuth } from '../../src/broker/http-auth-client.js';
import { _duplicateJsonKey } from '../../src/internal/json-keys.js';
import { createCredentialHandler, createHttpAuthHandler, parseHttpAuthResponse, signRpcRequest } from '../../src/server/server-entry.js';
import { SECRET } from '../suites/api.js';

const APPROVED = 'GID_sec@@@approved';
const OTHER = 'GID_sec@@@other';

/** A handler whose authorize, like many, reads the client id from the URL itself. */
function credentialHandler() {
  const approved: string[] = [];
  const handler = createCredentialHandler({
    instanceId: 'mqtt-cn-dup',
    accessKeyId: 'LTAI5tDup',
    accessKeySecret: SECRET,
    authorize: (request) => {
      const asked = new URL(request.url).searchParams.get('clientId');
      approved.push(String(asked));
      return asked === APPROVED ? { mode: 'signature' } : false;
    },
  });
  return { handler, approved };
}

describe('finding 6: the credential handler refuses a parameter given twice (400, field named)', () => {
  it('clientId twice in the query: refused before authorize runs', async () => {
    const { handler, approved } = credentialHandler();
    const response = await handler(new Request(`http://127.0.0.1/credentials?clientId=${APPROVED}&clientId=${OTHER}`));
    // Before: authorize approved APPROVED (the first), the answer carried credentials for OTHER (the last).
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'ERR_INVALID_ARGUMENT', field: 'clientId' } });
    expect(approved).toEqual([]);
  });

  it('clientId twice in a form, in a JSON body (escaped or not), or in both the query and the body', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const json = { 'content-type': 'application/json' };
    const cases: [string, string, RequestInit][] = [
      ['form', '', { method: 'POST', headers: form, body: `clientId=${APPROVED}&clientId=${OTHER}` }],
      ['json', '', { method: 'POST', headers: json, body: `{"clientId":"${APPROVED}","clientId":"${OTHER}"}` }],
      ['json escaped', '', { method: 'POST', headers: json, body: `{"clientId":"${APPROVED}","client\\u0049d":"${OTHER}"}` }],
      ['query and form', `?clientId=${APPROVED}`, { method: 'POST', headers: form, body: `clientId=${OTHER}` }],
      ['query and json', `?clientId=${APPROVED}`, { method: 'POST', headers: json, body: JSON.stringify({ clientId: OTHER }) }],
    ];
    for (const [name, query, init] of cases) {
      const { handler, approved } = credentialHandler();
      const response = await handler(new Request(`http://127.0.0.1/credentials${query}`, init));
      expect(response.status, name).toBe(400);
      expect(await response.json(), name).toMatchObject({ error: { field: 'clientId' } });
      expect(approved, name).toEqual([]);
    }
  });

  it('another parameter twice is refused too (authorize sees every parameter), without echoing a long name', async () => {
    const { handler } = credentialHandler();
    const tag = await handler(new Request(`http://127.0.0.1/credentials?clientId=${APPROVED}&reason=a&reason=b`));
    expect(tag.status).toBe(400);
    expect(await tag.json()).toMatchObject({ error: { field: 'reason' } });
    const long = 'k'.repeat(60) + SECRET;
    const answer = await handler(new Request(`http://127.0.0.1/credentials?clientId=${APPROVED}&${long}=1&${long}=2`));
    expect(answer.status).toBe(400);
    expect(await answer.text()).not.toContain(SECRET);
  });

  it('one of each still works: the query, a form, JSON (a nested object may reuse a name)', async () => {
    const handler = createCredentialHandler({
      instanceId: 'mqtt-cn-dup',
      accessKeyId: 'LTAI5tDup',
      accessKeySecret: SECRET,
      authorize: (_request, clientId) => (clientId === APPROVED ? { mode: 'signature' } : false),
    });
    for (const [query, init] of [
      [`?clientId=${APPROVED}&reason=refused`, undefined],
      ['?other=1', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `clientId=${APPROVED}&reason=refused` }],
      ['', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clientId: APPROVED, nested: { clientId: 1 } }) }],
    ] as const) {
      const response = await handler(new Request(`http://127.0.0.1/credentials${query}`, init));
      expect(response.status, query).toBe(200);
      expect(await response.json()).toMatchObject({ clientId: APPROVED });
    }
  });
});

describe('finding 6: the HTTP-authentication handler refuses a body repeating a key', () => {
  it('clientId or password twice: 400 naming it, authenticate never called', async () => {
    const seen: string[] = [];
    const handler = createHttpAuthHandler({ authenticate: ({ clientId }) => (seen.push(clientId), true) });
    for (const [field, body] of [
      ['clientId', `{"username":"u","password":"p","clientId":"${APPROVED}","clientId":"${OTHER}"}`],
      ['password', '{"username":"u","password":"p","password":"q","clientId":"c"}'],
    ]) {
      const response = await handler(new Request('http://127.0.0.1/auth', { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
      expect(response.status, field).toBe(400);
      expect(await response.json(), field).toMatchObject({ error: { code: 'ERR_INVALID_ARGUMENT', field } });
    }
    expect(seen).toEqual([]);
  });
});

describe('finding 6: the broker’s OpenAPI refuses a signed parameter given twice', () => {
  let broker: LocalBroker;
  beforeAll(async () => {
    broker = await startBroker({ instanceId: 'mqtt-sec-dup', accessKeys: [{ accessKeyId: 'LTAI5tDupApi', accessKeySecret: SECRET }], tcpPort: 0, httpPort: 0 });
  });
  afterAll(() => broker?.close());

  it('in the query, in the body, or in both (InvalidParameter, the name given)', async () => {
    const signed = await signRpcRequest({
      method: 'POST',
      action: 'QueryToken',
      version: '2020-04-20',
      accessKeyId: 'LTAI5tDupApi',
      accessKeySecret: SECRET,
      params: { InstanceId: 'mqtt-sec-dup', Token: 'x' },
      now: Date.now(),
      nonce: crypto.randomUUID(),
    });
    const query = new URLSearchParams(signed).toString();
    for (const [where, url, body] of [
      ['query', `?${query}&InstanceId=other`, undefined],
      ['body', `?${query}`, 'Token=y'],
      ['both', `?${query}`, 'Signature=forged'],
    ] as const) {
      const response = await fetch(`http://127.0.0.1:${broker.httpPort}/${url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        ...(body === undefined ? {} : { body }),
      });
      expect(response.status, where).toBe(400);
      expect(await response.json(), where).toMatchObject({ Code: 'InvalidParameter' });
    }
    const once = await fetch(`http://127.0.0.1:${broker.httpPort}/?${query}`, { method: 'POST' });
    expect((await once.json()) as object).not.toMatchObject({ Code: 'InvalidParameter' });
  });
});

describe('finding 9: an HTTP-authentication answer repeating a key is refused', () => {
  let endpoint: Server;
  let url: string;
  let answer = '{"result":"deny","result":"allow"}';
  let broker: LocalBroker;
  beforeAll(async () => {
    endpoint = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(answer));
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/auth`;
    broker = await startBroker({ instanceId: 'mqtt-sec-dup-auth', tcpPort: 0, httpPort: false, httpAuth: { url, timeoutMs: 2000 } });
  });
  afterAll(async () => {
    await broker?.close();
    endpoint.closeAllConnections();
    await new Promise((resolve) => endpoint.close(resolve));
  });

  const connect = () =>
    new Promise<'connected' | number>((resolve) => {
      const client = mqtt.connect(`mqtt://127.0.0.1:${broker.tcpPort}`, { clientId: 'GID_dup@@@1', username: 'meter-1', password: 'p', reconnectPeriod: 0, connectTimeout: 5000 });
      client.on('connect', () => (client.end(true), resolve('connected')));
      client.on('error', (error) => (client.end(true), resolve((error as { code?: number }).code ?? -1)));
    });

  it('{"result":"deny","result":"allow"} is a failed authentication, and the client is refused', async () => {
    answer = '{"result":"deny","result":"allow"}';
    const outcome = await askHttpAuth(_checkHttpAuth({ url, timeoutMs: 2000 }), { username: 'meter-1', password: 'p', clientId: 'GID_dup@@@1' }, Date.now);
    expect(outcome).toMatchObject({ ok: false, kind: 'failed' });
    expect(outcome.ok ? '' : outcome.reason).toContain('result');
    expect(await connect()).toBe(5);
    expect(parseHttpAuthResponse('{"result":"allow","acl":[{"effect":"allow","effect":"deny","action":["publish"],"topic":"a"}]}')).toMatchObject({ ok: false, field: 'body' });
  });

  it('the same answer without the repeat is allow (the endpoint and the broker work)', async () => {
    answer = '{"result":"allow"}';
    expect(await connect()).toBe('connected');
  });

  it('the duplicate scan agrees with JSON.parse on what a key is', () => {
    expect(_duplicateJsonKey('{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}')).toBeUndefined();
    expect(_duplicateJsonKey('{"a":"\\"a\\":","a":2}')).toBe('a');
    expect(_duplicateJsonKey('{"x":[1,{"k":1,"k":2}]}')).toBe('k');
    expect(_duplicateJsonKey('{"\\u0061":1,"a":2}')).toBe('a');
    expect(_duplicateJsonKey('[{"a":1},{"a":1}]')).toBeUndefined();
  });
});
