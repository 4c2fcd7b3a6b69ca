/**
 * Prototype pollution: a bug elsewhere in an application that writes to
 * `Object.prototype` must not change what the SDK does. Each test pollutes one name, runs the SDK,
 * and removes it again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as client from '../../src/index.js';
import * as server from '../../src/server/server-entry.js';
import mqtt from 'mqtt';
import { startBroker } from '../../src/broker/broker-entry.js';
import { _parseNotice } from '../../src/protocol/sys-topics.js';
import { SECRET } from '../suites/api.js';

const polluted: string[] = [];
/** Sets `Object.prototype[name]` for this test only. */
function pollute(name: string, value: unknown): void {
  Object.defineProperty(Object.prototype, name, { value, configurable: true, writable: true, enumerable: true });
  polluted.push(name);
}
afterEach(() => {
  for (const name of polluted.splice(0)) delete (Object.prototype as Record<string, unknown>)[name];
});

const CLIENT = 'GID_pollute@@@device-1';
const signature = { accessKeyId: 'LTAI5tPp', accessKeySecret: SECRET, instanceId: 'mqtt-cn-pp', clientId: CLIENT };

describe('a polluted Object.prototype changes nothing', () => {
  it('Object.prototype.R adds no token to a Token-mode password', () => {
    pollute('R', 'attacker-token');
    expect(client.tokenCredentials({ accessKeyId: 'LTAI5tPp', instanceId: 'mqtt-cn-pp', tokens: { RW: 'tok' } }).password).toBe('RW|tok');
  });

  it('Object.prototype.hmac never receives a secret', async () => {
    const seen: Uint8Array[] = [];
    pollute('hmac', async (key: Uint8Array) => (seen.push(key), new Uint8Array(20)));
    const { password } = await client.signatureCredentials(signature);
    expect(seen).toEqual([]);
    expect(password).not.toBe(btoa(String.fromCharCode(...new Uint8Array(20))));
    await client.explainSignature({ secret: SECRET, clientId: CLIENT });
    await server.openApiSignature({ method: 'GET', accessKeySecret: SECRET, params: { a: 'b' } });
    expect(seen).toEqual([]);
  });

  it('Object.prototype.authorize does not open a handler that has none', async () => {
    pollute('authorize', () => ({ mode: 'signature' }));
    const handler = server.createCredentialHandler({ instanceId: 'mqtt-cn-pp', accessKeyId: 'LTAI5tPp', accessKeySecret: SECRET });
    const response = await handler(new Request(`http://127.0.0.1/c?clientId=${CLIENT}`));
    expect(response.status).toBe(403);
  });

  it('Object.prototype.cors does not let a foreign origin in', async () => {
    pollute('cors', { origin: '*' });
    const handler = server.createCredentialHandler({ instanceId: 'mqtt-cn-pp', accessKeyId: 'LTAI5tPp', accessKeySecret: SECRET, authorize: () => ({ mode: 'signature' }) });
    const response = await handler(new Request(`http://127.0.0.1/c?clientId=${CLIENT}`, { headers: { origin: 'https://evil.example' } }));
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('Object.prototype.permissions does not widen a token grant', async () => {
    pollute('permissions', [{ resources: ['#'], actions: 'R,W' }]);
    const asked: unknown[] = [];
    const tokenIssuer = server.createTokenIssuer({
      client: { accessKeyId: 'LTAI5tPp', instanceId: 'mqtt-cn-pp', applyToken: async (o) => (asked.push(o.resources), new server.AppliedToken('tok', { instanceId: 'mqtt-cn-pp', resources: o.resources as string[], actions: o.actions, type: server.tokenTypeOf(o.actions), expiresAt: o.expireTime })) },
    });
    const handler = server.createCredentialHandler({ instanceId: 'mqtt-cn-pp', tokenIssuer, authorize: () => ({ mode: 'token', resources: ['own/topic'], actions: 'R' }) });
    const response = await handler(new Request(`http://127.0.0.1/c?clientId=${CLIENT}`));
    expect(response.status).toBe(200);
    expect(asked).toEqual([['own/topic']]);
  });

  it('Object.prototype.host does not redirect a connection', () => {
    pollute('host', 'evil.example');
    const { url } = client.createConnectOptions({ instanceId: 'mqtt-cn-pp', clientId: CLIENT, credentials: { username: 'u', password: 'p' }, transport: 'wss' });
    expect(url).toBe('wss://mqtt-cn-pp.mqtt.aliyuncs.com:443/mqtt');
  });

  it('Object.prototype.username is not taken for an option the caller set', () => {
    pollute('username', 'x');
    expect(() => client.createConnectOptions({ instanceId: 'mqtt-cn-pp', clientId: CLIENT, credentials: { username: 'u', password: 'p' } })).not.toThrow();
  });

  it('Object.prototype.expiresAt gives no expiry to credentials that have none', () => {
    pollute('expiresAt', 1);
    const provided = client.staticCredentials({ username: 'u', password: 'p' })({ clientId: CLIENT, instanceId: 'mqtt-cn-pp', reason: 'connect' });
    expect(provided).toEqual({ username: 'u', password: 'p' });
  });

  it('Object.prototype.code does not turn a body-less notice into "revoked"', () => {
    pollute('code', 3);
    expect(_parseNotice('$SYS/tokenInvalidNotice', '{}')).toMatchObject({ kind: 'invalid', notice: { reason: 'unknown' } });
  });

  it("Object.prototype.Token does not fill in an OpenAPI answer that has none", async () => {
    pollute('Token', 'polluted-token');
    const api = server.createOnsMqttClient({ accessKeyId: 'LTAI5tPp', accessKeySecret: SECRET, regionId: 'cn-hangzhou', instanceId: 'mqtt-cn-pp', fetch: async () => Response.json({ RequestId: 'r' }) });
    await expect(api.applyToken({ resources: ['a'], actions: 'R', expireTime: Date.now() + 3_600_000 })).rejects.toMatchObject({ code: 'ERR_OPENAPI', field: 'Token' });
  });

  it('Object.prototype.host does not make the local broker listen beyond loopback', async () => {
    pollute('host', '0.0.0.0');
    const broker = await startBroker({ instanceId: 'mqtt-cn-pp', tlsPort: false, wssPort: false });
    try {
      expect(broker.host).toBe('127.0.0.1');
      expect(broker.url('tcp')).toBe(`mqtt://127.0.0.1:${broker.tcpPort}`);
    } finally {
      await broker.close();
    }
  });

  it('Object.prototype.accessKeys adds no trusted AccessKey to the local broker', async () => {
    pollute('accessKeys', [{ accessKeyId: 'LTAIattacker', accessKeySecret: 'attacker-secret' }]);
    const broker = await startBroker({ instanceId: 'mqtt-cn-pp', tlsPort: false, wsPort: false, wssPort: false, httpPort: false });
    try {
      const credentials = await client.signatureCredentials({ accessKeyId: 'LTAIattacker', accessKeySecret: 'attacker-secret', instanceId: 'mqtt-cn-pp', clientId: CLIENT });
      const refused = new Promise<number>((resolve) => {
        const c = mqtt.connect(broker.url('tcp'), { clientId: CLIENT, ...credentials, reconnectPeriod: 0 });
        c.on('error', (e) => (c.end(true), resolve((e as { code?: number }).code ?? -1)));
        c.on('connect', () => (c.end(true), resolve(0)));
      });
      expect(await refused).toBe(5);
    } finally {
      await broker.close();
    }
  });

  it('Object.prototype.controlSecret does not replace the control API secret', async () => {
    pollute('controlSecret', 'attacker-chosen-secret');
    const broker = await startBroker({ instanceId: 'mqtt-cn-pp', tlsPort: false, wsPort: false, wssPort: false });
    try {
      expect(broker.controlSecret).not.toBe('attacker-chosen-secret');
    } finally {
      await broker.close();
    }
  });

  it("the actions check reads its own table only: 'constructor' is not an action", () => {
    expect(() => server.tokenTypeOf('constructor' as never)).toThrow(client.ApsaraMqttAuthError);
  });
});
