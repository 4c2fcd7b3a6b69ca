/**
 * The signing step shared by Signature, DeviceCredential and custom SIGNED identities.
 * @module
 */
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { _base64, _toBytes } from '../internal/bytes.js';
import { hmacSha1 } from '../hmac/hmac.js';
import type { HmacSha1 } from '../hmac/types.js';
import { _requireClientId } from './client-id.js';
import { _formatUsername, type UsernameLabel } from '../protocol/username.js';
import type { Credentials } from './types.js';
import { _requireHmac, _requireOptions, _requireString } from './validate.js';

/** @internal Base64(HMAC-SHA1(key = secret, message = clientId)), both UTF-8. */
export async function _signClientId(secret: string, clientId: string, hmac: HmacSha1 | undefined): Promise<string> {
  let mac: Uint8Array;
  try {
    mac = await (hmac ?? hmacSha1)(_toBytes(secret, 'secret'), _toBytes(clientId, 'clientId'));
  } catch (error) {
    if (!hmac) throw error;
    // The adapter is the caller's and its error could quote the key, so neither its message nor
    // the error itself (as `cause`) is kept.
    throw new ApsaraMqttAuthError('ERR_HMAC_UNAVAILABLE', 'hmac threw (its error is withheld: it may quote the key)', { field: 'hmac' });
  }
  if (!(mac instanceof Uint8Array) || mac.length !== 20) throw _invalid('hmac', 'must return a 20-byte Uint8Array');
  return _base64(mac);
}

/**
 * @internal Signature and DeviceCredential modes: `<Label>|<id>|<instanceId>` and the signed client
 * id, every input checked (the Username's parts, the secret, the client id) before anything is signed.
 */
export async function _modeCredentials(label: UsernameLabel, options: unknown, idField: string, secretField: string): Promise<Credentials> {
  const given = _requireOptions(options as Record<string, unknown>, 'options');
  const username = _formatUsername(label, given[idField], idField, given.instanceId);
  const secret = _requireString(given[secretField], secretField);
  const clientId = _requireClientId(given.clientId);
  return { username, password: await _signClientId(secret, clientId, _requireHmac(given.hmac)) };
}
