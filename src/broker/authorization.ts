/**
 * Publish and subscribe authorization: every PUBLISH, SUBSCRIBE and delivery is checked against
 * the session's {@link AccessPolicy}, and the `$SYS` topics clients may use are dispatched. A
 * refusal disconnects the client, Token-mode clients after `$SYS/tokenInvalidNotice` code 4
 * (resource) or 5 (permission type), as ApsaraMQ does.
 * @module
 */
import type { AedesPublishPacket, PublishPacket } from 'aedes';
import type { TokenType } from '../protocol/token-password.js';
import { SYS_TOPICS, TOKEN_INVALID_CODES } from '../protocol/sys-topics.js';
import { parseP2pTopic } from '../protocol/topics.js';
import type { Action } from '../protocol/token-rules.js';
import type { BrokerCore } from './core.js';
import type { DenialReason } from './events.js';
import { _unauthorized, afterKick, kick, type Session } from './session.js';
import { uploadToken } from './token-lifecycle.js';

/** A client's PUBLISH: `null` to accept (PUBACK), or the error that refuses it. */
export async function authorizePublish(core: BrokerCore, session: Session, packet: PublishPacket): Promise<Error | null> {
  // Refusing at once would make aedes cut the connection before the notice in flight is out.
  if (session.closing) return afterKick(session);
  const { topic } = packet;
  if (topic === SYS_TOPICS.UPLOAD_TOKEN) {
    packet.retain = false;
    if (session.identity.mode !== 'Token') return deny(core, session, 'publish', topic, 'system');
    return uploadToken(core, session, packet);
  }
  if (topic.startsWith('$')) return deny(core, session, 'publish', topic, 'system');
  const denial = session.access.publish(topic);
  return denial ? deny(core, session, 'publish', topic, denial) : null;
}

/** A client's SUBSCRIBE to one filter: `null` to grant, or the error that refuses it. */
export async function authorizeSubscribe(core: BrokerCore, session: Session, filter: string): Promise<Error | null> {
  if (session.closing) return afterKick(session);
  const denial = session.access.subscribe(filter);
  return denial ? deny(core, session, 'subscribe', filter, denial) : null;
}

/**
 * May `packet` be delivered to `session`? The broker's own `$SYS` notices always; P2P messages to
 * their target only; the rest when the client may receive on the topic.
 */
export function authorizeForward(session: Session | undefined, packet: AedesPublishPacket): boolean {
  const { topic } = packet;
  if (topic === SYS_TOPICS.UPLOAD_TOKEN) return false;
  // Only the broker itself produces these (client publishes to $SYS are refused).
  if (topic === SYS_TOPICS.TOKEN_EXPIRE_NOTICE || topic === SYS_TOPICS.TOKEN_INVALID_NOTICE) return true;
  if (!session || session.closing) return false;
  const p2p = parseP2pTopic(topic);
  if (p2p && p2p.target !== session.clientId) return false;
  return session.access.receive(topic) === undefined;
}

/** Refuses a PUBLISH/SUBSCRIBE: Token-mode clients get tokenInvalidNotice 4 or 5 first; then disconnect. */
async function deny(core: BrokerCore, session: Session, action: 'publish' | 'subscribe', topic: string, denial: DenialReason): Promise<Error> {
  const token = session.identity.mode === 'Token';
  const code = denial === 'action' ? TOKEN_INVALID_CODES.PERMISSION_TYPE_MISMATCH : TOKEN_INVALID_CODES.RESOURCE_MISMATCH;
  core.emit('denied', { clientId: session.clientId, action, topic, denial, ...(token ? { tokenCode: code } : {}) });
  await kick(core, session, token ? { code, type: typeFor(session, action === 'publish' ? 'W' : 'R') } : undefined);
  return _unauthorized();
}

/** The held token type that grants `action` (else the first held), for notices. */
function typeFor(session: Session, action: Action): TokenType {
  for (const [type, held] of session.tokens) if (held.permissions.actions.has(action)) return type;
  return session.tokens.keys().next().value ?? 'RW';
}
