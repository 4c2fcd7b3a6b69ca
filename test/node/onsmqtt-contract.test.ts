/**
 * The one `onsmqtt` contract (`src/openapi/onsmqtt-contract.ts`) holds both halves together: every
 * action it describes is called by a typed method of the SDK's client and answered by the local
 * service (real HTTP on loopback, signed and verified), the client sends exactly the contract's
 * parameters, the service answers exactly its fields, the SDK actions it leaves undescribed are
 * reachable through `call` and answered `ApiNotSupport`, and no other source file describes an action
 * (no parameter read by name in the service, no answer field named in the client).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenApiService, DOCUMENTED_RATE_LIMITS, ONSMQTT_ACTIONS, type OpenApiService } from '../../src/broker/openapi-service.js';
import { CustomAuthStore, DeviceStore, GroupStore, TokenStore } from '../../src/broker/broker-entry.js';
import { decodeAnswer, encodeRequest, formatAnswer, parseRequest, type ParseHooks } from '../../src/openapi/onsmqtt-codec.js';
import {
  actionSpec,
  ONSMQTT_CONTRACT,
  ONSMQTT_RATE_LIMITS,
  ONSMQTT_SDK_ACTIONS,
  ONSMQTT_UNDESCRIBED_ACTIONS,
  ONSMQTT_VERSION,
  type ActionSpec,
  type FieldSpec,
  type OnsMqttAction,
} from '../../src/openapi/onsmqtt-contract.js';
import { RPC_COMMON_PARAMS } from '../../src/openapi/rpc.js';
import { ApsaraMqttAuthError, createOnsMqttClient, ONSMQTT_API_VERSION, OpenApiError, type FetchLike, type OnsMqttClient } from '../../src/server/server-entry.js';
import { serve, type Served } from '../helpers/loopback.js';
import { SECRET } from '../suites/api.js';

const AK = 'LTAI5tContract';
const INSTANCE = 'mqtt-cn-contract';
const DEVICE = 'GID_contract@@@device-1';

let served: Served;
let service: OpenApiService;
let api: OnsMqttClient;
const online = new Set<string>(['GID_contract@@@online']);
const published: string[] = [];
/** Each request the client sent: its action and parameters (common ones included). */
const sent: { action: string; params: Record<string, string> }[] = [];

beforeAll(async () => {
  const tokens = new TokenStore({ instanceId: INSTANCE });
  const devices = new DeviceStore({ instanceId: INSTANCE });
  const groups = new GroupStore({ instanceId: INSTANCE });
  service = createOpenApiService({
    accessKeys: [{ accessKeyId: AK, accessKeySecret: SECRET }],
    instanceId: INSTANCE,
    tokens,
    devices,
    groups,
    customAuth: new CustomAuthStore(),
    sessions: { isOnline: (id) => online.has(id), disconnect: (id) => online.delete(id) },
    publisher: { publish: async (m) => void published.push(`${m.topic} ${new TextDecoder().decode(m.payload)}`) },
    rateLimits: false,
  });
  served = await serve(service);
  // The real fetch, watched: what goes on the wire is read back from the form body.
  const watching: FetchLike = async (input, init) => {
    // V3 (the default) names the action in a header and sends only the action's own parameters; V2 sends
    // it among the common parameters.
    const url = new URL(input);
    const params = { ...Object.fromEntries(url.searchParams), ...Object.fromEntries(new URLSearchParams(init.body ?? '')) };
    sent.push({ action: init.headers['x-acs-action'] ?? params['Action']!, params });
    return fetch(input, init);
  };
  api = createOnsMqttClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: served.url, instanceId: INSTANCE, fetch: watching });
});
afterAll(() => served?.close());

/**
 * One typed client call per described action, in an order that makes each succeed, with what it must
 * answer. `satisfies` makes a described action without a call here a type error.
 */
