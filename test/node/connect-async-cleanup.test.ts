/**
 * A connectAsync that rejected leaves nothing behind: no timer, no reconnect, no provider call. Left
 * alone, its client would go on reconnecting in the background (mqtt.js's `manualConnect` clears
 * `disconnecting` when it ends) and, once the broker came up, log in with the application's client
 * id. Real mqtt.js, an unreachable loopback port, the session on a manual clock.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { connectAsync, type CredentialsProvider } from '../../src/index.js';
import { manualClock, type ManualClock } from '../helpers/manual-clock.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

describe('connectAsync that rejected', () => {
  for (const failure of ['unreachable broker', 'hung credential server'] as const) {
    it(`${failure}: rejects typed; its client is ended, no timer, no reconnect, no provider call left`, async () => {
      const clock = manualClock();
      let client: MqttClient | undefined;
      const spy = { connect: (url: string, options: object) => (client = mqtt.connect(url, options)) };
      let calls = 0;
      const hung = failure === 'hung credential server';
      const provider: CredentialsProvider = () => (calls++, hung ? new Promise(() => undefined) : { username: 'u', password: 'p' });
      const attempt = connectAsync({ mqtt: spy, instanceId: 'mqtt-x', clientId: 'GID_test@@@1', transport: 'tcp', host: '127.0.0.1', port: await closedPort(), credentials: provider, clock }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (hung) {
        await vi.waitFor(() => expect(clock.pending(), 'the request to be out').toBeGreaterThan(0), { timeout: 10_000, interval: 1 });
        await clock.advanceAsync(30_000); // credentialsTimeout
      }
      const error = await attempt;
      expect(error).toMatchObject({ name: 'ApsaraMqttAuthError', code: hung ? 'ERR_CREDENTIALS_UNAVAILABLE' : 'ERR_CONNECT_FAILED' });
      let reconnects = 0;
      client!.on('reconnect', () => reconnects++);
      if (client!.stream && !client!.stream.destroyed) await once(client!.stream as never, 'close');
      await new Promise((r) => setTimeout(r, 20)); // mqtt.js handles the close on later ticks
      expect(clock.dueTimes()).toEqual([]);
      expect(client!.options.reconnectPeriod).toBe(0);
      expect((client as unknown as { reconnectTimer: unknown }).reconnectTimer ?? null).toBe(null);
      await clock.advanceAsync(3_600_000);
      expect([calls, reconnects]).toEqual([1, 0]);
    });
  }
});
