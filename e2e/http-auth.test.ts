/**
 * HTTP authentication, both halves together: the local broker configured with an endpoint, the
 * endpoint made with the SDK's createHttpAuthHandler (served by Node's http through toNodeListener),
 * and real mqtt.js clients over TCP, MQTT 3.1.1 and 5. The endpoint decides each CONNECT; the broker
 * enforces its ACL rules on PUBLISH, SUBSCRIBE and delivery, refuses on deny, on a failing or slow
 * endpoint and on an answer outside the documented format, and disconnects at expireAt.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customCredentials, signatureCredentials } from '../src/index.js';
import { startBroker, type LocalBroker } from '../src/broker/broker-entry.js';
import { createHttpAuthHandler, credentialsMatch, toNodeListener, type HttpAuthCredentials, type HttpAuthDecision } from '../src/server/server-entry.js';
import { AK, INSTANCE, brokerEvent, closeAll, closed, connect, nextMessage, refusalCode } from './broker-helpers.js';

const METER_SECRET = 'meter-secret-Q7';
type Decide = (c: HttpAuthCredentials) => HttpAuthDecision | Promise<HttpAuthDecision>;
/** Per-test override of the endpoint's decision (undefined: the app logic below). */
let override: Decide | undefined;
const asked: HttpAuthCredentials[] = [];

/** The application's logic, with the SDK's helpers: meters sign their client id; a back-office uses Signature mode. */
async function decide(c: HttpAuthCredentials): Promise<HttpAuthDecision> {
  if (c.username.startsWith('meter-')) {
    const expected = await customCredentials({ username: c.username, secret: METER_SECRET, clientId: c.clientId, signMode: 'SIGNED' });
    if (!credentialsMatch(c, expected)) return { result: 'deny' };
    return {
      result: 'allow',
      acl: [
        { effect: 'allow', action: ['publish', 'subscribe'], topic: `meters/${c.username}/#` },
        { effect: 'deny', action: ['publish'], topic: `meters/${c.username}/config` },
        { effect: 'allow', action: ['subscribe'], topic: 'broadcast/#' },
        { effect: 'deny', action: ['subscribe'], topic: 'broadcast/secret' },
      ],
    };
  }
  const office = await signatureCredentials({ ...OFFICE, instanceId: INSTANCE, clientId: c.clientId });
  return credentialsMatch(c, office) ? true : { result: 'deny' };
}

/** An AccessKey pair the endpoint knows and the broker does not: Signature-mode credentials checked by the app. */
const OFFICE = { accessKeyId: 'LTAI-office-only-endpoint', accessKeySecret: 'office-secret-9z' };

let endpoint: Server;
let endpointUrl: string;
let broker: LocalBroker;

