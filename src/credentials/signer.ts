/**
 * Batch signing: one secret, many client ids, synchronously. For servers that hand out credentials
 * to a fleet (see BENCHMARKS.md for why this is the fast path).
 * @module
 */
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { _base64, _toBytes, type BytesLike } from '../internal/bytes.js';
import { _codecReady, _loadNoble } from '../hmac/noble.js';
import { _node } from '../hmac/node.js';
import { _formatUsername, USERNAME_LABELS } from '../protocol/username.js';
import { _isValidClientId, _requireClientId } from './client-id.js';
import type { Credentials } from './credential-types.js';
import { _requireOptions } from './validate.js';

/** Where a {@link Signer} computes its HMACs: Node's native `node:crypto`, or `@noble/hashes` in pure JavaScript. */
export type SignerBackend = 'node' | 'noble';

/** Inputs of {@link createSigner}. */
export interface SignerOptions {
  /** The AccessKey ID (or, with `mode: 'device'`, the DeviceAccessKeyId). */
  accessKeyId: string;
  /** The AccessKey secret (or DeviceAccessKeySecret): a string (UTF-8) or raw bytes. Kept in a closure only. */
  accessKeySecret: BytesLike;
  /** The ApsaraMQ for MQTT instance id. */
  instanceId: string;
  /** `signature` (default): Username `Signature|…`; `device`: Username `DeviceCredential|…`. */
  mode?: 'signature' | 'device';
  /** Default: `node` where `node:crypto` is reachable (Node, Bun, Deno), else `noble`. */
  backend?: SignerBackend;
}

/** A synchronous signer bound to one secret. Holds no secret in any property. */
export interface Signer {
  /** The backend in use. */
  readonly backend: SignerBackend;
  /** The Username every credential of this signer carries. */
  readonly username: string;
  /**
   * Credentials for `clientId`: the same `{ username, password }` as `signatureCredentials` (or
   * `deviceCredentials`), synchronously.
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_CLIENT_ID` for an invalid client id.
   */
  sign(clientId: string): Credentials;
  /** The raw HMAC-SHA1 of any message (strings are UTF-8) under this signer's secret: 20 bytes. */
  digest(message: BytesLike): Uint8Array;
}

/**
 * A synchronous signer for one secret: the default path for batch signing (a credential server
 * signing for a fleet). In Node it uses `node:crypto`'s native HMAC; elsewhere the keyed SHA-1
 * states of `@noble/hashes` are computed once, so each signature hashes two blocks instead of four.
 * Either way there is no promise per signature, unlike `signatureCredentials`.
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the field; `ERR_HMAC_UNAVAILABLE`
 *   when `backend: 'node'` is asked for where `node:crypto` is not reachable.
 * @example
 * ```ts
 * const signer = await createSigner({ accessKeyId, accessKeySecret, instanceId })
 * const credentials = clientIds.map((id) => signer.sign(id)) // [{ username, password }, ...]
 * ```
 */
export async function createSigner(options: SignerOptions): Promise<Signer> {
  const { accessKeyId, accessKeySecret, instanceId, mode = 'signature', backend } = _requireOptions(options, 'options');
  if (mode !== 'signature' && mode !== 'device') throw _invalid('mode', 'must be "signature" or "device"');
  const username = _formatUsername(USERNAME_LABELS[mode], accessKeyId, 'accessKeyId', instanceId);
  if (backend !== undefined && backend !== 'node' && backend !== 'noble') throw _invalid('backend', 'must be "node" or "noble"');
  await _codecReady();
  const key = _toBytes(accessKeySecret, 'accessKeySecret');
  if (!key.length) throw _invalid('accessKeySecret', 'must not be empty');

  let digest: (message: Uint8Array | string) => Uint8Array;
  let password: (clientId: string) => string;
  const node = backend === 'noble' ? undefined : _node;
  if (node) {
    const secret = key.slice(); // a copy the caller cannot change afterwards
    digest = (message) => node.createHmac('sha1', secret).update(message).digest();
    password = (clientId) => node.createHmac('sha1', secret).update(clientId).digest('base64');
  } else {
    if (backend === 'node') throw new ApsaraMqttAuthError('ERR_HMAC_UNAVAILABLE', 'backend "node" needs Node\'s crypto module, not reachable here: use backend "noble"', { field: 'backend' });
    const keyed = (await _loadNoble())._nobleKeyedHmac(key);
    digest = (message) => keyed(_toBytes(message, 'message'));
    password = (clientId) => _base64(digest(clientId));
  }
  return {
    backend: node ? 'node' : 'noble',
    username,
    sign(clientId) {
      if (!_isValidClientId(clientId)) _requireClientId(clientId);
      return { username, password: password(clientId) };
    },
    digest(message) {
      const mac = digest(typeof message === 'string' ? message : _toBytes(message, 'message'));
      return new Uint8Array(mac.buffer, mac.byteOffset, 20);
    },
  };
}
