/**
 * DeviceCredential mode: one secret per device, issued by RegisterDeviceCredential.
 * @module
 */
import { _DEVICE_LABEL } from '../protocol/username.js';
import { _modeCredentials } from './sign.js';
import type { Credentials } from './credential-types.js';
import type { HmacSha1 } from '../hmac/hmac-types.js';

/** Inputs of {@link deviceCredentials}. */
export interface DeviceCredentialsOptions {
  /** The device's own AccessKey id (`DeviceAccessKeyId`). */
  deviceAccessKeyId: string;
  /** The device's own secret (`DeviceAccessKeySecret`). */
  deviceAccessKeySecret: string;
  /** The ApsaraMQ for MQTT instance id. */
  instanceId: string;
  /** The client id the credential was registered for. */
  clientId: string;
  /** HMAC-SHA1 to use instead of the default. */
  hmac?: HmacSha1;
}

/**
 * DeviceCredential-mode credentials: Username `DeviceCredential|<DeviceAccessKeyId>|<InstanceId>`,
 * Password Base64(HMAC-SHA1(DeviceAccessKeySecret, ClientId)).
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` / `ERR_INVALID_CLIENT_ID` before any signing.
 */
export function deviceCredentials(options: DeviceCredentialsOptions): Promise<Credentials> {
  return _modeCredentials(_DEVICE_LABEL, options, 'deviceAccessKeyId', 'deviceAccessKeySecret');
}
