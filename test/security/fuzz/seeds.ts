/**
 * Valid calls the fuzzer starts from, by export name and by method name. Mutating a valid call (a
 * field dropped, replaced by anything, a key added) reaches far deeper than random arguments alone.
 * An export without a seed is still fuzzed, with random arguments only; a method without one too.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CANARY, CLIENT_ID, CONTROL_SECRET, fakeMqtt, FETCH_FAKES, NOW, SECRET } from './values.js';

/** One way to call an export. */
export interface Seed {
  /** Fresh arguments (a new call may need new stateful objects). */
  args: () => unknown[];
  /** Called on the mutated arguments before the call, to keep a fuzzed call on loopback. */
  sanitize?: (args: unknown[]) => void;
}

/** How an export is fuzzed. */
export interface ExportPlan {
  seeds: Seed[];
  /** The result (and the results of its methods listed in `HIDING_METHODS`) must not show the canary in inspect or JSON. */
  hides?: boolean;
  /** Does I/O (listens, reads files, connects): fewer runs. */
  io?: boolean;
  /** The result is another library's object (mqtt.js's client): its methods are not fuzzed. */
  foreign?: boolean;
  /**
   * The result runs callbacks it was given, synchronously, and lets what they throw through, as a
   * timer does (a manual clock): an error thrown by one of the fuzzer's callbacks is accepted as is.
   */
  propagates?: boolean;
}

const INSTANCE = 'mqtt-cn-fuzz';
const AK = 'LTAIfuzz';
const seed = (...args: unknown[]): Seed => ({ args: () => args.map((a) => (typeof a === 'function' && (a as { fresh?: boolean }).fresh ? (a as () => unknown)() : a)) });
/** A seed argument made anew for every call. */
const fresh = <T>(make: () => T): (() => T) => Object.assign(make, { fresh: true });

const signature = { accessKeyId: AK, accessKeySecret: SECRET, instanceId: INSTANCE, clientId: CLIENT_ID };
const device = { deviceAccessKeyId: 'dak', deviceAccessKeySecret: SECRET, instanceId: INSTANCE, clientId: CLIENT_ID };
const onsOptions = (fetch = FETCH_FAKES[0] as never) => ({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: 'http://127.0.0.1:9/', instanceId: INSTANCE, fetch, nonce: () => 'n-1' });

/** Lazily imported, so the client entry's fuzzing does not need the server or broker sources. */
let server: typeof import('../../../src/server/server-entry.js') | undefined;
let broker: typeof import('../../../src/broker/broker-entry.js') | undefined;
export async function loadEntries(): Promise<void> {
  server = await import('../../../src/server/server-entry.js');
  broker = await import('../../../src/broker/broker-entry.js');
}

const issuer = fresh(() => server!.createTokenIssuer({ client: server!.createOnsMqttClient(onsOptions()) }));
const tokenStore = fresh(() => new broker!.TokenStore({ instanceId: INSTANCE }));
const deviceStore = fresh(() => new broker!.DeviceStore({ instanceId: INSTANCE }));

const configDir = mkdtempSync(join(tmpdir(), 'fuzz-config-'));
const configFile = join(configDir, 'broker.json');
writeFileSync(configFile, JSON.stringify({ instanceId: INSTANCE, accessKeys: [{ accessKeyId: AK, accessKeySecret: SECRET }], tcpPort: 0, wsPort: 0, httpPort: 0 }));

/**
 * The broker a connection is for is named in its errors ("could not connect to mqtts://host:8883"):
 * a host is public, so the canary is kept out of it.
 */
function publicHost(args: unknown[]): void {
  const options = args[0] as Record<string, unknown> | null;
  if (options !== null && typeof options === 'object' && typeof options.host === 'string' && options.host.includes(CANARY)) options.host = '127.0.0.1';
}

/** A fuzzed broker stays on loopback and on ephemeral ports: no lookup, no fixed port taken. */
function loopbackOnly(args: unknown[]): void {
  const config = args[0];
  if (config === null || typeof config !== 'object') return;
  const c = config as Record<string, unknown>;
  if (typeof c.host === 'string' && c.host !== '' && c.host !== '127.0.0.1' && c.host !== '::1') c.host = '127.0.0.1';
  for (const key of ['tcpPort', 'wsPort', 'httpPort']) {
    if (typeof c[key] === 'number' && Number.isInteger(c[key]) && (c[key] as number) > 0 && (c[key] as number) <= 65535) c[key] = 0;
  }
}

