/**
 * The local onsmqtt OpenAPI judged by Alibaba's own RPC client, @alicloud/pop-core: every action the
 * service implements, in JSON and XML, with the response fields of the API reference, and the error
 * cases with the codes and HTTP statuses of the product's error-code table. The stores are the broker's
 * own; the broker-fed parts (live sessions, SendMessage, enforcement) are also covered end to end in
 * e2e/openapi-broker.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenApiService, ONSMQTT_ACTIONS, type OpenApiService } from '../../src/broker/openapi-service.js';
import { CustomAuthStore, DeviceStore, GroupStore, TokenStore } from '../../src/broker/broker-entry.js';
import { serve, type Served } from '../helpers/loopback.js';
import { popCore, type PopCaller } from '../helpers/pop-core.js';
import { SECRET } from '../suites/api.js';

const AK = 'LTAI5tPopCoreJudge';
const INSTANCE = 'mqtt-cn-popcore';
const OTHER = 'mqtt-cn-someone-else';
const CLIENT = 'GID_pop@@@device-1';

let served: Served;
let service: OpenApiService;
let pop: PopCaller;
let tokens: TokenStore;
let devices: DeviceStore;
let groups: GroupStore;
let customAuth: CustomAuthStore;
const online = new Set<string>();
const published: { topic: string; payload: string; qos: number }[] = [];

beforeAll(async () => {
  tokens = new TokenStore({ instanceId: INSTANCE });
  devices = new DeviceStore({ instanceId: INSTANCE });
  groups = new GroupStore({ instanceId: INSTANCE });
  customAuth = new CustomAuthStore();
  service = createOpenApiService({
    accessKeys: [{ accessKeyId: AK, accessKeySecret: SECRET }],
    instanceId: INSTANCE,
    tokens,
    devices,
    groups,
    customAuth,
    sessions: { isOnline: (id) => online.has(id), disconnect: (id) => online.delete(id) },
    publisher: { publish: async (m) => void published.push({ topic: m.topic, payload: new TextDecoder().decode(m.payload), qos: m.qos }) },
    rateLimits: false,
  });
  served = await serve(service);
  pop = popCore({ endpoint: served.url, accessKeyId: AK, accessKeySecret: SECRET });
});
afterAll(() => served?.close());

/** The actions this service implements; every one is exercised below, in JSON and XML. */
const IMPLEMENTED = [
  'ApplyToken', 'QueryToken', 'RevokeToken',
  'RegisterDeviceCredential', 'GetDeviceCredential', 'RefreshDeviceCredential', 'UnRegisterDeviceCredential', 'ListDeviceCredentialClientId',
  'QuerySessionByClientId', 'BatchQuerySessionByClientIds', 'SendMessage', 'CloseConnection',
  'CreateGroupId', 'DeleteGroupId', 'ListGroupId',
  'AddCustomAuthIdentity', 'UpdateCustomAuthIdentity', 'DeleteCustomAuthIdentity', 'QueryCustomAuthIdentity',
  'AddCustomAuthPermission', 'UpdateCustomAuthPermission', 'DeleteCustomAuthPermission', 'QueryCustomAuthPermission',
  'AddCustomAuthConnectBlack', 'DeleteCustomAuthConnectBlack', 'QueryCustomAuthConnectBlack',
];

const REQUEST_ID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const SUCCESS = { Code: 200, Success: true, Message: 'operation success.' };
const INVALID = 'An error occurred while validating the parameter. The parameter may be missing or invalid.';

/**
 * Both formats of one call must succeed; returns the JSON body and the XML fields. Actions that cannot
 * be repeated (Add…, Create…) take other parameters for the XML call.
 */
async function both(action: string, params: Record<string, unknown>, method: 'GET' | 'POST' = 'POST', xmlParams = params) {
  const json = await pop.json(action, params, method);
  expect(json.code, JSON.stringify(json.body)).toBeUndefined();
  expect(json.status).toBe(200);
  expect(json.body['RequestId']).toMatch(REQUEST_ID);
  const xml = await pop.xml(action, xmlParams, method);
  expect(xml.text.startsWith("<?xml version='1.0' encoding='UTF-8'?>")).toBe(true);
  expect(xml.root).toBe(`${action}Response`);
  expect(xml.body['RequestId']).toMatch(REQUEST_ID);
  return { json: json.body, xml: xml.body };
}

