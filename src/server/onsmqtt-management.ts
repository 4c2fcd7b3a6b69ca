/**
 * The `onsmqtt` calls beyond tokens and device credentials, typed: sessions (QuerySessionByClientId,
 * BatchQuerySessionByClientIds), SendMessage, Group IDs, and custom-authentication identities and
 * permissions. Each checks its inputs before anything is signed and reads the fields the API reference
 * documents from the answer.
 * @module
 */
import { _invalid } from '../errors.js';
import { _requireClientId } from '../credentials/client-id.js';
import { _requireOptions, _requireString } from '../credentials/validate.js';
import { OpenApiError } from './openapi-error.js';
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
}

/** @internal How the management calls reach the service. */
export interface _CallContext {
  call(action: string, params: Readonly<Record<string, string>>, sensitive?: readonly string[]): Promise<Record<string, unknown>>;
  instanceOf(given: string | undefined): string;
}

const str = (record: Record<string, unknown>, key: string): string | undefined => (typeof record[key] === 'string' ? (record[key] as string) : undefined);

function answerField<T>(action: string, body: Record<string, unknown>, field: string, valid: (value: unknown) => value is T): T {
  const value = body[field];
  if (!valid(value)) {
    const requestId = str(body, 'RequestId');
    throw new OpenApiError(`${action}: the answer has no ${field}`, { field, ...(requestId ? { requestId } : {}) });
  }
  return value;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw _invalid(field, `must be ${allowed.map((a) => JSON.stringify(a)).join(' or ')}`);
  return value as T;
}

function size(value: number | undefined): string {
  const n = value ?? 100;
  if (!Number.isSafeInteger(n) || n < 1 || n > 100) throw _invalid('size', 'must be an integer from 1 to 100');
  return String(n);
}

/** Only the parameters given, as the strings the RPC style sends. */
function defined(params: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) if (value !== undefined) out[key] = value;
  return out;
}

function identityParams(context: _CallContext, opts: CustomIdentityOptions): Record<string, string> {
  opts = _requireOptions(opts, 'options');
  const identityType = oneOf(opts.identityType, ['USER', 'CLIENT'] as const, 'identityType');
  return defined({
    InstanceId: context.instanceOf(opts.instanceId),
    Username: _requireString(opts.username, 'username'),
    Secret: _requireString(opts.secret, 'secret'),
    IdentityType: identityType,
    ClientId: identityType === 'CLIENT' ? _requireClientId(opts.clientId) : undefined,
    SignMode: oneOf(opts.signMode, ['ORIGIN', 'SIGNED'] as const, 'signMode'),
  });
}

function permissionParams(context: _CallContext, opts: CustomPermissionOptions): Record<string, string> {
  opts = _requireOptions(opts, 'options');
  return {
    InstanceId: context.instanceOf(opts.instanceId),
    IdentityType: oneOf(opts.identityType, ['USER', 'CLIENT'] as const, 'identityType'),
    Identity: _requireString(opts.identity, 'identity'),
    Topic: _requireString(opts.topic, 'topic'),
    PermitAction: oneOf(opts.permitAction, ['PUB', 'SUB', 'PUB_SUB'] as const, 'permitAction'),
    Effect: oneOf(opts.effect, ['ALLOW', 'DENY'] as const, 'effect'),
  };
}

function queryPage<T>(action: string, body: Record<string, unknown>, read: (item: Record<string, unknown>) => T): QueryPage<T> {
  const data = answerField(action, body, 'Data', isObject);
  const results = answerField(action, data, 'Results', isArray).filter(isObject).map(read);
  const nextToken = str(data, 'NextToken');
  return nextToken ? { results, nextToken } : { results };
}

