/**
 * Connect overhead on loopback: our `connectAsync` (signing included) until CONNACK, against bare
 * `mqtt.connectAsync` with a password computed beforehand, on the local broker and on mosquitto.
 * @module
 */
import mqtt from 'mqtt';
import { startMosquitto } from '../e2e/helpers/mosquitto.js';
import { startBroker } from '../src/broker/broker-entry.js';
import * as sdk from '../src/index.js';
import { rotate, round, rounded, summarize } from './stats.js';
import type { BenchOptions, Row, Section } from './types.js';

const INSTANCE = 'mqtt-cn-bench';
const AK = { accessKeyId: 'LTAI5tBenchmark', accessKeySecret: 'bench-secret-0123456789abcdefghij' };
// One client id: mosquitto's password file holds one password per username.
const CLIENT_ID = 'GID_bench@@@connect-1';

interface Target {
  name: string;
  port: number;
}

/**
 * Where a connect's time goes, in ms from the call: `created` when the mqtt.js client exists,
 * `socket` when the socket is asked for (`client.connect()`, or at creation for bare mqtt.js),
 * `connack` when the promise resolves. Recorded through the `mqtt` option, an mqtt.js whose
 * `connect` notes the times: the same mqtt.js, nothing else changed.
 */
interface Phases {
  created: number;
  socket: number;
  connack: number;
}

function instrumented(marks: Partial<Phases>, start: () => number): sdk.MqttModule {
  return {
    connect(url, options) {
      const client = mqtt.connect(url, options);
      marks.created = performance.now() - start();
      const connect = client.connect.bind(client);
      client.connect = () => {
        marks.socket = performance.now() - start();
        return connect();
      };
      return client;
    },
  };
}

/** `presigned`: credentials computed beforehand, to split the overhead into signing and the rest. */
async function timeOurs(port: number, presigned?: sdk.Credentials, phases?: Phases[]): Promise<number> {
  const marks: Partial<Phases> = {};
  const start = performance.now();
  const client = await sdk.connectAsync({
    ...(phases ? { mqtt: instrumented(marks, () => start) } : {}),
    instanceId: INSTANCE,
    clientId: CLIENT_ID,
    credentials: presigned ?? sdk.signatureCredentials({ ...AK, instanceId: INSTANCE, clientId: CLIENT_ID }),
    transport: 'tcp',
    host: '127.0.0.1',
    port,
    reconnectPeriod: 0,
  });
  const elapsed = performance.now() - start;
  phases?.push({ created: marks.created!, socket: marks.socket!, connack: elapsed });
  await client.endAsync();
  return elapsed;
}

async function timeBare(port: number, password: string, phases?: Phases[]): Promise<number> {
  const start = performance.now();
  let created = 0;
  // mqtt.connectAsync, step by step: mqtt.connect opens the socket as it creates the client.
  const client = await new Promise<ReturnType<typeof mqtt.connect>>((resolve, reject) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId: CLIENT_ID,
    username: `Signature|${AK.accessKeyId}|${INSTANCE}`,
    password,
    protocolVersion: 4,
    keepalive: 90,
    clean: true,
    reconnectPeriod: 0,
    });
    created = performance.now() - start;
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
  const elapsed = performance.now() - start;
  phases?.push({ created, socket: created, connack: elapsed });
  await client.endAsync();
  return elapsed;
}

/** Median of each phase, and the differences between them. */
function phaseSummary(samples: readonly Phases[]) {
  const median = (pick: (p: Phases) => number) => summarize(samples.map(pick)).median;
  return {
    untilClientMs: round(median((p) => p.created)),
    clientToSocketMs: round(median((p) => p.socket - p.created)),
    socketToConnackMs: round(median((p) => p.connack - p.socket)),
    totalMs: round(median((p) => p.connack)),
  };
}

