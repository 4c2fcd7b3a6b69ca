/**
 * A Redis Cluster of Debian's redis-server 7.0 started by a test: three masters with a replica each,
 * every node on free loopback ports (its client port and its cluster bus port, `cluster-port`, both
 * picked free), nothing persisted, created with `redis-cli --cluster create … --cluster-replicas 1`.
 * It can tell which master holds a key's slot, which replica follows it, and fail a master over to
 * its replica (`CLUSTER FAILOVER` on the replica), as an operator or a managed service would.
 * @module
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { accepts, freePorts } from './ports.js';
import { atExit, startProcess, type StartedProcess } from './process.js';
import { REDIS_SERVER } from './redis.js';
import { pollUntil } from './wait.js';

const run = promisify(execFile);
export const REDIS_CLI = process.env.REDIS_CLI_PATH ?? '/usr/bin/redis-cli';

/** A running cluster. */
export interface RedisCluster {
  /** Every node's client port (masters and replicas as created; roles change on failover). */
  readonly ports: readonly number[];
  /** `[{ url }]` for node-redis's `createCluster({ rootNodes })`. */
  readonly rootNodes: { url: string }[];
  /** `[{ host, port }]` for ioredis's `new Redis.Cluster(nodes)`. */
  readonly nodes: { host: string; port: number }[];
  /** One command on one node through redis-cli: its output, trimmed. */
  cli(port: number, ...args: string[]): Promise<string>;
  /** The port of the master serving `key`'s slot now. */
  masterOf(key: string): Promise<number>;
  /** The port of a replica of the master on `port`. */
  replicaOf(port: number): Promise<number>;
  /** `CLUSTER FAILOVER` on `replica`; resolves once it is a master and the cluster is ok again. */
  failover(replica: number): Promise<void>;
  /** Stops every node and removes their directories. Safe to call twice. */
  close(): Promise<void>;
}

interface NodeLine {
  id: string;
  port: number;
  master: boolean;
  masterId: string;
  slots: [number, number][];
}

function parseNodes(text: string): NodeLine[] {
  return text
    .trim()
    .split('\n')
    .filter((line) => line.trim() && !/fail|handshake|noaddr/.test(line.split(' ')[2] ?? ''))
    .map((line) => {
      const [id, address, flags, masterId, , , , , ...slots] = line.trim().split(' ');
      return {
        id: id!,
        port: Number(/:(\d+)/.exec(address!)![1]),
        master: flags!.split(',').includes('master'),
        masterId: masterId!,
        slots: slots.filter((s) => !s.startsWith('[')).map((s) => {
          const [from, to] = s.split('-').map(Number);
          return [from!, to ?? from!] as [number, number];
        }),
      };
    });
}

