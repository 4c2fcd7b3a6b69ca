/**
 * Which publish or subscribe the broker refused. A refusal comes two ways:
 * - an MQTT reason code on the SUBACK/PUBACK (0x87 not authorized, 0x8F topic filter invalid,
 *   0x97 quota exceeded; 0x80, the only refusal MQTT 3.1.1 has, on a SUBACK): the packet says which;
 * - `$SYS/tokenInvalidNotice` code 4 or 5, then a disconnect: the notice names no topic, so the
 *   refused call is the oldest one the broker had not answered when it cut the connection (brokers
 *   answer a connection's packets in order and stop at the refused one).
 * Pure bookkeeping of the packets on one connection, fed from mqtt.js's `packetsend`/`packetreceive`.
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';
import type { TokenInvalidNotice } from '../protocol/sys-topics.js';

/** The packet fields the ledger reads (mqtt-packet's shapes). */
export interface LedgerPacket {
  cmd: string;
  messageId?: number;
  qos?: number;
  topic?: string;
  subscriptions?: { topic: string }[];
  /** SUBACK: one code per subscription. */
  granted?: (number | { qos?: number })[];
  /** PUBACK/PUBREC (MQTT 5). */
  reasonCode?: number;
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

/** @internal Is `code` on a SUBACK/PUBACK an authorization refusal? */
export function _isRefusalCode(code: unknown, protocolVersion: number | undefined, onSuback: boolean): code is number {
  return typeof code === 'number' && (REFUSALS_V5.includes(code) || (onSuback && code === 0x80 && protocolVersion !== 5));
}

/** @internal The notice-like payload of a refusal by reason code. */
export function _reasonCodeNotice(code: number, action: 'publish' | 'subscribe', topic: string): TokenInvalidNotice {
  return { code, reason: 'not-authorized', action, topic };
}

/** @internal `ERR_NOT_AUTHORIZED` for a refused call: names the action and the topic, carries the notice. */
export function _notAuthorized(notice: TokenInvalidNotice): ApsaraMqttAuthError {
  const { code, reason, action = 'use', topic = '' } = notice;
  const why = reason === 'not-authorized' ? `MQTT reason code 0x${code.toString(16)}` : `$SYS/tokenInvalidNotice code ${code}, ${reason}`;
  return new ApsaraMqttAuthError(
    'ERR_NOT_AUTHORIZED',
    `the broker refused to let this client ${action} ${JSON.stringify(topic)} (${why}): the credentials do not allow it; the call is not repeated`,
    { field: 'topic', returnCode: code, cause: notice },
  );
}

/** @internal */
export interface Ledger {
  /** A packet went out on the current connection. */
  sent(packet: LedgerPacket): void;
  /** A packet came in; returns the calls it refuses by reason code. */
  received(packet: LedgerPacket): Refusal[];
  /** `$SYS/tokenInvalidNotice` code 4 or 5 arrived: the broker is about to cut the connection. */
  noticed(notice: TokenInvalidNotice): void;
  /** The connection closed: the call the notice was about (if any), and a clean slate for the next. */
  closed(): { notice?: TokenInvalidNotice; refused?: Refusal };
}

/** @internal */
export function _createLedger(protocolVersion: number | undefined): Ledger {
  let sent: Sent[] = [];
  let notice: TokenInvalidNotice | undefined;
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
          return refused ? [{ action: 'subscribe' as const, topics: [topic], notice: _reasonCodeNotice(code as number, 'subscribe', topic) }] : [];
        });
      }
      const code = packet.reasonCode;
      return answers === 'publish' && _isRefusalCode(code, protocolVersion, false)
        ? [{ action: 'publish', topics: answered!.topics, notice: _reasonCodeNotice(code, 'publish', answered!.topics[0]!) }]
        : [];
    },
    noticed(n) {
      notice ??= n;
    },
    closed() {
      const found = notice;
      const pending = sent.filter((s) => s.action !== 'unsubscribe');
      sent = [];
      notice = undefined;
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
