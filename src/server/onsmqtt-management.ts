/**
 * The `onsmqtt` calls beyond tokens and device credentials, typed: sessions (QuerySessionByClientId,
 * BatchQuerySessionByClientIds, CloseConnection), SendMessage, Group IDs, the device credentials of a
 * group, and custom-authentication identities, permissions and the connection blacklist. The parameters,
 * their checks and the answer's fields are the contract's (`openapi/onsmqtt-contract.ts`): each call
 * here only turns the decoded answer into the record it returns.
 * @module
 */
import { _requireOptions } from '../credentials/validate.js';
import type { OnsMqttAction } from '../openapi/onsmqtt-contract.js';
import { CustomIdentity } from './records.js';

/** The instance, when a call names one (default: the client's). */
export interface InstanceOption {
  /** The instance (default: the client's). */
  instanceId?: string;
}

/** A custom identity's type: the username alone (`USER`) or with one client id (`CLIENT`). */
export type CustomIdentityType = 'USER' | 'CLIENT';

/** Inputs of AddCustomAuthIdentity and UpdateCustomAuthIdentity. */
export interface CustomIdentityOptions extends InstanceOption {
  /** The username clients connect with. */
  username: string;
  /** Kept out of every error this client raises. */
  secret: string;
  /** `USER` (any client id) or `CLIENT` (this username with one client id). */
  identityType: CustomIdentityType;
  /** For `CLIENT` identities. */
  clientId?: string;
  /** `ORIGIN`: the password is the secret; `SIGNED`: Base64(HMAC-SHA1(secret, clientId)). */
  signMode: 'ORIGIN' | 'SIGNED';
}

/** A topic permission of a custom identity. */
export interface CustomPermissionOptions extends InstanceOption {
  /** `USER` or `CLIENT`: what `identity` names. */
  identityType: CustomIdentityType;
  /** The username (`USER`) or client id (`CLIENT`). */
  identity: string;
  /** A topic filter (`+` and `#` allowed). */
  topic: string;
  /** Publish, subscribe, or both. */
  permitAction: 'PUB' | 'SUB' | 'PUB_SUB';
  /** `ALLOW`, or `DENY` (which wins over an allow). */
  effect: 'ALLOW' | 'DENY';
}

/** A permission as QueryCustomAuthPermission answers it. */
export interface CustomPermissionRecord {
  /** `USER` or `CLIENT`: what `identity` names. */
  readonly identityType: CustomIdentityType;
  /** The username (`USER`) or client id (`CLIENT`). */
  readonly identity: string;
  /** A topic filter (`+` and `#` allowed). */
  readonly topic: string;
  /** Publish, subscribe, or both. */
  readonly permitAction: 'PUB' | 'SUB' | 'PUB_SUB';
  /** `ALLOW`, or `DENY` (which wins over an allow). */
  readonly effect: 'ALLOW' | 'DENY';
}

/** One page of a Query call: the results and the `nextToken` to pass for the next page, if any. */
export interface QueryPage<T> {
  /** This page's records. */
  readonly results: readonly T[];
  /** Pass it back to get the next page; absent on the last one. */
  readonly nextToken?: string;
}

/** A Group ID as ListGroupId answers it. */
export interface GroupIdRecord {
  /** The GroupId (`GID_…`). */
  readonly groupId: string;
  /** The instance it belongs to. */
  readonly instanceId: string;
  /** When it was created, ms since the epoch. */
  readonly createTime: number;
  /** When it was last changed, ms since the epoch. */
  readonly updateTime: number;
}