export async function connectOverhead(options: BenchOptions): Promise<Section> {
  const pairs = options.quick ? 30 : 300;
  const warmup = 20;
  const credentials = await sdk.signatureCredentials({ ...AK, instanceId: INSTANCE, clientId: CLIENT_ID });
  const broker = await startBroker({ instanceId: INSTANCE, accessKeys: [AK], wsPort: false, httpPort: false });
  const mosquitto = await startMosquitto({ users: [credentials] });
  const targets: Target[] = [
    { name: 'local broker (aedes)', port: broker.tcpPort },
    { name: 'mosquitto', port: mosquitto.tcpPort },
  ];
  const data = [];
  const rows: Row[] = [];
  try {
    for (const target of targets) {
      const oursPhases: Phases[] = [];
      const barePhases: Phases[] = [];
      const runs = {
        ours: { time: () => timeOurs(target.port), ms: [] as number[] },
        presigned: { time: () => timeOurs(target.port, credentials), ms: [] as number[] },
        // The same two again, step by step (instrumented mqtt.js): where the difference is spent.
        oursSteps: { time: () => timeOurs(target.port, credentials, oursPhases), ms: [] as number[] },
        bare: { time: () => timeBare(target.port, credentials.password), ms: [] as number[] },
        bareSteps: { time: () => timeBare(target.port, credentials.password, barePhases), ms: [] as number[] },
      };
      const paired: number[] = [];
      for (let i = 0; i < warmup + pairs; i++) {
        // A different order each time, so none always meets a broker still busy with the last disconnect.
        const got: Record<string, number> = {};
        for (const name of rotate(Object.keys(runs) as (keyof typeof runs)[], i)) got[name] = await runs[name].time();
        if (i < warmup) {
          oursPhases.length = barePhases.length = 0;
          continue;
        }
        for (const name of Object.keys(runs) as (keyof typeof runs)[]) runs[name].ms.push(got[name]!);
        paired.push(got.ours! / got.bare!);
      }
      const o = summarize(runs.ours.ms);
      const q = summarize(runs.presigned.ms);
      const b = summarize(runs.bare.ms);
      const p = summarize(paired);
      const ratio = o.median / b.median;
      data.push({
        target: target.name,
        pairs,
        oursMs: rounded(o),
        presignedMs: rounded(q),
        bareMs: rounded(b),
        overheadMs: round(o.median - b.median),
        ratioOfMedians: round(ratio),
        presignedRatio: round(q.median / b.median),
        pairedRatio: rounded(p),
        phases: { ours: phaseSummary(oursPhases), bare: phaseSummary(barePhases) },
      });
      rows.push({
        name: `${target.name}: connectAsync vs mqtt.connectAsync`,
        value: `${round(o.median)} ms vs ${round(b.median)} ms (+${round(o.median - b.median)} ms; p10–p90 ${round(o.p10)}–${round(o.p90)} vs ${round(b.p10)}–${round(b.p90)})`,
        // Reported without a verdict: the 1.05× target is retired (issue 19). What is left is signing and the
        // option checks, about a tenth of a millisecond per connect on loopback.
        ratio: `${round(ratio)}× (paired median ${round(p.median)}×, p10–p90 ${round(p.p10)}–${round(p.p90)})`,
      });
      rows.push({
        name: `${target.name}: connectAsync, credentials signed beforehand`,
        value: `${round(q.median)} ms (+${round(q.median - b.median)} ms over bare)`,
        ratio: `${round(q.median / b.median)}×`,
      });
      const po = phaseSummary(oursPhases);
      const pb = phaseSummary(barePhases);
      rows.push({
        name: `${target.name}: where the time goes (signed beforehand, median ms)`,
        value: `until the mqtt.js client exists ${po.untilClientMs} (bare: ${pb.untilClientMs}, its socket opened within); session set-up until the socket ${po.clientToSocketMs}; socket to CONNACK ${po.socketToConnackMs} (bare: ${round(pb.totalMs - pb.untilClientMs)})`,
      });
    }
  } finally {
    await broker.close();
    await mosquitto.stop();
  }
  return {
    title: 'Connect overhead on loopback (until CONNACK)',
    method: `${pairs} rounds after ${warmup} warm-up rounds per broker, MQTT 3.1.1 over TCP to 127.0.0.1, one client at a time, the order inside each round rotating. Ours: connectAsync with signatureCredentials(...) passed unawaited (signing, option checks and the managed session included). Bare: mqtt.connectAsync with the password computed beforehand. A third variant passes credentials signed beforehand, to separate the cost of signing from the rest. Ratio of medians; the paired ratio is the median of per-round ratios. Where the time goes: the signed-beforehand variant and bare mqtt.js run again with an mqtt.js whose connect notes when the client exists and when the socket is asked for (passed as the mqtt option; bare mqtt.js asks for it while creating the client).`,
    rows,
    data,
  };
}
