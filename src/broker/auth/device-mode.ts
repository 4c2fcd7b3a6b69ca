/**
 * DeviceCredential mode: `DeviceCredential|<DeviceAccessKeyId>|<InstanceId>`, Password
 * Base64(HMAC-SHA1(DeviceAccessKeySecret, ClientId)); the credential is bound to one client id.
 * @module
 */
import { deviceCredentials } from '../../credentials/device.js';
import { _constantTimeEqual } from '../../internal/equal.js';
import { permissionsPolicy, type AccessPolicy } from '../access.js';
import type { Permissions } from '../acl.js';
import type { DeviceStore } from '../devices.js';
import { _refuse, type AuthResult } from './auth-types.js';

/** Checks DeviceCredential-mode CONNECTs against the device store. */
export class DeviceMode {
  readonly #instanceId: string;
  readonly #devices: DeviceStore;
  readonly #access: AccessPolicy;

  constructor(instanceId: string, devices: DeviceStore, permissions: Permissions | undefined) {
    this.#instanceId = instanceId;
    this.#devices = devices;
    this.#access = permissionsPolicy(permissions && [permissions]);
  }

  async authenticate(deviceAccessKeyId: string, password: string, clientId: string): Promise<AuthResult> {
    const device = this.#devices._byKeyId(deviceAccessKeyId);
    if (!device) return _refuse('bad-credentials', 'unknown DeviceAccessKeyId');
    if (device.clientId !== clientId) return _refuse('not-authorized', 'the device credential belongs to another client id');
    const expected = await deviceCredentials({ deviceAccessKeyId, deviceAccessKeySecret: device.secret, instanceId: this.#instanceId, clientId });
    if (!_constantTimeEqual(password, expected.password)) return _refuse('bad-credentials', 'DeviceCredential password does not match');
    return { ok: true, identity: { mode: 'DeviceCredential', id: deviceAccessKeyId, access: this.#access } };
  }
}
