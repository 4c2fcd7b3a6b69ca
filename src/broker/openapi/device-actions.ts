/**
 * The device-credential actions (API reference, `onsmqtt` 2020-04-20): Register-, Get-, Refresh- and
 * UnRegisterDeviceCredential, and ListDeviceCredentialClientId.
 * @module
 */
import { asParameterError, contractAction, type ActionHandler } from './context.js';
import { deviceCredentialNotFound, invalidParameter } from './error-answers.js';
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

/** The answer's `deviceCredential` (record names; the contract writes the wire names). */
const body = (record: OpenApiDeviceRecord) => ({
  deviceCredential: {
    clientId: record.ClientId,
    instanceId: record.InstanceId,
    deviceAccessKeyId: record.DeviceAccessKeyId,
    deviceAccessKeySecret: record.DeviceAccessKeySecret,
    createTime: record.CreateTime,
    updateTime: record.UpdateTime,
  },
});

/** The device-credential actions over `devices`. */
export function deviceActions(devices: OpenApiDeviceStore): Record<string, ActionHandler> {
  const actions: Record<string, ActionHandler> = {
    RegisterDeviceCredential: contractAction('RegisterDeviceCredential', async ({ clientId }) => body(await asParameterError('ClientId', () => devices.register(clientId)))),
    GetDeviceCredential: contractAction('GetDeviceCredential', async ({ clientId }) => {
      const record = await devices.get(clientId);
      if (!record) throw deviceCredentialNotFound();
      return body(record);
    }),
    RefreshDeviceCredential: contractAction('RefreshDeviceCredential', async ({ clientId }) => {
      if (!(await devices.get(clientId))) throw deviceCredentialNotFound();
      return body(await devices.refresh(clientId));
    }),
    UnRegisterDeviceCredential: contractAction('UnRegisterDeviceCredential', async ({ clientId }) => {
      if (!(await devices.unregister(clientId))) throw deviceCredentialNotFound();
      return {};
    }),
  };
  const list = devices.clientIds?.bind(devices);
  if (list) {
    actions['ListDeviceCredentialClientId'] = contractAction('ListDeviceCredentialClientId', async ({ groupId, pageSize, pageNo, nextToken }) => {
      const problem = groupIdProblem(groupId);
      if (problem) throw invalidParameter('GroupId', `${problem}.`);
      const all = (await list()).filter((id) => id.startsWith(`${groupId}@@@`));
      // NextToken, when given, is the page number to read (what this service hands out).
      let page = pageNo ?? 1;
      if (nextToken !== undefined) {
        if (!/^\d{1,7}$/.test(nextToken) || Number(nextToken) < 1) throw invalidParameter('NextToken', 'NextToken must be a value a previous answer returned.');
        page = Number(nextToken);
      }
      const start = (page - 1) * pageSize;
      const more = start + pageSize < all.length;
      return {
        list: {
          total: String(all.length),
          clientIds: all.slice(start, start + pageSize),
          pageNo: String(page),
          pageSize: String(pageSize),
          ...(more ? { nextToken: String(page + 1) } : {}),
        },
      };
    });
  }
  return actions;
}
