/**
 * One client connection as aedes sees it. aedes 1.x speaks MQTT 3.1/3.1.1 only, so this stream
 * sits between the socket and aedes: it reads the CONNECT, and for an MQTT 5 client translates
 * every packet both ways (5 → 3.1.1 in, 3.1.1 → 5 out), mapping CONNACK return codes to MQTT 5
 * reason codes. MQTT 3.1.1 traffic passes through untouched. It also lets the broker end a
 * connection gracefully: a notice written just before is flushed, never cut off.
 *
 * It also applies the connection-level limits ApsaraMQ documents: Keep Alive capped (both
 * versions: the CONNECT aedes sees carries the capped value); for MQTT 5, a CONNACK announcing what
 * the service supports (no retained messages, no shared subscriptions, the packet size and topic
 * alias limits, the capped keep-alive), topic aliases resolved, oversized packets refused (0x95). For
 * both versions a packet is refused from its fixed header, before its body is read (`packet-size.ts`).
 * Other MQTT 5 properties have no 3.1.1 equivalent and are dropped; AUTH ends the connection.
 * @module
 */
import { Duplex } from 'node:stream';
import type * as MqttPacket from 'mqtt-packet';
import { _cappedKeepAlive, DEFAULT_LIMITS, type BrokerLimits } from './broker-limits.js';
import { PacketSizeGuard, _v311PacketLimit } from './packet-size.js';

type PacketModule = typeof MqttPacket;
type Packet = MqttPacket.Packet;

/**
 * CONNACK return code (3.1.1) → reason code (5): the one map, used for the CONNACK this stream
 * translates and for the code the broker's `clientRefused` event reports.
 */
const CONNACK_REASON: Readonly<Record<number, number>> = { 0: 0, 1: 0x84, 2: 0x85, 3: 0x88, 4: 0x86, 5: 0x87 };

/** @internal The MQTT 5 CONNACK reason code for a 3.1.1 return code (0x80, unspecified, for an unknown one). */
export const _v5ConnackReason = (returnCode: number): number => CONNACK_REASON[returnCode] ?? 0x80;

/** MQTT 5 DISCONNECT reason codes the broker sends. */
export const DISCONNECT_REASON = {
  PROTOCOL_ERROR: 0x82,
  NOT_AUTHORIZED: 0x87,
  SESSION_TAKEN_OVER: 0x8e,
  TOPIC_FILTER_INVALID: 0x8f,
  TOPIC_NAME_INVALID: 0x90,
  TOPIC_ALIAS_INVALID: 0x94,
  PACKET_TOO_LARGE: 0x95,
  RETAIN_NOT_SUPPORTED: 0x9a,
  SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: 0x9e,
} as const;

/**
 * A Reason String with each DISCONNECT: it says why in words, and some clients (paho-mqtt 1.6) read
 * the reason code of a DISCONNECT only when the packet has more than the code.
 */
const DISCONNECT_TEXT: Readonly<Record<number, string>> = {
  [DISCONNECT_REASON.PROTOCOL_ERROR]: 'Protocol error',
  [DISCONNECT_REASON.NOT_AUTHORIZED]: 'Not authorized',
  [DISCONNECT_REASON.SESSION_TAKEN_OVER]: 'Session taken over',
  [DISCONNECT_REASON.TOPIC_FILTER_INVALID]: 'Topic filter invalid',
  [DISCONNECT_REASON.TOPIC_NAME_INVALID]: 'Topic name invalid',
  [DISCONNECT_REASON.TOPIC_ALIAS_INVALID]: 'Topic alias invalid',
  [DISCONNECT_REASON.PACKET_TOO_LARGE]: 'Packet too large',
  [DISCONNECT_REASON.RETAIN_NOT_SUPPORTED]: 'Retained messages are not supported',
  [DISCONNECT_REASON.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED]: 'Shared subscriptions are not supported',
};

/** How long a graceful end may take before the socket is cut. */
const GRACE_MS = 2_000;
/** Bytes buffered while waiting for a complete CONNECT. */
const MAX_CONNECT_BYTES = 256 * 1024;

/**
 * A client connection handed to aedes: a `Duplex` over the real socket (TCP or WebSocket stream).
 * Emits `connack` (with the 3.1.1 return code) synchronously just before the CONNACK reaches the
 * socket, so the broker can get a session ready before the client can act on it.
 */
