/**
 * Signature mode: fixed permissions for trusted clients.
 * @module
 */
import { _SIGNATURE_LABEL } from '../protocol/username.js';
import { _modeCredentials } from './sign.js';
import type { Credentials } from './credential-types.js';
import type { HmacSha1 } from '../hmac/hmac-types.js';

/** Inputs of {@link signatureCredentials}. */
export interface SignatureCredentialsOptions {
  /** The AccessKey ID (not secret; it appears in the Username). */
  accessKeyId: string;
  /** The AccessKey secret. Keep it on servers and trusted devices only. */
  accessKeySecret: string;
  /** The ApsaraMQ for MQTT instance id, e.g. `mqtt-cn-xxxx`. */
  instanceId: string;
  /** `<GroupId>@@@<DeviceId>`; this exact string is what is signed. */
  clientId: string;
  /** HMAC-SHA1 to use instead of the default (WebCrypto, else `@noble/hashes`). */
  hmac?: HmacSha1;
}

/**
 * Signature-mode credentials: Username `Signature|<AccessKeyId>|<InstanceId>`,
 * Password Base64(HMAC-SHA1(AccessKeySecret, ClientId)).
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` / `ERR_INVALID_CLIENT_ID` before any signing.
 * @example
 * ```ts
 * await signatureCredentials({ accessKeyId: 'YYYYY', accessKeySecret: 'XXXXX', instanceId: 'mqtt-xxxxx', clientId: 'GID_Test@@@0001' })
 * // { username: 'Signature|YYYYY|mqtt-xxxxx', password: 'vI009IZJZVGRwBwZvnbwjfuXxVM=' }
 * ```
 */
export function signatureCredentials(options: SignatureCredentialsOptions): Promise<Credentials> {
  return _modeCredentials(_SIGNATURE_LABEL, options, 'accessKeyId', 'accessKeySecret');
}
