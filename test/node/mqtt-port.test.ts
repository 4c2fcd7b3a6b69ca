/**
 * The contract between the managed connection and mqtt.js's internals (src/lifecycle/mqtt-port.ts),
 * checked on each release under test (the lowest and the latest of the peer range; one release when
 * scripts/mqtt-matrix.mjs runs it). A release that renames, retypes or stops using one of the fields
 * fails the test that names it. Against the local broker over TCP, real clients.
 */
import { once } from 'node:events';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type LocalBroker } from '../../src/broker/broker-entry.js';
import { createConnectOptions, signatureCredentials } from '../../src/index.js';
import { _mqttContractProblems, _mqttPort, MQTT_INTERNALS } from '../../src/lifecycle/mqtt-port.js';
import { _NO_MQTT_RECONNECT } from '../../src/lifecycle/session.js';
import { mqttReleases } from '../helpers/mqtt-releases.js';

const INSTANCE = 'mqtt-port-test';
const AK = { accessKeyId: 'LTAI-port-test', accessKeySecret: 'port-test-secret-7' };

let broker: LocalBroker;
beforeAll(async () => {
  broker = await startBroker({ instanceId: INSTANCE, accessKeys: [AK], httpPort: false });
});
afterAll(async () => {
  await broker?.close();
});

type Internal = Record<string, unknown> & { outgoing: Record<number, { cb: unknown }>; _resubscribeTopics: Record<string, unknown> };

