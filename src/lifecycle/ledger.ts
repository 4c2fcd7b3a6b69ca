/**
 * Which publish or subscribe the broker refused. A refusal comes four ways:
 * - an MQTT reason code on the SUBACK/PUBACK (0x87 not authorized, 0x8F topic filter invalid,
 *   0x97 quota exceeded; 0x80, the only refusal MQTT 3.1.1 has, on a SUBACK): the packet says which;
 * - `$SYS/tokenInvalidNotice` code 4 or 5, then a disconnect (Token mode);
 * - an MQTT 5 DISCONNECT with a refusal reason code (0x87, 0x8F, 0x90, 0x9A, 0x9E, …; every mode);
 * - under MQTT 3.1.1, which has no reason on a disconnect: the broker closing the connection cleanly
 *   while a subscribe or a QoS > 0 publish waited for its answer, when nothing else explains the
 *   close: no socket error or keep-alive timeout (a lost network), not the app's `end`, no other
 *   `$SYS/tokenInvalidNotice` (expired, revoked), credentials not past their expiry. Left: a session
 *   taken over by another client with the same id, or a broker shutting down, in the middle of a
 *   round trip; those would fail that one call as refused.
 * The last three name no topic, so the refused call is the oldest one the broker had not answered
 * when it cut the connection (brokers answer a connection's packets in order and stop at the
 * refused one).
 * Pure bookkeeping of the packets on one connection, fed from mqtt.js's `packetsend`/`packetreceive`.
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';
import type { TokenInvalidNotice } from '../protocol/sys-topics.js';
import type { TopicBreach } from '../protocol/topics.js';

/** The packet fields the ledger reads (mqtt-packet's shapes). */
export interface LedgerPacket {
  cmd: string;
  messageId?: number;
  qos?: number;
  topic?: string;
  subscriptions?: { topic: string }[];
  /** SUBACK: one code per subscription. */
  granted?: (number | { qos?: number })[];
  /** PUBACK/PUBREC/DISCONNECT (MQTT 5). */
  reasonCode?: number;
  /** MQTT 5 properties; the Reason String is read. */
  properties?: { reasonString?: unknown };
}

/** @internal A refused call: what, on which topic, and the notice (or reason code) that said so. */
export interface Refusal {
  action: 'publish' | 'subscribe';
  /** The topic (one SUBSCRIBE may carry several filters: a notice refuses them all). */
  topics: string[];
  /** The unanswered packet's id, when it had one (to take it out of mqtt.js's resend store). */
  messageId?: number;
  notice: TokenInvalidNotice;
}

interface Sent {
  action: 'publish' | 'subscribe' | 'unsubscribe';
  messageId?: number;
  qos: number;
  topics: string[];
}

const REFUSALS_V5 = [0x87, 0x8f, 0x97];
/**
 * MQTT 5 DISCONNECT reason codes that refuse the call in flight: not authorized, topic filter /
 * name invalid, quota exceeded, retain / QoS not supported, shared subscriptions, subscription
 * identifiers and wildcards not supported. Others (0x8E session taken over, 0x8D keep-alive, …) are
 * about the connection.
 */
const DISCONNECT_REFUSALS = [0x87, 0x8f, 0x90, 0x97, 0x9a, 0x9b, 0x9e, 0xa1, 0xa2];
/** Reason codes that refuse the topic itself, not the credentials: `ERR_INVALID_TOPIC`. */
const TOPIC_REFUSALS = [0x8f, 0x90, 0x9e, 0xa2];

/** @internal Is `code` on a SUBACK/PUBACK an authorization refusal? */
export function _isRefusalCode(code: unknown, protocolVersion: number | undefined, onSuback: boolean): code is number {
  return typeof code === 'number' && (REFUSALS_V5.includes(code) || (onSuback && code === 0x80 && protocolVersion !== 5));
}

/** @internal The notice-like payload of a refusal by reason code (with the broker's Reason String, if any). */
export function _reasonCodeNotice(code: number, action: 'publish' | 'subscribe', topic: string, packet?: LedgerPacket): TokenInvalidNotice {
  const text = packet?.properties?.reasonString;
  return { code, reason: 'not-authorized', action, topic, ...(typeof text === 'string' && text ? { reasonString: text.slice(0, 200) } : {}) };
}

/**
 * @internal The error a refused call fails with: `ERR_INVALID_TOPIC` when the broker's reason is the
 * topic itself, else `ERR_NOT_AUTHORIZED`. Names the action, the topic and the reason; carries the notice.
 */
export function _notAuthorized(notice: TokenInvalidNotice): ApsaraMqttAuthError {
  const { code, reason, action = 'use', topic = '', reasonString } = notice;
  const why =
    reason === 'not-authorized'
      ? `MQTT reason code 0x${code.toString(16)}${reasonString ? ` "${reasonString}"` : ''}`
      : reason === 'connection-closed'
        ? 'it closed the connection instead of answering; MQTT 3.1.1 carries no reason code'
        : `$SYS/tokenInvalidNotice code ${code}, ${reason}`;
  const ofTopic = reason === 'not-authorized' && TOPIC_REFUSALS.includes(code);
  // What the app can do about it: retained messages and quotas are not the credentials' fault.
  const fix = ofTopic ? 'the topic is not accepted' : code === 0x9a && reason === 'not-authorized' ? 'publish without retain' : code === 0x97 && reason === 'not-authorized' ? 'quota exceeded, publish less often' : 'the credentials do not allow it';
  return new ApsaraMqttAuthError(ofTopic ? 'ERR_INVALID_TOPIC' : 'ERR_NOT_AUTHORIZED', `the broker refused ${action} ${JSON.stringify(topic)} (${why}): ${fix}; not retried`, {
    field: 'topic',
    ...(reason === 'connection-closed' ? {} : { returnCode: code }),
    cause: notice,
  });
}

