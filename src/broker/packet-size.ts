/**
 * The size of each MQTT packet, read from its fixed header before its body arrives. mqtt-packet's
 * parser (and aedes') buffers a packet whole before anyone can look at it, so a PUBLISH announcing
 * 200 MB grew the broker by 200 MB before the 128 KiB limit refused it. This reads only the fixed
 * headers of the byte stream (a type byte, a 1–4 byte Remaining Length) and skips the bodies, so a
 * connection can be ended at the first byte of an oversized packet.
 * @module
 */

/** Bytes a packet may take besides its body in a 3.1.1 PUBLISH: fixed header, topic, packet id. */
const V311_HEADROOM = 1024;

/**
 * @internal The largest packet an MQTT 3.1.1 client may send: MQTT 5's Maximum Packet Size, or the
 * message body limit plus headers when that is larger (a body over the limit must still reach the
 * broker, to be acknowledged and discarded as ApsaraMQ documents).
 */
export const _v311PacketLimit = (limits: { maxPacketBytes: number; maxPayloadBytes?: number }): number =>
  Math.max(limits.maxPacketBytes, (limits.maxPayloadBytes ?? 0) + V311_HEADROOM);

/** @internal Follows the packet boundaries of one direction of a connection. */
export class PacketSizeGuard {
  /** Body bytes of the current packet still to come. */
  #skip = 0;
  /** The fixed header read so far (type byte, then Remaining Length bytes). */
  #header: number[] = [];

  /** `max`: the largest whole packet, in bytes (changed once the protocol version is known). */
  constructor(public max: number) {}

  /**
   * Reads `chunk`'s fixed headers; `false` as soon as one announces a packet over {@link max} bytes
   * (or a Remaining Length longer than MQTT's 4 bytes), whatever follows.
   */
  accepts(chunk: Uint8Array): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - i);
        this.#skip -= n;
        i += n;
        continue;
      }
      const byte = chunk[i++]!;
      this.#header.push(byte);
      if (this.#header.length === 1) continue;
      if (byte & 0x80) {
        if (this.#header.length === 5) return false;
        continue;
      }
      let length = 0;
      for (let k = this.#header.length - 1; k >= 1; k--) length = length * 128 + (this.#header[k]! & 0x7f);
      const total = this.#header.length + length;
      this.#header = [];
      if (total > this.max) return false;
      this.#skip = length;
    }
    return true;
  }
}
