/**
 * An app ending a managed client before it ever connected (its first credentials could not be had,
 * e.g. the credential server said 403): mqtt.js's own `end()` needs the network stream that a client
 * created with `manualConnect` does not have yet. The client must still end (event, callback,
 * promise) and stop asking the provider. (`connectAsync`'s own rejection is in e2e/lifecycle.test.ts.)
 */
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { ApsaraMqttAuthError, connect, onSessionEvent, type CredentialsProvider } from '../../src/index.js';
import { manualClock, type ManualClock } from '../helpers/manual-clock.js';

const INPUT = { mqtt, instanceId: 'mqtt-end-test', clientId: 'GID_end@@@device-1', transport: 'tcp', host: '127.0.0.1', port: 1 } as const;

/** A provider that a credential server refuses (403), counting its calls. */
function refusedProvider() {
  let calls = 0;
  const provider: CredentialsProvider = async () => {
    calls++;
    throw new ApsaraMqttAuthError('ERR_CREDENTIALS_UNAVAILABLE', 'the credential server answered 403 ERR_FORBIDDEN', { returnCode: 403 });
  };
  return { provider, calls: () => calls };
}

describe('a managed client ended before its first connect', () => {
  it('connect + end(true) from a credentialsError listener: "end" is emitted, the callback runs, no retry is scheduled', async () => {
    const clock = manualClock();
    const { provider, calls } = refusedProvider();
    const client = connect({ ...INPUT, credentials: provider, clock });
    const events: string[] = [];
    client.on('end', () => events.push('end'));
    const ended = new Promise<void>((resolve) =>
      onSessionEvent(client, 'credentialsError', () => {
        events.push('credentialsError');
        client.end(true, {}, () => {
          events.push('callback');
          resolve();
        });
      }),
    );
    await ended;
    await clock.advanceAsync(0);
    expect(events).toEqual(['credentialsError', 'end', 'callback']);
    expect(clock.dueTimes()).toEqual([]);
    await clock.advanceAsync(10 * 60_000);
    expect(calls()).toBe(1);
    await expect(client.endAsync()).resolves.toBeUndefined(); // ending again is harmless
  });
});
