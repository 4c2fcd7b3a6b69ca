/**
 * Custom identities from the broker config: a registered username (no `Label|Id|Instance` form) and
 * its secret; sign mode ORIGIN (the Password is the secret) or SIGNED (Base64(HMAC-SHA1(secret,
 * ClientId))). A registered username wins over the `Label|Id|Instance` reading.
 * @module
 */
import { customCredentials } from '../../credentials/custom.js';
import { _invalid } from '../../errors.js';
import { permissionsPolicy, type AccessPolicy } from '../access.js';
import { _checkList, _checkPermissions, _checkSecret, type CustomIdentityConfig } from '../config.js';
import { _refuse, _safeEqual, type AuthResult, type ConnectCredentials, type ModeAuthenticator } from './types.js';

interface CustomSecret {
  readonly secret: string;
  readonly signMode: 'ORIGIN' | 'SIGNED';
  readonly access: AccessPolicy;
}

/** Checks CONNECTs whose Username is a configured custom identity; passes on the others. */
export class CustomMode implements ModeAuthenticator {
  readonly #identities = new Map<string, CustomSecret>();

  /** @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming `customIdentities[i].<field>`. */
  constructor(config: readonly CustomIdentityConfig[] | undefined) {
    _checkList(config, 'customIdentities').forEach((c, i) => {
      const field = `customIdentities[${i}]`;
      const username = _checkSecret(c?.username, `${field}.username`);
      if (this.#identities.has(username)) throw _invalid(`${field}.username`, `repeats ${JSON.stringify(username)}`);
      if (c.signMode !== 'ORIGIN' && c.signMode !== 'SIGNED') throw _invalid(`${field}.signMode`, 'must be "ORIGIN" or "SIGNED"');
      const permissions = _checkPermissions(c.permissions, `${field}.permissions`);
      this.#identities.set(username, { secret: _checkSecret(c.secret, `${field}.secret`), signMode: c.signMode, access: permissionsPolicy(permissions && [permissions]) });
    });
  }

  async authenticate({ username, password, clientId }: ConnectCredentials): Promise<AuthResult | undefined> {
    const custom = this.#identities.get(username);
    if (!custom) return undefined;
    const expected =
      custom.signMode === 'ORIGIN' ? custom.secret : (await customCredentials({ username, secret: custom.secret, clientId, signMode: 'SIGNED' })).password;
    if (!_safeEqual(password, expected)) return _refuse('bad-credentials', `custom identity password does not match (sign mode ${custom.signMode})`);
    return { ok: true, identity: { mode: 'Custom', id: username, access: custom.access } };
  }
}
