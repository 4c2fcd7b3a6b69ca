/**
 * What the local broker tells its owner: the events of `LocalBroker` and the session view they
 * carry. Every payload is free of secrets.
 * @module
 */
import type { TokenType } from '../protocol/token-password.js';
import type { TokenInvalidCode } from '../protocol/sys-topics.js';
import type { Denial } from './acl.js';
import type { AuthMode, RefusalKind } from './auth/types.js';

/** A connected client as `LocalBroker.sessions()` lists it (no secrets). */
export interface SessionInfo {
  readonly clientId: string;
  readonly mode: AuthMode;
  /** AccessKey id, DeviceAccessKeyId or custom username. */
  readonly id: string;
  readonly protocolVersion: number;
  /** Token mode: the tokens held, by type, without the token strings. */
  readonly tokens: readonly { type: TokenType; resources: readonly string[]; actions: string; expireTime: number }[];
}

/** Why the broker refused a PUBLISH or SUBSCRIBE: a permission `Denial`, or `system` (a `$SYS` topic clients may not use). */
export type DenialReason = Denial | 'system';

/** Events of `LocalBroker`: every payload is free of secrets. */
export interface BrokerEvents {
  /** A client passed authentication and got its CONNACK. */
  clientConnected: [info: SessionInfo];
  /** A CONNECT was refused; `returnCode` is what the client received (3.1.1 code or MQTT 5 reason code). */
  clientRefused: [info: { clientId: string; kind: RefusalKind; reason: string; returnCode: number; tokenCode?: TokenInvalidCode }];
  /** A client's connection closed. */
  clientDisconnected: [info: { clientId: string; mode: AuthMode }];
  /** A PUBLISH or SUBSCRIBE was refused and the client disconnected. */
  denied: [info: { clientId: string; action: 'publish' | 'subscribe'; topic: string; denial: DenialReason; tokenCode?: TokenInvalidCode }];
  /** A `$SYS/tokenExpireNotice` or `$SYS/tokenInvalidNotice` was sent. */
  notice: [info: { clientId: string; topic: string; payload: Record<string, unknown> }];
  /** A token sent to `$SYS/uploadToken` was installed (the PUBACK follows). */
  tokenInstalled: [info: { clientId: string; type: TokenType; expireTime: number }];
}
