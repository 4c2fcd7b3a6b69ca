/**
 * Small helpers around real mqtt.js clients in e2e tests.
 * @module
 */
import type { MqttClient } from 'mqtt';
import { withTimeout } from './wait.js';

/** Resolves with the next payload (UTF-8) `client` receives on `topic`; bounded. */
export function nextMessage(client: MqttClient, topic: string, timeout = 10_000): Promise<string> {
  let onMessage: ((t: string, payload: Uint8Array) => void) | undefined;
  const message = new Promise<string>((resolve) => {
    onMessage = (t, payload) => {
      if (t === topic) resolve(new TextDecoder().decode(payload));
    };
    client.on('message', onMessage);
  });
  return withTimeout(message, timeout, `a message on ${topic}`).finally(() => client.off('message', onMessage!));
}

/** Resolves with the first `error` the client emits; bounded. */
export function nextError(client: MqttClient, timeout = 10_000): Promise<Error & { code?: number | string }> {
  return withTimeout(new Promise((resolve) => client.once('error', resolve)), timeout, 'an error event');
}

/** Ends clients (forcibly, bounded), ignoring ones already ended. */
export async function endAll(clients: Iterable<MqttClient>): Promise<void> {
  await Promise.all([...clients].map((c) => withTimeout(c.endAsync(true), 5000, 'an mqtt.js client to end').catch(() => {})));
}
