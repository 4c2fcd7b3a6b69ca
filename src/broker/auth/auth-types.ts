/**
 * What authenticating a CONNECT produces, and the seam every auth mode plugs into.
 * @module
 */
import type { TokenType } from '../../protocol/token-password.js';
import type { TokenInvalidCode } from '../../protocol/sys-topics.js';
import type { AccessPolicy } from '../access.js';
import type { Permissions } from '../acl.js';
import type { TokenInfo } from '../tokens.js';

/** The auth modes the broker knows (`HttpAuth`: decided by the HTTP-authentication endpoint). */
export type BrokerAuthMode = 'Signature' | 'Token' | 'DeviceCredential' | 'Custom' | 'HttpAuth';


/** A token a client presented, once checked. The token string stays inside the broker. */
export interface HeldToken {
  readonly token: string;
  readonly type: TokenType;
  readonly info: TokenInfo;
  readonly permissions: Permissions;
}

/** Who connected, once authenticated. */
export interface Identity {
  readonly mode: BrokerAuthMode;
  /** The AccessKey id, DeviceAccessKeyId or custom / HTTP-authenticated username (public, never a secret). */
  readonly id: string;
  /** When the broker ends the session (HTTP authentication's `expireAt`), UNIX ms. */
  readonly expireAt?: number;
  /**
   * What the client may do. Token mode: the held tokens decide instead (they change in band, see
   * `tokens`), and this is the policy of the tokens presented at CONNECT.
   */
  readonly access: AccessPolicy;
  /** Token mode: the tokens by type. */
  readonly tokens?: ReadonlyMap<TokenType, HeldToken>;
}

/**
 * Why a CONNECT was refused: `bad-client-id` (CONNACK 2 / 0x85), `bad-credentials` (unknown
 * identity or a password that does not verify: 0x86 under MQTT 5), `not-authorized` (valid
 * but not allowed here: 0x87 under MQTT 5) or `unsupported` (MQTT 5: a Will to retain, 0x9A).
 * MQTT 3.1.1 clients get 5 for all but the first.
 */
export type RefusalKind = 'bad-client-id' | 'bad-credentials' | 'not-authorized' | 'unsupported';

/** The verdict on a CONNECT. `reason` is secret-free and meant for logs. */
export type AuthResult =
  | { readonly ok: true; readonly identity: Identity }
  | { readonly ok: false; readonly kind: RefusalKind; readonly reason: string; readonly tokenCode?: TokenInvalidCode };

/** The credentials of one CONNECT, already checked to be present. */
export interface ConnectCredentials {
  readonly username: string;
  readonly password: string;
  readonly clientId: string;
}

/**
 * An auth mode that recognises its CONNECTs by itself (custom identities by their registered
 * username, an HTTP authentication endpoint, …): it answers those, and `undefined` for the others,
 * which go on to the next mode. Never throws; never puts a secret in a `reason`.
 */
export interface ModeAuthenticator {
  authenticate(connect: ConnectCredentials): AuthResult | undefined | Promise<AuthResult | undefined>;
}

/** @internal A refusal. */
export const _refuse = (kind: RefusalKind, reason: string, tokenCode?: TokenInvalidCode): AuthResult =>
  tokenCode === undefined ? { ok: false, kind, reason } : { ok: false, kind, reason, tokenCode };

