/**
 * The broker's HTTP control API (tokens, device credentials, sessions), extra fetch-style routes,
 * and that the running broker never shows a secret.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceCredentials, tokenCredentials } from '../src/index.js';
import { startBroker, SYS_TOPICS, type LocalBroker, type RouteHandler } from '../src/broker/broker-entry.js';
import { AK, INSTANCE, closeAll, closed, connect, nextMessage, refusalCode } from './broker-helpers.js';

const DEVICE_SECRET = 'device-secret-DoNotLeak-42';
const CONFIG_TOKEN = 'configured-token-DoNotLeak-43';
const hello: RouteHandler = async (request) => (new URL(request.url).pathname === '/hello' ? Response.json({ from: 'config route' }) : undefined);

let broker: LocalBroker;
/** A request with the control secret (test/security/broker-http.test.ts covers requests without it). */
const api = (path: string, init: RequestInit = {}) =>
  fetch(broker.url('http') + path, { ...init, headers: { authorization: `Bearer ${broker.controlSecret}`, ...(init.headers as Record<string, string>) } });
const post = (path: string, body: unknown) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  broker = await startBroker({
    instanceId: INSTANCE,
    accessKeys: [AK],
    devices: [{ clientId: 'GID_ctl@@@configured', deviceAccessKeyId: 'DevCfg', deviceAccessKeySecret: DEVICE_SECRET }],
    tokens: [{ token: CONFIG_TOKEN, resources: 'fleet/#', actions: 'R,W', expireTime: Date.now() + 3600_000 }],
    routes: [hello],
  });
});

afterAll(async () => {
  await closeAll();
  await broker?.close();
});

describe('control API', () => {
  it('describes the broker', async () => {
    const res = await api('/control');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      instanceId: INSTANCE,
      urls: { tcp: broker.url('tcp'), tls: broker.url('tls'), ws: broker.url('ws'), wss: broker.url('wss'), http: broker.url('http') },
    });
  });

  it('applies a token that a client then connects with; query and revoke work over HTTP', async () => {
    const applied = await post('/control/tokens', { resources: ['fleet/b', 'fleet/a'], actions: 'R,W', expireTime: Date.now() + 3600_000 });
    expect(applied.status).toBe(200);
    const { token, expireTime } = (await applied.json()) as { token: string; expireTime: number };
    expect(broker.tokens.describe(token)).toMatchObject({ resources: ['fleet/a', 'fleet/b'], expireTime });
    const client = await connect(broker, {
      clientId: 'GID_ctl@@@token-user',
      credentials: tokenCredentials({ accessKeyId: AK.accessKeyId, instanceId: INSTANCE, tokens: { RW: token } }),
    });
    expect(await (await post('/control/tokens/query', { token })).json()).toEqual({ tokenStatus: true });
    const invalid = nextMessage(client, SYS_TOPICS.TOKEN_INVALID_NOTICE);
    expect(await (await post('/control/tokens/revoke', { token })).json()).toEqual({ revoked: true });
    expect(JSON.parse((await invalid).text)).toEqual({ code: 3, type: 'RW' });
    await closed(client);
    expect(await (await post('/control/tokens/query', { token })).json()).toEqual({ tokenStatus: false });
  });

  it('answers bad requests with a JSON error naming the field', async () => {
    const tooSoon = await post('/control/tokens', { resources: 'fleet/a', actions: 'R', expireTime: Date.now() + 1000 });
    expect(tooSoon.status).toBe(400);
    expect(await tooSoon.json()).toMatchObject({ error: { code: 'ERR_INVALID_ARGUMENT', field: 'expireTime' } });
    const notJson = await api('/control/tokens/query', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'token=x' });
    expect(await notJson.json()).toMatchObject({ error: { code: 'ERR_INVALID_ARGUMENT', field: 'body' } });
    const plainText = await api('/control/tokens/query', { method: 'POST', body: '{"token":"x"}' });
    expect(plainText.status).toBe(415);
    const missing = await post('/control/tokens/revoke', {});
    expect(await missing.json()).toMatchObject({ error: { field: 'token' } });
    const unknown = await api('/control/nothing-here');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'ERR_NOT_FOUND' } });
    const huge = await api('/control/tokens', { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) });
    expect(huge.status).toBe(413);
  });

  it('registers, reads, refreshes and unregisters device credentials; a refreshed secret replaces the old one', async () => {
    const clientId = 'GID_ctl@@@device-9';
    const registered = (await (await post('/control/devices', { clientId })).json()) as Record<string, string>;
    expect(registered).toMatchObject({ ClientId: clientId, InstanceId: INSTANCE });
    const creds = (r: Record<string, string>) =>
      deviceCredentials({ deviceAccessKeyId: r.DeviceAccessKeyId!, deviceAccessKeySecret: r.DeviceAccessKeySecret!, instanceId: INSTANCE, clientId });
    const client = await connect(broker, { clientId, credentials: await creds(registered) });
    await client.endAsync();
    expect(await (await api(`/control/devices/${encodeURIComponent(clientId)}`)).json()).toEqual(registered);

    const refreshed = (await (await post(`/control/devices/${encodeURIComponent(clientId)}/refresh`, {})).json()) as Record<string, string>;
    expect(refreshed.DeviceAccessKeySecret).not.toBe(registered.DeviceAccessKeySecret);
    expect(await refusalCode(broker, { clientId, credentials: await creds(registered) })).toBe(5);
    await (await connect(broker, { clientId, credentials: await creds(refreshed) })).endAsync();

    expect(await (await api(`/control/devices/${encodeURIComponent(clientId)}`, { method: 'DELETE' })).json()).toEqual({ unregistered: true });
    expect((await api(`/control/devices/${encodeURIComponent(clientId)}`)).status).toBe(404);
    expect(await refusalCode(broker, { clientId, credentials: await creds(refreshed) })).toBe(5);
  });

  it('lists sessions without secrets', async () => {
    const client = await connect(broker, {
      clientId: 'GID_ctl@@@listed',
      credentials: tokenCredentials({ accessKeyId: AK.accessKeyId, instanceId: INSTANCE, tokens: { RW: CONFIG_TOKEN } }),
    });
    const text = await (await api('/control/sessions')).text();
    expect(JSON.parse(text).sessions).toContainEqual({
      clientId: 'GID_ctl@@@listed',
      mode: 'Token',
      id: AK.accessKeyId,
      protocolVersion: 4,
      keepalive: 90,
      ordered: false,
      tokens: [{ type: 'RW', resources: ['fleet/#'], actions: 'R,W', expireTime: broker.tokens.describe(CONFIG_TOKEN)!.expireTime }],
    });
    expect(text).not.toContain(CONFIG_TOKEN);
    await client.endAsync();
  });
});