export class ClientConnection extends Duplex {
  /** The client's protocol level once its CONNECT is read: 3, 4 or 5. */
  protocolVersion: number | undefined;
  /** The Keep Alive the broker holds the client to (its own, capped), once its CONNECT is read. */
  keepalive: number | undefined;
  /** MQTT 5: the CONNECT carried a Will with the retain flag (which the service refuses: 0x9A). */
  willRetain = false;
  /** MQTT 5: the reason code to send in place of a refusing CONNACK's mapped one (e.g. 0x9A). */
  refusalReason: number | undefined;
  readonly #limits: ConnectionLimits;
  /** Reads each inbound packet's fixed header: one announcing more than the limit ends the connection before its body is read. */
  readonly #sizes: PacketSizeGuard;
  #tooLarge = false;
  #serverKeepAlive: number | undefined;
  readonly #aliases = new Map<number, string>();
  readonly #raw: Duplex;
  readonly #mp: PacketModule;
  #mode: 'detect' | 'pass' | 'v5' = 'detect';
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  readonly #inbound: MqttPacket.Parser;
  #outbound: MqttPacket.Parser | undefined;
  readonly #unsubscribeCounts = new Map<number, number>();
  #ending = false;
  #finalReason: number | undefined;
  /** Bytes aedes wrote before its CONNACK was complete (3.1.1 pass-through only). */
  #head: Buffer[] | undefined = [];

