/**
 * Publish and subscribe authorization: every PUBLISH, SUBSCRIBE and delivery is checked against
 * ApsaraMQ's rules (topic syntax and length, the `$SYS` topics clients may use, unsupported MQTT 5
 * features, the message size) and the session's {@link AccessPolicy}. A refusal disconnects the
 * client, Token-mode clients after `$SYS/tokenInvalidNotice` code 4 (resource) or 5 (permission
 * type), as ApsaraMQ does. Each rule and its source: ARCHITECTURE.md, "MQTT rules of the local broker".
 * @module
 */
import type { AedesPublishPacket, PublishPacket } from 'aedes';
import type { TokenType } from '../protocol/token-password.js';
import { _parseOrderMsg, SYS_TOPICS, TOKEN_INVALID_CODES } from '../protocol/sys-topics.js';
import { parseP2pTopic, topicProblem } from '../protocol/topics.js';
import type { Action } from '../protocol/token-rules.js';
import { DISCONNECT_REASON } from './connection.js';
import type { BrokerCore } from './core.js';
import type { DenialReason } from './events.js';
import { _unauthorized, afterKick, kick, type Session } from './client-session.js';
import { uploadToken } from './token-lifecycle.js';

/** MQTT 5 DISCONNECT reason per refusal (the rest: 0x87 not authorized). */
const V5_DISCONNECT: Partial<Record<DenialReason, number>> = {
  retained: DISCONNECT_REASON.RETAIN_NOT_SUPPORTED,
  'shared-subscription': DISCONNECT_REASON.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED,
};

/** A client's PUBLISH: `null` to accept (PUBACK), or the error that refuses it. */
export async function authorizePublish(core: BrokerCore, session: Session, packet: PublishPacket): Promise<Error | null> {
  // Refusing at once would make aedes cut the connection before the notice in flight is out.
  if (session.closing) return afterKick(session);
  const { topic } = packet;
  const v5 = session.conn.protocolVersion === 5;
  if (packet.retain) {
    // No retained messages: MQTT 5 announces it (Retain Available 0) and refuses one; an MQTT 3.1.1
    // message is delivered as an ordinary one and not stored.
    if (v5) return deny(core, session, 'publish', topic, 'retained');
    packet.retain = false;
  }
  if (topic === SYS_TOPICS.UPLOAD_TOKEN) {
    if (session.identity.mode !== 'Token') return deny(core, session, 'publish', topic, 'system');
    return uploadToken(core, session, packet);
  }
  if (topic === SYS_TOPICS.ENABLE_ORDER_MSG) {
    // Acknowledged and kept on the session; aedes already delivers one client's messages in order.
    session.ordered = _parseOrderMsg(packet.payload as Buffer) ?? session.ordered;
    return null;
  }
  if (topic.startsWith('$')) return deny(core, session, 'publish', topic, 'system');
  if (topicProblem(topic)) return deny(core, session, 'publish', topic, 'invalid-topic');
  const denial = session.access.publish(topic);
  if (denial) return deny(core, session, 'publish', topic, denial);
  const bytes = (packet.payload as Buffer).length;
  if (bytes > core.limits.maxPayloadBytes) {
    // Acknowledged (the sender cannot tell) and not delivered, as the service discards it.
    core.discarded.add(packet.payload as Buffer);
    core.emit('discarded', { clientId: session.clientId, topic, bytes, reason: 'payload-too-large' });
  }
  return null;
}

/** A client's SUBSCRIBE to one filter: `null` to grant, or the error that refuses it. */
export async function authorizeSubscribe(core: BrokerCore, session: Session, filter: string): Promise<Error | null> {
  if (session.closing) return afterKick(session);
  if (filter.startsWith('$share/') && session.conn.protocolVersion === 5) return deny(core, session, 'subscribe', filter, 'shared-subscription');
  // `$SYS` notices reach their client without a subscription; no other `$` topic carries anything.
  if (filter.startsWith('$')) return deny(core, session, 'subscribe', filter, 'system');
  if (topicProblem(filter, { filter: true })) return deny(core, session, 'subscribe', filter, 'invalid-topic');
  const denial = session.access.subscribe(filter);
  return denial ? deny(core, session, 'subscribe', filter, denial) : null;
}

/**
 * May `packet` be delivered to `session`? The broker's own `$SYS` notices always; P2P messages to
 * their target only; discarded messages never; the rest when the client may receive on the topic.
 */
export function authorizeForward(core: BrokerCore, session: Session | undefined, packet: AedesPublishPacket): boolean {
  const { topic } = packet;
  if (topic === SYS_TOPICS.UPLOAD_TOKEN || topic === SYS_TOPICS.ENABLE_ORDER_MSG) return false;
  // Only the broker's own notices, whatever else reached aedes on these topics (a Will, a message
  // published through the broker's API): a forged notice would make every SDK client refresh.
  if (topic === SYS_TOPICS.TOKEN_EXPIRE_NOTICE || topic === SYS_TOPICS.TOKEN_INVALID_NOTICE) return core.notices.has(packet.payload as Buffer);
  if (!session || session.closing || core.discarded.has(packet.payload as Buffer)) return false;
  const p2p = parseP2pTopic(topic);
  if (p2p && p2p.target !== session.clientId) return false;
  return session.access.receive(topic) === undefined;
}

/** Refuses a PUBLISH/SUBSCRIBE: Token-mode clients get tokenInvalidNotice 4 or 5 first; then disconnect. */
async function deny(core: BrokerCore, session: Session, action: 'publish' | 'subscribe', topic: string, denial: DenialReason): Promise<Error> {
  // Only a permission problem is the token's: a topic the rules refuse is not.
  const token = session.identity.mode === 'Token' && (denial === 'resource' || denial === 'action' || denial === 'system');
  const code = denial === 'action' ? TOKEN_INVALID_CODES.PERMISSION_TYPE_MISMATCH : TOKEN_INVALID_CODES.RESOURCE_MISMATCH;
  core.emit('denied', { clientId: session.clientId, action, topic, denial, ...(token ? { tokenCode: code } : {}) });
  const reason =
    denial === 'invalid-topic'
      ? action === 'publish'
        ? DISCONNECT_REASON.TOPIC_NAME_INVALID
        : DISCONNECT_REASON.TOPIC_FILTER_INVALID
      : (V5_DISCONNECT[denial] ?? DISCONNECT_REASON.NOT_AUTHORIZED);
  await kick(core, session, token ? { code, type: typeFor(session, action === 'publish' ? 'W' : 'R') } : undefined, reason);
  return _unauthorized();
}

/** The held token type that grants `action` (else the first held), for notices. */
function typeFor(session: Session, action: Action): TokenType {
  for (const [type, held] of session.tokens) if (held.permissions.actions.has(action)) return type;
  return session.tokens.keys().next().value ?? 'RW';
}