describe('extra routes', () => {
  it('serves routes from the config and from addRoute, before the control routes, until removed', async () => {
    expect(await (await api('/hello')).json()).toEqual({ from: 'config route' });
    const seen: string[] = [];
    const remove = broker.addRoute(async (request) => {
      seen.push(`${request.method} ${new URL(request.url).pathname} ${await request.clone().text()}`);
      return new URL(request.url).pathname === '/control' ? new Response('shadowed', { status: 418, headers: { 'x-from': 'added' } }) : undefined;
    });
    const shadowed = await api('/control');
    expect([shadowed.status, shadowed.headers.get('x-from'), await shadowed.text()]).toEqual([418, 'added', 'shadowed']);
    expect((await post('/other', { a: 1 })).status).toBe(404);
    // The config route answers first; the added one never sees /hello.
    await api('/hello');
    expect(seen).toEqual(['GET /control ', 'POST /other {"a":1}']);
    remove();
    expect((await api('/control')).status).toBe(200);
  });

  it('answers 500 without detail when a route throws', async () => {
    const remove = broker.addRoute(async () => {
      throw new Error(`boom ${DEVICE_SECRET}`);
    });
    const res = await api('/anything');
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain(DEVICE_SECRET);
    remove();
  });
});

describe('secrets', () => {
  it('never appear in util.inspect or JSON of the broker, its stores or its events', async () => {
    const events: unknown[] = [];
    for (const name of ['clientConnected', 'clientRefused', 'clientDisconnected', 'notice', 'denied'] as const) broker.on(name, (e: unknown) => events.push(e));
    const client = await connect(broker, {
      clientId: 'GID_ctl@@@configured',
      credentials: await deviceCredentials({ deviceAccessKeyId: 'DevCfg', deviceAccessKeySecret: DEVICE_SECRET, instanceId: INSTANCE, clientId: 'GID_ctl@@@configured' }),
    });
    await refusalCode(broker, {
      clientId: 'GID_ctl@@@wrong',
      credentials: tokenCredentials({ accessKeyId: AK.accessKeyId, instanceId: INSTANCE, tokens: { R: CONFIG_TOKEN + 'x' } }),
    });
    const dumps = [
      inspect(broker, { depth: 10, showHidden: true }),
      JSON.stringify({ tokens: broker.tokens, devices: broker.devices, sessions: broker.sessions(), events }),
      inspect(events, { depth: 10, showHidden: true }),
      inspect(broker.devices.get('GID_ctl@@@configured'), { showHidden: true }),
    ].join('\n');
    for (const secret of [AK.accessKeySecret, DEVICE_SECRET, CONFIG_TOKEN]) expect(dumps).not.toContain(secret);
    await client.endAsync();
  });
});
