/**
 * The OpenAPI played by the local broker, judged by Alibaba's @alicloud/pop-core, with real mqtt.js
 * clients: sessions are the broker's live ones, SendMessage reaches subscribers and P2P targets,
 * CloseConnection ends a connection, custom identities and permissions added through the API are
 * enforced at once (no permission: no publish; DENY wins), the connection blacklist refuses a client,
 * and Group IDs are enforced when the config lists them. And the CLI broker, as a process, serves it to
 * pop-core (the first complaint: a 404 for ApplyToken).
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customCredentials, signatureCredentials, tokenCredentials } from '../src/index.js';
import { startBroker, type LocalBroker } from '../src/broker/broker-entry.js';
import { popCore, type PopCaller } from '../test/helpers/pop-core.js';
import { AK, INSTANCE, brokerEvent, closeAll, closed, connect, nextMessage, refusalCode } from './broker-helpers.js';
import { ROOT } from './helpers/paths.js';
import { freePorts } from './helpers/ports.js';
import { startProcess } from './helpers/process.js';

let broker: LocalBroker;
let pop: PopCaller;

beforeAll(async () => {
  // startBroker serves the OpenAPI on its HTTP listener, with the config's AccessKeys.
  broker = await startBroker({ instanceId: INSTANCE, accessKeys: [AK], wsPort: false, wssPort: false, tlsPort: false });
  pop = popCore({ endpoint: broker.url('http'), accessKeyId: AK.accessKeyId, accessKeySecret: AK.accessKeySecret });
});

afterAll(async () => {
  await closeAll();
  await broker?.close();
});

const signature = async (clientId: string) => ({ clientId, credentials: await signatureCredentials({ ...AK, instanceId: INSTANCE, clientId }) });

/** A pop-core call that must succeed (JSON), returning its body. */
async function ok(action: string, params: Record<string, unknown>, method: 'GET' | 'POST' = 'POST') {
  const answer = await pop.json(action, { InstanceId: INSTANCE, ...params }, method);
  expect(answer.code, JSON.stringify(answer.body)).toBeUndefined();
  return answer.body;
}

describe('sessions, messages and connections', () => {
  it('QuerySessionByClientId and BatchQuerySessionByClientIds see connect and disconnect', async () => {
    const client = await connect(broker, await signature('GID_api@@@online-1'));
    expect((await ok('QuerySessionByClientId', { ClientId: 'GID_api@@@online-1' }))['OnlineStatus']).toBe(true);
    const batch = await ok('BatchQuerySessionByClientIds', { ClientIdList: ['GID_api@@@online-1', 'GID_api@@@nobody'] });
    expect(batch['OnlineStatusList']).toEqual([
      { ClientId: 'GID_api@@@online-1', OnlineStatus: true },
      { ClientId: 'GID_api@@@nobody', OnlineStatus: false },
    ]);
    const xml = await pop.xml('QuerySessionByClientId', { InstanceId: INSTANCE, ClientId: 'GID_api@@@online-1' });
    expect(xml.body['OnlineStatus']).toBe('true');
    await client.endAsync();
    expect((await ok('QuerySessionByClientId', { ClientId: 'GID_api@@@online-1' }))['OnlineStatus']).toBe(false);
  });

  it('SendMessage reaches a subscriber and a P2P target that never subscribed', async () => {
    const subscriber = await connect(broker, await signature('GID_api@@@sub-1'));
    await subscriber.subscribeAsync('fleet/news', { qos: 1 });
    const target = await connect(broker, await signature('GID_api@@@target-1'));
    const news = nextMessage(subscriber, 'fleet/news');
    const direct = nextMessage(target, 'fleet/p2p/GID_api@@@target-1');
    const sent = await ok('SendMessage', { MqttTopic: 'fleet/news', Payload: 'hello fleet' });
    expect(sent['MsgId']).toMatch(/^[0-9A-F]{32}$/);
    await ok('SendMessage', { MqttTopic: 'fleet/p2p/GID_api@@@target-1', Payload: 'just you' });
    expect(await news).toMatchObject({ text: 'hello fleet', qos: 1 });
    expect(await direct).toMatchObject({ text: 'just you', qos: 1 });
    await subscriber.endAsync();
    await target.endAsync();
  });

  it('CloseConnection ends the connection', async () => {
    const client = await connect(broker, await signature('GID_api@@@closing-1'));
    expect(await ok('CloseConnection', { ClientId: 'GID_api@@@closing-1' })).toMatchObject({ Code: 200, Success: true });
    await closed(client);
    expect(broker.isOnline('GID_api@@@closing-1')).toBe(false);
  });
});

