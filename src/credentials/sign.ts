/**
 * The signing step shared by Signature, DeviceCredential and custom SIGNED identities.
 * @module
 */
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { _base64, _toBytes } from '../internal/bytes.js';
import { hmacSha1 } from '../hmac/hmac.js';
import { _codecReady } from '../hmac/noble.js';
import { _node, type _NodeCrypto } from '../hmac/node.js';
import type { HmacSha1 } from '../hmac/hmac-types.js';
import { _checkClientId } from './client-id.js';
import { _formatUsername, type UsernameLabel } from '../protocol/username.js';
import type { Credentials } from './credential-types.js';
import { _onBuilt } from './built.js';
import { _requireHmac, _requireOptions, _requireString } from './validate.js';

/**
 * @internal The default password where node:crypto is reachable (it is then the default backend,
 * see hmacBackend): one native call, no promise. Node encodes strings as UTF-8, a lone surrogate as
 * U+FFFD, as _toBytes does.
 */
const nodePassword = (node: _NodeCrypto, secret: string, clientId: string): string => node.createHmac('sha1', secret).update(clientId).digest('base64');

/** @internal Base64(HMAC-SHA1(key = secret, message = clientId)), both UTF-8. */
export async function _signClientId(secret: string, clientId: string, hmac: HmacSha1 | undefined): Promise<string> {
  // `_node` first: in the builds without Node paths it is a constant and this line folds away.
  if (_node && !hmac) return nodePassword(_node, secret, clientId);
  if (!hmac) return _base64(await hmacSha1(secret, clientId));
  let mac: unknown;
  await _codecReady();
  try {
    mac = await hmac(_toBytes(secret, 'secret'), _toBytes(clientId, 'clientId'));
  } catch {
    // The adapter is the caller's and its error could quote the key, so neither its message nor
    // the error itself (as `cause`) is kept.
    throw new ApsaraMqttAuthError('ERR_HMAC_UNAVAILABLE', 'hmac threw (its error is withheld)', { field: 'hmac' });
  }
  if (!(mac instanceof Uint8Array) || mac.length !== 20) throw _invalid('hmac', 'must return a 20-byte Uint8Array');
  return _base64(mac);
}

/**
 * @internal Signature and DeviceCredential modes: `<Label>|<id>|<instanceId>` and the signed client
 * id, every input checked (the Username's parts, the secret, the client id) before anything is
 * signed. On node:crypto nothing is awaited: the answer is one resolved promise, without the turns
 * of the microtask queue an await would add (together more than the native HMAC itself costs).
 */
export async function _modeCredentials(label: UsernameLabel, options: unknown, idField: string, secretField: string): Promise<Credentials> {
  const given = _requireOptions(options as Record<string, unknown>, 'options');
  const username = _formatUsername(label, given[idField], idField, given.instanceId);
  const secret = _requireString(given[secretField], secretField);
  const clientId = _checkClientId(given.clientId);
  const hmac = _requireHmac(given.hmac);
  const credentials = { username, password: _node && !hmac ? nodePassword(_node, secret, clientId) : await _signClientId(secret, clientId, hmac) };
  _onBuilt?.(credentials, clientId, secretField, secret);
  return credentials;
}