const CALLS = {
  ApplyToken: async (c: OnsMqttClient) => expect((await c.applyToken({ resources: ['c/#'], actions: 'R', expireTime: Date.now() + 3600_000 })).token).toEqual(expect.any(String)),
  QueryToken: async (c: OnsMqttClient) => expect(await c.queryToken({ token: 'unknown-token' })).toBe(false),
  RevokeToken: async (c: OnsMqttClient) => expect(await c.revokeToken({ token: 'unknown-token' })).toBeUndefined(),
  RegisterDeviceCredential: async (c: OnsMqttClient) => expect(await c.registerDeviceCredential({ clientId: DEVICE })).toMatchObject({ clientId: DEVICE, instanceId: INSTANCE }),
  GetDeviceCredential: async (c: OnsMqttClient) => expect((await c.getDeviceCredential({ clientId: DEVICE })).deviceAccessKeySecret).toEqual(expect.any(String)),
  RefreshDeviceCredential: async (c: OnsMqttClient) => expect((await c.refreshDeviceCredential({ clientId: DEVICE })).updateTime).toEqual(expect.any(Number)),
  ListDeviceCredentialClientId: async (c: OnsMqttClient) => expect(await c.listDeviceCredentialClientIds({ groupId: 'GID_contract' })).toEqual({ clientIds: [DEVICE], total: 1 }),
  UnRegisterDeviceCredential: async (c: OnsMqttClient) => expect(await c.unregisterDeviceCredential({ clientId: DEVICE })).toBeUndefined(),
  QuerySessionByClientId: async (c: OnsMqttClient) => expect(await c.querySessionByClientId({ clientId: 'GID_contract@@@online' })).toBe(true),
  BatchQuerySessionByClientIds: async (c: OnsMqttClient) =>
    expect(await c.batchQuerySessionByClientIds({ clientIds: ['GID_contract@@@online', DEVICE] })).toEqual([
      { clientId: 'GID_contract@@@online', online: true },
      { clientId: DEVICE, online: false },
    ]),
  SendMessage: async (c: OnsMqttClient) => {
    expect(await c.sendMessage({ topic: 'c/news', payload: 'hello' })).toEqual({ msgId: expect.stringMatching(/^[0-9A-F]{32}$/) });
    expect(published).toEqual(['c/news hello']);
  },
  CloseConnection: async (c: OnsMqttClient) => {
    expect(await c.closeConnection({ clientId: 'GID_contract@@@online' })).toBeUndefined();
    expect(online.has('GID_contract@@@online')).toBe(false);
  },
  CreateGroupId: async (c: OnsMqttClient) => expect(await c.createGroupId({ groupId: 'GID_contract' })).toBeUndefined(),
  ListGroupId: async (c: OnsMqttClient) => expect(await c.listGroupIds()).toEqual([{ groupId: 'GID_contract', instanceId: INSTANCE, createTime: expect.any(Number), updateTime: expect.any(Number) }]),
  DeleteGroupId: async (c: OnsMqttClient) => expect(await c.deleteGroupId({ groupId: 'GID_contract' })).toBeUndefined(),
  AddCustomAuthIdentity: async (c: OnsMqttClient) =>
    expect(await c.addCustomAuthIdentity({ username: 'meter', secret: 'meter-secret', identityType: 'USER', signMode: 'ORIGIN' })).toBeUndefined(),
  UpdateCustomAuthIdentity: async (c: OnsMqttClient) =>
    expect(await c.updateCustomAuthIdentity({ username: 'meter', secret: 'meter-secret-2', identityType: 'USER', signMode: 'SIGNED' })).toBeUndefined(),
  QueryCustomAuthIdentity: async (c: OnsMqttClient) => {
    const page = await c.queryCustomAuthIdentity({ username: 'meter' });
    expect(page.results.map((r) => [r.username, r.identityType, r.signMode, r.secret])).toEqual([['meter', 'USER', 'SIGNED', 'meter-secret-2']]);
  },
  AddCustomAuthPermission: async (c: OnsMqttClient) =>
    expect(await c.addCustomAuthPermission({ identityType: 'USER', identity: 'meter', topic: 'c/#', permitAction: 'PUB', effect: 'ALLOW' })).toBeUndefined(),
  UpdateCustomAuthPermission: async (c: OnsMqttClient) =>
    expect(await c.updateCustomAuthPermission({ identityType: 'USER', identity: 'meter', topic: 'c/#', permitAction: 'PUB_SUB', effect: 'DENY' })).toBeUndefined(),
  QueryCustomAuthPermission: async (c: OnsMqttClient) =>
    expect(await c.queryCustomAuthPermission({ identity: 'meter' })).toEqual({ results: [{ identityType: 'USER', identity: 'meter', topic: 'c/#', permitAction: 'PUB_SUB', effect: 'DENY' }] }),
  DeleteCustomAuthPermission: async (c: OnsMqttClient) => expect(await c.deleteCustomAuthPermission({ identityType: 'USER', identity: 'meter', topic: 'c/#' })).toBeUndefined(),
  DeleteCustomAuthIdentity: async (c: OnsMqttClient) => expect(await c.deleteCustomAuthIdentity({ username: 'meter', identityType: 'USER' })).toBeUndefined(),
  AddCustomAuthConnectBlack: async (c: OnsMqttClient) => expect(await c.addCustomAuthConnectBlack({ clientId: DEVICE })).toBeUndefined(),
  QueryCustomAuthConnectBlack: async (c: OnsMqttClient) =>
    expect(await c.queryCustomAuthConnectBlack({ size: 10 })).toEqual({ results: [{ clientId: DEVICE, effect: 'DENY', permitAction: 'CONNECT' }] }),
  DeleteCustomAuthConnectBlack: async (c: OnsMqttClient) => expect(await c.deleteCustomAuthConnectBlack({ clientId: DEVICE })).toBeUndefined(),
} satisfies Record<OnsMqttAction, (c: OnsMqttClient) => Promise<unknown>>;

