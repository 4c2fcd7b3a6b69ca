/**
 * Custom identities: a registered username (no `Label|Id|Instance` form) and its secret, for every
 * client id (`USER`) or one (`CLIENT`); sign mode ORIGIN (the Password is the secret) or SIGNED
 * (Base64(HMAC-SHA1(secret, ClientId))). They live in the broker's {@link CustomAuthStore}, filled
 * from the config and changed through the OpenAPI; a registered username wins over the
 * `Label|Id|Instance` reading. What a custom client may do is read from the store's permissions at
 * each PUBLISH, SUBSCRIBE and delivery, so permission changes apply to connected clients at once.
 * @module
 */
import { customCredentials } from '../../credentials/custom.js';
import { ApsaraMqttAuthError } from '../../errors.js';
import { _constantTimeEqual } from '../../internal/equal.js';
import { _checkList, _checkPermissions, type CustomIdentityConfig, type CustomPermissionConfig } from '../config.js';
import { CustomAuthStore, type PermitAction } from '../custom-auth-store.js';
import { rulesPolicy } from '../rules.js';
import { _refuse, type AuthResult, type ConnectCredentials, type ModeAuthenticator } from './auth-types.js';

const PERMIT: Readonly<Record<string, PermitAction>> = { R: 'SUB', W: 'PUB', 'R,W': 'PUB_SUB', 'W,R': 'PUB_SUB' };

/** Re-throws a store error with the config field in front (`customIdentities[2].clientId`). */
function inField<T>(field: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ApsaraMqttAuthError && error.field !== undefined) {
      throw new ApsaraMqttAuthError(error.code, `${field}.${error.message}`, { field: `${field}.${error.field}`, cause: error.cause });
    }
    if (error instanceof Error && error.name === 'CustomAuthCapacityError') throw new ApsaraMqttAuthError('ERR_INVALID_ARGUMENT', `${field} is over the custom-auth capacity`, { field });
    throw error;
  }
}

/**
 * The custom-auth store of a broker config: `customIdentities` (their `permissions` as ALLOW
 * permissions), `customPermissions` and `connectBlacklist`.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the setting (`customIdentities[1].signMode`).
 */
export function customAuthFromConfig(config: {
  customIdentities?: readonly CustomIdentityConfig[];
  customPermissions?: readonly CustomPermissionConfig[];
  connectBlacklist?: readonly string[];
}): CustomAuthStore {
  const store = new CustomAuthStore();
  _checkList(config.customIdentities, 'customIdentities').forEach((c, i) => {
    const field = `customIdentities[${i}]`;
    const identity = inField(field, () =>
      store.addIdentity({
        username: c?.username,
        secret: c?.secret,
        signMode: c?.signMode,
        ...(c?.identityType === undefined ? {} : { identityType: c.identityType }),
        ...(c?.clientId === undefined ? {} : { clientId: c.clientId }),
      }),
    );
    const permissions = _checkPermissions(c.permissions, `${field}.permissions`);
    if (!permissions) return;
    const permitAction = PERMIT[[...permissions.actions].sort().join(',')]!;
    const owner = identity.IdentityType === 'CLIENT' ? identity.ClientId! : identity.Username;
    for (const topic of permissions.resources) {
      if (store.permissions({ identityType: identity.IdentityType, identity: owner, topic }).length) continue;
      inField(`${field}.permissions`, () => store.addPermission({ identityType: identity.IdentityType, identity: owner, topic, permitAction, effect: 'ALLOW' }));
    }
  });
  _checkList(config.customPermissions, 'customPermissions').forEach((p, i) => inField(`customPermissions[${i}]`, () => store.addPermission(p)));
  _checkList(config.connectBlacklist, 'connectBlacklist').forEach((clientId, i) => inField(`connectBlacklist[${i}]`, () => store.block(clientId)));
  return store;
}

/** Checks CONNECTs whose Username is a custom identity of the store; passes on the others. */
export class CustomMode implements ModeAuthenticator {
  readonly #store: CustomAuthStore;

  constructor(store: CustomAuthStore) {
    this.#store = store;
  }

  async authenticate({ username, password, clientId }: ConnectCredentials): Promise<AuthResult | undefined> {
    const custom = this.#store._find(username, clientId);
    if (!custom) return undefined;
    const expected =
      custom.signMode === 'ORIGIN' ? custom.secret : (await customCredentials({ username, secret: custom.secret, clientId, signMode: 'SIGNED' })).password;
    if (!_constantTimeEqual(password, expected)) return _refuse('bad-credentials', `custom identity password does not match (sign mode ${custom.signMode})`);
    return { ok: true, identity: { mode: 'Custom', id: username, access: rulesPolicy(() => this.#store.rulesFor(username, clientId)) } };
  }
}
