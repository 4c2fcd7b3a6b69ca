/**
 * The limits the local broker applies, from ApsaraMQ's documentation (`src/protocol/limits.ts`);
 * each can be changed in the config (Platinum instances may have custom values).
 * @module
 */
import { _invalid } from '../errors.js';
import { MAX_KEEPALIVE_SECONDS, MAX_PACKET_BYTES, MAX_PAYLOAD_BYTES, TOPIC_ALIAS_MAXIMUM } from '../protocol/limits.js';

/** The limits of one broker. */
export interface BrokerLimits {
  /** The largest message body delivered, in bytes; a larger message is acknowledged and discarded. Default 64 KiB. */
  maxPayloadBytes: number;
  /** MQTT 5: the largest packet taken (announced in the CONNACK); a larger one ends the connection (0x95). Default 128 KiB. */
  maxPacketBytes: number;
  /** Keep Alive is capped at this many seconds (a longer one, or 0, becomes this). Default 480 (8 minutes). */
  maxKeepAliveSeconds: number;
  /** MQTT 5: topic aliases a client may use per connection. Default 30. */
  topicAliasMaximum: number;
  /**
   * Bytes waiting to be sent to one client (it stopped reading, or reads slower than its messages
   * come) before the broker disconnects it, so that one client cannot make it hold unbounded memory.
   * Default 8 MiB. Not an ApsaraMQ figure: the service cuts off slow consumers too, at a limit it
   * does not document.
   */
  maxOutboundBytes: number;
}

/** The documented values. */
export const DEFAULT_LIMITS: Readonly<BrokerLimits> = Object.freeze({
  maxPayloadBytes: MAX_PAYLOAD_BYTES,
  maxPacketBytes: MAX_PACKET_BYTES,
  maxKeepAliveSeconds: MAX_KEEPALIVE_SECONDS,
  topicAliasMaximum: TOPIC_ALIAS_MAXIMUM,
  maxOutboundBytes: 8 * 1024 * 1024,
});

const RANGES: Readonly<Record<keyof BrokerLimits, readonly [number, number]>> = {
  maxPayloadBytes: [0, 256 * 1024 * 1024],
  maxPacketBytes: [64, 256 * 1024 * 1024],
  maxKeepAliveSeconds: [1, 65_535],
  topicAliasMaximum: [0, 65_535],
  maxOutboundBytes: [64 * 1024, 1024 * 1024 * 1024],
};

/** @internal The limits of a config, checked, with the documented defaults filled in. */
export function _checkLimits(value: Partial<BrokerLimits> | undefined): BrokerLimits {
  if (value === undefined) return { ...DEFAULT_LIMITS };
  if (value === null || typeof value !== 'object') throw _invalid('limits', 'must be an object such as { "maxPayloadBytes": 65536 }');
  const limits = { ...DEFAULT_LIMITS };
  for (const [key, given] of Object.entries(value)) {
    const range = Object.hasOwn(RANGES, key) ? RANGES[key as keyof BrokerLimits] : undefined;
    if (!range) throw _invalid(`limits.${key}`, `is not a limit (known: ${Object.keys(RANGES).join(', ')})`);
    if (!(typeof given === 'number' && Number.isInteger(given) && given >= range[0] && given <= range[1])) {
      throw _invalid(`limits.${key}`, `must be an integer from ${range[0]} to ${range[1]}`);
    }
    limits[key as keyof BrokerLimits] = given;
  }
  return limits;
}

/** The keep-alive the broker holds a client to: its own, capped; 0 (none) counts as longer than the cap. */
export function _cappedKeepAlive(keepalive: number, max: number): number {
  return keepalive === 0 || keepalive > max ? max : keepalive;
}