/** The typed management calls of an `OnsMqttClient`. */
export interface OnsMqttManagementCalls {
  /** QuerySessionByClientId: whether the client is connected now. */
  querySessionByClientId(options: InstanceOption & { clientId: string }): Promise<boolean>;
  /** BatchQuerySessionByClientIds: 1 to 10 client ids → whether each is connected. */
  batchQuerySessionByClientIds(options: InstanceOption & { clientIds: readonly string[] }): Promise<{ clientId: string; online: boolean }[]>;
  /** SendMessage: publishes `payload` (a string; Base64-encode binary data yourself, as the reference advises) to `topic`. */
  sendMessage(options: InstanceOption & { topic: string; payload: string }): Promise<{ msgId: string }>;
  /** CreateGroupId. */
  createGroupId(options: InstanceOption & { groupId: string }): Promise<void>;
  /** DeleteGroupId. */
  deleteGroupId(options: InstanceOption & { groupId: string }): Promise<void>;
  /** ListGroupId. */
  listGroupIds(options?: InstanceOption): Promise<GroupIdRecord[]>;
  /** AddCustomAuthIdentity. */
  addCustomAuthIdentity(options: CustomIdentityOptions): Promise<void>;
  /** UpdateCustomAuthIdentity: a new secret or sign mode. */
  updateCustomAuthIdentity(options: CustomIdentityOptions): Promise<void>;
  /** DeleteCustomAuthIdentity. */
  deleteCustomAuthIdentity(options: InstanceOption & { username: string; identityType: CustomIdentityType; clientId?: string }): Promise<void>;
  /** QueryCustomAuthIdentity: one page (`size` 1–100, default 100) of identities, secrets behind getters. */
  queryCustomAuthIdentity(
    options?: InstanceOption & { username?: string; identityType?: CustomIdentityType; clientId?: string; size?: number; nextToken?: string },
  ): Promise<QueryPage<CustomIdentity>>;
  /** AddCustomAuthPermission. */
  addCustomAuthPermission(options: CustomPermissionOptions): Promise<void>;
  /** UpdateCustomAuthPermission: new action or effect for the identity's topic. */
  updateCustomAuthPermission(options: CustomPermissionOptions): Promise<void>;
  /** DeleteCustomAuthPermission. */
  deleteCustomAuthPermission(options: InstanceOption & { identityType: CustomIdentityType; identity: string; topic: string }): Promise<void>;
  /** QueryCustomAuthPermission: one page (`size` 1–100, default 100) of permissions. */
  queryCustomAuthPermission(
    options?: InstanceOption & { identityType?: CustomIdentityType; identity?: string; topic?: string; size?: number; nextToken?: string },
  ): Promise<QueryPage<CustomPermissionRecord>>;
  /** CloseConnection: ends the client's connection (a client that is not connected is no error). */
  closeConnection(options: InstanceOption & { clientId: string }): Promise<void>;
  /** ListDeviceCredentialClientId: one page (`pageSize` 1–100, default 100) of the client ids of a Group ID holding a device credential. */
  listDeviceCredentialClientIds(options: InstanceOption & { groupId: string; pageSize?: number; pageNo?: number; nextToken?: string }): Promise<DeviceClientIdPage>;
  /** AddCustomAuthConnectBlack: refuses the client id's CONNECTs. */
  addCustomAuthConnectBlack(options: InstanceOption & { clientId: string }): Promise<void>;
  /** DeleteCustomAuthConnectBlack: lets the client id connect again. */
  deleteCustomAuthConnectBlack(options: InstanceOption & { clientId: string }): Promise<void>;
  /** QueryCustomAuthConnectBlack: one page (`size` 1–100, default 100) of blacklisted client ids. */
  queryCustomAuthConnectBlack(options?: InstanceOption & { clientId?: string; size?: number; nextToken?: string }): Promise<QueryPage<ConnectBlackRecord>>;
}

/** A page of ListDeviceCredentialClientId. */
export interface DeviceClientIdPage {
  /** The client ids on this page. */
  readonly clientIds: readonly string[];
  /** How many client ids the group has in all. */
  readonly total: number;
  /** Pass it back for the next page; absent on the last one. */
  readonly nextToken?: string;
}

/** A blacklist entry as QueryCustomAuthConnectBlack answers it. */
export interface ConnectBlackRecord {
  /** The client id whose CONNECTs are refused. */
  readonly clientId: string;
  /** `DENY`. */
  readonly effect: string;
  /** `CONNECT`. */
  readonly permitAction: string;
}

/** @internal One action of the contract, called: its decoded answer (record names), the instance, the RequestId. */
export type _Invoke = (action: OnsMqttAction, input: object) => Promise<{ value: Record<string, unknown>; instanceId: string; requestId?: string }>;

const text = (record: Record<string, unknown>, key: string): string => (typeof record[key] === 'string' ? (record[key] as string) : '');
const time = (record: Record<string, unknown>, key: string): number => (typeof record[key] === 'number' ? (record[key] as number) : 0);
const items = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? (value as Record<string, unknown>[]) : []);