export const PLANS: Record<string, ExportPlan> = {
  // client entry
  ApsaraMqttAuthError: { seeds: [seed('ERR_INVALID_ARGUMENT', 'clientId is wrong', { field: 'clientId', returnCode: 5 })] },
  hmacSha1: { seeds: [seed(SECRET, CLIENT_ID), seed(new Uint8Array(100), new Uint8Array(3))] },
  webCryptoHmacSha1: { seeds: [seed(SECRET, CLIENT_ID)] },
  nobleHmacSha1: { seeds: [seed(SECRET, CLIENT_ID)] },
  signatureCredentials: { seeds: [seed(signature)] },
  deviceCredentials: { seeds: [seed(device)] },
  customCredentials: { seeds: [seed({ username: 'user', secret: SECRET, clientId: CLIENT_ID, signMode: 'SIGNED' }), seed({ username: 'user', secret: SECRET, clientId: CLIENT_ID, signMode: 'ORIGIN' })] },
  tokenCredentials: { seeds: [seed({ accessKeyId: AK, instanceId: INSTANCE, tokens: { R: SECRET, RW: SECRET } })] },
  formatClientId: { seeds: [seed('GID_fuzz', 'device-1')] },
  parseClientId: { seeds: [seed(CLIENT_ID)] },
  validateClientId: { seeds: [seed(CLIENT_ID)] },
  createSigner: { hides: true, seeds: [seed({ accessKeyId: AK, accessKeySecret: SECRET, instanceId: INSTANCE }), seed({ accessKeyId: AK, accessKeySecret: SECRET, instanceId: INSTANCE, mode: 'device', backend: 'noble' })] },
  createConnectOptions: { seeds: [seed({ instanceId: INSTANCE, clientId: CLIENT_ID, credentials: { username: 'Signature|a|b', password: SECRET }, transport: 'wss', host: '127.0.0.1', port: 1, path: '/mqtt' })] },
  connect: {
    io: true,
    foreign: true,
    seeds: [
      { ...seed({ instanceId: INSTANCE, clientId: CLIENT_ID, credentials: { username: 'u', password: SECRET }, mqtt: fakeMqtt(), host: '127.0.0.1', transport: 'tcp', reconnectPeriod: 0 }), sanitize: publicHost },
      { ...seed({ instanceId: INSTANCE, clientId: CLIENT_ID, credentials: () => ({ username: 'u', password: SECRET, expiresAt: NOW + 60_000 }), mqtt: fakeMqtt(), host: '127.0.0.1' }), sanitize: publicHost },
    ],
  },
  connectAsync: {
    io: true,
    foreign: true,
    seeds: [
      { ...seed({ instanceId: INSTANCE, clientId: CLIENT_ID, credentials: { username: 'u', password: SECRET }, mqtt: fakeMqtt(), host: '127.0.0.1', transport: 'tcp', reconnectPeriod: 0 }), sanitize: publicHost },
      { ...seed({ instanceId: INSTANCE, clientId: CLIENT_ID, credentials: Promise.resolve({ username: 'u', password: SECRET }), mqtt: fakeMqtt(), host: '127.0.0.1' }), sanitize: publicHost },
    ],
  },
  staticCredentials: { seeds: [seed({ username: 'u', password: SECRET, expiresAt: NOW })] },
  signatureProvider: { hides: true, seeds: [seed(signature)] },
  deviceProvider: { hides: true, seeds: [seed(device)] },
  remoteCredentials: { seeds: [seed('http://127.0.0.1:9/credentials', { headers: { authorization: 'Bearer x' } })] },
  onSessionEvent: { seeds: [seed(fresh(() => fakeMqtt().connect('mqtt://127.0.0.1:9', {})), 'credentials', () => undefined)] },
  refreshCredentials: { seeds: [seed(fresh(() => fakeMqtt().connect('mqtt://127.0.0.1:9', {})))] },
  explainSignature: { seeds: [seed({ ...signature, secret: SECRET, accessKeySecret: undefined }), seed({ mode: 'custom', username: 'user', secret: SECRET, clientId: CLIENT_ID })] },

  // server entry
  createOnsMqttClient: { hides: true, seeds: [...FETCH_FAKES.map((f) => seed(fresh(() => onsOptions(f as never)))), seed(fresh(() => ({ ...onsOptions(), method: 'GET' })))] },
  OpenApiError: { seeds: [seed('failed', { openApiCode: 'X', requestId: 'r', status: 500, field: 'f' })] },
  AppliedToken: { hides: true, seeds: [seed(SECRET, { instanceId: INSTANCE, resources: ['a/b'], actions: 'R', type: 'R', expiresAt: NOW })] },
  DeviceCredential: { hides: true, seeds: [seed(SECRET, { clientId: CLIENT_ID, instanceId: INSTANCE, deviceAccessKeyId: 'dak' })] },
  createTokenIssuer: { hides: true, seeds: FETCH_FAKES.map((f) => seed(fresh(() => ({ client: server!.createOnsMqttClient(onsOptions(f as never)), ttl: 3_600_000 })))) },
  createCredentialHandler: {
    hides: true,
    seeds: [
      seed(fresh(() => ({ instanceId: INSTANCE, accessKeyId: AK, accessKeySecret: SECRET, authorize: () => ({ mode: 'signature' }) }))),
      seed(fresh(() => ({ instanceId: INSTANCE, deviceSecret: () => ({ deviceAccessKeyId: 'dak', deviceAccessKeySecret: SECRET }), authorize: () => ({ mode: 'device' }), cors: { origin: ['https://app.example'] } }))),
      seed(fresh(() => ({ instanceId: INSTANCE, tokenIssuer: issuer(), authorize: () => ({ mode: 'token', resources: ['a/#'], actions: 'R,W' }), onError: () => undefined }))),
    ],
  },
  toNodeListener: { seeds: [seed(() => new Response('ok'), { maxBodyBytes: 100, bodyTimeoutMs: 50, onError: () => undefined })] },
  signRpcRequest: { seeds: [seed({ method: 'POST', action: 'QueryToken', version: '2020-04-20', accessKeyId: AK, accessKeySecret: SECRET, params: { InstanceId: INSTANCE, Token: SECRET }, now: NOW, nonce: 'n' })] },
  rpcTimestamp: { seeds: [seed(NOW)] },
  openApiSignature: { seeds: [seed({ method: 'GET', accessKeySecret: SECRET, params: { Action: 'DescribeRegions', Token: SECRET } })] },
  canonicalQuery: { seeds: [seed({ b: '2', a: SECRET })] },
  percentEncode: { seeds: [seed(SECRET + ' *~')] },
  stringToSign: { seeds: [seed('GET', { Token: SECRET })] },
  tokenTypeOf: { seeds: [seed('R,W')] },

  // broker entry
  startBroker: {
    io: true,
    hides: true,
    seeds: [
      {
        args: () => [{ instanceId: INSTANCE, host: '127.0.0.1', tcpPort: 0, wsPort: false, httpPort: 0, accessKeys: [{ accessKeyId: AK, accessKeySecret: SECRET }], devices: [{ clientId: CLIENT_ID, deviceAccessKeyId: 'dak', deviceAccessKeySecret: SECRET }], tokens: [{ token: SECRET, resources: ['a/#'], actions: 'R', expireTime: NOW + 3_600_000 }] }],
        sanitize: loopbackOnly,
      },
    ],
  },
  TokenStore: { hides: true, seeds: [seed({ instanceId: INSTANCE })] },
  DeviceStore: { hides: true, seeds: [seed({ instanceId: INSTANCE })] },
  createManualClock: { propagates: true, seeds: [seed(NOW)] },
  // A rule source that is a function is the caller's: what it throws is theirs.
  rulesPolicy: { propagates: true, seeds: [seed([{ effect: 'allow', topic: 'a/#', actions: new Set(['R', 'W']) }]), seed(() => [])] },
  createControlRoutes: {
    hides: true,
    seeds: [
      seed(fresh(() => ({ instanceId: INSTANCE, controlSecret: CONTROL_SECRET, tokens: tokenStore(), devices: deviceStore(), urls: () => ({}), sessions: () => [] }))),
      seed(fresh(() => ({ instanceId: INSTANCE, controlSecret: false, tokens: tokenStore(), devices: deviceStore(), urls: () => ({}), sessions: () => [] }))),
    ],
  },
  topicMatches: { seeds: [seed('a/+/c', 'a/b/c')] },
  filterCovers: { seeds: [seed('a/#', 'a/b/+')] },
  parseP2pTopic: { seeds: [seed(`a/p2p/${CLIENT_ID}`)] },
  checkTopic: { seeds: [seed([{ resources: ['a/#'], actions: new Set(['R']) }], 'R', 'a/b')] },
  checkSubscription: { seeds: [seed([{ resources: ['a/#'], actions: new Set(['R']) }], 'a/+')] },
  parseBrokerConfig: { hides: true, seeds: [seed({ instanceId: INSTANCE, accessKeys: [{ accessKeyId: AK, accessKeySecret: SECRET }], tokens: [{ token: SECRET, resources: 'a/#', actions: 'R', expiresInMs: 60_000 }] })] },
  loadBrokerConfig: { io: true, hides: true, seeds: [seed(configFile), seed(configFile, { env: {}, clock: { now: () => NOW, setTimeout: () => 0, clearTimeout: () => undefined } })] },
  createOpenApiService: { hides: true, seeds: [seed(fresh(() => ({ accessKeys: { [AK]: SECRET }, instanceId: INSTANCE, tokens: tokenStore(), devices: deviceStore() })))] },
};

