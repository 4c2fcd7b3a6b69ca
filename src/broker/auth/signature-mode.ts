/**
 * Signature mode: `Signature|<AccessKeyId>|<InstanceId>`, Password Base64(HMAC-SHA1(AccessKeySecret,
 * ClientId)), recomputed with the SDK's own builder.
 * @module
 */
import { signatureCredentials } from '../../credentials/signature.js';
import { _constantTimeEqual } from '../../internal/equal.js';
import { permissionsPolicy } from '../access.js';
import type { AccessKeys } from './access-keys.js';
import { _refuse, type AuthResult } from './auth-types.js';

/** Checks Signature-mode CONNECTs against the configured AccessKeys. */
export class SignatureMode {
  readonly #instanceId: string;
  readonly #keys: AccessKeys;

  constructor(instanceId: string, keys: AccessKeys) {
    this.#instanceId = instanceId;
    this.#keys = keys;
  }

  async authenticate(accessKeyId: string, password: string, clientId: string): Promise<AuthResult> {
    const key = this.#keys.get(accessKeyId);
    if (!key) return _refuse('bad-credentials', 'unknown AccessKey id');
    const expected = await signatureCredentials({ accessKeyId, accessKeySecret: key.secret, instanceId: this.#instanceId, clientId });
    if (!_constantTimeEqual(password, expected.password)) return _refuse('bad-credentials', 'Signature password does not match (signed with another secret or client id?)');
    return { ok: true, identity: { mode: 'Signature', id: accessKeyId, access: permissionsPolicy(key.permissions && [key.permissions]) } };
  }
}
