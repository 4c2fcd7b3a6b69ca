/**
 * One client connection as the broker's aedes sees it, without sockets: the bytes a client sends in,
 * what aedes receives (MQTT 3.1.1), and what the client gets back. Keep Alive capping (both
 * versions), the MQTT 5 CONNACK properties, topic aliases, oversized packets and the refusal codes.
 */
import { Duplex } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { ClientConnection } from '../../src/broker/connection.js';
import { DEFAULT_LIMITS } from '../../src/broker/broker-limits.js';

type Packet = mqttPacket.Packet;

/** A connection over an in-memory socket: `send` is the client writing, `fromBroker` what it reads. */
function harness(limits = DEFAULT_LIMITS) {
  const toClient: Buffer[] = [];
  const raw = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      toClient.push(chunk);
      callback();
    },
  });
  const conn = new ClientConnection(raw, mqttPacket, limits);
  const toBroker: Packet[] = [];
  const brokerParser = mqttPacket.parser({ protocolVersion: 4 });
  brokerParser.on('packet', (p: Packet) => toBroker.push(p));
  conn.on('data', (chunk: Buffer) => brokerParser.parse(chunk));
  const send = (packet: Packet, protocolVersion: 4 | 5) => raw.push(mqttPacket.generate(packet, { protocolVersion }));
  const fromBroker = (protocolVersion: 4 | 5): Packet[] => {
    const parser = mqttPacket.parser({ protocolVersion });
    const out: Packet[] = [];
    parser.on('packet', (p: Packet) => out.push(p));
    parser.parse(Buffer.concat(toClient));
    return out;
  };
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  return { conn, raw, toBroker, send, fromBroker, tick };
}

const connect = (protocolVersion: 4 | 5, keepalive: number, extra: Partial<mqttPacket.IConnectPacket> = {}): Packet => ({
  cmd: 'connect',
  protocolId: 'MQTT',
  protocolVersion,
  clean: true,
  clientId: 'GID_abc@@@1',
  keepalive,
  ...extra,
});

describe('Keep Alive is capped at 8 minutes', () => {
  it.each([
    [4, 90, 90],
    [4, 600, 480],
    [4, 0, 480],
    [5, 90, 90],
    [5, 65_535, 480],
  ] as const)('MQTT level %i: %i s → aedes sees %i s', async (version, asked, held) => {
    const { conn, toBroker, send, tick } = harness();
    send(connect(version, asked), version);
    await tick();
    expect(conn.keepalive).toBe(held);
    expect(toBroker[0]).toMatchObject({ cmd: 'connect', keepalive: held, protocolVersion: version === 5 ? 4 : version });
  });
});

describe('MQTT 5', () => {
  it("announces in the CONNACK what the service supports, and the capped keep-alive", async () => {
    const { conn, send, fromBroker, tick } = harness();
    send(connect(5, 600), 5);
    await tick();
    conn.write(mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }, { protocolVersion: 4 }));
    await tick();
    expect(fromBroker(5)[0]).toMatchObject({
      cmd: 'connack',
      reasonCode: 0,
      properties: {
        retainAvailable: false,
        sharedSubscriptionAvailable: false,
        wildcardSubscriptionAvailable: true,
        subscriptionIdentifiersAvailable: false,
        maximumPacketSize: 128 * 1024,
        topicAliasMaximum: 30,
        serverKeepAlive: 480,
      },
    });
  });

  it('refuses with the reason the broker sets (0x9A for a Will to retain)', async () => {
    const { conn, send, fromBroker, tick } = harness();
    send(connect(5, 60, { will: { topic: 'a/b', payload: Buffer.from('x'), qos: 0, retain: true } }), 5);
    await tick();
    expect(conn.willRetain).toBe(true);
    conn.refusalReason = 0x9a;
    conn.write(mqttPacket.generate({ cmd: 'connack', returnCode: 5, sessionPresent: false }, { protocolVersion: 4 }));
    await tick();
    expect(fromBroker(5)[0]).toMatchObject({ cmd: 'connack', reasonCode: 0x9a });
  });

  it('resolves topic aliases (1 to 30): set by a PUBLISH with a topic, used by one without', async () => {
    const { toBroker, send, tick } = harness();
    send(connect(5, 60), 5);
    send({ cmd: 'publish', topic: 'fleet/a', payload: Buffer.from('1'), qos: 0, retain: false, dup: false, properties: { topicAlias: 30 } }, 5);
    send({ cmd: 'publish', topic: '', payload: Buffer.from('2'), qos: 0, retain: false, dup: false, properties: { topicAlias: 30 } }, 5);
    await tick();
    expect(toBroker.slice(1).map((p) => [(p as mqttPacket.IPublishPacket).topic, String((p as mqttPacket.IPublishPacket).payload)])).toEqual([
      ['fleet/a', '1'],
      ['fleet/a', '2'],
    ]);
  });

  it.each([
    ['an alias over the maximum', { topic: 'fleet/a', properties: { topicAlias: 31 } }, 0x90],
    ['an alias never set', { topic: '', properties: { topicAlias: 3 } }, 0x82],
    ['a packet over 128 KB', { topic: 'fleet/a', payload: Buffer.alloc(128 * 1024) }, 0x95],
  ] as const)('ends the connection for %s (DISCONNECT 0x%s, with a reason string)', async (_what, fields, reason) => {
    const { raw, toBroker, send, fromBroker, tick } = harness();
    send(connect(5, 60), 5);
    send({ cmd: 'publish', payload: Buffer.from('x'), qos: 0, retain: false, dup: false, ...fields } as mqttPacket.IPublishPacket, 5);
    await tick();
    expect(toBroker).toHaveLength(1);
    expect(fromBroker(5)).toEqual([expect.objectContaining({ cmd: 'disconnect', reasonCode: reason, properties: { reasonString: expect.any(String) } })]);
    expect(raw.writableEnded).toBe(true);
  });
});
