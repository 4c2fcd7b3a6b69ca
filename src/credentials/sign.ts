/**
 * The signing step shared by Signature, DeviceCredential and custom SIGNED identities.
 * @module
 */
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { _base64, _toBytes } from '../internal/bytes.js';
import { hmacSha1 } from '../hmac/hmac.js';
import { _codecReady } from '../hmac/noble.js';
import { _node } from '../hmac/node.js';
import type { HmacSha1 } from '../hmac/types.js';
import { _requireClientId } from './client-id.js';
import type { Credentials } from './types.js';
import { _requireHmac, _requireOptions, _requireSegment, _requireString } from './validate.js';

/**
 * @internal Base64(HMAC-SHA1(key = secret, message = clientId)), both UTF-8. A string at once on the
 * `node` backend (one native call, no promise: most of the cost per signature otherwise), else a promise.
 */
export function _signClientId(secret: string, clientId: string, hmac: HmacSha1 | undefined): string | Promise<string> {
  // Where node:crypto is reachable it is the default backend (hmacBackend). Node encodes strings as
  // UTF-8 (a lone surrogate as U+FFFD), as _toBytes does.
  return _node && !hmac ? _node.createHmac('sha1', secret).update(clientId).digest('base64') : signAsync(secret, clientId, hmac);
}

async function signAsync(secret: string, clientId: string, hmac: HmacSha1 | undefined): Promise<string> {
  let mac: Uint8Array;
  await _codecReady();
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
 * @internal Signature and DeviceCredential modes: `<mode>|<id>|<instanceId>` and the signed client
 * id, every input checked (in this order) before anything is signed.
 */
export async function _modeCredentials(mode: string, options: unknown, idField: string, secretField: string): Promise<Credentials> {
  const given = _requireOptions(options as Record<string, unknown>, 'options');
  const id = _requireSegment(given[idField], idField);
  const secret = _requireString(given[secretField], secretField);
  const instanceId = _requireSegment(given.instanceId, 'instanceId');
  const clientId = _requireClientId(given.clientId);
  const password = _signClientId(secret, clientId, _requireHmac(given.hmac));
  // No await for a password already there: a turn of the microtask queue is a large part of a native HMAC's time.
  return { username: `${mode}|${id}|${instanceId}`, password: typeof password === 'string' ? password : await password };
}
