/**
 * Shared by the local-broker end-to-end tests: real mqtt.js clients built from the SDK's own
 * connect options, and waits on events (never on time).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { createConnectOptions, type Credentials, type PassThroughMqttOptions } from '../src/index.js';
import type { BrokerEvents, LocalBroker } from '../src/broker/broker-entry.js';

export const INSTANCE = 'mqtt-local-test';
export const AK = { accessKeyId: 'LTAI-local-test', accessKeySecret: 'broker-test-secret-Xy9!' };

/** Every client a test opens, so `closeAll` can end them in afterAll. */
const open = new Set<MqttClient>();
/** Each client's first 'close', recorded from the start so a close that already happened counts. */
const closes = new WeakMap<MqttClient, Promise<void>>();

export interface ConnectInput {
  clientId: string;
  credentials: Credentials;
  transport?: 'tcp' | 'tls' | 'ws' | 'wss';
  protocolVersion?: 4 | 5;
  options?: PassThroughMqttOptions;
}

/** Connects through `createConnectOptions`, without retries (a refusal is final). */
export async function connect(broker: LocalBroker, input: ConnectInput): Promise<MqttClient> {
  const { url, options } = createConnectOptions({
    instanceId: broker.instanceId,
    clientId: input.clientId,
    credentials: input.credentials,
    ...broker.endpoint(input.transport ?? 'tcp'),
    protocolVersion: input.protocolVersion ?? 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...input.options,
  });
  const client = mqtt.connect(url, options);
  open.add(client);
  closes.set(client, new Promise((resolve) => client.once('close', () => resolve())));
  client.on('error', () => {});
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error('closed before CONNACK')));
    });
  } catch (error) {
    client.end(true);
    throw error;
  }
  return client;
}

/** The CONNACK code a refused connection got (throws if it was accepted). */
export async function refusalCode(broker: LocalBroker, input: ConnectInput): Promise<number> {
  try {
    await connect(broker, input);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    throw error;
  }
  throw new Error('the connection was accepted');
}

/** The next message on `topic` (exact), as `{ topic, payload text }`. */
export function nextMessage(client: MqttClient, topic: string): Promise<{ topic: string; text: string; qos: number }> {
  return new Promise((resolve) => {
    const onMessage = (t: string, payload: Buffer, packet: { qos: number }) => {
      if (t !== topic) return;
      client.off('message', onMessage);
      resolve({ topic: t, text: payload.toString('utf8'), qos: packet.qos });
    };
    client.on('message', onMessage);
  });
}

/** Resolves when the client's connection closes. */
export function closed(client: MqttClient): Promise<void> {
  return closes.get(client) ?? new Promise((resolve) => client.once('close', () => resolve()));
}

/** The MQTT 5 DISCONNECT reason code the broker sent, when it sends one. */
export function disconnectReason(client: MqttClient): Promise<number | undefined> {
  return new Promise((resolve) => {
    client.once('disconnect', (packet: { reasonCode?: number }) => resolve(packet.reasonCode));
    client.once('close', () => resolve(undefined));
  });
}

/** Resolves with the first `event` of the broker whose payload passes `match`. */
export function brokerEvent<K extends keyof BrokerEvents>(
  broker: LocalBroker,
  event: K,
  match: (info: BrokerEvents[K][0]) => boolean = () => true,
): Promise<BrokerEvents[K][0]> {
  const emitter = broker as unknown as NodeJS.EventEmitter;
  return new Promise((resolve) => {
    const listener = (info: BrokerEvents[K][0]) => {
      if (!match(info)) return;
      emitter.off(event, listener);
      resolve(info);
    };
    emitter.on(event, listener);
  });
}

/** Ends every client the tests opened (forcefully: the broker may be gone already). */
export async function closeAll(): Promise<void> {
  await Promise.all([...open].map((c) => new Promise<void>((resolve) => c.end(true, {}, () => resolve()))));
  open.clear();
}
