/**
 * The documented limits of an ApsaraMQ for MQTT connection, as numbers. The local broker applies
 * them (each can be changed in its config); sources in ARCHITECTURE.md, "MQTT rules of the local broker".
 * @module
 */

/** A message body is at most 64 KB; a larger one is discarded by the service. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/** MQTT 5: the largest packet the broker takes (announced as Maximum Packet Size in the CONNACK). */
export const MAX_PACKET_BYTES = 128 * 1024;

/** The broker caps Keep Alive at 8 minutes; a longer one (or none) becomes 8 minutes. */
export const MAX_KEEPALIVE_SECONDS = 8 * 60;

/** The keep-alive the documentation and the official demos recommend. */
export const RECOMMENDED_KEEPALIVE_SECONDS = 90;

/** MQTT 5: topic aliases a client may use per connection. */
export const TOPIC_ALIAS_MAXIMUM = 30;
