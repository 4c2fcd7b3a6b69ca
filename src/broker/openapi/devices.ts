/**
 * The device-credential actions (API reference, `onsmqtt` 2020-04-20): Register-, Get-, Refresh- and
 * UnRegisterDeviceCredential, and ListDeviceCredentialClientId.
 * @module
 */
import { validateClientId } from '../../credentials/client-id.js';
import { asParameterError, requireInstance, type ActionContext, type ActionHandler } from './context.js';
import { deviceCredentialNotFound, invalidParameter } from './errors.js';
import { groupIdProblem } from '../groups.js';

/** A device credential with the OpenAPI's field names (the secret may be a non-enumerable property). */
export interface OpenApiDeviceRecord {
  /** The client id. */
  readonly ClientId: string;
  /** The instance. */
  readonly InstanceId: string;
  /** The DeviceAccessKeyId. */
  readonly DeviceAccessKeyId: string;
  /** The secret, as the OpenAPI answers it. */
  readonly DeviceAccessKeySecret: string;
  /** When it was registered, UNIX ms. */
  readonly CreateTime: number;
  /** When it was last refreshed, UNIX ms. */
  readonly UpdateTime: number;
}

/** The device-credential store the actions need: the broker's `DeviceStore`, or any with this shape. */
export interface OpenApiDeviceStore {
  /** Registers (or returns the existing) credential for the client id. */
  register(clientId: string): OpenApiDeviceRecord | Promise<OpenApiDeviceRecord>;
  /** The credential, or `undefined`. */
  get(clientId: string): OpenApiDeviceRecord | undefined | Promise<OpenApiDeviceRecord | undefined>;
  /** Replaces the secret of a registered credential. */
  refresh(clientId: string): OpenApiDeviceRecord | Promise<OpenApiDeviceRecord>;
  /** Removes the credential; `false` when none was registered. */
  unregister(clientId: string): boolean | Promise<boolean>;
  /** The client ids holding a credential (ListDeviceCredentialClientId answers `ApiNotSupport` without it). */
  clientIds?(): readonly string[] | Promise<readonly string[]>;
}

const body = (record: OpenApiDeviceRecord) => ({
  DeviceCredential: {
    ClientId: record.ClientId,
    InstanceId: record.InstanceId,
    DeviceAccessKeyId: record.DeviceAccessKeyId,
    DeviceAccessKeySecret: record.DeviceAccessKeySecret,
    CreateTime: record.CreateTime,
    UpdateTime: record.UpdateTime,
  },
});

/** The client id of a call, checked (`InvalidParameter.ClientId`). */
export function requireClientIdParam(context: ActionContext, name = 'ClientId'): string {
  const id = context.params.required(name);
  const check = validateClientId(id);
  if (!check.valid) throw invalidParameter(name, `${check.problems[0]!.message}.`);
  return id;
}

/** The device-credential actions over `devices`. */
export function deviceActions(devices: OpenApiDeviceStore): Record<string, ActionHandler> {
  const call = (context: ActionContext): string => {
    requireInstance(context);
    return requireClientIdParam(context);
  };
  const actions: Record<string, ActionHandler> = {
    async RegisterDeviceCredential(context) {
      const clientId = call(context);
      return body(await asParameterError('ClientId', () => devices.register(clientId)));
    },
    async GetDeviceCredential(context) {
      const record = await devices.get(call(context));
      if (!record) throw deviceCredentialNotFound();
      return body(record);
    },
    async RefreshDeviceCredential(context) {
      const clientId = call(context);
      if (!(await devices.get(clientId))) throw deviceCredentialNotFound();
      return body(await devices.refresh(clientId));
    },
    async UnRegisterDeviceCredential(context) {
      if (!(await devices.unregister(call(context)))) throw deviceCredentialNotFound();
      return {};
    },
  };
  const list = devices.clientIds?.bind(devices);
  if (list) {
    actions['ListDeviceCredentialClientId'] = async (context) => {
      const { params } = context;
      requireInstance(context);
      const groupId = params.required('GroupId');
      const problem = groupIdProblem(groupId);
      if (problem) throw invalidParameter('GroupId', `${problem}.`);
      const pageSize = params.integer('PageSize', { min: 1, max: 100 }, true);
      const pageNo = params.integer('PageNo', { min: 1, max: 1_000_000 }) ?? 1;
      const all = (await list()).filter((id) => id.startsWith(`${groupId}@@@`));
      const nextToken = params.optional('NextToken');
      // NextToken, when given, is the page number to read (what this service hands out).
      let page = pageNo;
      if (nextToken !== undefined) {
        if (!/^\d{1,7}$/.test(nextToken) || Number(nextToken) < 1) throw invalidParameter('NextToken', 'NextToken must be a value a previous answer returned.');
        page = Number(nextToken);
      }
      const start = (page - 1) * pageSize;
      const more = start + pageSize < all.length;
      return {
        DeviceCredentialClientIdList: {
          Total: String(all.length),
          ClientIdList: all.slice(start, start + pageSize),
          PageNo: String(page),
          PageSize: String(pageSize),
          ...(more ? { NextToken: String(page + 1) } : {}),
        },
      };
    };
  }
  return actions;
}