/** A Query answer's page: its records and the NextToken, when more follow. */
function queryPage<T>(value: Record<string, unknown>, read: (item: Record<string, unknown>) => T): QueryPage<T> {
  const data = value['data'] as Record<string, unknown>;
  const results = items(data['results']).map(read);
  const nextToken = text(data, 'nextToken');
  return nextToken ? { results, nextToken } : { results };
}

/** @internal The management calls over one client's contract calls. */
export function _managementCalls(invoke: _Invoke): OnsMqttManagementCalls {
  const run = async (action: OnsMqttAction, opts: object | undefined) => (await invoke(action, _requireOptions(opts ?? {}, 'options'))).value;
  return {
    querySessionByClientId: async (opts) => (await run('QuerySessionByClientId', opts))['online'] as boolean,

    batchQuerySessionByClientIds: async (opts) =>
      items((await run('BatchQuerySessionByClientIds', opts))['list']).map((item) => ({ clientId: text(item, 'clientId'), online: item['online'] === true })),

    sendMessage: async (opts) => ({ msgId: (await run('SendMessage', opts))['msgId'] as string }),

    closeConnection: async (opts) => void (await run('CloseConnection', opts)),

    createGroupId: async (opts) => void (await run('CreateGroupId', opts)),

    deleteGroupId: async (opts) => void (await run('DeleteGroupId', opts)),

    listGroupIds: async (opts) =>
      items((await run('ListGroupId', opts))['groups']).map((g) => ({
        groupId: text(g, 'groupId'),
        instanceId: text(g, 'instanceId'),
        createTime: time(g, 'createTime'),
        updateTime: time(g, 'updateTime'),
      })),

    async listDeviceCredentialClientIds(opts) {
      const list = (await run('ListDeviceCredentialClientId', opts))['list'] as Record<string, unknown>;
      const nextToken = text(list, 'nextToken');
      const total = Number(text(list, 'total'));
      const clientIds = (list['clientIds'] as string[]).slice();
      return { clientIds, total: Number.isSafeInteger(total) ? total : clientIds.length, ...(nextToken ? { nextToken } : {}) };
    },

    addCustomAuthIdentity: async (opts) => void (await run('AddCustomAuthIdentity', opts)),

    updateCustomAuthIdentity: async (opts) => void (await run('UpdateCustomAuthIdentity', opts)),

    deleteCustomAuthIdentity: async (opts) => void (await run('DeleteCustomAuthIdentity', opts)),

    queryCustomAuthIdentity: async (opts) =>
      queryPage(await run('QueryCustomAuthIdentity', opts), (r) => {
        const clientId = text(r, 'clientId');
        return new CustomIdentity(text(r, 'secret'), {
          username: text(r, 'username'),
          identityType: text(r, 'identityType') === 'CLIENT' ? 'CLIENT' : 'USER',
          signMode: text(r, 'signMode') === 'ORIGIN' ? 'ORIGIN' : 'SIGNED',
          ...(clientId ? { clientId } : {}),
        });
      }),

    addCustomAuthPermission: async (opts) => void (await run('AddCustomAuthPermission', opts)),

    updateCustomAuthPermission: async (opts) => void (await run('UpdateCustomAuthPermission', opts)),

    deleteCustomAuthPermission: async (opts) => void (await run('DeleteCustomAuthPermission', opts)),

    queryCustomAuthPermission: async (opts) =>
      queryPage(await run('QueryCustomAuthPermission', opts), (p) => ({
        identityType: text(p, 'identityType') === 'CLIENT' ? 'CLIENT' : 'USER',
        identity: text(p, 'identity'),
        topic: text(p, 'topic'),
        permitAction: (text(p, 'permitAction') || 'PUB_SUB') as CustomPermissionRecord['permitAction'],
        effect: text(p, 'effect') === 'DENY' ? 'DENY' : 'ALLOW',
      })),

    addCustomAuthConnectBlack: async (opts) => void (await run('AddCustomAuthConnectBlack', opts)),

    deleteCustomAuthConnectBlack: async (opts) => void (await run('DeleteCustomAuthConnectBlack', opts)),

    queryCustomAuthConnectBlack: async (opts) =>
      queryPage(await run('QueryCustomAuthConnectBlack', opts), (b) => ({ clientId: text(b, 'clientId'), effect: text(b, 'effect'), permitAction: text(b, 'permitAction') })),
  };
}