/** Starts 3 masters and 3 replicas and joins them; resolves once every node reports `cluster_state:ok`. */
export async function startRedisCluster(options: { masters?: number; startTimeout?: number } = {}): Promise<RedisCluster> {
  const { masters = 3, startTimeout = 20_000 } = options;
  const count = masters * 2;
  const root = await mkdtemp(join(tmpdir(), 'apsaramq-redis-cluster-'));
  const forget = atExit(() => rmSync(root, { recursive: true, force: true }));
  const servers: StartedProcess[] = [];
  const close = async () => {
    await Promise.all(servers.map((s) => s.stop({ timeout: 5000 })));
    await rm(root, { recursive: true, force: true });
    forget();
  };
  try {
    const free = await freePorts(count * 2);
    const ports = free.slice(0, count);
    await Promise.all(
      ports.map(async (port, i) => {
        const dir = join(root, String(port));
        await mkdir(dir);
        const server = startProcess(
          REDIS_SERVER,
          ['--port', String(port), '--cluster-port', String(free[count + i]), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
            '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000', '--protected-mode', 'yes'],
          { name: `redis-server cluster :${port}` },
        );
        servers.push(server);
        await server.waitForOutput(/Ready to accept connections/, { timeout: startTimeout, stream: 'stdout' });
        await pollUntil(() => accepts(port), { timeout: startTimeout, what: `redis-server on port ${port}` });
      }),
    );
    const cli = async (port: number, ...args: string[]) => (await run(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: startTimeout })).stdout.trim();
    await run(REDIS_CLI, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: startTimeout });
    const ok = async () => (await Promise.all(ports.map((p) => cli(p, 'CLUSTER', 'INFO')))).every((info) => /cluster_state:ok/.test(info));
    await pollUntil(ok, { timeout: startTimeout, interval: 100, what: 'the cluster to report cluster_state:ok on every node' });
    // Every replica has synced its master, so a failover loses nothing.
    await pollUntil(
      async () => {
        const roles = await Promise.all(ports.map((p) => cli(p, 'ROLE')));
        return roles.filter((r) => r.startsWith('slave') && /\nconnected/.test(r)).length === masters;
      },
      { timeout: startTimeout, interval: 100, what: 'every replica to sync its master' },
    );
    return {
      ports,
      rootNodes: ports.map((port) => ({ url: `redis://127.0.0.1:${port}` })),
      nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
      cli,
      async masterOf(key) {
        const slot = Number(await cli(ports[0]!, 'CLUSTER', 'KEYSLOT', key));
        // Asked of the masters themselves: one node's table can still name a master that a failover has
        // just made a replica (seen under load, and then no replica follows the port it named).
        return pollUntil(
          async () => {
            for (const port of ports) {
              if (!(await cli(port, 'ROLE')).startsWith('master')) continue;
              const self = parseNodes(await cli(port, 'CLUSTER', 'NODES')).find((n) => n.port === port);
              if (self?.master && self.slots.some(([a, b]) => slot >= a && slot <= b)) return port;
            }
            return undefined;
          },
          { timeout: startTimeout, interval: 100, what: `the master of slot ${slot}` },
        );
      },
      replicaOf: (port) =>
        // The node's own view: after a failover, the former master is known as a replica a moment later.
        pollUntil(
          async () => {
            const all = parseNodes(await cli(port, 'CLUSTER', 'NODES'));
            const master = all.find((n) => n.port === port);
            return all.find((n) => !n.master && n.masterId === master?.id)?.port;
          },
          { timeout: startTimeout, interval: 50, what: `a replica following 127.0.0.1:${port}` },
        ),
      async failover(replica) {
        const former = Number((await cli(replica, 'ROLE')).split('\n')[2]);
        const answer = await cli(replica, 'CLUSTER', 'FAILOVER');
        if (answer !== 'OK') throw new Error(`CLUSTER FAILOVER on ${replica}: ${answer}`);
        const promoted = async () => (await cli(replica, 'ROLE')).startsWith('master');
        // A manual failover waits for the replica to catch up with its master and gives up after a few node
        // timeouts (on a loaded machine it was seen to): then FORCE, which skips that handshake, as an operator would.
        const done = await pollUntil(promoted, { timeout: 8000, interval: 50, what: `${replica} to become a master` }).catch(() => false);
        if (!done) {
          const forced = await cli(replica, 'CLUSTER', 'FAILOVER', 'FORCE');
          if (forced !== 'OK') throw new Error(`CLUSTER FAILOVER FORCE on ${replica}: ${forced}`);
          await pollUntil(promoted, { timeout: startTimeout, interval: 50, what: `${replica} to become a master (FORCE)` });
        }
        // The former master follows it, synced, and every node agrees the cluster is ok.
        await pollUntil(async () => /^slave\n[^\n]*\n\d+\nconnected/.test(await cli(former, 'ROLE')), { timeout: startTimeout, interval: 50, what: `${former} to follow ${replica}` });
        await pollUntil(ok, { timeout: startTimeout, interval: 100, what: 'the cluster to be ok after the failover' });
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
