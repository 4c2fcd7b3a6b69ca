// One credential server of a fleet, as a user would run it: the built package (dist/server.js), a
// node-redis client, createRedisTokenStore, createTokenIssuer and createCredentialHandler behind
// node:http on 127.0.0.1. Started by e2e/fleet.test.ts and bench/fleet.ts (several at once).
//
// Settings: the JSON in FLEET_CONFIG = { endpoint, accessKeyId, accessKeySecret, instanceId,
//   store: 'redis' | 'memory', redisUrl?, cluster?: [{ host, port }], client?: 'node-redis' | 'ioredis',
//   lockTtl?, timeout?, rateLimit?, port? }: with `cluster`, a cluster client of that package.
// Routes: /credentials?clientId=…&topic=…[&reason=…] (Token, R on `topic`, default fleet/#),
//   /admin/revoke?topic=… (issuer.revoke), /admin/health ({ healthy, near: the near cache serves, client, size, storeErrors,
//   requests: credential requests received }).
// Prints `listening <port>` on stdout; each onError report as `store-error <code> <message>` on stderr.
import { createServer } from 'node:http';
import { Cluster as IoCluster, Redis as IoRedis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { createCredentialHandler, createOnsMqttClient, createRedisTokenStore, createTokenIssuer, toNodeListener } from '../../dist/server.js';

const config = JSON.parse(process.env.FLEET_CONFIG ?? '{}');
const { endpoint, accessKeyId, accessKeySecret, instanceId } = config;
let storeErrors = 0;
let requests = 0;

let store;
let redis;
if (config.store === 'redis') {
  // Both clients report every failed reconnection as an 'error' event; the store reports the outage once.
  if (config.client === 'ioredis') {
    redis = (config.cluster ? new IoCluster(config.cluster) : new IoRedis(config.redisUrl)).on('error', () => {});
  } else {
    const made = config.cluster ? createCluster({ rootNodes: config.cluster.map((n) => ({ url: `redis://${n.host}:${n.port}` })) }) : createClient({ url: config.redisUrl });
    redis = await made.on('error', () => {}).connect();
  }
  store = createRedisTokenStore({
    redis,
    ...(config.lockTtl ? { lockTtl: config.lockTtl } : {}),
    ...(config.timeout ? { timeout: config.timeout } : {}),
    onError: (error) => {
      storeErrors++;
      process.stderr.write(`store-error ${error.code} ${error.message}\n`);
    },
  });
}

const api = createOnsMqttClient({ accessKeyId, accessKeySecret, instanceId, endpoint });
const issuer = createTokenIssuer({ client: api, ...(store ? { store } : {}), ...(config.rateLimit ? { rateLimit: config.rateLimit } : {}) });
const permissionOf = (params) => ({ resources: [params.get('topic') || 'fleet/#'], actions: 'R' });
const credentials = createCredentialHandler({
  instanceId,
  tokenIssuer: issuer,
  authorize: (request) => ({ mode: 'token', ...permissionOf(new URL(request.url).searchParams) }),
  onError: (error) => process.stderr.write(`credential-error ${error?.message ?? error}\n`),
});

const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

async function route(request) {
  const url = new URL(request.url);
  if (url.pathname === '/credentials') {
    requests++;
    return credentials(request);
  }
  if (url.pathname === '/admin/revoke') {
    // RevokeToken may be throttled (5 calls a second per account): the caller is told, as JSON.
    return issuer.revoke(permissionOf(url.searchParams)).then(
      (revoked) => json({ revoked }),
      (error) => json({ revoked: false, error: error?.openApiCode ?? error?.code ?? 'failed' }, 503),
    );
  }
  if (url.pathname === '/admin/health') {
    return json({ healthy: store ? store.healthy : true, near: store ? store.nearCacheLive : false, client: store?.client, size: issuer.size, storeErrors, requests });
  }
  return json({ error: 'not found' }, 404);
}

const server = createServer(toNodeListener(route));
server.listen({ port: config.port ?? 0, host: '127.0.0.1', backlog: 4096 }, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});

const shutdown = () => {
  server.close();
  server.closeAllConnections();
  void store?.close();
  if (redis?.disconnect) redis.disconnect();
  else redis?.destroy();
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
