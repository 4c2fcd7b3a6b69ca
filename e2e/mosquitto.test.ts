/**
 * Interop with an independent broker: Debian's mosquitto, started here on free loopback ports with
 * a password file made from credentials the SDK computed. mqtt.js connects with the SDK's connect
 * options over TCP and WebSocket, for every auth mode, and a password made with the wrong secret
 * is refused with the codes mosquitto sends (5 under MQTT 3.1.1, 0x87 under MQTT 5).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApsaraMqttAuthError,
  connect,
  connectAsync,
  createConnectOptions,
  customCredentials,
  deviceCredentials,
  signatureCredentials,
  tokenCredentials,
  type Credentials,
  type Transport,
} from '../src/index.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { endAll, nextError, nextMessage } from './helpers/mqtt.js';
import { withTimeout } from './helpers/wait.js';

const instanceId = 'mqtt-cn-e2e0001';
const accessKeySecret = 'e2e-AccessKeySecret-0001';
const wrongSecret = 'e2e-AccessKeySecret-000l';

type Case = { name: string; clientId: string; credentials: Credentials };

/** The auth modes, in the order {@link identities} returns them (test names are fixed before it runs). */
const MODES = ['Signature', 'DeviceCredential', 'custom SIGNED', 'custom ORIGIN', 'Token (R and W)'] as const;

/**
 * One identity per case: mosquitto keys its password file by username only, so two Signature
 * clients of one AccessKey (same username, passwords differing by client id) cannot share it.
 */
async function identities(transport: Transport): Promise<Case[]> {
  const id = (name: string) => `GID_e2e@@@${name}-${transport}`;
  return [
    {
      name: 'Signature',
      clientId: id('sig'),
      credentials: await signatureCredentials({ accessKeyId: `LTAI-sig-${transport}`, accessKeySecret, instanceId, clientId: id('sig') }),
    },
    {
      name: 'DeviceCredential',
      clientId: id('dev'),
      credentials: await deviceCredentials({
        deviceAccessKeyId: `dak-${transport}`,
        deviceAccessKeySecret: 'device-secret-0001',
        instanceId,
        clientId: id('dev'),
      }),
    },
    {
      name: 'custom SIGNED',
      clientId: id('custom'),
      credentials: await customCredentials({ username: `dashboard-${transport}`, secret: 'custom-secret', clientId: id('custom'), signMode: 'SIGNED' }),
    },
    {
      name: 'custom ORIGIN',
      clientId: id('origin'),
      credentials: await customCredentials({ username: `origin-${transport}`, secret: 'origin-secret', clientId: id('origin'), signMode: 'ORIGIN' }),
    },
    {
      name: 'Token (R and W)',
      clientId: id('token'),
      credentials: tokenCredentials({ accessKeyId: `LTAI-tok-${transport}`, instanceId, tokens: { R: `r-token-${transport}`, W: `w-token-${transport}` } }),
    },
  ];
}

