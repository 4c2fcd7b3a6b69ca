/**
 * Several credential servers on one Redis: the per-request cost of one process on the Redis store (its
 * near cache serving) against one on the in-memory store; the throughput of a fleet of four processes
 * sharing `createRedisTokenStore` against one process with the in-memory store, in the same run and
 * under the same load generator; the Redis commands a cached permission costs per request (the servers'
 * `INFO commandstats`); the ApplyToken calls a mass reconnect costs with one shared cache against four
 * separate ones, on one redis-server and on a cluster of three masters with a replica each; and whether
 * a revocation through one process is seen by all four on their next answer.
 * @module
 */
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFleet, startOpenApi, type FleetMember, type OpenApi } from '../e2e/helpers/fleet.js';
import { ROOT } from '../e2e/helpers/paths.js';
import { REDIS_CLI, startRedisCluster, type RedisCluster } from '../e2e/helpers/redis-cluster.js';
import { startRedis, type RedisServer } from '../e2e/helpers/redis.js';
import { round, rounded, spread, summarize } from './stats.js';
import type { BenchOptions, Row, Section } from './types.js';

const run = promisify(execFile);
const FLEET = 4;
const PATH = '/credentials?clientId=GID_bench%40%40%40device-0001&topic=bench%2F%2B%2Ftelemetry';

/** Requests answered by each process (its origin) in {@link autocannon} runs, to divide Redis commands by. */
const answered = new Map<string, number>();
const answeredBy = (members: readonly FleetMember[]) => members.reduce((sum, m) => sum + (answered.get(m.origin) ?? 0), 0);

