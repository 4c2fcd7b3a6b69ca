/**
 * Wrong clocks and short tokens, measured: three client processes whose clocks are 2 h slow, right
 * and 2 h fast (`node --import shift-clock.mjs`), each running an MQTT 3.1.1 and an MQTT 5 managed
 * client of the built package with `remoteCredentials`, against a real credential server
 * (`createTokenIssuer` with 90-second tokens, the issuer's minimum plus a 20-second margin, through
 * the OpenAPI of the local broker) and the local broker, whose token expiry runs on the real clock
 * (the service's clock, which is right). A publisher sends a tick every second for 110 s. Every
 * client asks for credentials at most 4 times, opens at most 3 connections and never goes 8 s
 * without a message. The three processes run at once: one test of about two minutes.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type LocalBroker } from '../src/broker/broker-entry.js';
import { signatureCredentials } from '../src/index.js';
import { createCredentialHandler, createOnsMqttClient, createTokenIssuer } from '../src/server/server-entry.js';
import { serve, type Served } from '../test/helpers/loopback.js';
import { ROOT } from './helpers/paths.js';
import { startProcess, type StartedProcess } from './helpers/process.js';

const INSTANCE = 'mqtt-cn-skew';
const AK = { accessKeyId: 'LTAI-skew-test', accessKeySecret: 'skew-test-AccessKeySecret-7' };
const TOPIC = 'skew/ticks';
const DURATION = 110_000;
const HOUR = 3_600_000;
const SHIFTS = { slow: -2 * HOUR, right: 0, fast: 2 * HOUR } as const;

interface Report {
  protocolVersion: number;
  clientId: string;
  firstConnectError?: string;
  connects: number;
  credentials: number;
  messages: number;
  maxGap: number;
  clockOffset?: number;
  state?: string;
}

let broker: LocalBroker;
let server: Served;
let publisher: MqttClient;
let ticker: ReturnType<typeof setInterval> | undefined;
const asks = new Map<string, number>();
const connections = new Map<string, number>();
const children: StartedProcess[] = [];

beforeAll(async () => {
  broker = await startBroker({ instanceId: INSTANCE, accessKeys: [AK] });
  broker.on('clientConnected', ({ clientId }) => connections.set(clientId, (connections.get(clientId) ?? 0) + 1));
  const api = createOnsMqttClient({ ...AK, instanceId: INSTANCE, endpoint: `${broker.url('http')}/` });
  const handler = createCredentialHandler({
    instanceId: INSTANCE,
    tokenIssuer: createTokenIssuer({ client: api, ttl: 90_000, refreshMargin: 20_000 }),
    authorize: (_request, clientId) => {
      asks.set(clientId, (asks.get(clientId) ?? 0) + 1);
      return clientId.startsWith('GID_skew@@@') && { mode: 'token', resources: ['skew/#'], actions: 'R' };
    },
  });
  server = await serve(handler);
  const clientId = 'GID_skew@@@publisher';
  publisher = await mqtt.connectAsync(broker.url('tcp'), { clientId, ...(await signatureCredentials({ ...AK, instanceId: INSTANCE, clientId })) });
  let seq = 0;
  ticker = setInterval(() => publisher.publish(TOPIC, String(seq++), { qos: 1 }), 1000);
});

afterAll(async () => {
  clearInterval(ticker);
  await Promise.all(children.map((c) => c.stop()));
  await publisher?.endAsync(true);
  await server?.close();
  await broker?.close();
});

describe('clients whose clocks are 2 h off, with 90-second tokens', () => {
  it('slow, right and fast clocks: each client asks for credentials at most 4 times in 110 s, opens at most 3 connections, never goes 8 s without a message (MQTT 3.1.1 and 5)', async () => {
    for (const [name, shift] of Object.entries(SHIFTS)) {
      const config = { url: `${server.url}credentials`, instanceId: INSTANCE, clientIdPrefix: `GID_skew@@@${name}`, host: '127.0.0.1', port: broker.tcpPort, topic: 'skew/#', duration: DURATION };
      children.push(
        startProcess(process.execPath, ['--import', join(ROOT, 'e2e/helpers/shift-clock.mjs'), join(ROOT, 'e2e/helpers/skew-client.mjs')], {
          name: `client ${name}`,
          cwd: ROOT,
          env: { ...process.env, CLOCK_SHIFT_MS: String(shift), SKEW_CONFIG: JSON.stringify(config) },
        }),
      );
    }
    // The shift took: each process's clock is where it was meant to be.
    await Promise.all(
      Object.values(SHIFTS).map(async (shift, i) => {
        const [, told] = await children[i]!.waitForOutput(/^clock (\d+)$/m, { timeout: 20_000, stream: 'stdout' });
        expect(Math.abs(Number(told) - Date.now() - shift)).toBeLessThan(10_000);
      }),
    );
    const exits = await Promise.all(children.map((c) => c.exited));
    const results = Object.keys(SHIFTS).map((name, i) => {
      const child = children[i]!;
      expect(exits[i], `${name}: ${child.stderr()}`).toEqual({ code: 0, signal: null });
      return child
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('report '))
        .map((line) => ({ name, ...(JSON.parse(line.slice(7)) as Report) }));
    });
    const reports = results.flat();
    const table = reports.map((r) => ({ ...r, asks: asks.get(r.clientId), brokerConnects: connections.get(r.clientId) }));
    console.log(`clock skew, 90-second tokens, ${DURATION / 1000} s:\n${table.map((r) => JSON.stringify(r)).join('\n')}`);
    expect(reports).toHaveLength(6);
    for (const r of table) {
      const what = `${r.name} clock, MQTT ${r.protocolVersion}: ${JSON.stringify(r)}`;
      expect(r.firstConnectError, what).toBeUndefined();
      expect(r.asks, what).toBeLessThanOrEqual(4);
      expect(r.brokerConnects, what).toBeLessThanOrEqual(3);
      expect(r.connects, what).toBeLessThanOrEqual(3);
      expect(r.maxGap, what).toBeLessThan(8000);
      expect(r.messages, what).toBeGreaterThan(90);
      expect(r.state, what).toBe('connected');
      // The offset the client learnt is the shift, seen from the issuer: the issuer's clock minus its own.
      expect(Math.abs(r.clockOffset! + SHIFTS[r.name as keyof typeof SHIFTS]), what).toBeLessThan(2000);
    }
  }, DURATION + 60_000);
});