describe('custom authentication through the API, enforced by the broker', () => {
  const clientId = 'GID_api@@@meter-7';
  const credentials = () => customCredentials({ username: 'meter-user', secret: 'meter-secret', clientId, signMode: 'SIGNED' });

  it('an identity with no permission connects but may neither publish nor subscribe', async () => {
    await ok('AddCustomAuthIdentity', { Username: 'meter-user', Secret: 'meter-secret', IdentityType: 'USER', SignMode: 'SIGNED' });
    const client = await connect(broker, { clientId, credentials: await credentials() });
    expect(broker.sessions().find((s) => s.clientId === clientId)).toMatchObject({ mode: 'Custom', id: 'meter-user' });
    const denied = brokerEvent(broker, 'denied', (d) => d.clientId === clientId);
    client.publish('meters/meter-7/up', 'x', { qos: 1 });
    expect(await denied).toMatchObject({ action: 'publish', denial: 'resource' });
    await closed(client);
  });

  it('permissions added later apply; DENY wins over ALLOW; CLIENT permissions name the client id', async () => {
    await ok('AddCustomAuthPermission', { IdentityType: 'USER', Identity: 'meter-user', Topic: 'meters/#', PermitAction: 'PUB_SUB', Effect: 'ALLOW' });
    await ok('AddCustomAuthPermission', { IdentityType: 'CLIENT', Identity: clientId, Topic: 'meters/config', PermitAction: 'PUB', Effect: 'DENY' });
    const client = await connect(broker, { clientId, credentials: await credentials() });
    await client.subscribeAsync('meters/meter-7/#', { qos: 1 });
    const echo = nextMessage(client, 'meters/meter-7/up');
    await client.publishAsync('meters/meter-7/up', 'kWh 7', { qos: 1 });
    expect((await echo).text).toBe('kWh 7');
    const denied = brokerEvent(broker, 'denied', (d) => d.clientId === clientId);
    client.publish('meters/config', 'x', { qos: 1 });
    expect(await denied).toMatchObject({ action: 'publish', topic: 'meters/config', denial: 'denied' });
    await closed(client);
  });

  it('a CLIENT identity binds the username to one client id; a wrong secret is refused', async () => {
    await ok('AddCustomAuthIdentity', { Username: 'pinned', Secret: 'pinned-secret', IdentityType: 'CLIENT', ClientId: 'GID_api@@@pinned-1', SignMode: 'ORIGIN' });
    await ok('AddCustomAuthPermission', { IdentityType: 'CLIENT', Identity: 'GID_api@@@pinned-1', Topic: 'pinned/#', PermitAction: 'PUB', Effect: 'ALLOW' });
    const client = await connect(broker, { clientId: 'GID_api@@@pinned-1', credentials: { username: 'pinned', password: 'pinned-secret' } });
    await client.publishAsync('pinned/a', 'x', { qos: 1 });
    await client.endAsync();
    expect(await refusalCode(broker, { clientId: 'GID_api@@@pinned-2', credentials: { username: 'pinned', password: 'pinned-secret' } })).toBe(5);
    expect(await refusalCode(broker, { clientId: 'GID_api@@@pinned-1', credentials: { username: 'pinned', password: 'wrong' } })).toBe(5);
  });

  it('the connection blacklist refuses a client until it is removed', async () => {
    await ok('AddCustomAuthConnectBlack', { ClientId: 'GID_api@@@banned-1' });
    const refused = brokerEvent(broker, 'clientRefused', (r) => r.clientId === 'GID_api@@@banned-1');
    expect(await refusalCode(broker, await signature('GID_api@@@banned-1'))).toBe(5);
    expect((await refused).reason).toMatch(/blacklist/);
    await ok('DeleteCustomAuthConnectBlack', { ClientId: 'GID_api@@@banned-1' });
    const client = await connect(broker, await signature('GID_api@@@banned-1'));
    await client.endAsync();
  });
});