describe('mosquitto (Debian 2.0) accepts what the SDK computes', () => {
  let broker: Mosquitto;
  let observer: MqttClient;
  const cases: Record<'tcp' | 'ws', Case[]> = { tcp: [], ws: [] };
  const clients = new Set<MqttClient>();
  const observerId = 'GID_e2e@@@observer';
  const refusedId = 'GID_e2e@@@refused';
  let observerCredentials: Credentials;
  let right: Credentials;
  let wrong: Credentials;

  const where = (transport: 'tcp' | 'ws') => ({ transport, host: broker.host, port: transport === 'tcp' ? broker.tcpPort : broker.wsPort });
  const track = (client: MqttClient) => (clients.add(client), client);

  beforeAll(async () => {
    cases.tcp = await identities('tcp');
    cases.ws = await identities('ws');
    observerCredentials = await deviceCredentials({ deviceAccessKeyId: 'dak-observer', deviceAccessKeySecret: 'observer-secret', instanceId, clientId: observerId });
    right = await signatureCredentials({ accessKeyId: 'LTAI-refused', accessKeySecret, instanceId, clientId: refusedId });
    wrong = await signatureCredentials({ accessKeyId: 'LTAI-refused', accessKeySecret: wrongSecret, instanceId, clientId: refusedId });
    expect(wrong.username).toBe(right.username);
    expect(wrong.password).not.toBe(right.password);
    broker = await startMosquitto({ users: [...cases.tcp, ...cases.ws, { clientId: observerId, credentials: observerCredentials }, { clientId: refusedId, credentials: right }].map((c) => c.credentials) });
    const { url, options } = createConnectOptions({ instanceId, clientId: observerId, credentials: observerCredentials, ...where('tcp'), reconnectPeriod: 0 });
    observer = track(await mqtt.connectAsync(url, options));
    await observer.subscribeAsync('e2e/#', { qos: 1 });
  });

  afterAll(async () => {
    await endAll(clients);
    await broker?.stop();
  });

  /** Subscribe, publish at QoS 1, and see the message come back to the client and to the observer. */
  async function roundTrip(client: MqttClient, topic: string): Promise<void> {
    const granted = await client.subscribeAsync(topic, { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
    const payload = `hello from ${topic} ${Date.now()}`;
    const back = nextMessage(client, topic);
    const seen = nextMessage(observer, topic);
    await client.publishAsync(topic, payload, { qos: 1 });
    expect(await back).toBe(payload);
    expect(await seen).toBe(payload);
  }

  describe.each(['tcp', 'ws'] as const)('over %s', (transport) => {
    it.each(MODES.map((mode, index) => [mode, index] as const))('%s: mqtt.connect(createConnectOptions(...)) completes a publish/subscribe round trip', async (mode, index) => {
      const { name, clientId, credentials } = cases[transport][index]!;
      expect(name).toBe(mode);
      const { url, options } = createConnectOptions({ instanceId, clientId, credentials, ...where(transport), reconnectPeriod: 0 });
      expect(url).toBe(transport === 'tcp' ? `mqtt://127.0.0.1:${broker.tcpPort}` : `ws://127.0.0.1:${broker.wsPort}/mqtt`);
      const client = track(await withTimeout(mqtt.connectAsync(url, options), 10_000, `${name} to connect`));
      expect(client.connected).toBe(true);
      await roundTrip(client, `e2e/${transport}/${index}`);
      await client.endAsync();
    });

    it('connectAsync with a credentials promise, under MQTT 5', async () => {
      const { clientId, credentials } = cases[transport][0]!;
      const client = track(await connectAsync({ instanceId, clientId, credentials: Promise.resolve(credentials), ...where(transport), protocolVersion: 5 }));
      expect(client.options.protocolVersion).toBe(5);
      await roundTrip(client, `e2e/${transport}/mqtt5`);
      await client.endAsync();
    });

    it('connect returns a client at once and connects when the credentials arrive', async () => {
      const { clientId, credentials } = cases[transport][1]!;
      const client = track(connect({ instanceId, clientId, credentials: Promise.resolve(credentials), ...where(transport), reconnectPeriod: 0 }));
      await withTimeout(new Promise((resolve) => client.once('connect', resolve)), 10_000, 'connect');
      await roundTrip(client, `e2e/${transport}/connect`);
      await client.endAsync();
    });

    it('a password signed with the wrong secret is refused with code 5 (raw mqtt.js)', async () => {
      const { url, options } = createConnectOptions({ instanceId, clientId: refusedId, credentials: wrong, ...where(transport), reconnectPeriod: 0 });
      const client = track(mqtt.connect(url, options));
      const error = await nextError(client);
      expect(error.code).toBe(5);
      expect(client.connected).toBe(false);
    });

    it('connectAsync turns the refusal into ERR_CONNECT_REFUSED with returnCode 5, without the password in it', async () => {
      const error = await connectAsync({ instanceId, clientId: refusedId, credentials: wrong, ...where(transport) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApsaraMqttAuthError);
      expect(error).toMatchObject({ code: 'ERR_CONNECT_REFUSED', returnCode: 5 });
      expect((error as Error).message).toMatch(/not authorized \(code 5\)/);
      expect(JSON.stringify(error) + String(error)).not.toContain(wrong.password);
    });

    it('connectAsync under MQTT 5: the refusal carries reason code 0x87', async () => {
      const error = await connectAsync({ instanceId, clientId: refusedId, credentials: wrong, ...where(transport), protocolVersion: 5 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_CONNECT_REFUSED', returnCode: 0x87 });
    });

    it('connect emits the refusal as one typed error event and ends the client instead of retrying', async () => {
      const client = track(connect({ instanceId, clientId: refusedId, credentials: wrong, ...where(transport) }));
      const error = await nextError(client);
      expect(error).toBeInstanceOf(ApsaraMqttAuthError);
      expect(error).toMatchObject({ code: 'ERR_CONNECT_REFUSED', returnCode: 5 });
      expect(client.disconnecting || client.disconnected).toBe(true);
      expect(client.reconnecting).toBe(false);
    });

    it('the right secret for the same client id is accepted', async () => {
      const client = track(await connectAsync({ instanceId, clientId: refusedId, credentials: right, ...where(transport), reconnectPeriod: 0 }));
      await roundTrip(client, `e2e/${transport}/right`);
      await client.endAsync();
    });
  });

  it('mosquitto logged every refusal as code 5 or 0x87 and accepted the rest', () => {
    const codes = new Set(broker.connacks().map((c) => c.code));
    expect([...codes].sort((a, b) => a - b)).toEqual([0, 5, 0x87]);
  });
});
