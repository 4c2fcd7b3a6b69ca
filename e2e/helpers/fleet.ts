/**
 * A fleet of credential servers for tests and benchmarks: the `onsmqtt` OpenAPI played on loopback
 * (the local broker's `createOpenApiService`, which counts every ApplyToken it answers), with a gate in
 * front of it that can hold the next ApplyToken request, and N credential-server processes
 * (`fleet-server.mjs`, running the built package) sharing one Redis or each with its own memory.
 * @module
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createOpenApiService, TokenStore, type OpenApiService } from '../../src/broker/broker-entry.js';
import { toNodeListener } from '../../src/server/server-entry.js';
import { ROOT } from './paths.js';
import { startProcess, type StartedProcess } from './process.js';

export const FLEET_INSTANCE = 'mqtt-cn-fleet';
export const FLEET_KEY = { accessKeyId: 'LTAI5tFleetTest', accessKeySecret: 'fleet-secret-9f8e7d6c5b4a39281706' };

/** An ApplyToken request held at the gate until the test decides. */
export interface HeldCall {
  /** Resolves when the request has arrived (and is being held). */
  readonly arrived: Promise<void>;
  /** Lets it through to the service. */
  pass(): void;
  /** Answers it with an error without passing it on (its sender is gone, say). */
  drop(): void;
}

/** The OpenAPI on loopback, with the counts the tests read. */
export interface OpenApi {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly service: OpenApiService;
  readonly tokens: TokenStore;
  /** ApplyToken calls the service answered successfully. */
  applyCalls(): number;
  /** ApplyToken requests that reached the gate (held, dropped and passed alike). */
  applyArrivals(): number;
  /** Holds the next ApplyToken request that arrives. */
  holdNext(): HeldCall;
  close(): Promise<void>;
}

async function actionOf(request: Request): Promise<string | null> {
  // Signature V3 (the client's default) names the action in a header; V2 in the parameters.
  const header = request.headers.get('x-acs-action');
  if (header !== null) return header;
  const query = new URL(request.url).searchParams.get('Action');
  if (query !== null || request.method !== 'POST') return query;
  return new URLSearchParams(await request.clone().text()).get('Action');
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve()));
  return (server.address() as AddressInfo).port;
}

/** The OpenAPI service (ApplyToken rate limit as documented, 100/s per AccessKey) behind a gate. */
export async function startOpenApi(): Promise<OpenApi> {
  const tokens = new TokenStore({ instanceId: FLEET_INSTANCE });
  const service = createOpenApiService({ accessKeys: [FLEET_KEY], instanceId: FLEET_INSTANCE, tokens });
  let arrivals = 0;
  let armed: { arrive: () => void; decision: Promise<'pass' | 'drop'> } | undefined;
  const gate = async (request: Request): Promise<Response | undefined> => {
    if ((await actionOf(request)) === 'ApplyToken') {
      arrivals++;
      const hold = armed;
      armed = undefined;
      if (hold) {
        hold.arrive();
        if ((await hold.decision) === 'drop') return new Response('{"Code":"Dropped","Message":"held and dropped by the test"}', { status: 500 });
      }
    }
    return service(request);
  };
  const server = createServer(toNodeListener(gate));
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/`,
    service,
    tokens,
    applyCalls: () => service.calls['ApplyToken'] ?? 0,
    applyArrivals: () => arrivals,
    holdNext() {
      let arrive!: () => void;
      let decide!: (decision: 'pass' | 'drop') => void;
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      armed = { arrive, decision: new Promise((resolve) => (decide = resolve)) };
      return { arrived, pass: () => decide('pass'), drop: () => decide('drop') };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One credential server of the fleet. */
export interface FleetMember {
  readonly name: string;
  readonly port: number;
  readonly process: StartedProcess;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** GET a path (e.g. `/credentials?clientId=…`): status and parsed JSON body. */
  get<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T }>;
  /** `store-error` lines printed so far (each is one onError report). */
  storeErrors(): string[];
  stop(): Promise<void>;
}

/** Options of {@link startFleet}. */
export interface FleetOptions {
  openApiUrl: string;
  /** `'redis'` (with `redisUrl`) or `'memory'`. */
  store: 'redis' | 'memory';
  redisUrl?: string;
  /** A Redis Cluster's nodes (instead of `redisUrl`): each process uses its client's cluster client. */
  cluster?: { host: string; port: number }[];
  /** Which Redis client the processes use (default node-redis). */
  client?: 'node-redis' | 'ioredis';
  lockTtl?: number;
  timeout?: number;
  /** The issuers' `rateLimit` (default theirs, 100). */
  rateLimit?: number;
}

/** Starts `count` credential-server processes (in parallel) and resolves once each listens. */
export async function startFleet(count: number, options: FleetOptions): Promise<FleetMember[]> {
  const script = join(ROOT, 'e2e/helpers/fleet-server.mjs');
  const config = {
    endpoint: options.openApiUrl,
    ...FLEET_KEY,
    instanceId: FLEET_INSTANCE,
    store: options.store,
    redisUrl: options.redisUrl,
    cluster: options.cluster,
    client: options.client,
    lockTtl: options.lockTtl,
    timeout: options.timeout,
    rateLimit: options.rateLimit,
  };
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const name = `credential-server-${i + 1}`;
      const child = startProcess(process.execPath, [script], { name, cwd: ROOT, env: { ...process.env, FLEET_CONFIG: JSON.stringify(config) } });
      let port: number;
      try {
        port = Number((await child.waitForOutput(/listening (\d+)/, { timeout: 20_000, stream: 'stdout' }))[1]);
      } catch (error) {
        await child.stop();
        throw error;
      }
      const origin = `http://127.0.0.1:${port}`;
      return {
        name,
        port,
        process: child,
        origin,
        async get<T>(path: string) {
          const response = await fetch(`${origin}${path}`, { signal: AbortSignal.timeout(30_000) });
          return { status: response.status, body: (await response.json()) as T };
        },
        storeErrors: () => child.stderr().split('\n').filter((line) => line.startsWith('store-error ')),
        stop: async () => void (await child.stop()),
      };
    }),
  );
}