beforeAll(async () => {
  const handler = createHttpAuthHandler({
    authenticate: async (c) => {
      asked.push(c);
      return override ? override(c) : decide(c);
    },
  });
  endpoint = createServer(toNodeListener(handler));
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  endpointUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/mqtt/auth`;
  broker = await startBroker({ instanceId: INSTANCE, accessKeys: [AK], httpAuth: { url: endpointUrl, timeoutMs: 1500 } });
});

afterAll(async () => {
  await closeAll();
  await broker?.close();
  endpoint?.closeAllConnections();
  await new Promise((resolve) => endpoint?.close(resolve));
});

const meter = async (name: string, clientId = `GID_meters@@@${name}`) => ({
  clientId,
  credentials: await customCredentials({ username: name, secret: METER_SECRET, clientId, signMode: 'SIGNED' }),
});

describe.each([4, 5] as const)('MQTT protocol level %i', (protocolVersion) => {
  const name = `meter-${protocolVersion}`;
  const refused = protocolVersion === 5 ? 0x86 : 5;

  it('the endpoint allows: publish, subscribe and delivery follow its rules', async () => {
    override = undefined;
    asked.length = 0;
    const client = await connect(broker, { ...(await meter(name)), protocolVersion });
    expect(asked).toEqual([{ username: name, password: expect.any(String), clientId: `GID_meters@@@${name}` }]);
    expect(broker.sessions().find((s) => s.clientId === `GID_meters@@@${name}`)).toMatchObject({ mode: 'HttpAuth', id: name });
    // Own topics, both ways.
    await client.subscribeAsync(`meters/${name}/#`, { qos: 1 });
    const own = nextMessage(client, `meters/${name}/up`);
    await client.publishAsync(`meters/${name}/up`, 'kWh 42', { qos: 1 });
    expect((await own).text).toBe('kWh 42');
    // broadcast/# may be subscribed; the narrower deny rule keeps broadcast/secret from being delivered.
    await client.subscribeAsync('broadcast/#', { qos: 1 });
    const office = await connect(broker, { clientId: `GID_office@@@p${protocolVersion}`, credentials: await signatureCredentials({ ...OFFICE, instanceId: INSTANCE, clientId: `GID_office@@@p${protocolVersion}` }), protocolVersion });
    const received: string[] = [];
    client.on('message', (topic) => received.push(topic));
    const last = nextMessage(client, 'broadcast/news');
    await office.publishAsync('broadcast/secret', 'hidden', { qos: 1 });
    await office.publishAsync('broadcast/news', 'shown', { qos: 1 });
    await last;
    expect(received).toEqual(['broadcast/news']);
    await office.endAsync();
    await client.endAsync();
  });

  it('a PUBLISH a deny rule matches, or no rule allows, disconnects the client', async () => {
    override = undefined;
    for (const topic of [`meters/${name}/config`, 'meters/someone-else/up']) {
      const client = await connect(broker, { ...(await meter(name)), protocolVersion });
      const denied = brokerEvent(broker, 'denied', (d) => d.topic === topic);
      client.publish(topic, 'x', { qos: 1 });
      expect(await denied).toMatchObject({ action: 'publish', denial: topic.endsWith('config') ? 'denied' : 'resource' });
      await closed(client);
    }
  });

  it('a SUBSCRIBE outside the rules disconnects the client', async () => {
    override = undefined;
    const client = await connect(broker, { ...(await meter(name)), protocolVersion });
    const denied = brokerEvent(broker, 'denied', (d) => d.topic === 'meters/#');
    client.subscribe('meters/#', { qos: 1 });
    expect(await denied).toMatchObject({ action: 'subscribe', denial: 'resource' });
    await closed(client);
  });

  it('deny, a wrong password, and the endpoint failing in every documented way refuse the CONNECT', async () => {
    override = undefined;
    const wrong = { ...(await meter(name)), credentials: { username: name, password: 'not-the-signature' } };
    expect(await refusalCode(broker, { ...wrong, protocolVersion })).toBe(refused);
    const cases: [string, Decide][] = [
      ['deny', () => ({ result: 'deny' }) as const],
      ['throws (HTTP 500)', () => Promise.reject(new Error('database down'))],
      ['11 rules', () => ({ result: 'allow', acl: Array.from({ length: 11 }, (_, i) => ({ effect: 'allow', action: ['publish'], topic: `t/${i}` })) }) as never],
      ['too slow', () => new Promise<HttpAuthDecision>((resolve) => setTimeout(() => resolve(true), 5000).unref())],
    ];
    for (const [label, decision] of cases) {
      override = decision;
      const refusal = brokerEvent(broker, 'clientRefused', (r) => r.clientId === `GID_meters@@@${name}`);
      const code = await refusalCode(broker, { ...(await meter(name)), protocolVersion });
      expect([label, code]).toEqual([label, label === 'deny' ? refused : protocolVersion === 5 ? 0x87 : 5]);
      expect((await refusal).reason).not.toContain(METER_SECRET);
    }
    override = undefined;
  });
});

describe('the rest of the CONNECT path', () => {
  it("credentials the broker's own identities claim never reach the endpoint", async () => {
    asked.length = 0;
    const clientId = 'GID_own@@@sig-1';
    const client = await connect(broker, { clientId, credentials: await signatureCredentials({ ...AK, instanceId: INSTANCE, clientId }) });
    expect(asked).toEqual([]);
    await client.endAsync();
  });

  it('an unreachable endpoint refuses the CONNECT', async () => {
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(gone.address() as AddressInfo).port}/`;
    await new Promise((resolve) => gone.close(resolve));
    const lonely = await startBroker({ instanceId: INSTANCE, httpAuth: { url } });
    try {
      const refusal = brokerEvent(lonely, 'clientRefused');
      expect(await refusalCode(lonely, await meter('meter-9'))).toBe(5);
      expect((await refusal).reason).toMatch(/could not be reached/);
    } finally {
      await lonely.close();
    }
  });

  it('at expireAt the broker disconnects the client', async () => {
    override = async (c) => ({ ...((await decide(c)) as object), result: 'allow', expireAt: Date.now() + 1500 }) as HttpAuthDecision;
    const client = await connect(broker, await meter('meter-expiring'));
    const gone = brokerEvent(broker, 'clientDisconnected', (d) => d.clientId === 'GID_meters@@@meter-expiring');
    await closed(client);
    await gone;
    override = undefined;
  });
});