/** Arguments for methods of what the exports return, by method name. */
export const METHOD_SEEDS: Record<string, () => unknown[][]> = {
  sign: () => [[CLIENT_ID]],
  digest: () => [[SECRET], [new Uint8Array(3)]],
  applyToken: () => [[{ resources: ['a/b'], actions: 'R', expireTime: NOW + 3_600_000 }]],
  queryToken: () => [[{ token: SECRET }]],
  revokeToken: () => [[{ token: SECRET }]],
  registerDeviceCredential: () => [[{ clientId: CLIENT_ID }]],
  getDeviceCredential: () => [[{ clientId: CLIENT_ID }]],
  refreshDeviceCredential: () => [[{ clientId: CLIENT_ID }]],
  unregisterDeviceCredential: () => [[{ clientId: CLIENT_ID }]],
  call: () => [['QueryToken', { InstanceId: INSTANCE, Token: SECRET }]],
  issue: () => [[{ resources: ['a/#'], actions: 'R,W' }], [{ resources: 'a/#', actions: 'R' }, { verify: true }]],
  invalidate: () => [[{ resources: ['a/#'], actions: 'R,W' }], []],
  apply: () => [[{ resources: 'a/#', actions: 'R', expireTime: NOW + 3_600_000 }]],
  add: () => [
    [{ token: SECRET, resources: 'a/#', actions: 'R', expireTime: NOW + 3_600_000 }],
    [{ clientId: CLIENT_ID, deviceAccessKeyId: 'dak', deviceAccessKeySecret: SECRET }],
  ],
  query: () => [[SECRET]],
  describe: () => [[SECRET]],
  revoke: () => [[SECRET]],
  check: () => [[SECRET, { type: 'R' }]],
  onRevoke: () => [[() => undefined]],
  register: () => [[CLIENT_ID]],
  get: () => [[CLIENT_ID]],
  refresh: () => [[CLIENT_ID]],
  unregister: () => [[CLIENT_ID]],
  url: () => [['tcp'], ['http'], ['ws']],
  urls: () => [[]],
  endpoint: () => [['tcp'], ['ws']],
  sessions: () => [[]],
  addRoute: () => [[async () => undefined]],
  advance: () => [[1000]],
  set: () => [[NOW + 1000]],
  setTimeout: () => [[() => undefined, 10]],
  clearTimeout: () => [[1]],
  pending: () => [[]],
};

/** Methods whose results keep their secrets out of inspect and JSON too. */
export const HIDING_METHODS = new Set(['applyToken', 'registerDeviceCredential', 'getDeviceCredential', 'refreshDeviceCredential', 'issue', 'register', 'get', 'refresh', 'add', 'describe', 'check', 'sessions']);
