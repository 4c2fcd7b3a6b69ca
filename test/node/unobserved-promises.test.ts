/**
 * No promise the SDK is handed goes unobserved: a credentials value that is a promise is watched
 * from the moment it is passed, so its rejection becomes the rejection (or throw) of the call that
 * took it, never an `unhandledRejection` (which ends a Node process). Tracked with
 * process.on('unhandledRejection') around each case, after the event loop has had its turn.
 */
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApsaraMqttAuthError, connect, connectAsync, deviceCredentials, signatureCredentials } from '../../src/index.js';
import { manualClock } from '../helpers/manual-clock.js';

const AK = { accessKeyId: 'LTAI-unobserved', accessKeySecret: 'unobserved-secret-1' };
const INSTANCE = 'mqtt-unobserved';
const BAD_ID = 'not a client id';
const endpoint = { transport: 'tcp', host: '127.0.0.1', port: 1 } as const;

let unhandled: unknown[] = [];
const track = (reason: unknown) => void unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', track);
});
afterEach(() => {
  process.off('unhandledRejection', track);
});

/** Lets Node run its unhandled-rejection check (after the microtask queue drains, on a later turn). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

describe('a credentials promise handed to connect/connectAsync', () => {
  it("the README's pattern with an invalid client id: connectAsync rejects with ERR_INVALID_CLIENT_ID; the builder's own rejection is observed", async () => {
    const credentials = signatureCredentials({ ...AK, instanceId: INSTANCE, clientId: BAD_ID });
    const error = await connectAsync({ instanceId: INSTANCE, clientId: BAD_ID, credentials, ...endpoint, mqtt }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApsaraMqttAuthError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_CLIENT_ID' });
    await settle();
    expect(unhandled).toEqual([]);
  });

  it('connect throws for another bad input (a bad tuning value): the rejected promise it was handed is observed too', async () => {
    const credentials = deviceCredentials({ deviceAccessKeyId: 'd', deviceAccessKeySecret: 's', instanceId: INSTANCE, clientId: BAD_ID });
    expect(() => connect({ instanceId: INSTANCE, clientId: 'GID_fleet@@@dev-1', credentials, ...endpoint, mqtt, minBackoff: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', field: 'minBackoff' }));
    await settle();
    expect(unhandled).toEqual([]);
  });

  it('a valid call whose credentials promise rejects: connectAsync rejects with that typed error; nothing else surfaces', async () => {
    const credentials = signatureCredentials({ ...AK, instanceId: INSTANCE, clientId: BAD_ID });
    const error = await connectAsync({ instanceId: INSTANCE, clientId: 'GID_fleet@@@dev-1', credentials, ...endpoint, mqtt, clock: manualClock() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApsaraMqttAuthError);
    expect((error as ApsaraMqttAuthError).message).not.toContain(AK.accessKeySecret);
    await settle();
    expect(unhandled).toEqual([]);
  });

  it('a provider whose answer rejects, with the client ended at once: nothing surfaces', async () => {
    const clock = manualClock();
    const client = connect({ instanceId: INSTANCE, clientId: 'GID_fleet@@@dev-1', credentials: () => Promise.reject(new Error('provider down')), ...endpoint, mqtt, clock });
    client.on('error', () => undefined);
    client.end(true);
    await clock.advanceAsync(5000);
    await settle();
    expect(unhandled).toEqual([]);
  });
});
