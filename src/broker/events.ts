/**
 * What the local broker tells its owner: the events of `LocalBroker` and the session view they
 * carry. Every payload is free of secrets.
 * @module
 */
import type { TokenType } from '../protocol/token-password.js';
import type { TokenInvalidCode } from '../protocol/sys-topics.js';
import type { Denial } from './acl.js';
import type { BrokerAuthMode, RefusalKind } from './auth/auth-types.js';

/** A connected client as `LocalBroker.sessions()` lists it (no secrets). */
export interface SessionInfo {
  /** The client id. */
  readonly clientId: string;
  /** How it authenticated. */
  readonly mode: BrokerAuthMode;
  /** AccessKey id, DeviceAccessKeyId or custom username. */
  readonly id: string;
  /** 4 (MQTT 3.1.1) or 5. */
  readonly protocolVersion: number;
  /** The Keep Alive the broker holds the client to, in seconds: its own, capped at the limit (0 counts as over it). */
  readonly keepalive: number;
  /** The client sent `{"order":"true"}` to `$SYS/enableOrderMsg`. */
  readonly ordered: boolean;
  /** Token mode: the tokens held, by type, without the token strings. */
  readonly tokens: readonly { type: TokenType; resources: readonly string[]; actions: string; expireTime: number }[];
}

/**
 * Why the broker refused a PUBLISH or SUBSCRIBE: a permission `Denial` (`resource`, `action`),
 * `system` (a `$` topic clients may not use), `invalid-topic` (breaks the topic rules: characters,
 * length), `retained` (MQTT 5: a retained PUBLISH; retained messages are not supported),
 * `shared-subscription` (MQTT 5: `$share/…`; not supported).
 */
export type DenialReason = Denial | 'system' | 'invalid-topic' | 'retained' | 'shared-subscription';

/** Events of `LocalBroker`: every payload is free of secrets. */
export interface BrokerEvents {
  /** A client passed authentication and got its CONNACK. */
  clientConnected: [info: SessionInfo];
  /** A CONNECT was refused; `returnCode` is what the client received (3.1.1 code or MQTT 5 reason code). */
  clientRefused: [info: { clientId: string; kind: RefusalKind; reason: string; returnCode: number; tokenCode?: TokenInvalidCode }];
  /** A client's connection closed. */
  clientDisconnected: [info: { clientId: string; mode: BrokerAuthMode }];
  /** A PUBLISH or SUBSCRIBE was refused and the client disconnected. */
  denied: [info: { clientId: string; action: 'publish' | 'subscribe'; topic: string; denial: DenialReason; tokenCode?: TokenInvalidCode }];
  /** A message was acknowledged but not delivered, as ApsaraMQ discards it (its body is over the size limit). */
  discarded: [info: { clientId: string; topic: string; bytes: number; reason: 'payload-too-large' }];
  /** A `$SYS/tokenExpireNotice` or `$SYS/tokenInvalidNotice` was sent. */
  notice: [info: { clientId: string; topic: string; payload: Record<string, unknown> }];
  /** A token sent to `$SYS/uploadToken` was installed (the PUBACK follows). */
  tokenInstalled: [info: { clientId: string; type: TokenType; expireTime: number }];
  /** A client was cut off because more than `limits.maxOutboundBytes` waited for it (it stopped reading). */
  slowConsumer: [info: { clientId: string }];
}

/** Emits one of the broker's events. */
export type EmitEvent = <K extends keyof BrokerEvents>(event: K, ...args: BrokerEvents[K]) => void;