/** Requests per second from autocannon (its own process) against one URL. */
async function autocannon(url: string, seconds: number, connections: number): Promise<number> {
  const { stdout } = await run(process.execPath, [join(ROOT, 'node_modules/autocannon/autocannon.js'), '-j', '-c', String(connections), '-d', String(seconds), url], {
    timeout: (seconds + 30) * 1000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const result = JSON.parse(stdout) as { requests: { average: number; total: number }; non2xx: number; errors: number };
  if (result.errors || result.non2xx) throw new Error(`autocannon saw ${result.errors} errors and ${result.non2xx} non-2xx answers on ${url}`);
  const origin = new URL(url).origin;
  answered.set(origin, (answered.get(origin) ?? 0) + result.requests.total);
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

/** Housekeeping that does not grow with requests: heartbeats (PUBLISH, one a second per process), a cluster client's slot map, replicas' acks, INFO. */
const UPKEEP = new Set(['publish', 'cluster|slots', 'cluster|nodes', 'cluster|shards', 'replconf', 'info', 'ping']);

/** Commands the Redis servers on `ports` have run, per request and upkeep (`INFO commandstats`, summed). */
async function commandStats(ports: readonly number[]): Promise<Map<string, number>> {
  const byName = new Map<string, number>();
  for (const port of ports) {
    const { stdout } = await run(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), 'INFO', 'commandstats'], { timeout: 10_000 });
    for (const [, name, calls] of stdout.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) byName.set(name!, (byName.get(name!) ?? 0) + Number(calls));
  }
  return byName;
}

/** Commands per answered request over `work` (upkeep counted apart), and the upkeep per second. */
async function commandsPerRequest(ports: readonly number[], members: readonly FleetMember[], work: () => Promise<unknown>): Promise<{ perRequest: number; upkeepPerSecond: number; requests: number }> {
  const before = await commandStats(ports);
  const [answeredBefore, started] = [answeredBy(members), Date.now()];
  await work();
  const after = await commandStats(ports);
  const seconds = (Date.now() - started) / 1000;
  let perRequest = 0;
  let upkeep = 0;
  for (const [name, n] of after) {
    const used = n - (before.get(name) ?? 0);
    if (UPKEEP.has(name)) upkeep += used;
    else perRequest += used;
  }
  const requests = answeredBy(members) - answeredBefore;
  return { perRequest: perRequest / requests, upkeepPerSecond: upkeep / seconds, requests };
}

/**
 * Revocations through one process, each followed at once by a request to every process: how many of
 * those answers still carried the revoked token (the bound is "none": revoke() resolves once Redis
 * has delivered the change to every subscriber).
 */
async function revocations(members: readonly FleetMember[], label: string, rounds: number): Promise<{ rounds: number; staleAnswers: number; answers: number }> {
  const topic = encodeURIComponent(`${label}/revoke/#`);
  let stale = 0;
  let answers = 0;
  const tokenOf = (a: { body: Record<string, unknown> }) => (a.body['tokens'] as { token: string }[] | undefined)?.[0]?.token;
  for (let r = 0; r < rounds; r++) {
    const known = await Promise.all(members.map((m) => m.get(`/credentials?clientId=GID_bench%40%40%40rev&topic=${topic}`)));
    const revoked = tokenOf(known[0]!);
    // RevokeToken is limited to 5 calls a second per account (the local service enforces it as Alibaba documents):
    // a refused revocation is retried a second later, so only revocations that happened are counted.
    for (let attempt = 0; ; attempt++) {
      const answer = await members[r % members.length]!.get(`/admin/revoke?topic=${topic}`);
      if (answer.body['revoked'] === true) break;
      if (attempt >= 5) throw new Error(`revocation ${r} through ${members[r % members.length]!.name} failed: ${JSON.stringify(answer.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }
    const next = await Promise.all(members.map((m) => m.get(`/credentials?clientId=GID_bench%40%40%40rev&topic=${topic}`)));
    answers += next.length;
    stale += next.filter((a) => tokenOf(a) === revoked).length;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { rounds, staleAnswers: stale, answers };
}

const cost = (r: Reconnect) => `${r.calls} calls${r.throttled ? ` + ${r.throttled} throttled` : ''}${r.failedRequests ? `, ${r.failedRequests} requests refused` : ''}`;

export async function fleetScale(options: BenchOptions): Promise<Section> {
  const rounds = options.quick ? 2 : 6;
  const seconds = options.quick ? 2 : 3;
  const connections = 4; // per autocannon process, four processes: 16 in all
  const clients = 1000;
  const cores = availableParallelism();
  let redis: RedisServer | undefined;
  let cluster: RedisCluster | undefined;
  let openapi: OpenApi | undefined;
  const members: FleetMember[] = [];
  try {
    [redis, cluster, openapi] = await Promise.all([startRedis(), startRedisCluster(), startOpenApi()]);
    const url = openapi.url;
    const shared = await startFleet(FLEET, { openApiUrl: url, store: 'redis', redisUrl: redis.url });
    members.push(...shared);
    const separate = await startFleet(FLEET, { openApiUrl: url, store: 'memory' });
    members.push(...separate);
    const onCluster = await startFleet(FLEET, { openApiUrl: url, store: 'redis', cluster: cluster.nodes, client: 'ioredis' });
    members.push(...onCluster);
    const single = separate.slice(0, 1);
    const redisSingle = shared.slice(0, 1);

    // ApplyToken calls per mass reconnect: one permission, then many (a topic per group of devices).
    const mass = [
      { permissions: 1, oneProcess: await reconnect(openapi, single, 'one-1', clients, 1), shared: await reconnect(openapi, shared, 'shared-1', clients, 1), separate: await reconnect(openapi, separate, 'separate-1', clients, 1) },
      { permissions: 50, oneProcess: await reconnect(openapi, single, 'one-50', clients, 50), shared: await reconnect(openapi, shared, 'shared-50', clients, 50), separate: await reconnect(openapi, separate, 'separate-50', clients, 50) },
    ];
    const clusterMass = await reconnect(openapi, onCluster, 'cluster-50', clients, 50);
    // Redis counted as down by a process (a command slower than `timeout`, 1 s, on a loaded machine): it then applies on its own.
    const incidents = (group: readonly FleetMember[]) => group.reduce((sum, m) => sum + m.storeErrors().length, 0);
    const clusterIncidents = incidents(onCluster);
    const sharedIncidents = incidents(shared);
    const revoked = { single: await revocations(shared, 'single', options.quick ? 3 : 10), cluster: await revocations(onCluster, 'cluster', options.quick ? 3 : 10) };

    // Throughput on a cached token (the steady state between reconnects), alternating which side runs first:
    // one process on Redis (its near cache) against one on memory; the fleet of four against one process.
    await Promise.all([load(shared, 1, connections), load(single, 1, connections), load(onCluster, 1, connections)]); // warm-up: JIT, sockets, the token
    const pairs = { near: { a: [] as number[], b: [] as number[], r: [] as number[] }, fleet: { a: [] as number[], b: [] as number[], r: [] as number[] } };
    const measure = async (which: 'near' | 'fleet', a: readonly FleetMember[], r: number) => {
      let x: number;
      let y: number;
      if (r % 2) {
        y = await load(single, seconds, connections);
        x = await load(a, seconds, connections);
      } else {
        x = await load(a, seconds, connections);
        y = await load(single, seconds, connections);
      }
      pairs[which].a.push(x);
      pairs[which].b.push(y);
      pairs[which].r.push(x / y);
    };
    const singleCommands = await commandsPerRequest([redis.port], shared, async () => {
      for (let r = 0; r < rounds; r++) {
        await measure('near', redisSingle, r);
        await measure('fleet', shared, r);
      }
    });
    const clusterCommands = await commandsPerRequest(cluster.ports, onCluster, () => load(onCluster, seconds, connections));
    const perRequestSingle = singleCommands.perRequest;
    const near = { process: rounded(summarize(pairs.near.a)), memory: rounded(summarize(pairs.near.b)), ratio: rounded(summarize(pairs.near.r)) };
    const fleet = rounded(summarize(pairs.fleet.a));
    const one = rounded(summarize(pairs.fleet.b));
    const ratio = rounded(summarize(pairs.fleet.r));
    const massRow = (name: string, r: Reconnect, permissions: number): Row => ({
      name,
      value: cost(r),
      target: `${permissions} (one per permission)`,
      met: r.calls === permissions && r.throttled === 0 && r.failedRequests === 0,
    });
    const rows: Row[] = [
      {
        name: '1 process, Redis store with its near cache (cached token)',
        value: spread(near.process, ' req/s'),
        ratio: spread(near.ratio, '×'),
        target: '≥ 0.9× the in-memory store',
        met: near.ratio.median >= 0.9,
      },
      { name: '1 process, in-memory store (cached token, baseline)', value: spread(near.memory, ' req/s'), ratio: '1×' },
      { name: `${FLEET} processes, one Redis store (cached token), on ${cores} cores`, value: spread(fleet, ' req/s'), ratio: spread(ratio, '×') },
      { name: '… 1 process, in-memory store (baseline)', value: spread(one, ' req/s'), ratio: '1×' },
      {
        name: 'Redis commands per request, cached permission: one redis-server',
        value: `${round(perRequestSingle)} (+ ${round(singleCommands.upkeepPerSecond)}/s upkeep: heartbeats)`,
        target: '≤ 0.01',
        met: perRequestSingle <= 0.01,
      },
      {
        name: '… a cluster (3 masters + 3 replicas, ioredis Cluster)',
        value: `${round(clusterCommands.perRequest)} (+ ${round(clusterCommands.upkeepPerSecond)}/s upkeep: heartbeats, slot map, replica acks)`,
        target: '≤ 0.01',
        met: clusterCommands.perRequest <= 0.01,
      },
      ...mass.flatMap((m) => [
        massRow(`ApplyToken per mass reconnect (${clients} clients, ${m.permissions} permission${m.permissions > 1 ? 's' : ''}): ${FLEET} processes on one Redis`, m.shared, m.permissions),
        { name: `… ${FLEET} processes, each its own in-memory store`, value: cost(m.separate), ratio: `${round((m.separate.calls + m.separate.throttled) / m.permissions)}× the permissions` },
        { name: '… 1 process, in-memory store', value: cost(m.oneProcess) },
      ]),
      massRow(`… ${FLEET} processes on a Redis Cluster (${clients} clients, 50 permissions)`, clusterMass, 50),
      { name: '… store incidents reported meanwhile (onError: Redis slower than timeout, then local single flight)', value: `${sharedIncidents} (one node), ${clusterIncidents} (cluster)` },
      ...(['single', 'cluster'] as const).map((where) => ({
        name: `Revocation through one of ${FLEET} processes, then one request to each at once (${where === 'single' ? 'one redis-server' : 'a cluster'}): answers with the revoked token`,
        value: `${revoked[where].staleAnswers} of ${revoked[where].answers} (${revoked[where].rounds} revocations)`,
        target: '0 (seen by all before their next answer)',
        met: revoked[where].staleAnswers === 0,
      })),
    ];
    return {
      title: 'Several credential servers on one Redis',
      method: `Credential-server processes (e2e/helpers/fleet-server.mjs on dist/; node-redis on one redis-server, ioredis Cluster on a cluster of 3 masters with a replica each; createRedisTokenStore with its near cache) in front of the local OpenAPI service, against one such process with the in-memory store. Throughput: four autocannon processes at once (${connections} connections × ${seconds} s each, one per target process; all four on a single process), GET a Token credential whose token is cached, ${rounds} rounds alternating which side runs first; ratios within each round, median (min–max). The machine has ${cores} cores, which the fleet shares with Redis and the load generators. Redis commands: the servers' INFO commandstats around the throughput rounds, divided by the requests the Redis-backed processes answered; the heartbeats (one PUBLISH a second per process) and a cluster client's upkeep do not grow with requests and are given per second. Mass reconnect: ${clients} requests at once spread over the processes, for fresh permissions; ApplyToken calls counted by the service.`,
      rows,
      data: {
        cores,
        fleetSize: FLEET,
        rounds,
        seconds,
        connectionsPerLoader: connections,
        near,
        fleetRequestsPerSecond: fleet,
        singleRequestsPerSecond: one,
        ratio,
        commandsPerRequest: { single: perRequestSingle, cluster: clusterCommands.perRequest, upkeepPerSecond: { single: singleCommands.upkeepPerSecond, cluster: clusterCommands.upkeepPerSecond } },
        massReconnect: mass,
        clusterMassReconnect: clusterMass,
        storeIncidents: { single: sharedIncidents, cluster: clusterIncidents },
        revocations: revoked,
        clients,
      },
    };
  } finally {
    await Promise.all(members.map((m) => m.stop()));
    await openapi?.close();
    await Promise.all([redis?.close(), cluster?.close()]);
  }
}