/** @internal The management calls over one client's `call`. */
export function _managementCalls(context: _CallContext): OnsMqttManagementCalls {
  const { call, instanceOf } = context;
  return {
    async querySessionByClientId(opts) {
      opts = _requireOptions(opts, 'options');
      const body = await call('QuerySessionByClientId', { ClientId: _requireClientId(opts.clientId), InstanceId: instanceOf(opts.instanceId) });
      return answerField('QuerySessionByClientId', body, 'OnlineStatus', (v): v is boolean => typeof v === 'boolean');
    },

    async batchQuerySessionByClientIds(opts) {
      opts = _requireOptions(opts, 'options');
      const ids = opts.clientIds;
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > 10) throw _invalid('clientIds', 'must be a list of 1 to 10 client ids');
      const params: Record<string, string> = { InstanceId: instanceOf(opts.instanceId) };
      ids.forEach((id, i) => (params[`ClientIdList.${i + 1}`] = _requireClientId(id)));
      const body = await call('BatchQuerySessionByClientIds', params);
      return answerField('BatchQuerySessionByClientIds', body, 'OnlineStatusList', isArray)
        .filter(isObject)
        .map((item) => ({ clientId: str(item, 'ClientId') ?? '', online: item['OnlineStatus'] === true }));
    },

    async sendMessage(opts) {
      opts = _requireOptions(opts, 'options');
      if (typeof opts.payload !== 'string') throw _invalid('payload', 'must be a string (Base64-encode binary data)');
      const body = await call('SendMessage', { InstanceId: instanceOf(opts.instanceId), MqttTopic: _requireString(opts.topic, 'topic'), Payload: opts.payload });
      return { msgId: answerField('SendMessage', body, 'MsgId', (v): v is string => typeof v === 'string') };
    },

    async createGroupId(opts) {
      opts = _requireOptions(opts, 'options');
      await call('CreateGroupId', { GroupId: _requireString(opts.groupId, 'groupId'), InstanceId: instanceOf(opts.instanceId) });
    },

    async deleteGroupId(opts) {
      opts = _requireOptions(opts, 'options');
      await call('DeleteGroupId', { GroupId: _requireString(opts.groupId, 'groupId'), InstanceId: instanceOf(opts.instanceId) });
    },

    async listGroupIds(opts = {}) {
      opts = _requireOptions(opts, 'options');
      const body = await call('ListGroupId', { InstanceId: instanceOf(opts.instanceId) });
      return answerField('ListGroupId', body, 'Data', isArray)
        .filter(isObject)
        .map((g) => ({
          groupId: str(g, 'GroupId') ?? '',
          instanceId: str(g, 'InstanceId') ?? '',
          createTime: typeof g['CreateTime'] === 'number' ? g['CreateTime'] : 0,
          updateTime: typeof g['UpdateTime'] === 'number' ? g['UpdateTime'] : 0,
        }));
    },

    async addCustomAuthIdentity(opts) {
      opts = _requireOptions(opts, 'options');
      const params = identityParams(context, opts);
      await call('AddCustomAuthIdentity', params, [params['Secret']!]);
    },

    async updateCustomAuthIdentity(opts) {
      opts = _requireOptions(opts, 'options');
      const params = identityParams(context, opts);
      await call('UpdateCustomAuthIdentity', params, [params['Secret']!]);
    },

    async deleteCustomAuthIdentity(opts) {
      opts = _requireOptions(opts, 'options');
      const identityType = oneOf(opts.identityType, ['USER', 'CLIENT'] as const, 'identityType');
      await call(
        'DeleteCustomAuthIdentity',
        defined({
          InstanceId: instanceOf(opts.instanceId),
          Username: _requireString(opts.username, 'username'),
          IdentityType: identityType,
          ClientId: identityType === 'CLIENT' ? _requireClientId(opts.clientId) : undefined,
        }),
      );
    },

    async queryCustomAuthIdentity(opts = {}) {
      opts = _requireOptions(opts, 'options');
      const body = await call(
        'QueryCustomAuthIdentity',
        defined({
          InstanceId: instanceOf(opts.instanceId),
          Username: opts.username,
          IdentityType: opts.identityType === undefined ? undefined : oneOf(opts.identityType, ['USER', 'CLIENT'] as const, 'identityType'),
          ClientId: opts.clientId,
          Size: size(opts.size),
          NextToken: opts.nextToken,
        }),
      );
      return queryPage('QueryCustomAuthIdentity', body, (r) => {
        const clientId = str(r, 'ClientId');
        return new CustomIdentity(str(r, 'Secret') ?? '', {
          username: str(r, 'Username') ?? '',
          identityType: str(r, 'IdentityType') === 'CLIENT' ? 'CLIENT' : 'USER',
          signMode: str(r, 'SignMode') === 'ORIGIN' ? 'ORIGIN' : 'SIGNED',
          ...(clientId ? { clientId } : {}),
        });
      });
    },

    async addCustomAuthPermission(opts) {
      opts = _requireOptions(opts, 'options');
      await call('AddCustomAuthPermission', permissionParams(context, opts));
    },

    async updateCustomAuthPermission(opts) {
      opts = _requireOptions(opts, 'options');
      await call('UpdateCustomAuthPermission', permissionParams(context, opts));
    },

    async deleteCustomAuthPermission(opts) {
      opts = _requireOptions(opts, 'options');
      await call('DeleteCustomAuthPermission', {
        InstanceId: instanceOf(opts.instanceId),
        IdentityType: oneOf(opts.identityType, ['USER', 'CLIENT'] as const, 'identityType'),
        Identity: _requireString(opts.identity, 'identity'),
        Topic: _requireString(opts.topic, 'topic'),
      });
    },

    async queryCustomAuthPermission(opts = {}) {
      opts = _requireOptions(opts, 'options');
      const body = await call(
        'QueryCustomAuthPermission',
        defined({
          InstanceId: instanceOf(opts.instanceId),
          IdentityType: opts.identityType === undefined ? undefined : oneOf(opts.identityType, ['USER', 'CLIENT'] as const, 'identityType'),
          Identity: opts.identity,
          Topic: opts.topic,
          Size: size(opts.size),
          NextToken: opts.nextToken,
        }),
      );
      return queryPage('QueryCustomAuthPermission', body, (p) => ({
        identityType: str(p, 'IdentityType') === 'CLIENT' ? 'CLIENT' : 'USER',
        identity: str(p, 'Identity') ?? '',
        topic: str(p, 'Topic') ?? '',
        permitAction: (str(p, 'PermitAction') ?? 'PUB_SUB') as CustomPermissionRecord['permitAction'],
        effect: str(p, 'Effect') === 'DENY' ? 'DENY' : 'ALLOW',
      }));
    },
  };
}
