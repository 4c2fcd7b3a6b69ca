/**
 * The node-service example (`examples/node-service/service.mjs`) as a real process, as its README
 * runs it: against the local broker (its default target, `examples/broker.json`'s demo device) and
 * against mosquitto, which judges the DeviceCredential and Signature passwords the service computes
 * (over TCP, and over TLS with a certificate the service is told to trust). A subscriber counts the
 * QoS 1 samples; the service reconnects after the broker restarts, reports a refusal once and exits,
 * and stops with exit 0 on SIGINT/SIGTERM.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadBrokerConfig, startBroker, type BrokerConfig, type LocalBroker } from '../src/broker/broker-entry.js';
import { deviceCredentials, signatureCredentials } from '../src/index.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { endAll } from './helpers/mqtt.js';
import { ROOT } from './helpers/paths.js';
import { startProcess, type StartedProcess } from './helpers/process.js';
import { WAIT } from './helpers/wait.js';

const SERVICE = 'examples/node-service/service.mjs';
const started = new Set<StartedProcess>();
const clients = new Set<MqttClient>();

/** Starts the service with the given APSARAMQ_* settings (and none inherited from the caller). */
function service(env: Record<string, string>): StartedProcess {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('APSARAMQ_')));
  const child = startProcess(process.execPath, [SERVICE], { name: 'node-service', cwd: ROOT, env: { ...base, TELEMETRY_INTERVAL_MS: '100', ...env } });
  started.add(child);
  return child;
}

interface Sample {
  deviceId: string;
  seq: number;
  time: string;
  temperature: number;
  humidity: number;
  qos: number;
}

/** A plain mqtt.js subscriber that records every sample on `filter`, with the QoS it arrived at. */
async function counter(url: string, options: mqtt.IClientOptions, filter: string): Promise<{ client: MqttClient; samples: Sample[] }> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 100, connectTimeout: 5000, ...options });
  clients.add(client);
  const samples: Sample[] = [];
  client.on('message', (_topic, payload, packet) => samples.push({ ...(JSON.parse(payload.toString()) as Omit<Sample, 'qos'>), qos: packet.qos }));
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, samples };
}

const lastSeq = (samples: readonly Sample[]) => samples.at(-1)?.seq ?? 0;

function expectTelemetry(samples: readonly Sample[], deviceId: string): void {
  expect(samples.length).toBeGreaterThanOrEqual(3);
  for (const sample of samples) {
    expect(sample).toMatchObject({ deviceId, qos: 1 });
    expect(Number.isFinite(sample.temperature) && Number.isFinite(sample.humidity)).toBe(true);
    expect(Number.isNaN(Date.parse(sample.time))).toBe(false);
  }
  const seqs = samples.map((s) => s.seq);
  expect([...seqs].sort((a, b) => a - b)).toEqual(seqs); // in order
}

afterEach(async () => {
  await Promise.all([...started].map((p) => p.stop({ timeout: 5000 })));
  started.clear();
  await endAll(clients);
  clients.clear();
});

