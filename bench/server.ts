/**
 * Credential server throughput: `createCredentialHandler` behind Node's http server (through
 * `toNodeListener`) under autocannon, a separate process on loopback, against a bare handler that
 * returns a constant JSON body through the same adapter, and a raw Node listener for scale.
 * @module
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../e2e/helpers/paths.js';
import { createCredentialHandler, toNodeListener } from '../src/server/server-entry.js';
import { round, rounded, spread, summarize } from './stats.js';
import type { BenchOptions, Row, Section } from './types.js';

const run = promisify(execFile);
const INSTANCE = 'mqtt-cn-bench';
const AK = { accessKeyId: 'LTAI5tBenchmark', accessKeySecret: 'bench-secret-0123456789abcdefghij' };
const PATH = '/mqtt-credentials?clientId=GID_bench%40%40%40device-0001';

async function listen(listener: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(listener);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${PATH}` };
}

/** Requests per second from autocannon (its own process), after its warm-up. */
async function load(url: string, seconds: number, connections: number): Promise<{ rps: number; p50: number; p99: number; non2xx: number }> {
  const { stdout } = await run(process.execPath, [join(ROOT, 'node_modules/autocannon/autocannon.js'), '-j', '-c', String(connections), '-d', String(seconds), url], {
    timeout: (seconds + 30) * 1000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const result = JSON.parse(stdout) as { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number };
  if (result.errors) throw new Error(`autocannon saw ${result.errors} errors on ${url}`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}

export async function credentialServer(options: BenchOptions): Promise<Section> {
  const rounds = options.quick ? 2 : 10;
  const seconds = options.quick ? 2 : 3;
  const connections = 16;
  const handler = createCredentialHandler({ instanceId: INSTANCE, ...AK, authorize: () => ({ mode: 'signature' }) });
  // The constant body is a real answer of the handler, so both send the same bytes.
  const body = await (await handler(new Request(`http://127.0.0.1${PATH}`))).text();
  const headers = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  const contenders = [
    { name: 'createCredentialHandler (signature grant, signs per request)', ...(await listen(toNodeListener(handler))) },
    { name: 'bare fetch-style handler, constant JSON (baseline)', ...(await listen(toNodeListener(() => new Response(body, { headers })))) },
    { name: 'raw Node listener, constant JSON', ...(await listen((_req, res) => res.writeHead(200, headers).end(body))) },
  ];
  const results = new Map(contenders.map((c) => [c.name, [] as { rps: number; p50: number; p99: number }[]]));
  const ratios = new Map(contenders.map((c) => [c.name, [] as number[]]));
  const measure = async (c: (typeof contenders)[number]) => {
    const got = await load(c.url, seconds, connections);
    if (got.non2xx) throw new Error(`${c.name} answered ${got.non2xx} non-2xx responses`);
    results.get(c.name)!.push(got);
    return got.rps;
  };
  try {
    for (const c of contenders) await load(c.url, 1, connections); // warm-up: JIT and sockets
    for (let r = 0; r < rounds; r++) {
      // The handler and its baseline back to back (order alternating), so a busy machine hits both alike.
      const [ours, bare, raw] = contenders as [(typeof contenders)[number], (typeof contenders)[number], (typeof contenders)[number]];
      let oursRps: number;
      let bareRps: number;
      if (r % 2) {
        bareRps = await measure(bare);
        oursRps = await measure(ours);
      } else {
        oursRps = await measure(ours);
        bareRps = await measure(bare);
      }
      const rawRps = await measure(raw);
      ratios.get(ours.name)!.push(oursRps / bareRps);
      ratios.get(bare.name)!.push(1);
      ratios.get(raw.name)!.push(rawRps / bareRps);
    }
  } finally {
    await Promise.all(contenders.map((c) => new Promise((resolve) => c.server.close(resolve))));
    for (const c of contenders) c.server.closeAllConnections();
  }
  const data = contenders.map((c) => {
    const list = results.get(c.name)!;
    return {
      name: c.name,
      requestsPerSecond: rounded(summarize(list.map((x) => x.rps))),
      latencyP50Ms: rounded(summarize(list.map((x) => x.p50))),
      latencyP99Ms: rounded(summarize(list.map((x) => x.p99))),
      ratioToBareHandler: rounded(summarize(ratios.get(c.name)!)),
    };
  });
  const rows: Row[] = data.map((d, i) => {
    const row: Row = { name: d.name, value: `${spread(d.requestsPerSecond, ' req/s')}, p50 ${d.latencyP50Ms.median} ms`, ratio: spread(d.ratioToBareHandler, '×') };
    if (i === 0) {
      row.target = '≥ 0.9× the bare handler';
      row.met = d.ratioToBareHandler.median >= 0.9;
    }
    return row;
  });
  return {
    title: 'Credential server throughput (loopback HTTP)',
    method: `autocannon ${connections} connections × ${seconds} s per run in its own process, GET ${PATH}; ${rounds} rounds after a 1 s warm-up each; in each round the handler and the bare handler run back to back (order alternating), then the raw listener; ratios to the bare handler in the same round, median (min–max). The bare handler sits behind the same toNodeListener adapter, so the ratio is the handler's own cost.`,
    rows,
    data: { connections, seconds, rounds, results: data, medianRatio: round(data[0]!.ratioToBareHandler.median) },
  };
}