/** One call that must fail with `code` and `status`, in JSON and in XML (`<Error>`). */
async function fails(action: string, params: Record<string, unknown>, code: string, status: number) {
  const json = await pop.json(action, params);
  expect(json.code, JSON.stringify(json.body)).toBe(code);
  expect(json.status).toBe(status);
  expect(json.body).toMatchObject({ Code: code, HostId: 'onsmqtt.local' });
  expect(json.body['RequestId']).toMatch(REQUEST_ID);
  const xml = await pop.xml(action, params);
  expect(xml.root).toBe('Error');
  expect(xml.body).toMatchObject({ Code: code, Message: json.body['Message'] });
  return json.body;
}

describe('tokens (ApplyToken, QueryToken, RevokeToken)', () => {
  it('apply, query, revoke, query: JSON and XML carry Token and TokenStatus', async () => {
    const expireTime = Date.now() + 3600_000;
    const applied = await both('ApplyToken', { InstanceId: INSTANCE, Resources: 'fleet/a,fleet/b/#', Actions: 'R,W', ExpireTime: expireTime });
    for (const token of [applied.json['Token'], applied.xml['Token']]) {
      expect(typeof token).toBe('string');
      expect(tokens.describe(token as string)).toMatchObject({ resources: ['fleet/a', 'fleet/b/#'], actions: 'R,W', accessKeyId: AK });
    }
    const token = applied.json['Token'] as string;
    const query = await both('QueryToken', { InstanceId: INSTANCE, Token: token }, 'GET');
    expect(query.json['TokenStatus']).toBe(true);
    expect(query.xml['TokenStatus']).toBe('true');
    const revoked = await both('RevokeToken', { InstanceId: INSTANCE, Token: token });
    expect(Object.keys(revoked.json)).toEqual(['RequestId']);
    expect((await pop.json('QueryToken', { InstanceId: INSTANCE, Token: token })).body['TokenStatus']).toBe(false);
  });

  it('errors: InvalidParameter.<Name>, InstancePermissionCheckFailed, MissingToken', async () => {
    const ok = { InstanceId: INSTANCE, Resources: 'a', Actions: 'R', ExpireTime: Date.now() + 120_000 };
    expect((await fails('ApplyToken', { ...ok, ExpireTime: Date.now() + 5_000 }, 'InvalidParameter.ExpireTime', 400))['Message']).toContain(INVALID);
    await fails('ApplyToken', { ...ok, Actions: 'RW' }, 'InvalidParameter.Actions', 400);
    await fails('ApplyToken', { ...ok, Resources: 'a,,b' }, 'InvalidParameter.Resources', 400);
    await fails('ApplyToken', { ...ok, InstanceId: OTHER }, 'InstancePermissionCheckFailed', 400);
    await fails('QueryToken', { InstanceId: INSTANCE }, 'MissingToken', 400);
  });
});

