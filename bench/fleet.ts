/**
 * Several credential servers on one Redis: the throughput of a fleet of four processes
 * sharing `createRedisTokenStore` against one process with the in-memory store, in the same run and
 * under the same load generator; and the ApplyToken calls a mass reconnect costs with one shared cache
 * against four separate ones.
 * @module
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFleet, startOpenApi, type FleetMember, type OpenApi } from '../e2e/helpers/fleet.js';
import { ROOT } from '../e2e/helpers/paths.js';
import { startRedis, type RedisServer } from '../e2e/helpers/redis.js';
import { round, rounded, spread, summarize } from './stats.js';
import type { BenchOptions, Row, Section } from './types.js';

const run = promisify(execFile);
const FLEET = 4;
const PATH = '/credentials?clientId=GID_bench%40%40%40device-0001&topic=bench%2F%2B%2Ftelemetry';

/** Requests per second from autocannon (its own process) against one URL. */
async function autocannon(url: string, seconds: number, connections: number): Promise<number> {
  const { stdout } = await run(process.execPath, [join(ROOT, 'node_modules/autocannon/autocannon.js'), '-j', '-c', String(connections), '-d', String(seconds), url], {
    timeout: (seconds + 30) * 1000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const result = JSON.parse(stdout) as { requests: { average: number }; non2xx: number; errors: number };
  if (result.errors || result.non2xx) throw new Error(`autocannon saw ${result.errors} errors and ${result.non2xx} non-2xx answers on ${url}`);
  return result.requests.average;
}

/**
 * Total req/s of four autocannon processes at once, one per target: the fleet gets one each, the single
 * process all four, so both sides face the same load generator.
 */
async function load(targets: readonly FleetMember[], seconds: number, connections: number): Promise<number> {
  const rates = await Promise.all(Array.from({ length: FLEET }, (_, i) => autocannon(`${targets[i % targets.length]!.origin}${PATH}`, seconds, connections)));
  return rates.reduce((a, b) => a + b, 0);
}

/** What one mass reconnect cost: ApplyToken calls answered, calls throttled, and requests that got no credentials. */
interface Reconnect {
  calls: number;
  throttled: number;
  failedRequests: number;
}

/** One mass reconnect: `clients` requests at once, spread over `members`, for `permissions` fresh permissions. */
async function reconnect(openapi: OpenApi, members: readonly FleetMember[], label: string, clients: number, permissions: number): Promise<Reconnect> {
  const throttledNow = () => openapi.service.errors['ApplyTokenOverFlow'] ?? 0;
  const [calls, throttled] = [openapi.applyCalls(), throttledNow()];
  const answers = await Promise.all(
    Array.from({ length: clients }, (_, i) =>
      // Consecutive clients share a permission and land on different processes, so every process sees every permission.
      members[i % members.length]!.get(`/credentials?clientId=GID_bench%40%40%40device-${i}&topic=${encodeURIComponent(`${label}/${Math.floor((i * permissions) / clients)}/#`)}`),
    ),
  );
  return { calls: openapi.applyCalls() - calls, throttled: throttledNow() - throttled, failedRequests: answers.filter((a) => a.status !== 200).length };
}

const cost = (r: Reconnect) => `${r.calls} calls${r.throttled ? ` + ${r.throttled} throttled` : ''}${r.failedRequests ? `, ${r.failedRequests} requests refused` : ''}`;

export async function fleetScale(options: BenchOptions): Promise<Section> {
  const rounds = options.quick ? 2 : 6;
  const seconds = options.quick ? 2 : 3;
  const connections = 4; // per autocannon process, four processes: 16 in all
  const clients = 1000;
  let redis: RedisServer | undefined;
  let openapi: OpenApi | undefined;
  const members: FleetMember[] = [];
  try {
    [redis, openapi] = await Promise.all([startRedis(), startOpenApi()]);
    const url = openapi.url;
    const shared = await startFleet(FLEET, { openApiUrl: url, store: 'redis', redisUrl: redis.url });
    members.push(...shared);
    const separate = await startFleet(FLEET, { openApiUrl: url, store: 'memory' });
    members.push(...separate);
    const single = separate.slice(0, 1);

    // ApplyToken calls per mass reconnect: one permission, then many (a topic per group of devices).
    const mass = [
      { permissions: 1, oneProcess: await reconnect(openapi, single, 'one-1', clients, 1), shared: await reconnect(openapi, shared, 'shared-1', clients, 1), separate: await reconnect(openapi, separate, 'separate-1', clients, 1) },
      { permissions: 50, oneProcess: await reconnect(openapi, single, 'one-50', clients, 50), shared: await reconnect(openapi, shared, 'shared-50', clients, 50), separate: await reconnect(openapi, separate, 'separate-50', clients, 50) },
    ];

    // Throughput on a cached token (the steady state between reconnects): fleet against one process, alternating.
    await Promise.all([load(shared, 1, connections), load(single, 1, connections)]); // warm-up: JIT, sockets, the token
    const fleetRps: number[] = [];
    const singleRps: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      let f: number;
      let s: number;
      if (r % 2) {
        s = await load(single, seconds, connections);
        f = await load(shared, seconds, connections);
      } else {
        f = await load(shared, seconds, connections);
        s = await load(single, seconds, connections);
      }
      fleetRps.push(f);
      singleRps.push(s);
      ratios.push(f / s);
    }
    const fleet = rounded(summarize(fleetRps));
    const one = rounded(summarize(singleRps));
    const ratio = rounded(summarize(ratios));
    const rows: Row[] = [
      { name: `${FLEET} processes, one Redis store (cached token)`, value: spread(fleet, ' req/s'), ratio: spread(ratio, '×') },
      { name: '1 process, in-memory store (cached token, baseline)', value: spread(one, ' req/s'), ratio: '1×' },
      ...mass.flatMap((m) => [
        {
          name: `ApplyToken per mass reconnect (${clients} clients, ${m.permissions} permission${m.permissions > 1 ? 's' : ''}): ${FLEET} processes on one Redis`,
          value: cost(m.shared),
          target: `${m.permissions} (one per permission)`,
          met: m.shared.calls === m.permissions && m.shared.throttled === 0 && m.shared.failedRequests === 0,
        },
        { name: `… ${FLEET} processes, each its own in-memory store`, value: cost(m.separate), ratio: `${round((m.separate.calls + m.separate.throttled) / m.permissions)}× the permissions` },
        { name: '… 1 process, in-memory store', value: cost(m.oneProcess) },
      ]),
    ];
    return {
      title: 'Several credential servers on one Redis',
      method: `Four credential-server processes (e2e/helpers/fleet-server.mjs on dist/, node-redis, createRedisTokenStore) on one redis-server, against one such process with the in-memory store, both in front of the local OpenAPI service. Throughput: four autocannon processes at once (${connections} connections × ${seconds} s each, one per process of the fleet, all four on the single process), GET a Token credential whose token is cached, ${rounds} rounds alternating which side runs first; ratio fleet/single within each round, median (min–max). On 2 cores the fleet shares them with Redis and the load generators, so the ratio is the cost of a Redis round trip per request, not a scaling figure. Mass reconnect: ${clients} requests at once spread over the processes, for fresh permissions; ApplyToken calls counted by the service.`,
      rows,
      data: { fleetSize: FLEET, rounds, seconds, connectionsPerLoader: connections, fleetRequestsPerSecond: fleet, singleRequestsPerSecond: one, ratio, massReconnect: mass, clients },
    };
  } finally {
    await Promise.all(members.map((m) => m.stop()));
    await openapi?.close();
    await redis?.close();
  }
}
