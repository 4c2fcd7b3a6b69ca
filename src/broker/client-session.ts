/**
 * One authenticated client as the broker keeps it, and what the broker does to a session: send it
 * a `$SYS` notice, end it (after a last notice), list it without secrets.
 * @module
 */
import type { AedesPublishPacket, Client } from 'aedes';
import type { TokenType } from '../protocol/token-password.js';
import { _formatInvalidNotice, SYS_TOPICS, type TokenInvalidCode } from '../protocol/sys-topics.js';
import type { AccessPolicy } from './access.js';
import type { HeldToken, Identity } from './auth/auth-types.js';
import { DISCONNECT_REASON, type ClientConnection } from './connection.js';
import type { EmitEvent, SessionInfo } from './events.js';

/** The broker's state for one client, from its accepted CONNECT until its connection closes. */
export interface Session {
  readonly client: Client;
  readonly conn: ClientConnection;
  readonly clientId: string;
  readonly identity: Identity;
  /** What the client may do now (Token mode: from the tokens held, replaced on upload). */
  access: AccessPolicy;
  tokens: Map<TokenType, HeldToken>;
  /** Token expiry notice and expiry, by token type: their cancel functions. */
  readonly timers: Map<TokenType, Array<() => void>>;
  /** Cancels the end of the session at the identity's `expireAt` (HTTP authentication), when one is set. */
  expiry?: () => void;
  closing: boolean;
  /** Set by {@link kick}: resolves once the last notice is written and the connection is ending. */
  kicking?: Promise<void>;
  /** True from the CONNACK on. */
  ready: boolean;
  /** The client enabled ordered sending (`$SYS/enableOrderMsg`). */
  ordered: boolean;
  /** PUBLISH and SUBSCRIBE checks of this client, one after the other. */
  queue: Promise<void>;
  /** The broker's subscription on the client's behalf for its P2P topics. */
  p2p?: { filter: string; deliver: (packet: AedesPublishPacket, callback: () => void) => void };
}

/**
 * What sending a notice needs of the broker (its `BrokerCore` is one): the events it emits, and the
 * set that marks the payloads of its own notices (the only ones delivered on `$SYS` topics).
 */
export interface NoticeSender {
  readonly emit: EmitEvent;
  readonly notices: WeakSet<object>;
}

/** Fields of an aedes client that its types leave out. */
export interface AedesClientInternals {
  subscriptions: Record<string, unknown>;
  deliverQoS: (packet: AedesPublishPacket, callback: () => void) => void;
}

/** The error aedes turns into a refusal (CONNACK 5) or a closed connection. */
export const _unauthorized = (): Error => Object.assign(new Error('not authorized'), { returnCode: 5 });

/** The session as `sessions()` and the events show it. */
export function sessionInfo(session: Session): SessionInfo {
  return {
    clientId: session.clientId,
    mode: session.identity.mode,
    id: session.identity.id,
    protocolVersion: session.conn.protocolVersion ?? 4,
    keepalive: session.conn.keepalive ?? 0,
    ordered: session.ordered,
    tokens: [...session.tokens.values()].map((t) => ({
      type: t.type,
      resources: t.info.resources,
      actions: t.info.actions,
      expireTime: t.info.expireTime,
    })),
  };
}

/** Cancels the token timers of a session (of one type, or all, the session's expiry included). */
export function cancelTimers(session: Session, type?: TokenType): void {
  if (type === undefined && session.expiry) {
    session.expiry();
    delete session.expiry;
  }
  for (const [t, cancels] of session.timers) {
    if (type !== undefined && t !== type) continue;
    for (const cancel of cancels) cancel();
    session.timers.delete(t);
  }
}

/** Sends a `$SYS` notice to one client, without subscription; resolves once written. */
export function sendNotice(core: NoticeSender, session: Session, topic: string, payload: Record<string, unknown>): Promise<void> {
  if (session.client.closed) return Promise.resolve();
  core.emit('notice', { clientId: session.clientId, topic, payload });
  const bytes = Buffer.from(JSON.stringify(payload));
  core.notices.add(bytes);
  return new Promise((resolve) => {
    session.client.publish({ cmd: 'publish', topic, payload: bytes, qos: 0, retain: false, dup: false }, () => resolve());
  });
}

/**
 * Sends `$SYS/tokenInvalidNotice` (when given), then ends the connection once that is flushed; an
 * MQTT 5 client gets a DISCONNECT with `reasonCode` (default 0x87, not authorized).
 */
export function kick(
  core: NoticeSender,
  session: Session,
  invalid: { code: TokenInvalidCode; type: TokenType } | undefined,
  reasonCode: number = DISCONNECT_REASON.NOT_AUTHORIZED,
): Promise<void> {
  if (session.kicking) return session.kicking;
  session.closing = true;
  cancelTimers(session);
  session.kicking = (async () => {
    // Before its CONNACK a client may receive nothing else: it is just cut off.
    if (invalid && session.ready) await sendNotice(core, session, SYS_TOPICS.TOKEN_INVALID_NOTICE, _formatInvalidNotice(invalid.code, invalid.type));
    // The notice may still sit in the connection's write queue: end behind it, never before it.
    session.conn.endAfterWrites(reasonCode);
  })();
  return session.kicking;
}

/** A packet from a client being disconnected: refused (no PUBACK/SUBACK) once the kick is done. */
export async function afterKick(session: Session): Promise<Error> {
  await session.kicking;
  return _unauthorized();
}