describe('device credentials', () => {
  it('Register → Get → Refresh → ListDeviceCredentialClientId → UnRegister', async () => {
    const registered = await both('RegisterDeviceCredential', { InstanceId: INSTANCE, ClientId: CLIENT });
    const fields = ['ClientId', 'InstanceId', 'DeviceAccessKeyId', 'DeviceAccessKeySecret', 'CreateTime', 'UpdateTime'];
    expect(Object.keys(registered.json['DeviceCredential'] as object).sort()).toEqual([...fields].sort());
    expect(Object.keys(registered.xml['DeviceCredential'] as object).sort()).toEqual([...fields].sort());
    const got = await both('GetDeviceCredential', { InstanceId: INSTANCE, ClientId: CLIENT });
    expect(got.json['DeviceCredential']).toMatchObject({ ClientId: CLIENT, InstanceId: INSTANCE });
    const before = (got.json['DeviceCredential'] as Record<string, string>)['DeviceAccessKeySecret'];
    const refreshed = await pop.json('RefreshDeviceCredential', { InstanceId: INSTANCE, ClientId: CLIENT });
    expect((refreshed.body['DeviceCredential'] as Record<string, string>)['DeviceAccessKeySecret']).not.toBe(before);
    await pop.json('RegisterDeviceCredential', { InstanceId: INSTANCE, ClientId: 'GID_pop@@@device-2' });
    await pop.json('RegisterDeviceCredential', { InstanceId: INSTANCE, ClientId: 'GID_other@@@device-9' });
    const list = await both('ListDeviceCredentialClientId', { InstanceId: INSTANCE, GroupId: 'GID_pop', PageSize: 1 }, 'GET');
    expect(list.json['DeviceCredentialClientIdList']).toEqual({ Total: '2', ClientIdList: [CLIENT], PageNo: '1', PageSize: '1', NextToken: '2' });
    const next = await pop.json('ListDeviceCredentialClientId', { InstanceId: INSTANCE, GroupId: 'GID_pop', PageSize: 1, NextToken: '2' });
    expect(next.body['DeviceCredentialClientIdList']).toEqual({ Total: '2', ClientIdList: ['GID_pop@@@device-2'], PageNo: '2', PageSize: '1' });
    expect(list.xml['DeviceCredentialClientIdList']).toMatchObject({ Total: '2', ClientIdList: CLIENT });
    const gone = await both('UnRegisterDeviceCredential', { InstanceId: INSTANCE, ClientId: CLIENT }, 'POST', { InstanceId: INSTANCE, ClientId: 'GID_pop@@@device-2' });
    expect(Object.keys(gone.json)).toEqual(['RequestId']);
  });

  it('errors: DeviceCredentialNotFound (400), InvalidParameter.ClientId, InvalidParameter.PageSize', async () => {
    await fails('GetDeviceCredential', { InstanceId: INSTANCE, ClientId: 'GID_pop@@@nobody' }, 'DeviceCredentialNotFound', 400);
    await fails('UnRegisterDeviceCredential', { InstanceId: INSTANCE, ClientId: 'GID_pop@@@nobody' }, 'DeviceCredentialNotFound', 400);
    await fails('RegisterDeviceCredential', { InstanceId: INSTANCE, ClientId: 'no-separator' }, 'InvalidParameter.ClientId', 400);
    await fails('ListDeviceCredentialClientId', { InstanceId: INSTANCE, GroupId: 'GID_pop', PageSize: 101 }, 'InvalidParameter.PageSize', 400);
  });
});

