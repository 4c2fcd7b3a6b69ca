/**
 * Token rotation: the publish gap seen by a subscriber while a publisher (one message every 10 ms,
 * QoS 1) changes its token, in band (`refreshCredentials` → `$SYS/uploadToken`, no disconnect)
 * versus by a forced reconnect with the new token (what SDKs without in-band rotation do).
 * @module
 */
import mqtt, { type MqttClient } from 'mqtt';
import { startBroker, type LocalBroker } from '../src/broker/broker-entry.js';
import * as sdk from '../src/index.js';
import { rotate, round, rounded, spread, summarize } from './stats.js';
import type { BenchOptions, Row, Section } from './types.js';

const INSTANCE = 'mqtt-cn-bench';
const AK = { accessKeyId: 'LTAI5tBenchmark', accessKeySecret: 'bench-secret-0123456789abcdefghij' };
const TOPIC = 'fleet/gap';
const INTERVAL = 10;
const BEFORE = 300; // ms of steady publishing before the rotation
const AFTER = 1500; // ms after it

interface Trial {
  /** Longest time between two consecutive received messages, from the trigger until AFTER ms later. */
  gapMs: number;
  /** The same, over the BEFORE ms of steady publishing (the natural jitter of a 10 ms timer). */
  quietGapMs: number;
  /** Messages published but never received. */
  lost: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function newToken(broker: LocalBroker): string {
  return broker.tokens.apply({ resources: ['fleet/#'], actions: 'R,W', expireTime: Date.now() + 3_600_000, accessKeyId: AK.accessKeyId });
}

async function receiver(broker: LocalBroker, clientId: string): Promise<{ client: MqttClient; times: Map<number, number> }> {
  const { url, options } = sdk.createConnectOptions({
    instanceId: INSTANCE,
    clientId,
    credentials: await sdk.signatureCredentials({ ...AK, instanceId: INSTANCE, clientId }),
    ...broker.endpoint('tcp'),
    reconnectPeriod: 0,
  });
  const client = await mqtt.connectAsync(url, options);
  const times = new Map<number, number>();
  client.on('message', (_topic, payload) => times.set(Number(payload.toString()), performance.now()));
  await client.subscribeAsync(TOPIC, { qos: 1 });
  return { client, times };
}

/** Publishes a numbered message every 10 ms until stopped; returns how many it sent. */
function publishEvery(client: MqttClient): () => number {
  let n = 0;
  const timer = setInterval(() => client.publish(TOPIC, String(n++), { qos: 1 }), INTERVAL);
  return () => (clearInterval(timer), n);
}

function maxGap(times: number[], from: number, to: number): number {
  const inside = times.filter((t) => t >= from && t <= to);
  // The last message before the window counts: a gap that starts before the trigger is still the rotation's.
  const before = times.filter((t) => t < from).at(-1);
  const list = before === undefined ? inside : [before, ...inside];
  let gap = 0;
  for (let i = 1; i < list.length; i++) gap = Math.max(gap, list[i]! - list[i - 1]!);
  return gap;
}

type Kind = 'in-band' | 'reconnect' | 'reconnect-default';

async function trial(broker: LocalBroker, kind: Kind, i: number): Promise<Trial> {
  const rx = await receiver(broker, `GID_bench@@@rx-${kind}-${i}`);
  const clientId = `GID_bench@@@tx-${kind}-${i}`;
  let token = newToken(broker);
  const credentials = () => sdk.tokenCredentials({ accessKeyId: AK.accessKeyId, instanceId: INSTANCE, tokens: { RW: token } });
  let client: MqttClient;
  if (kind === 'in-band') {
    client = await sdk.connectAsync({ instanceId: INSTANCE, clientId, credentials: () => ({ ...credentials(), expiresAt: Date.now() + 3_600_000 }), ...broker.endpoint('tcp') });
  } else {
    // mqtt.js's own default reconnectPeriod is 1000 ms; 1 ms is the best a reconnect can do.
    const reconnectPeriod = kind === 'reconnect' ? 1 : 1000;
    const { url, options } = sdk.createConnectOptions({ instanceId: INSTANCE, clientId, credentials: credentials(), ...broker.endpoint('tcp'), reconnectPeriod });
    client = await mqtt.connectAsync(url, options);
  }
  const stop = publishEvery(client);
  await sleep(BEFORE);
  const trigger = performance.now();
  token = newToken(broker);
  if (kind === 'in-band') {
    const uploaded = new Promise((resolve) => {
      const off = sdk.onSessionEvent(client, 'tokenUploaded', () => (off(), resolve(undefined)));
    });
    await sdk.refreshCredentials(client);
    await uploaded;
  } else {
    // mqtt.js reads the password from its options on every CONNECT; the close makes it reconnect after reconnectPeriod.
    client.options.password = credentials().password;
    const reconnected = new Promise((resolve) => client.once('connect', resolve));
    client.stream.destroy();
    await reconnected;
  }
  await sleep(AFTER - (performance.now() - trigger));
  const sent = stop();
  await sleep(200); // the last messages in flight
  const times = [...rx.times.values()].sort((a, b) => a - b);
  const result = { gapMs: maxGap(times, trigger, trigger + AFTER), quietGapMs: maxGap(times, trigger - BEFORE + 50, trigger), lost: sent - rx.times.size };
  await Promise.all([client.endAsync(true), rx.client.endAsync(true)]);
  return result;
}

export async function tokenRotation(options: BenchOptions): Promise<Section> {
  const trials = options.quick ? 2 : 15;
  const broker = await startBroker({ instanceId: INSTANCE, accessKeys: [AK], wsPort: false, httpPort: false });
  const kinds: Kind[] = ['in-band', 'reconnect', 'reconnect-default'];
  const results: Record<Kind, Trial[]> = { 'in-band': [], reconnect: [], 'reconnect-default': [] };
  try {
    for (const kind of kinds) await trial(broker, kind, -1); // warm-up: first uploads and reconnects run cold
    for (let i = 0; i < trials; i++) for (const kind of rotate(kinds, i)) results[kind].push(await trial(broker, kind, i));
  } finally {
    await broker.close();
  }
  const data = kinds.map((kind) => ({
    kind,
    gapMs: rounded(summarize(results[kind].map((t) => t.gapMs))),
    quietGapMs: rounded(summarize(results[kind].map((t) => t.quietGapMs))),
    lost: results[kind].reduce((sum, t) => sum + t.lost, 0),
  }));
  const rows: Row[] = data.map((d) => ({
    name: {
      'in-band': 'in-band rotation (refreshCredentials → $SYS/uploadToken)',
      reconnect: 'forced reconnect with the new token, reconnectPeriod 1 ms',
      'reconnect-default': 'forced reconnect with the new token, reconnectPeriod 1000 ms (mqtt.js default)',
    }[d.kind],
    value: `longest gap ${spread(d.gapMs, ' ms')}`,
    ratio: `steady-state gap ${round(d.quietGapMs.median)} ms; ${d.lost} QoS 1 messages lost in ${trials} trials`,
  }));
  return {
    title: 'Token rotation: publish gap at the subscriber',
    method: `Local broker on loopback, real clock. A publisher sends a numbered QoS 1 message every ${INTERVAL} ms; after ${BEFORE} ms the token changes; the longest interval between consecutive messages at a subscriber, from the change until ${AFTER} ms later, is the gap. ${trials} trials per kind after one warm-up trial each, in rotated order; median (min–max). The steady-state gap is the same measure before the change.`,
    rows,
    data: { trials, intervalMs: INTERVAL, results: data },
  };
}