describe('Group IDs', () => {
  it('listed in the config, they are enforced at CONNECT and managed through the API', async () => {
    const strict = await startBroker({ instanceId: INSTANCE, accessKeys: [AK], wsPort: false, wssPort: false, tlsPort: false, groupIds: ['GID_known'] });
    try {
      const api = popCore({ endpoint: strict.url('http'), accessKeyId: AK.accessKeyId, accessKeySecret: AK.accessKeySecret });
      const as = async (clientId: string) => ({ clientId, credentials: await signatureCredentials({ ...AK, instanceId: INSTANCE, clientId }) });
      (await connect(strict, await as('GID_known@@@a'))).end(true);
      expect(await refusalCode(strict, await as('GID_later@@@a'))).toBe(5);
      expect((await api.json('CreateGroupId', { InstanceId: INSTANCE, GroupId: 'GID_later' })).status).toBe(200);
      const later = await connect(strict, await as('GID_later@@@a'));
      const list = await api.json('ListGroupId', { InstanceId: INSTANCE });
      expect((list.body['Data'] as { GroupId: string }[]).map((g) => g.GroupId)).toEqual(['GID_known', 'GID_later']);
      expect((await api.json('DeleteGroupId', { InstanceId: INSTANCE, GroupId: 'GID_later' })).status).toBe(200);
      // A connected client of a deleted group stays; its next CONNECT is refused.
      expect(strict.isOnline('GID_later@@@a')).toBe(true);
      later.end(true);
      expect(await refusalCode(strict, await as('GID_later@@@b'))).toBe(5);
    } finally {
      await strict.close();
    }
  });
});

describe('the CLI broker', () => {
  it('serves the OpenAPI: pop-core applies a token (JSON and XML) that an mqtt.js client then connects with', async () => {
    const [tcpPort, httpPort] = await freePorts(2);
    const cli = startProcess(
      process.execPath,
      ['dist/cli.js', 'broker', '--config', 'examples/broker.json', '--tcp-port', String(tcpPort), '--http-port', String(httpPort), '--ws-port', '0', '--tls-port', '0', '--wss-port', '0'],
      { name: 'cli broker', cwd: ROOT },
    );
    try {
      await cli.waitForOutput(/MQTT over TCP:\s+mqtt:\/\/127\.0\.0\.1:\d+/);
      const demo = { accessKeyId: 'LTAI-demo-access-key-id', accessKeySecret: 'demo-access-key-secret-not-real' };
      const api = popCore({ endpoint: `http://127.0.0.1:${httpPort}`, ...demo });
      const params = { InstanceId: 'mqtt-local-demo', Resources: 'demo/pop/#', Actions: 'R,W', ExpireTime: Date.now() + 3600_000 };
      const json = await api.json('ApplyToken', params);
      expect(json.status).toBe(200);
      const xml = await api.xml('ApplyToken', params);
      expect(xml.root).toBe('ApplyTokenResponse');
      for (const token of [json.body['Token'], xml.body['Token']] as string[]) {
        const clientId = `GID_demo@@@pop-${token.slice(0, 6).replace(/[^A-Za-z0-9]/g, 'x')}`;
        const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${tcpPort}`, {
          clientId,
          ...tokenCredentials({ accessKeyId: demo.accessKeyId, instanceId: 'mqtt-local-demo', tokens: { RW: token } }),
          reconnectPeriod: 0,
        });
        await client.publishAsync('demo/pop/ok', 'x', { qos: 1 });
        await client.endAsync();
      }
    } finally {
      await cli.stop({ timeout: 5000 });
    }
  });
});
