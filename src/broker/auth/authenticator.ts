/**
 * Checking a CONNECT's Username and Password the way ApsaraMQ does: the client id rules first, the
 * connection blacklist and the Group IDs (when the config lists them), then the modes that recognise
 * their own Usernames (custom identities, and any mode added through `modes`), then the
 * `Label|Id|Instance` modes (Signature, Token, DeviceCredential) by the label `src/protocol/username.ts`
 * parses, and last the HTTP-authentication endpoint, for what none of those claims. Expected
 * passwords are recomputed with the SDK's own builders and compared in constant time.
 * @module
 */
import { systemClock, type Clock } from '../../clock.js';
import { validateClientId } from '../../credentials/client-id.js';
import { parseUsername } from '../../protocol/username.js';
import type { TokenType } from '../../protocol/token-password.js';
import { _checkPermissions, _ownConfig, type AccessKeyConfig, type PermissionsConfig } from '../config.js';
import type { CustomAuthStore } from '../custom-auth-store.js';
import type { DeviceStore } from '../devices.js';
import type { GroupStore } from '../groups.js';
import { _checkHttpAuth, type HttpAuthConfig } from '../http-auth-client.js';
import type { TokenStore } from '../tokens.js';
import { AccessKeys } from './access-keys.js';
import { CustomMode } from './custom-mode.js';
import { HttpAuthMode } from './http-auth-mode.js';
import { DeviceMode } from './device-mode.js';
import { SignatureMode } from './signature-mode.js';
import { TokenMode, type TokenCheckResult } from './token-mode.js';
import { _refuse, type AuthResult, type ModeAuthenticator } from './auth-types.js';

/** Options of the {@link Authenticator} constructor. */
export interface AuthenticatorOptions {
  instanceId: string;
  accessKeys?: readonly AccessKeyConfig[];
  devicePermissions?: PermissionsConfig;
  devices: DeviceStore;
  tokens: TokenStore;
  /** Custom identities, their permissions and the connection blacklist. */
  customAuth: CustomAuthStore;
  /** The instance's Group IDs (checked when enforced). */
  groups?: GroupStore;
  /** The HTTP-authentication endpoint, for CONNECTs no other mode claims. */
  httpAuth?: HttpAuthConfig;
  /** The clock (for HTTP authentication's expireAt). Default: the real one. */
  clock?: Clock;
  /**
   * More modes that recognise their own CONNECTs, asked in order after the configured custom
   * identities and before the `Label|Id|Instance` modes.
   */
  modes?: readonly ModeAuthenticator[];
}

/**
 * Checks CONNECT credentials against the configured AccessKeys, custom identities, the device
 * store and the token store. Holds secrets in private fields only.
 */
export class Authenticator {
  readonly #instanceId: string;
  readonly #keys: AccessKeys;
  readonly #recognising: readonly ModeAuthenticator[];
  readonly #signature: SignatureMode;
  readonly #token: TokenMode;
  readonly #device: DeviceMode;
  readonly #devices: DeviceStore;
  readonly #customAuth: CustomAuthStore;
  readonly #groups: GroupStore | undefined;
  readonly #http: HttpAuthMode | undefined;

  /** @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the config field at fault. */
  constructor(options: AuthenticatorOptions) {
    // Own properties only (callers spread configs into plain objects): no AccessKey or identity
    // comes from a polluted Object.prototype.
    options = _ownConfig(options);
    this.#instanceId = options.instanceId;
    this.#keys = new AccessKeys(options.accessKeys);
    this.#customAuth = options.customAuth;
    this.#groups = options.groups;
    this.#devices = options.devices;
    this.#http = options.httpAuth === undefined ? undefined : new HttpAuthMode(_checkHttpAuth(options.httpAuth), options.clock ?? systemClock);
    this.#recognising = [new CustomMode(options.customAuth), ...(options.modes ?? [])];
    this.#signature = new SignatureMode(options.instanceId, this.#keys);
    this.#token = new TokenMode(this.#keys, options.tokens);
    this.#device = new DeviceMode(options.instanceId, options.devices, _checkPermissions(options.devicePermissions, 'devicePermissions'));
  }

  /** The AccessKey ids configured (public). */
  get accessKeyIds(): string[] {
    return this.#keys.ids();
  }

  /** Checks one CONNECT. Never throws; never puts a secret in `reason`. */
  async authenticate(username: string | undefined, password: string | undefined, clientId: string): Promise<AuthResult> {
    const validation = validateClientId(clientId);
    if (!validation.valid) return _refuse('bad-client-id', validation.problems[0]!.message);
    if (this.#customAuth.isBlocked(clientId)) return _refuse('not-authorized', 'the client id is on the connection blacklist');
    if (this.#groups && !this.#groups.admits(validation.groupId!)) return _refuse('not-authorized', `GroupId ${validation.groupId} does not exist on this instance (CreateGroupId)`);
    if (username === undefined || username.length === 0) return _refuse('bad-credentials', 'no Username');
    if (password === undefined || password.length === 0) return _refuse('bad-credentials', 'no Password');

    for (const mode of this.#recognising) {
      try {
        const result = await mode.authenticate({ username, password, clientId });
        if (result) return result;
      } catch {
        return _refuse('not-authorized', 'the authentication mode failed');
      }
    }

    const parsed = parseUsername(username);
    if (this.#http && !this.#claims(parsed)) return this.#http.authenticate({ username, password, clientId });
    if (parsed.mode === 'custom') return _refuse('bad-credentials', 'Username is neither <Mode>|<Id>|<InstanceId> nor a registered custom identity');
    if (parsed.problems.length) return _refuse('bad-credentials', parsed.problems[0]!);
    const id = parsed.id!;
    const instanceId = parsed.instanceId!;
    if (instanceId !== this.#instanceId) return _refuse('not-authorized', `Username names instance ${JSON.stringify(instanceId.slice(0, 64))}, not this one`);
    if (parsed.mode === 'signature') return this.#signature.authenticate(id, password, clientId);
    if (parsed.mode === 'device') return this.#device.authenticate(id, password, clientId);
    return this.#token.authenticate(id, password);
  }

  /** Does a built-in mode own this Username: a `Label|Id|Instance` whose AccessKey or device key is configured? */
  #claims(parsed: ReturnType<typeof parseUsername>): boolean {
    if (parsed.mode === 'custom' || parsed.problems.length || parsed.id === undefined) return false;
    return parsed.mode === 'device' ? this.#devices._byKeyId(parsed.id) !== undefined : this.#keys.has(parsed.id);
  }

  /** Checks a token sent in `$SYS/uploadToken` by a Token-mode client of AccessKey `accessKeyId`. */
  checkToken(token: string, type: TokenType, accessKeyId: string): TokenCheckResult {
    return this.#token.check(token, type, accessKeyId);
  }
}