describe('sessions, SendMessage, CloseConnection', () => {
  it('QuerySessionByClientId and BatchQuerySessionByClientIds read the live sessions', async () => {
    online.add(CLIENT);
    const one = await both('QuerySessionByClientId', { InstanceId: INSTANCE, ClientId: CLIENT }, 'GET');
    expect(one.json['OnlineStatus']).toBe(true);
    expect(one.xml['OnlineStatus']).toBe('true');
    expect((await pop.json('QuerySessionByClientId', { InstanceId: INSTANCE, ClientId: 'GID_pop@@@offline' })).body['OnlineStatus']).toBe(false);
    // pop-core sends an array as the repeat list ClientIdList.1, ClientIdList.2, as the reference defines it.
    const batch = await both('BatchQuerySessionByClientIds', { InstanceId: INSTANCE, ClientIdList: [CLIENT, 'GID_pop@@@offline'] });
    expect(batch.json['OnlineStatusList']).toEqual([
      { ClientId: CLIENT, OnlineStatus: true },
      { ClientId: 'GID_pop@@@offline', OnlineStatus: false },
    ]);
    expect(batch.xml['OnlineStatusList']).toEqual([
      { ClientId: CLIENT, OnlineStatus: 'true' },
      { ClientId: 'GID_pop@@@offline', OnlineStatus: 'false' },
    ]);
    const eleven = Array.from({ length: 11 }, (_, i) => `GID_pop@@@d${i}`);
    await fails('BatchQuerySessionByClientIds', { InstanceId: INSTANCE, ClientIdList: eleven }, 'InvalidParameter.ClientIdList', 400);
    await fails('BatchQuerySessionByClientIds', { InstanceId: INSTANCE }, 'MissingClientIdList', 400);
  });

  it('CloseConnection ends the session and answers the custom-auth envelope', async () => {
    online.add(CLIENT);
    const closed = await both('CloseConnection', { InstanceId: INSTANCE, ClientId: CLIENT });
    expect(closed.json).toMatchObject(SUCCESS);
    expect(closed.xml).toMatchObject({ Code: '200', Success: 'true', Message: 'operation success.' });
    expect(online.has(CLIENT)).toBe(false);
  });

  it('SendMessage publishes the payload at QoS 1 and answers a MsgId', async () => {
    published.length = 0;
    const sent = await both('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'fleet/a/p2p/GID_pop@@@device-1', Payload: 'aGVsbG8=' });
    expect(sent.json['MsgId']).toMatch(/^[0-9A-F]{32}$/);
    expect(sent.xml['MsgId']).toMatch(/^[0-9A-F]{32}$/);
    expect(published).toEqual([
      { topic: 'fleet/a/p2p/GID_pop@@@device-1', payload: 'aGVsbG8=', qos: 1 },
      { topic: 'fleet/a/p2p/GID_pop@@@device-1', payload: 'aGVsbG8=', qos: 1 },
    ]);
    await fails('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'fleet/#', Payload: 'x' }, 'InvalidParameter.MqttTopic', 400);
    await fails('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'fleet/a' }, 'MissingPayload', 400);
  });
});

describe('Group IDs', () => {
  it('CreateGroupId → ListGroupId → DeleteGroupId', async () => {
    const created = await both('CreateGroupId', { InstanceId: INSTANCE, GroupId: 'GID_one' }, 'POST', { InstanceId: INSTANCE, GroupId: 'GID-two' });
    expect(Object.keys(created.json)).toEqual(['RequestId']);
    expect(Object.keys(created.xml)).toEqual(['RequestId']);
    const list = await both('ListGroupId', { InstanceId: INSTANCE }, 'GET');
    expect((list.json['Data'] as object[]).map((g) => Object.keys(g).sort())).toEqual([
      ['CreateTime', 'GroupId', 'IndependentNaming', 'InstanceId', 'UpdateTime'],
      ['CreateTime', 'GroupId', 'IndependentNaming', 'InstanceId', 'UpdateTime'],
    ]);
    expect(list.json['Data']).toMatchObject([
      { GroupId: 'GID_one', InstanceId: INSTANCE, IndependentNaming: true },
      { GroupId: 'GID-two', InstanceId: INSTANCE },
    ]);
    // XML repeats <Data> per group, as the reference's example does.
    expect(list.xml['Data']).toMatchObject([{ GroupId: 'GID_one', IndependentNaming: 'true' }, { GroupId: 'GID-two' }]);
    await both('DeleteGroupId', { InstanceId: INSTANCE, GroupId: 'GID-two' });
    expect(groups.list().map((g) => g.GroupId)).toEqual(['GID_one']);
  });

  it('errors: GroupIdAlreadyExsited, ParameterFieldCheckFailed, InstanceNotFound', async () => {
    await fails('CreateGroupId', { InstanceId: INSTANCE, GroupId: 'GID_one' }, 'GroupIdAlreadyExsited', 400);
    await fails('CreateGroupId', { InstanceId: INSTANCE, GroupId: 'group_1' }, 'ParameterFieldCheckFailed', 400);
    await fails('CreateGroupId', { InstanceId: INSTANCE, GroupId: 'GID_x' }, 'ParameterFieldCheckFailed', 400);
    await fails('ListGroupId', { InstanceId: OTHER }, 'InstanceNotFound', 400);
  });
});

describe('custom authentication', () => {
  it('identities: Add → Query (paged) → Update → Delete', async () => {
    const added = await both(
      'AddCustomAuthIdentity',
      { InstanceId: INSTANCE, Username: 'meter-a', Secret: 's3cret-a', IdentityType: 'USER', SignMode: 'SIGNED' },
      'POST',
      { InstanceId: INSTANCE, Username: 'meter-a', Secret: 'client-secret', IdentityType: 'CLIENT', ClientId: CLIENT, SignMode: 'ORIGIN' },
    );
    expect(added.json).toMatchObject(SUCCESS);
    expect(added.xml).toMatchObject({ Code: '200', Success: 'true', Message: 'operation success.' });
    expect(customAuth.identities()).toHaveLength(2);
    const first = await both('QueryCustomAuthIdentity', { InstanceId: INSTANCE, Size: 1 }, 'GET');
    expect(first.json).toMatchObject({ ...SUCCESS, Data: { Results: [{ Username: 'meter-a', Secret: 's3cret-a', IdentityType: 'USER', SignMode: 'SIGNED' }] } });
    const nextToken = (first.json['Data'] as Record<string, string>)['NextToken'];
    expect(nextToken).toBeTypeOf('string');
    const second = await pop.json('QueryCustomAuthIdentity', { InstanceId: INSTANCE, Size: 1, NextToken: nextToken }, 'GET');
    expect(second.body['Data']).toEqual({ Results: [{ Username: 'meter-a', Secret: 'client-secret', IdentityType: 'CLIENT', ClientId: CLIENT, SignMode: 'ORIGIN' }] });
    await both('UpdateCustomAuthIdentity', { InstanceId: INSTANCE, Username: 'meter-a', Secret: 'new-secret', IdentityType: 'USER', SignMode: 'ORIGIN' });
    expect(customAuth.identities({ identityType: 'USER' })[0]).toMatchObject({ SignMode: 'ORIGIN', Secret: 'new-secret' });
    await both('DeleteCustomAuthIdentity', { InstanceId: INSTANCE, Username: 'meter-a', IdentityType: 'CLIENT', ClientId: CLIENT });
    expect(customAuth.identities().map((i) => i.IdentityType)).toEqual(['USER']);
  });

  it('permissions: Add → Query → Update → Delete', async () => {
    const p = { InstanceId: INSTANCE, IdentityType: 'USER', Identity: 'meter-a', Topic: 'meters/+/up', PermitAction: 'PUB', Effect: 'ALLOW' };
    expect((await both('AddCustomAuthPermission', p, 'POST', { ...p, Topic: 'meters/secret', Effect: 'DENY', PermitAction: 'PUB_SUB' })).json).toMatchObject(SUCCESS);
    const query = await both('QueryCustomAuthPermission', { InstanceId: INSTANCE, Identity: 'meter-a', Size: 100 }, 'GET');
    expect(query.json['Data']).toEqual({
      Results: [
        { Identity: 'meter-a', IdentityType: 'USER', Topic: 'meters/+/up', PermitAction: 'PUB', Effect: 'ALLOW' },
        { Identity: 'meter-a', IdentityType: 'USER', Topic: 'meters/secret', PermitAction: 'PUB_SUB', Effect: 'DENY' },
      ],
    });
    expect(query.xml['Data']).toMatchObject({ Results: [{ Topic: 'meters/+/up' }, { Topic: 'meters/secret', Effect: 'DENY' }] });
    await both('UpdateCustomAuthPermission', { ...p, PermitAction: 'PUB_SUB' });
    expect(customAuth.permissions({ topic: 'meters/+/up' })[0]).toMatchObject({ PermitAction: 'PUB_SUB' });
    await both('DeleteCustomAuthPermission', { InstanceId: INSTANCE, IdentityType: 'USER', Identity: 'meter-a', Topic: 'meters/secret' });
    expect(customAuth.permissions()).toHaveLength(1);
  });

  it('connection blacklist: Add → Query → Delete', async () => {
    await both('AddCustomAuthConnectBlack', { InstanceId: INSTANCE, ClientId: 'GID_pop@@@banned' });
    expect(customAuth.isBlocked('GID_pop@@@banned')).toBe(true);
    const query = await both('QueryCustomAuthConnectBlack', { InstanceId: INSTANCE, Size: 10 }, 'GET');
    expect(query.json['Data']).toEqual({ Results: [{ ClientId: 'GID_pop@@@banned', Effect: 'DENY', PermitAction: 'CONNECT' }] });
    await both('DeleteCustomAuthConnectBlack', { InstanceId: INSTANCE, ClientId: 'GID_pop@@@banned' });
    expect(customAuth.isBlocked('GID_pop@@@banned')).toBe(false);
  });

  it('errors: InvalidParameter.<Name> for each field, InstancePermissionCheckFailed, MissingSize', async () => {
    const identity = { InstanceId: INSTANCE, Username: 'u', Secret: 's', IdentityType: 'USER', SignMode: 'SIGNED' };
    await fails('AddCustomAuthIdentity', { ...identity, IdentityType: 'GROUP' }, 'InvalidParameter.IdentityType', 400);
    await fails('AddCustomAuthIdentity', { ...identity, SignMode: 'PLAIN' }, 'InvalidParameter.SignMode', 400);
    await fails('AddCustomAuthIdentity', { ...identity, Username: 'x'.repeat(65) }, 'InvalidParameter.Username', 400);
    await fails('AddCustomAuthIdentity', { ...identity, IdentityType: 'CLIENT' }, 'InvalidParameter.ClientId', 400);
    await fails('AddCustomAuthIdentity', { ...identity, Username: 'meter-a' }, 'InvalidParameter.Username', 400);
    await fails('UpdateCustomAuthIdentity', { ...identity, Username: 'nobody' }, 'InvalidParameter.Username', 400);
    await fails('AddCustomAuthIdentity', { ...identity, InstanceId: OTHER }, 'InstancePermissionCheckFailed', 400);
    const permission = { InstanceId: INSTANCE, IdentityType: 'USER', Identity: 'u', Topic: 't', PermitAction: 'PUB', Effect: 'ALLOW' };
    await fails('AddCustomAuthPermission', { ...permission, Topic: 'a/#/b' }, 'InvalidParameter.Topic', 400);
    await fails('AddCustomAuthPermission', { ...permission, PermitAction: 'READ' }, 'InvalidParameter.PermitAction', 400);
    await fails('AddCustomAuthPermission', { ...permission, Effect: 'MAYBE' }, 'InvalidParameter.Effect', 400);
    await fails('AddCustomAuthPermission', { ...permission, IdentityType: 'CLIENT', Identity: 'not-a-client-id' }, 'InvalidParameter.Identity', 400);
    await fails('QueryCustomAuthPermission', { InstanceId: INSTANCE }, 'MissingSize', 400);
    await fails('QueryCustomAuthIdentity', { InstanceId: INSTANCE, Size: 1, NextToken: 'forged' }, 'InvalidParameter.NextToken', 400);
  });

  it('beyond the capacity: Customauth.over.capacity', async () => {
    const small = createOpenApiService({ accessKeys: { [AK]: SECRET }, instanceId: INSTANCE, tokens, customAuth: new CustomAuthStore({ capacity: 1 }) });
    const s = await serve(small);
    try {
      const p = popCore({ endpoint: s.url, accessKeyId: AK, accessKeySecret: SECRET });
      const identity = { InstanceId: INSTANCE, Secret: 's', IdentityType: 'USER', SignMode: 'SIGNED' };
      expect((await p.json('AddCustomAuthIdentity', { ...identity, Username: 'one' })).status).toBe(200);
      const over = await p.json('AddCustomAuthIdentity', { ...identity, Username: 'two' });
      expect(over).toMatchObject({ status: 400, code: 'Customauth.over.capacity', body: { Message: 'Over custom auth capacity.' } });
    } finally {
      await s.close();
    }
  });
});

describe('the gateway and the unsupported actions', () => {
  it('every other action of the SDK answers 404 ApiNotSupport; a made-up one InvalidAction.NotFound', async () => {
    const unsupported = ONSMQTT_ACTIONS.filter((a) => !IMPLEMENTED.includes(a));
    expect(unsupported).toHaveLength(ONSMQTT_ACTIONS.length - IMPLEMENTED.length);
    expect(unsupported.every((a) => /Certificate|RegisterCode|Trace|Tag|tag|Disaster|Sni|ListInstances/.test(a))).toBe(true);
    for (const action of unsupported) {
      const body = await fails(action, { InstanceId: INSTANCE }, 'ApiNotSupport', 404);
      expect(body['Message']).toBe('The specified API is not supported.');
    }
    await fails('DescribeNothing', { InstanceId: INSTANCE }, 'InvalidAction.NotFound', 404);
  });

  it('an unknown Format is refused, a wrong secret is SignatureDoesNotMatch', async () => {
    const json = await pop.json('ListGroupId', { InstanceId: INSTANCE, Format: 'YAML' });
    expect(json).toMatchObject({ status: 400, code: 'InvalidParameter.Format' });
    const wrong = popCore({ endpoint: served.url, accessKeyId: AK, accessKeySecret: 'not-the-secret' });
    expect(await wrong.json('ListGroupId', { InstanceId: INSTANCE })).toMatchObject({ status: 400, code: 'SignatureDoesNotMatch' });
  });

  it('throttling answers the action own code: ApplyTokenOverFlow, RevokeTokenOverFlow (400), SystemOverFlow (500)', async () => {
    const limited = createOpenApiService({
      accessKeys: { [AK]: SECRET },
      instanceId: INSTANCE,
      tokens,
      devices,
      // No call allowed: the first call within any second is over the limit.
      rateLimits: { ApplyToken: 0, RevokeToken: 0, GetDeviceCredential: 0 },
    });
    const s = await serve(limited);
    try {
      const p = popCore({ endpoint: s.url, accessKeyId: AK, accessKeySecret: SECRET });
      expect(await p.json('ApplyToken', { InstanceId: INSTANCE, Resources: 'a', Actions: 'R', ExpireTime: Date.now() + 120_000 })).toMatchObject({ status: 400, code: 'ApplyTokenOverFlow' });
      expect(await p.json('RevokeToken', { InstanceId: INSTANCE, Token: 'x' })).toMatchObject({ status: 400, code: 'RevokeTokenOverFlow' });
      expect(await p.json('GetDeviceCredential', { InstanceId: INSTANCE, ClientId: CLIENT })).toMatchObject({ status: 500, code: 'SystemOverFlow' });
    } finally {
      await s.close();
    }
  });
});