/** Every wire name a list of answer fields holds, nested ones too. */
function answerNames(fields: readonly FieldSpec[]): string[] {
  return fields.flatMap((f) => [f.name, ...answerNames(f.fields ?? [])]);
}

describe('the contract', () => {
  it('is the one version and rate table both halves use', () => {
    expect(ONSMQTT_API_VERSION).toBe(ONSMQTT_VERSION);
    expect(DOCUMENTED_RATE_LIMITS).toBe(ONSMQTT_RATE_LIMITS);
    expect(ONSMQTT_RATE_LIMITS).toMatchObject({ ApplyToken: 100, QueryToken: 100, RevokeToken: 5, RegisterDeviceCredential: 500, SendMessage: 1000 });
    expect(ONSMQTT_CONTRACT.ApplyToken.params.find((p) => p.key === 'expireTime')).toMatchObject({ min: 60_000, max: 30 * 86_400_000 });
    expect(ONSMQTT_CONTRACT.ApplyToken.params.find((p) => p.key === 'resources')).toMatchObject({ max: 100 });
    expect(ONSMQTT_ACTIONS).toBe(ONSMQTT_SDK_ACTIONS);
    // The SDK's 50 actions: the described ones and the others, each once.
    expect(new Set(ONSMQTT_SDK_ACTIONS).size).toBe(50);
    expect(Object.keys(ONSMQTT_CONTRACT).filter((a) => (ONSMQTT_UNDESCRIBED_ACTIONS as readonly string[]).includes(a))).toEqual([]);
  });

  it('every described action is called by a typed client method and answered by the local service', async () => {
    expect(Object.keys(CALLS).sort()).toEqual(Object.keys(ONSMQTT_CONTRACT).sort());
    for (const [action, call] of Object.entries(CALLS) as [OnsMqttAction, (c: OnsMqttClient) => Promise<unknown>][]) {
      const before = service.calls[action] ?? 0;
      sent.length = 0;
      await call(api);
      expect(service.calls[action], action).toBe(before + 1);
      // The client sent the action's own parameters under the contract's names, and only those.
      expect(sent.map((s) => s.action)).toEqual([action]);
      const names = new Set<string>(ONSMQTT_CONTRACT[action].params.map((p) => p.name));
      const own = Object.keys(sent[0]!.params).filter((k) => !(RPC_COMMON_PARAMS as readonly string[]).includes(k) && k !== 'Signature');
      for (const name of own) expect(names.has(name.replace(/\.\d+$/, '')), `${action} sent ${name}`).toBe(true);
      for (const p of ONSMQTT_CONTRACT[action].params as readonly { name: string; required?: boolean; type: string }[]) {
        if (p.required) expect(own.some((n) => n === p.name || n.startsWith(`${p.name}.`)), `${action} sent ${p.name}`).toBe(true);
      }
    }
  });

  it('the actions of the SDK it leaves undescribed are reachable through call() and answered ApiNotSupport; an unknown name InvalidAction.NotFound', async () => {
    for (const action of ONSMQTT_UNDESCRIBED_ACTIONS) {
      const error = await api.call(action, { InstanceId: INSTANCE }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, action).toBeInstanceOf(OpenApiError);
      expect([(error as OpenApiError).openApiCode, (error as OpenApiError).status]).toEqual(['ApiNotSupport', 404]);
    }
    await expect(api.call('MakeCoffee', {})).rejects.toMatchObject({ openApiCode: 'InvalidAction.NotFound', status: 404 });
  });

  it('no other source file describes an action: the service reads no parameter by name, the client names no answer field', () => {
    const read = (dir: string) =>
      readdirSync(join('src', dir))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => ({ file: join('src', dir, f), text: readFileSync(join('src', dir, f), 'utf8') }));
    // The service's actions: parameters come parsed from the contract (no Params reader by name).
    for (const { file, text } of read('broker/openapi').filter((f) => !/(service|params|errors|format)\.ts$/.test(f.file))) {
      expect(text.match(/\.(required|optional|oneOf|integer|list)\('/g), file).toBeNull();
    }
    // The client: every answer field (and every action's parameter list) is the contract's alone.
    const params = new Set(Object.values(ONSMQTT_CONTRACT as Readonly<Record<string, ActionSpec>>).flatMap((s) => s.params.map((p) => p.name)));
    const answers = new Set(Object.values(ONSMQTT_CONTRACT as Readonly<Record<string, ActionSpec>>).flatMap((s) => answerNames(s.answer)));
    const clientFiles = read('server').filter((f) => /onsmqtt-|records|token-issuer|credential-handler/.test(f.file));
    // `Code` and `Message` are also the error envelope every RPC API answers (`{ RequestId, Code, Message }`),
    // which the client's call path reads whatever the action: not an action's description.
    const envelope = new Set(['Code', 'Message']);
    for (const { file, text } of clientFiles) {
      for (const name of new Set([...params, ...answers])) if (!envelope.has(name)) expect(text.includes(`'${name}'`), `${file} names '${name}'`).toBe(false);
    }
    // The service's action files name no answer field either: they answer under record names. (The
    // stores' own record types, e.g. `OpenApiDeviceRecord`, keep their public field names.)
    for (const { file, text } of read('broker/openapi')) {
      for (const name of answers) if (!params.has(name)) expect(text.includes(`'${name}'`), `${file} names '${name}'`).toBe(false);
    }
  });
});

describe('the codec', () => {
  const hooks = (now = 0): ParseHooks => ({
    now,
    missing: (name) => {
      throw new Error(`Missing${name}`);
    },
    invalid: (name, detail) => {
      throw new Error(`InvalidParameter.${name}: ${detail}`);
    },
    instance: () => {},
  });

  it('client and service agree on every parameter type: what one encodes the other parses back', () => {
    const now = Date.UTC(2026, 0, 1);
    const cases: [OnsMqttAction, Record<string, unknown>][] = [
      ['ApplyToken', { instanceId: 'i', resources: ['b', 'a/#', 'b'], actions: 'R,W', expireTime: now + 120_000 }],
      ['BatchQuerySessionByClientIds', { instanceId: 'i', clientIds: ['GID_abc@@@1', 'GID_abc@@@2'] }],
      ['QueryCustomAuthIdentity', { instanceId: 'i', identityType: 'CLIENT', size: 7 }],
      ['AddCustomAuthIdentity', { instanceId: 'i', username: 'u', secret: 's', identityType: 'CLIENT', clientId: 'GID_abc@@@1' }],
      ['SendMessage', { instanceId: 'i', topic: 't', payload: 'p' }],
    ];
    for (const [action, input] of cases) {
      const spec = ONSMQTT_CONTRACT[action];
      const parsed = parseRequest(spec, encodeRequest(spec, input, now), hooks(now));
      const expected = action === 'ApplyToken' ? { ...input, resources: ['a/#', 'b'] } : input;
      expect(parsed, action).toEqual(expected);
    }
  });

  it('the client refuses before sending what the service would refuse, naming the option', () => {
    const now = 1_000_000;
    const bad: [OnsMqttAction, Record<string, unknown>, string][] = [
      ['ApplyToken', { instanceId: 'i', resources: [], actions: 'R', expireTime: now + 120_000 }, 'resources'],
      ['ApplyToken', { instanceId: 'i', resources: ['a'], actions: 'RW', expireTime: now + 120_000 }, 'actions'],
      ['ApplyToken', { instanceId: 'i', resources: ['a'], actions: 'R', expireTime: now + 1000 }, 'expireTime'],
      ['ApplyToken', { instanceId: 'i', resources: Array.from({ length: 101 }, (_, i) => `t${i}`), actions: 'R', expireTime: now + 120_000 }, 'resources'],
      ['BatchQuerySessionByClientIds', { instanceId: 'i', clientIds: Array.from({ length: 11 }, (_, i) => `GID_abc@@@${i}`) }, 'clientIds'],
      ['QueryCustomAuthPermission', { instanceId: 'i', size: 101 }, 'size'],
      ['AddCustomAuthPermission', { instanceId: 'i', identityType: 'USER', identity: 'u', topic: 't', permitAction: 'PUBLISH', effect: 'ALLOW' }, 'permitAction'],
      ['RegisterDeviceCredential', { instanceId: 'i' }, 'clientId'],
      ['AddCustomAuthIdentity', { instanceId: 'i', username: 'u', secret: 's', identityType: 'CLIENT' }, 'clientId'],
    ];
    for (const [action, input, field] of bad) {
      expect(() => encodeRequest(ONSMQTT_CONTRACT[action], input, now), `${action} ${field}`).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', field: expect.stringMatching(new RegExp(`^${field}`)) }));
    }
    expect(() => encodeRequest(ONSMQTT_CONTRACT.ApplyToken, { instanceId: 'i', resources: ['a'], actions: 'R', expireTime: 1 }, now)).toThrow(ApsaraMqttAuthError);
  });

  it('the service answers the documented codes: Missing<Name>, InvalidParameter.<Name>, ExpireTime cut to 30 days', () => {
    const now = Date.UTC(2026, 0, 1);
    const spec = ONSMQTT_CONTRACT.ApplyToken;
    expect(() => parseRequest(spec, { InstanceId: 'i', Actions: 'R', ExpireTime: String(now + 120_000) }, hooks(now))).toThrow('MissingResources');
    expect(() => parseRequest(spec, { InstanceId: 'i', Resources: 'a', Actions: 'X', ExpireTime: String(now + 120_000) }, hooks(now))).toThrow(/^InvalidParameter\.Actions/);
    expect(() => parseRequest(spec, { InstanceId: 'i', Resources: 'a', Actions: 'R', ExpireTime: String(now + 59_000) }, hooks(now))).toThrow('ExpireTime must be at least 60 seconds in the future.');
    expect(parseRequest(spec, { InstanceId: 'i', Resources: 'a', Actions: 'R', ExpireTime: String(now + 90 * 86_400_000) }, hooks(now))['expireTime']).toBe(now + 30 * 86_400_000);
    const seen: string[] = [];
    parseRequest(ONSMQTT_CONTRACT.QueryToken, { InstanceId: 'mqtt-x', Token: 't' }, { ...hooks(), instance: (id) => void seen.push(id) });
    expect(seen).toEqual(['mqtt-x']);
  });

  it('answers hold the contract fields and nothing else, both ways', () => {
    const spec = ONSMQTT_CONTRACT.QueryCustomAuthConnectBlack;
    const wire = formatAnswer(spec, { data: { results: [{ clientId: 'GID_abc@@@1', effect: 'DENY', permitAction: 'CONNECT' }] } });
    expect(wire).toEqual({ Code: 200, Success: true, Message: 'operation success.', Data: { Results: [{ ClientId: 'GID_abc@@@1', Effect: 'DENY', PermitAction: 'CONNECT' }] } });
    expect(decodeAnswer(spec, { RequestId: 'r', ...wire })).toEqual({ ok: true, value: { code: 200, success: true, message: 'operation success.', data: { results: [{ clientId: 'GID_abc@@@1', effect: 'DENY', permitAction: 'CONNECT' }] } } });
    expect(() => formatAnswer(ONSMQTT_CONTRACT.QueryToken, { tokenStatus: true, extra: 1 })).toThrow(/does not describe/);
    expect(() => formatAnswer(ONSMQTT_CONTRACT.ApplyToken, {})).toThrow(/lacks token/);
    expect(decodeAnswer(ONSMQTT_CONTRACT.GetDeviceCredential, { DeviceCredential: { DeviceAccessKeyId: 'k' } })).toEqual({ ok: false, missing: 'DeviceCredential.DeviceAccessKeySecret' });
    expect(actionSpec('constructor')).toBeUndefined();
  });
});