describe('node-service against the local broker (its default target)', () => {
  let config: BrokerConfig;
  let broker: LocalBroker;
  const listen = (tcpPort: number) => startBroker({ ...config, tcpPort, tlsPort: false, wsPort: false, wssPort: false, httpPort: false });
  beforeAll(async () => {
    config = await loadBrokerConfig(`${ROOT}/examples/broker.json`);
    broker = await listen(0);
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('publishes QoS 1 telemetry, reconnects after the broker restarts, and stops on SIGINT with exit 0', async () => {
    const port = broker.tcpPort;
    const ak = config.accessKeys![0]!;
    const subscriberId = 'GID_demo@@@counter-1';
    // The loaded config keeps secrets out of enumeration (no spreading): name the fields.
    const subscriberCredentials = await signatureCredentials({ accessKeyId: ak.accessKeyId, accessKeySecret: ak.accessKeySecret, instanceId: config.instanceId, clientId: subscriberId });
    const subscriber = await counter(broker.url('tcp'), { clientId: subscriberId, ...subscriberCredentials }, 'demo/+/telemetry');
    // Only the port is given: the instance, the device and its secret come from examples/broker.json.
    const child = service({ APSARAMQ_PORT: String(port) });
    await child.waitForOutput(/^\[node-service\] connecting to the local broker at mqtt:\/\/127\.0\.0\.1:\d+ as GID_demo@@@sensor-1 \(DeviceCredential\)$/m);
    await child.waitForOutput(/^\[node-service\] publishing to demo\/sensor-1\/telemetry every 100 ms \(QoS 1\)$/m);
    await vi.waitFor(() => expect(subscriber.samples.length, 'samples at the subscriber').toBeGreaterThanOrEqual(3), WAIT);
    expectTelemetry(subscriber.samples, 'sensor-1');
    expect(broker.sessions().find((s) => s.clientId === 'GID_demo@@@sensor-1')).toMatchObject({ mode: 'DeviceCredential' });

    // The broker goes away and comes back on the same port: the service says so and carries on.
    await broker.close();
    await child.waitForOutput(/connection lost; reconnecting/);
    const beforeRestart = lastSeq(subscriber.samples);
    broker = await listen(port);
    await child.waitForOutput(/^\[node-service\] connected again after \d+ reconnect attempts?$/m, { timeout: 15_000 });
    await vi.waitFor(() => expect(lastSeq(subscriber.samples), 'samples after the restart').toBeGreaterThan(beforeRestart + 2), { ...WAIT, timeout: 15_000 });
    expect(subscriber.samples.filter((s) => s.seq > beforeRestart).every((s) => s.deviceId === 'sensor-1' && s.qos === 1)).toBe(true);

    const disconnected = new Promise<void>((resolve) => broker.on('clientDisconnected', (d) => d.clientId === 'GID_demo@@@sensor-1' && resolve()));
    const exit = await child.stop({ signal: 'SIGINT', timeout: 10_000 });
    expect(exit, child.stdout() + child.stderr()).toEqual({ code: 0, signal: null });
    await disconnected;
    expect(child.stdout()).toMatch(/^\[node-service\] SIGINT: stopping$/m);
    expect(child.stdout()).toMatch(/^\[node-service\] stopped: \d+ samples acknowledged, \d+ skipped while offline$/m);
    const secrets = [ak.accessKeySecret, ...config.devices!.map((d) => d.deviceAccessKeySecret)];
    for (const secret of secrets) expect(child.stdout() + child.stderr()).not.toContain(secret);
    expect(child.stderr()).toBe('');
  });

  it('a wrong device secret is refused once, reported with the reason, and the service exits 1 instead of retrying', async () => {
    const refusals: string[] = [];
    broker.on('clientRefused', (r) => refusals.push(r.clientId));
    const child = service({
      APSARAMQ_PORT: String(broker.tcpPort),
      APSARAMQ_DEVICE_ACCESS_KEY_ID: config.devices![0]!.deviceAccessKeyId,
      APSARAMQ_DEVICE_ACCESS_KEY_SECRET: 'not-the-device-secret',
    });
    const exit = await child.exited;
    expect(exit, child.stdout() + child.stderr()).toEqual({ code: 1, signal: null });
    expect(child.stdout()).toMatch(/^\[node-service\] refused by the broker: .*not authorized \(code 5\)/m);
    expect(refusals).toEqual(['GID_demo@@@sensor-1']);
    expect(child.stdout() + child.stderr()).not.toContain('not-the-device-secret');
  });

  it.each([
    [{ APSARAMQ_INSTANCE_ID: 'mqtt-cn-x', APSARAMQ_CLIENT_ID: 'GID_x@@@node-1' }, /^\[node-service\] credentials are required: APSARAMQ_DEVICE_ACCESS_KEY_ID and APSARAMQ_DEVICE_ACCESS_KEY_SECRET/],
    [{ APSARAMQ_INSTANCE_ID: 'mqtt-cn-x', APSARAMQ_ACCESS_KEY_ID: 'LTAI-x', APSARAMQ_ACCESS_KEY_SECRET: 's' }, /^\[node-service\] APSARAMQ_CLIENT_ID \(or APSARAMQ_GROUP_ID and APSARAMQ_DEVICE_ID\) is required/],
    [{ APSARAMQ_CLIENT_ID: 'sensor-1' }, /^\[node-service\] APSARAMQ_CLIENT_ID: /],
    [{ APSARAMQ_TRANSPORT: 'quic' }, /^\[node-service\] APSARAMQ_TRANSPORT must be "tls" or "tcp" \(got "quic"\)$/m],
    [{ APSARAMQ_PORT: '70000' }, /^\[node-service\] APSARAMQ_PORT must be a port number from 1 to 65535/],
  ])('bad settings %o: one line naming the variable, exit 2', async (env, message) => {
    const child = service(env);
    expect(await child.exited).toEqual({ code: 2, signal: null });
    expect(child.stderr()).toMatch(message);
    expect(child.stderr().trim().split('\n')).toHaveLength(1);
    expect(child.stdout()).toBe('');
  });
});

describe('node-service against mosquitto (passwords judged by a broker we did not write)', () => {
  const INSTANCE = 'mqtt-cn-mosquitto';
  const AK = { accessKeyId: 'LTAI-mosquitto-example', accessKeySecret: 'mosquitto-example-AccessKeySecret' };
  const DEVICE = { deviceAccessKeyId: 'DeviceKey-sensor-7', deviceAccessKeySecret: 'mosquitto-example-device-secret' };
  // mosquitto keeps one password per username, and a Signature username names only the AccessKey:
  // the subscriber signs with an AccessKey of its own.
  const COUNTER_AK = { accessKeyId: 'LTAI-mosquitto-counter', accessKeySecret: 'mosquitto-counter-AccessKeySecret' };
  const ids = { device: 'GID_plant@@@sensor-7', signature: 'GID_plant@@@sensor-8', counter: 'GID_plant@@@counter' };
  let broker: Mosquitto;
  let counterCredentials: { username: string; password: string };
  beforeAll(async () => {
    counterCredentials = await signatureCredentials({ ...COUNTER_AK, instanceId: INSTANCE, clientId: ids.counter });
    broker = await startMosquitto({
      tls: true,
      users: [
        await deviceCredentials({ ...DEVICE, instanceId: INSTANCE, clientId: ids.device }),
        await signatureCredentials({ ...AK, instanceId: INSTANCE, clientId: ids.signature }),
        counterCredentials,
      ],
    });
  });
  afterAll(async () => {
    await broker?.stop();
  });

  const subscribe = () => counter(`mqtt://127.0.0.1:${broker.tcpPort}`, { clientId: ids.counter, ...counterCredentials }, 'plant/+/telemetry');
  const instance = { APSARAMQ_INSTANCE_ID: INSTANCE, APSARAMQ_HOST: '127.0.0.1', APSARAMQ_PARENT_TOPIC: 'plant' };

  it('DeviceCredential over TCP: accepted, samples counted, SIGTERM → exit 0', async () => {
    const subscriber = await subscribe();
    const child = service({
      ...instance,
      APSARAMQ_DEVICE_ACCESS_KEY_ID: DEVICE.deviceAccessKeyId,
      APSARAMQ_DEVICE_ACCESS_KEY_SECRET: DEVICE.deviceAccessKeySecret,
      APSARAMQ_CLIENT_ID: ids.device,
      APSARAMQ_TRANSPORT: 'tcp',
      APSARAMQ_PORT: String(broker.tcpPort),
    });
    await child.waitForOutput(/as GID_plant@@@sensor-7 \(DeviceCredential\)/);
    await vi.waitFor(() => expect(subscriber.samples.length, 'samples through mosquitto').toBeGreaterThanOrEqual(3), WAIT);
    expectTelemetry(subscriber.samples, 'sensor-7');
    expect(broker.connacks().filter((c) => c.to === ids.device).map((c) => c.code)).toEqual([0]);
    expect(await child.stop({ signal: 'SIGTERM', timeout: 10_000 })).toEqual({ code: 0, signal: null });
    expect(child.stdout()).toMatch(/^\[node-service\] SIGTERM: stopping$/m);
  });

  it('Signature over TLS, trusting the broker certificate from APSARAMQ_CA_FILE: accepted, samples counted, SIGINT → exit 0', async () => {
    const subscriber = await subscribe();
    const child = service({
      ...instance,
      APSARAMQ_ACCESS_KEY_ID: AK.accessKeyId,
      APSARAMQ_ACCESS_KEY_SECRET: AK.accessKeySecret,
      APSARAMQ_CLIENT_ID: ids.signature,
      APSARAMQ_PORT: String(broker.tlsPort), // transport: tls, the default for an instance
      APSARAMQ_CA_FILE: broker.caFile!,
    });
    await child.waitForOutput(new RegExp(`connecting to ApsaraMQ instance ${INSTANCE} at mqtts://127\\.0\\.0\\.1:${broker.tlsPort} as GID_plant@@@sensor-8 \\(Signature\\)`));
    await child.waitForOutput(/^\[node-service\] connected$/m);
    await vi.waitFor(() => expect(subscriber.samples.length, 'samples through mosquitto over TLS').toBeGreaterThanOrEqual(3), WAIT);
    expectTelemetry(subscriber.samples, 'sensor-8');
    expect(broker.connacks().filter((c) => c.to === ids.signature).map((c) => c.code)).toEqual([0]);
    expect(await child.stop({ signal: 'SIGINT', timeout: 10_000 })).toEqual({ code: 0, signal: null });
    expect(child.stdout() + child.stderr()).not.toContain(AK.accessKeySecret);
  });

  it('over TLS without the CA file, the certificate is not trusted: the service says why, keeps trying, and still stops with exit 0', async () => {
    const child = service({ ...instance, APSARAMQ_ACCESS_KEY_ID: AK.accessKeyId, APSARAMQ_ACCESS_KEY_SECRET: AK.accessKeySecret, APSARAMQ_CLIENT_ID: ids.signature, APSARAMQ_PORT: String(broker.tlsPort) });
    await child.waitForOutput(/^\[node-service\] connection error: .*self[- ]signed certificate/m);
    expect(child.stdout()).not.toMatch(/\] connected/);
    expect(await child.stop({ signal: 'SIGINT', timeout: 10_000 })).toEqual({ code: 0, signal: null });
  });
});