describe.each(mqttReleases())('$name keeps the contract the port relies on', ({ mqtt }) => {
  let n = 0;
  async function client(manualConnect = false): Promise<MqttClient> {
    const clientId = `GID_port@@@c${++n}`;
    const { url, options } = createConnectOptions({
      instanceId: INSTANCE,
      clientId,
      credentials: await signatureCredentials({ ...AK, instanceId: INSTANCE, clientId }),
      ...broker.endpoint('tcp'),
      reconnectPeriod: _NO_MQTT_RECONNECT, // as the session sets it: mqtt.js renews subscriptions only with a period
      manualConnect,
    });
    const c = mqtt.connect(url, options);
    c.on('error', () => undefined);
    if (!manualConnect) await once(c as never, 'connect');
    return c;
  }

  it(`a new client has every field of MQTT_INTERNALS (${Object.keys(MQTT_INTERNALS).join(', ')}) with its type`, async () => {
    const c = await client(true);
    expect(_mqttContractProblems(c)).toEqual([]);
    // A release without one of them would be named: here `outgoing` taken away, `disconnected` retyped.
    const changed = Object.assign(Object.create(c) as object, { outgoing: undefined, disconnected: 0 });
    expect(_mqttContractProblems(changed)).toEqual(['mqtt.js client field `outgoing` is missing, expected a object', 'mqtt.js client field `disconnected` is a number, expected a boolean|undefined']);
    // Never connected: nothing to end (mqtt.js's end() needs a stream).
  });

  it('`stream`: none before a manualConnect client connects, one after; `disconnected`: true once ended', async () => {
    const c = await client(true);
    const port = _mqttPort(c);
    expect(port.hasStream(), '`stream` must be unset before the first connect').toBe(false);
    expect(port.isEnded(), '`disconnected` must be false on a new client').toBe(false);
    c.connect();
    await once(c as never, 'connect');
    expect(port.hasStream(), '`stream` must be set once connected').toBe(true);
    await c.endAsync();
    expect(port.isEnded(), '`disconnected` must be true after end()').toBe(true);
  });

  it('`outgoing[messageId].cb` is the callback of an unanswered QoS 1 publish, set before `packetsend` is emitted', async () => {
    const c = await client();
    const port = _mqttPort(c);
    const callback = () => undefined;
    let seen: unknown = 'packetsend not emitted';
    c.once('packetsend', (packet: { messageId?: number }) => void (seen = port.callbackOf(packet.messageId)));
    c.publish('fleet/port', 'x', { qos: 1 }, callback);
    await once(c as never, 'packetreceive');
    expect(seen, '`outgoing[id].cb` must hold the publish callback while it awaits its PUBACK').toBe(callback);
    await c.endAsync();
  });

  it('`removeOutgoingMessage` (through dropPublishes) fails the dropped publish and keeps it from being resent', async () => {
    const c = await client(true);
    const port = _mqttPort(c);
    // Offline: mqtt.js stores the QoS 1 publish for sending once connected.
    const failed = new Promise<unknown>((resolve) => c.publish('fleet/port', 'x', { qos: 1 }, resolve));
    let ids: number[] = [];
    port.dropPublishes((id) => (ids.push(id), true));
    expect(ids.length, '`outgoing` must hold an offline QoS 1 publish under its id').toBe(1);
    expect(await failed, '`removeOutgoingMessage` must fail the callback').toBeInstanceOf(Error);
    ids = [];
    port.dropPublishes((id) => (ids.push(id), true));
    expect(ids).toEqual([]);
    // Never connected: nothing to end (mqtt.js's end() needs a stream).
  });

  it('`_resubscribeTopics` holds a granted subscription (renewed on reconnect) until forgetSubscription', async () => {
    const c = await client();
    await c.subscribeAsync('fleet/renewed', { qos: 1 });
    const internal = c as unknown as Internal;
    expect(internal._resubscribeTopics, '`_resubscribeTopics` must key subscriptions by topic').toHaveProperty(['fleet/renewed']);
    _mqttPort(c).forgetSubscription('fleet/renewed');
    expect(internal._resubscribeTopics).not.toHaveProperty(['fleet/renewed']);
    // And what is left there is what mqtt.js sends again on its next connection.
    await c.subscribeAsync('fleet/kept', { qos: 1 });
    const sent: string[] = [];
    c.on('packetsend', (p: { cmd: string; subscriptions?: { topic: string }[] }) => void (p.cmd === 'subscribe' && sent.push(...p.subscriptions!.map((s) => s.topic))));
    c.stream.destroy(); // a dropped connection, not an end
    await once(c as never, 'close');
    c.reconnect();
    await once(c as never, 'packetreceive'); // CONNACK …
    await new Promise((r) => setTimeout(r, 50)); // … then mqtt.js re-subscribes
    expect(sent, '`_resubscribeTopics` must be what mqtt.js re-subscribes after a reconnect').toEqual(['fleet/kept']);
    await c.endAsync();
  });

  it('a method replaced on the instance is what mqtt.js itself calls: `emit` hears packetsend/packetreceive, `publishAsync` goes through `publish`', async () => {
    const c = await client(true);
    const port = _mqttPort(c);
    const heard: string[] = [];
    port.replace<(event: string, ...args: unknown[]) => boolean>('emit', (original) => (event, ...args) => (heard.push(event), original(event, ...args)));
    let published = 0;
    port.replace<(...args: unknown[]) => unknown>('publish', (original) => (...args) => (published++, original(...args)));
    c.connect();
    await once(c as never, 'connect');
    await c.publishAsync('fleet/port', 'x', { qos: 1 });
    expect(heard).toEqual(expect.arrayContaining(['packetsend', 'packetreceive', 'connect']));
    expect(published, '`publishAsync` must call the instance `publish`').toBe(1);
    await c.endAsync();
  });

  it('a subscribe unanswered when the connection closes fails (before or after `close`: the session copes with both)', async () => {
    const c = await client();
    const order: string[] = [];
    c.on('close', () => order.push('close'));
    // A shared subscription: the local broker disconnects (the SDK's pre-check is not in this path).
    const failed = new Promise<void>((resolve) => c.subscribe('$share/g/fleet/x', { qos: 1 }, (error) => (order.push(error ? 'failed' : 'granted'), resolve())));
    await failed;
    await new Promise((r) => setTimeout(r, 20));
    expect(order.sort()).toEqual(['close', 'failed']);
    c.end(true);
  });
});