/** @internal `ERR_INVALID_TOPIC` for a call refused before sending, by an ApsaraMQ topic rule. */
export function _topicRefused(action: 'publish' | 'subscribe', topic: unknown, breach: TopicBreach): ApsaraMqttAuthError {
  const shown = typeof topic === 'string' ? JSON.stringify(topic.length > 100 ? `${topic.slice(0, 100)}…` : topic) : typeof topic;
  return new ApsaraMqttAuthError('ERR_INVALID_TOPIC', `${action} ${shown} not sent: the topic ${breach.problem} (ApsaraMQ rule: ${breach.rule}); fix the topic`, {
    field: 'topic',
    cause: { action, topic, rule: breach.rule },
  });
}

/** @internal */
export interface Ledger {
  /** A packet went out on the current connection. */
  sent(packet: LedgerPacket): void;
  /**
   * A packet came in; returns the calls it refuses by reason code (a refusing DISCONNECT returns
   * none: the call is named when the connection closes).
   */
  received(packet: LedgerPacket): Refusal[];
  /** `$SYS/tokenInvalidNotice` code 4 or 5 arrived: the broker is about to cut the connection. */
  noticed(notice: TokenInvalidNotice): void;
  /**
   * Something else ends this connection (a socket error, a keep-alive timeout, `end()`, another
   * token notice, expired credentials): its close is not the answer to a call.
   */
  explained(): void;
  /** The connection closed: the call the notice was about (if any), and a clean slate for the next. */
  closed(): { notice?: TokenInvalidNotice; refused?: Refusal };
}

/** @internal */
export function _createLedger(protocolVersion: number | undefined): Ledger {
  let sent: Sent[] = [];
  let notice: TokenInvalidNotice | undefined;
  let explained = false;
  return {
    sent(packet) {
      const { cmd, messageId, qos = 0 } = packet;
      if (cmd === 'publish' && packet.topic !== undefined) sent.push({ action: 'publish', messageId: qos > 0 ? messageId : undefined, qos, topics: [String(packet.topic)] });
      else if (cmd === 'subscribe' || cmd === 'unsubscribe') {
        const topics = cmd === 'subscribe' ? (packet.subscriptions ?? []).map((s) => s.topic) : ((packet as { unsubscriptions?: string[] }).unsubscriptions ?? []);
        sent.push({ action: cmd, messageId, qos: 1, topics });
      }
    },
    received(packet) {
      const { cmd, messageId } = packet;
      if (cmd === 'disconnect') {
        if (DISCONNECT_REFUSALS.includes(packet.reasonCode!)) {
          const { action: _a, topic: _t, ...about } = _reasonCodeNotice(packet.reasonCode!, 'subscribe', '', packet);
          notice ??= about; // the call is named at the close
        }
        return [];
      }
      const answers = cmd === 'suback' ? 'subscribe' : cmd === 'unsuback' ? 'unsubscribe' : /^pub(ack|rec|comp)$/.test(cmd) ? 'publish' : undefined;
      const at = answers ? sent.findIndex((s) => s.action === answers && s.messageId === messageId) : -1;
      if (at < 0) return [];
      const [answered] = sent.splice(at, 1);
      // The broker has read everything before this packet: the QoS 0 publishes there were not refused.
      sent = sent.filter((s, i) => i >= at || s.qos > 0);
      if (answers === 'subscribe') {
        return (packet.granted ?? []).flatMap((code, i) => {
          const topic = answered!.topics[i];
          const refused = topic !== undefined && _isRefusalCode(code, protocolVersion, true);
          return refused ? [{ action: 'subscribe' as const, topics: [topic], notice: _reasonCodeNotice(code as number, 'subscribe', topic, packet) }] : [];
        });
      }
      const code = packet.reasonCode;
      return answers === 'publish' && _isRefusalCode(code, protocolVersion, false)
        ? [{ action: 'publish', topics: answered!.topics, notice: _reasonCodeNotice(code, 'publish', answered!.topics[0]!, packet) }]
        : [];
    },
    noticed(n) {
      notice ??= n;
    },
    explained() {
      explained = true;
    },
    closed() {
      const pending = sent.filter((s) => s.action !== 'unsubscribe');
      // MQTT 3.1.1: a clean close by the broker in the middle of a round trip is its refusal.
      const inferred = !notice && !explained && protocolVersion !== 5 && pending.some((s) => s.qos > 0);
      const found = notice ?? (inferred ? { code: 0, reason: 'connection-closed' as const } : undefined);
      sent = [];
      notice = undefined;
      explained = false;
      if (!found) return {};
      // A call that expects an answer and got none is the refused one. Only if there is none can a
      // QoS 0 publish be blamed, and only when every unanswered one went to the same topic.
      const answerable = pending.find((s) => s.qos > 0 || s.action === 'subscribe');
      const qos0Topics = new Set(pending.map((s) => s.topics[0]));
      const culprit = answerable ?? (qos0Topics.size === 1 ? pending[0] : undefined);
      if (!culprit || culprit.action === 'unsubscribe') return { notice: found };
      const refusedNotice = { ...found, action: culprit.action, topic: culprit.topics.join(', ') };
      const refused: Refusal = { action: culprit.action, topics: culprit.topics, notice: refusedNotice };
      if (culprit.messageId !== undefined) refused.messageId = culprit.messageId;
      return { notice: refusedNotice, refused };
    },
  };
}