  constructor(
    raw: Duplex,
    mqttPacket: PacketModule,
    limits: ConnectionLimits = DEFAULT_LIMITS,
  ) {
    super({ allowHalfOpen: false });
    this.#limits = limits;
    // Until the CONNECT says which protocol, the looser of the two bounds (3.1.1's).
    this.#sizes = new PacketSizeGuard(_v311PacketLimit(limits));
    this.#raw = raw;
    this.#mp = mqttPacket;
    this.#inbound = mqttPacket.parser();
    this.#inbound.on('packet', (packet: Packet) => this.#fromClient(packet));
    this.#inbound.on('error', (error: Error) => this.destroy(error));
    raw.on('data', (chunk: Buffer) => this.#onData(chunk));
    raw.on('end', () => this.push(null));
    raw.on('error', (error: Error) => this.destroy(error));
    raw.on('close', () => this.destroy());
  }

  /** The socket underneath (for its address). */
  get raw(): Duplex {
    return this.#raw;
  }

  /**
   * MQTT 5 only: sends DISCONNECT with `reasonCode` (e.g. 0x87 not authorized, 0x8E session taken
   * over). A no-op for MQTT 3.1.1, which has no server DISCONNECT.
   */
  sendDisconnect(reasonCode: number): void {
    if (this.protocolVersion !== 5 || this.#raw.destroyed || this.#raw.writableEnded) return;
    const reasonString = DISCONNECT_TEXT[reasonCode];
    const bytes = this.#generate({ cmd: 'disconnect', reasonCode, ...(reasonString ? { properties: { reasonString } } : {}) }, 5);
    if (bytes) this.#writeRaw(bytes);
  }

  /**
   * Ends the connection after everything written so far reached the socket, and cuts it if the
   * peer has not closed within a grace period. A later `destroy()` (aedes closing the client) waits
   * for that flush too.
   */
  endGracefully(): void {
    if (this.#ending) return;
    this.#ending = true;
    if (this.#raw.destroyed) return;
    const cut = setTimeout(() => this.#raw.destroy(), GRACE_MS);
    cut.unref();
    this.#raw.once('close', () => clearTimeout(cut));
    this.#raw.end();
  }

  override _read(): void {
    this.#raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#send(chunk, callback);
  }

  /** Bytes from aedes → the socket (translated for MQTT 5). */
  #send(chunk: Buffer, callback: (error?: Error | null) => void): void {
    if (this.#ending || this.#raw.destroyed) {
      callback();
      return;
    }
    if (this.#mode === 'v5') {
      this.#outbound!.parse(chunk);
      callback();
      return;
    }
    if (this.#head) {
      // aedes writes the CONNACK in pieces; once its 4 bytes are here, announce it before they leave.
      this.#head.push(chunk);
      chunk = Buffer.concat(this.#head);
      if (chunk.length < 4) {
        callback();
        return;
      }
      this.#head = undefined;
      if (chunk[0] === 0x20) this.emit('connack', chunk[3]!);
    }
    // Not held until the socket drains: aedes would then hold every publisher of a topic this
    // client subscribed to. The backlog waits in the socket, bounded by maxOutboundBytes.
    if (!this.#raw.write(chunk)) this.#overflowing();
    callback();
  }

  // aedes corks the stream around each packet: write the pieces as one chunk, not one syscall each.
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.#send(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), callback);
  }

  /**
   * Ends the connection after every packet aedes has written so far (aedes hands packets over in a
   * later tick than it reports them sent), then, for MQTT 5, a DISCONNECT with `reasonCode`.
   */
  endAfterWrites(reasonCode?: number): void {
    if (this.writableEnded || this.#ending) return;
    this.#finalReason = reasonCode;
    this.end();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#finalReason !== undefined) this.sendDisconnect(this.#finalReason);
    this.endGracefully();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // aedes destroys the connection right after writing a refusal CONNACK or a last notice: end the
    // socket instead, so those bytes are flushed, and let the grace timer cut a peer that lingers.
    if (!this.#raw.destroyed) this.endGracefully();
    callback(error);
  }

  #onData(chunk: Buffer): void {
    if (this.#tooLarge) return;
    if (!this.#sizes.accepts(chunk)) return this.#packetTooLarge();
    if (this.#mode === 'pass') {
      if (!this.push(chunk)) this.#raw.pause();
      return;
    }
    if (this.#mode === 'detect') {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
    }
    this.#inbound.parse(chunk);
    if (this.#mode === 'detect' && this.#pendingBytes > MAX_CONNECT_BYTES) this.destroy(new Error('CONNECT too large'));
  }

  #fromClient(packet: Packet): void {
    if (this.#mode === 'detect') {
      this.protocolVersion = packet.cmd === 'connect' ? (packet.protocolVersion ?? 4) : undefined;
      if (packet.cmd === 'connect') this.keepalive = _cappedKeepAlive(packet.keepalive ?? 0, this.#limits.maxKeepAliveSeconds);
      if (this.protocolVersion === 5) {
        this.#sizes.max = this.#limits.maxPacketBytes;
        this.#mode = 'v5';
        this.#pending = [];
        this.#outbound = this.#mp.parser({ protocolVersion: 4 });
        this.#outbound.on('packet', (p: Packet) => this.#toClient(p));
        this.#outbound.on('error', (error: Error) => this.destroy(error));
      } else {
        // 3.1 / 3.1.1 (or garbage, which aedes refuses): hand over the bytes as they came, the
        // CONNECT's Keep Alive capped in place.
        this.#mode = 'pass';
        this.#inbound.removeAllListeners('packet');
        const pending = Buffer.concat(this.#pending);
        this.#pending = [];
        if (packet.cmd === 'connect' && this.keepalive !== packet.keepalive) _setConnectKeepAlive(pending, this.keepalive!);
        this.push(pending);
        return;
      }
    }
    if (this.#mode === 'v5') this.#toBroker(packet);
  }

  /** MQTT 5 packet from the client → MQTT 3.1.1 bytes for aedes. */
  #toBroker(packet: Packet): void {
    let out: Packet;
    switch (packet.cmd) {
      case 'connect': {
        const { properties: _p, will, ...rest } = packet;
        out = { ...rest, keepalive: this.keepalive!, protocolVersion: 4, protocolId: 'MQTT' };
        if (this.keepalive !== packet.keepalive) this.#serverKeepAlive = this.keepalive;
        if (will) {
          const { properties: _wp, ...plainWill } = will;
          out.will = plainWill;
          this.willRetain = will.retain === true;
        }
        break;
      }
      case 'publish': {
        const length = packet.length ?? 0;
        if (1 + varintLength(length) + length > this.#limits.maxPacketBytes) return this.#fail(DISCONNECT_REASON.PACKET_TOO_LARGE);
        const { properties, ...rest } = packet;
        const alias = properties?.topicAlias;
        if (alias !== undefined) {
          // Aliases 1..maximum, set by a PUBLISH naming the topic, used by one with an empty topic. Past
          // the maximum ApsaraMQ closes the connection with "a topic name error" (its topic alias page).
          if (alias > this.#limits.topicAliasMaximum) return this.#fail(DISCONNECT_REASON.TOPIC_NAME_INVALID);
          if (alias === 0) return this.#fail(DISCONNECT_REASON.TOPIC_ALIAS_INVALID);
          if (rest.topic) this.#aliases.set(alias, rest.topic);
          else if (this.#aliases.has(alias)) rest.topic = this.#aliases.get(alias)!;
          else return this.#fail(DISCONNECT_REASON.PROTOCOL_ERROR);
        }
        out = rest;
        break;
      }
      case 'subscribe':
        out = {
          cmd: 'subscribe',
          messageId: packet.messageId!,
          subscriptions: packet.subscriptions.map(({ topic, qos }) => ({ topic, qos })),
        };
        break;
      case 'unsubscribe':
        this.#unsubscribeCounts.set(packet.messageId!, packet.unsubscriptions.length);
        out = { cmd: 'unsubscribe', messageId: packet.messageId!, unsubscriptions: packet.unsubscriptions };
        break;
      case 'puback':
      case 'pubrec':
      case 'pubrel':
      case 'pubcomp':
        out = { cmd: packet.cmd, messageId: packet.messageId! };
        break;
      case 'pingreq':
      case 'disconnect':
        out = { cmd: packet.cmd };
        break;
      default:
        // AUTH and anything else has no 3.1.1 meaning.
        return this.#fail(DISCONNECT_REASON.PROTOCOL_ERROR);
    }
    const bytes = this.#generate(out, 4);
    if (bytes) this.push(bytes);
  }

  /**
   * A packet announced more than the limit: nothing more is read (its body would only be buffered),
   * MQTT 5 clients get DISCONNECT 0x95, and the connection ends; aedes never sees the packet.
   */
  #packetTooLarge(): void {
    this.#tooLarge = true;
    this.#raw.pause();
    if (this.protocolVersion === 5) this.#fail(DISCONNECT_REASON.PACKET_TOO_LARGE);
    else this.#raw.destroy();
  }

  /** MQTT 5: DISCONNECT with `reasonCode`, then the end. */
  #fail(reasonCode: number): void {
    this.sendDisconnect(reasonCode);
    this.endGracefully();
  }

  /** MQTT 3.1.1 packet from aedes → MQTT 5 bytes for the client. */
  #toClient(packet: Packet): void {
    let out: Packet;
    switch (packet.cmd) {
      case 'connack': {
        const returnCode = packet.returnCode ?? 0;
        this.emit('connack', returnCode);
        const reasonCode = returnCode !== 0 && this.refusalReason !== undefined ? this.refusalReason : _v5ConnackReason(returnCode);
        // What the service supports, as its documentation lists it (ARCHITECTURE.md, MQTT rules).
        const properties: MqttPacket.IConnackPacket['properties'] = {
          retainAvailable: false,
          sharedSubscriptionAvailable: false,
          wildcardSubscriptionAvailable: true,
          // Not carried through aedes 1.x (an MQTT 3.1.1 broker), so not offered.
          subscriptionIdentifiersAvailable: false,
          maximumPacketSize: this.#limits.maxPacketBytes,
          topicAliasMaximum: this.#limits.topicAliasMaximum,
          ...(this.#serverKeepAlive === undefined ? {} : { serverKeepAlive: this.#serverKeepAlive }),
        };
        out = { cmd: 'connack', sessionPresent: packet.sessionPresent, reasonCode, ...(reasonCode === 0 ? { properties } : {}) };
        break;
      }
      case 'publish': {
        const { properties: _p, ...rest } = packet;
        out = rest;
        break;
      }
      case 'unsuback': {
        const count = this.#unsubscribeCounts.get(packet.messageId!) ?? 1;
        this.#unsubscribeCounts.delete(packet.messageId!);
        out = { cmd: 'unsuback', messageId: packet.messageId!, granted: new Array<number>(count).fill(0) } as Packet;
        break;
      }
      case 'puback':
      case 'pubrec':
      case 'pubrel':
      case 'pubcomp':
        out = { cmd: packet.cmd, messageId: packet.messageId!, reasonCode: 0 };
        break;
      default:
        out = packet;
    }
    const bytes = this.#generate(out, 5);
    if (bytes) this.#writeRaw(bytes);
  }

  #generate(packet: Packet, protocolVersion: 4 | 5): Buffer | undefined {
    try {
      return this.#mp.generate(packet, { protocolVersion });
    } catch (error) {
      this.destroy(error as Error);
      return undefined;
    }
  }

  #writeRaw(bytes: Buffer): void {
    if (!this.#raw.destroyed && !this.#raw.writableEnded && !this.#raw.write(bytes)) this.#overflowing();
  }

  /**
   * A client that does not read its messages: once more than `maxOutboundBytes` wait for it (in the
   * socket and in this stream), it is cut off at once, not gracefully (a graceful end would wait for
   * that very backlog). `true` when cut.
   */
  #overflowing(): boolean {
    const max = this.#limits.maxOutboundBytes ?? DEFAULT_LIMITS.maxOutboundBytes;
    if (this.#raw.writableLength + this.writableLength <= max) return false;
    this.emit('overflow');
    this.#raw.destroy();
    return true;
  }
}

/** The limits one connection applies. */
type ConnectionLimits = Pick<BrokerLimits, 'maxPacketBytes' | 'maxKeepAliveSeconds' | 'topicAliasMaximum'> & Partial<Pick<BrokerLimits, 'maxOutboundBytes' | 'maxPayloadBytes'>>;

/** Bytes of an MQTT variable-length integer. */
function varintLength(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
}

/** Rewrites the Keep Alive field of the MQTT 3.1/3.1.1 CONNECT at the start of `bytes`, in place. */
export function _setConnectKeepAlive(bytes: Buffer, keepalive: number): void {
  let i = 1;
  while (bytes[i]! & 0x80) i++; // the remaining length
  i++;
  i += 2 + bytes.readUInt16BE(i) + 2; // protocol name, level, flags
  bytes.writeUInt16BE(keepalive, i);
}
