/**
 * The one signing step shared by Signature, DeviceCredential and custom SIGNED identities.
 * @module
 */
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { _base64, _toBytes, _typeName } from '../internal/bytes.js';
import { hmacSha1 } from '../hmac/hmac.js';
import type { HmacSha1 } from '../hmac/types.js';

/** @internal Base64(HMAC-SHA1(key = secret, message = clientId)), both UTF-8. */
export async function _signClientId(secret: string, clientId: string, hmac: HmacSha1 | undefined): Promise<string> {
  let mac: Uint8Array;
  try {
    mac = await (hmac ?? hmacSha1)(_toBytes(secret, 'secret'), _toBytes(clientId, 'clientId'));
  } catch (error) {
    if (!hmac) throw error;
    // The adapter is the caller's and its error could quote the key, so neither its message nor
    // the error itself (as `cause`) is kept: only its type.
    throw new ApsaraMqttAuthError('ERR_HMAC_UNAVAILABLE', `hmac threw ${_typeName(error)} (message withheld)`, { field: 'hmac' });
  }
  if (!(mac instanceof Uint8Array) || mac.length !== 20) throw _invalid('hmac', 'must return a 20-byte Uint8Array');
  return _base64(mac);
}
