/**
 * "Every public function checks its arguments first": the inputs that made exported
 * functions throw something other than `ApsaraMqttAuthError` (or quietly do the wrong thing), each
 * now refused with a typed error naming the field, before any work is done.
 */
import { describe, expect, it } from 'vitest';
import * as client from '../../src/index.js';
import * as server from '../../src/server/server-entry.js';
import { SECRET } from '../suites/api.js';

const { ApsaraMqttAuthError } = client;
const rpc = { method: 'GET' as const, action: 'QueryToken', version: '2020-04-20', accessKeyId: 'LTAI5t', accessKeySecret: SECRET, now: Date.UTC(2026, 0, 1), nonce: 'n' };
let fetched = 0;
const fetchNothing = (async () => (fetched++, Response.json({ Token: 'never' }))) as never;
const ons = (extra: Record<string, unknown> = {}) => server.createOnsMqttClient({ accessKeyId: 'LTAI5t', accessKeySecret: SECRET, regionId: 'cn-hangzhou', instanceId: 'mqtt-cn-x', fetch: fetchNothing, ...extra });
const applier = (applyToken: () => unknown) => ({ accessKeyId: 'LTAI5t', instanceId: 'mqtt-cn-x', applyToken }) as never;

type Case = [name: string, run: () => unknown, field: string | undefined];

/** Each threw a TypeError, RangeError or URIError before, or returned something it should not have. */
const CASES: Case[] = [
  ["tokenTypeOf('constructor') (returned Object's constructor)", () => server.tokenTypeOf('constructor' as never), 'actions'],
  ["tokenTypeOf('__proto__')", () => server.tokenTypeOf('__proto__' as never), 'actions'],
  ["tokenTypeOf('toString')", () => server.tokenTypeOf('toString' as never), 'actions'],
  ["applyToken({ actions: 'constructor' }) (was sent to the service)", () => ons().applyToken({ resources: ['a/b'], actions: 'constructor' as never, expireTime: Date.now() + 3_600_000 }), 'actions'],
  ["applyToken({ actions: 'hasOwnProperty' })", () => ons().applyToken({ resources: ['a/b'], actions: 'hasOwnProperty' as never, expireTime: Date.now() + 3_600_000 }), 'actions'],
  ['createOnsMqttClient({ clock }) at 8.7e15 ms: applyToken (RangeError)', () => ons({ clock: { ...client.systemClock, now: () => 8.7e15 } }).applyToken({ resources: ['a'], actions: 'R', expireTime: 8.7e15 + 3_600_000 }), 'now'],
  ['createOnsMqttClient({ clock }) whose now() throws', () => ons({ clock: { ...client.systemClock, now: () => { throw new TypeError('clock'); } } }).applyToken({ resources: ['a'], actions: 'R', expireTime: Date.now() + 3_600_000 }), 'clock'],
  ['createOnsMqttClient({ timeout: 1e300 }) (RangeError on every call)', () => ons({ timeout: 1e300 }), 'timeout'],
  ['createOnsMqttClient: fetch resolving to a non-Response (TypeError)', () => ons({ fetch: async () => 5 }).queryToken({ token: 'abcd' }), 'fetch'],
  ['rpcTimestamp(1e16) (RangeError)', () => server.rpcTimestamp(1e16), 'now'],
  ["percentEncode('\\uD800') (URIError)", () => server.percentEncode('\uD800'), 'value'],
  ['percentEncode(undefined) (encoded "undefined")', () => server.percentEncode(undefined as never), 'value'],
  ['stringToSign(undefined, {}) (TypeError)', () => server.stringToSign(undefined as never, {}), 'method'],
  ["stringToSign('GET', null) (TypeError)", () => server.stringToSign('GET', null as never), 'params'],
  ['canonicalQuery(null) (TypeError)', () => server.canonicalQuery(null as never), 'params'],
  ['canonicalQuery({ a: 5 }) (signed "5")', () => server.canonicalQuery({ a: 5 } as never), 'params.a'],
  ['signRpcRequest({ params: null }) (TypeError)', () => server.signRpcRequest({ ...rpc, params: null as never }), 'params'],
  ['signRpcRequest({ now: 1e16 }) (RangeError)', () => server.signRpcRequest({ ...rpc, now: 1e16 }), 'now'],
  ["signRpcRequest({ params: { a: '\\uD800' } }) (URIError)", () => server.signRpcRequest({ ...rpc, params: { a: '\uD800' } }), 'params.a'],
  ["signRpcRequest({ format: 'YAML' }) (sent as is)", () => server.signRpcRequest({ ...rpc, format: 'YAML' as never }), 'format'],
  ['openApiSignature(null) (TypeError)', () => server.openApiSignature(null as never), 'options'],
  ['openApiSignature({ params: null }) (TypeError)', () => server.openApiSignature({ method: 'GET', accessKeySecret: SECRET, params: null as never }), 'params'],
  ["onSessionEvent(null, 'credentials', fn) (TypeError)", () => client.onSessionEvent(null as never, 'credentials', () => undefined), 'client'],
  ["onSessionEvent({}, 'credentials', fn) (TypeError)", () => client.onSessionEvent({} as never, 'credentials', () => undefined), 'client'],
  ['a token issuer whose applier returns a non-promise (TypeError)', () => server.createTokenIssuer({ client: applier(() => 5) }).issue({ resources: ['a'], actions: 'R' }), 'client'],
  ['a token issuer whose applier resolves to a non-token (served as a token)', () => server.createTokenIssuer({ client: applier(async () => ({})) }).issue({ resources: ['a'], actions: 'R' }), 'client'],
  ['new AppliedToken(token, null) (TypeError)', () => new server.AppliedToken('t', null as never), 'info'],
  ['new DeviceCredential(secret, null) (TypeError)', () => new server.DeviceCredential(SECRET, null as never), 'info'],
  ['remoteCredentials(url, null) (TypeError at the first fetch)', () => client.remoteCredentials('https://app.example/creds', null as never), 'init'],
  ["remoteCredentials(url, { headers: [['bad header', 'x']] }) (TypeError at the first fetch)", () => client.remoteCredentials('https://app.example/creds', { headers: [['bad header', 'x']] }), 'init.headers'],
  ['connect({ mqtt: { connect: () => 5 } }) (TypeError)', () => client.connect({ instanceId: 'mqtt-cn-x', clientId: 'GID_sec@@@d', credentials: { username: 'u', password: 'p' }, mqtt: { connect: () => 5 } as never }), 'mqtt'],
  ['connect({ mqtt: 5 }) (used the installed mqtt.js instead)', () => client.connect({ instanceId: 'mqtt-cn-x', clientId: 'GID_sec@@@d', credentials: { username: 'u', password: 'p' }, mqtt: 5 as never }), 'mqtt'],
  ['connect({ clock: 5 }) (TypeError)', () => client.connect({ instanceId: 'mqtt-cn-x', clientId: 'GID_sec@@@d', credentials: { username: 'u', password: 'p' }, mqtt: { connect: () => ({}) } as never, clock: 5 as never }), 'clock'],
  ["createConnectOptions({ transport: {} }) (TypeError)", () => client.createConnectOptions({ instanceId: 'mqtt-cn-x', clientId: 'GID_sec@@@d', credentials: { username: 'u', password: 'p' }, transport: Object.create(null) }), 'transport'],
  ['a credential handler called with a non-Request (TypeError)', () => server.createCredentialHandler({ instanceId: 'mqtt-cn-x' })(5 as never), 'request'],
  ["createCredentialHandler({ connect: 5 }) (ignored)", () => server.createCredentialHandler({ instanceId: 'mqtt-cn-x', connect: 5 as never }), 'connect'],
  ['toNodeListener(5) (failed on the first request)', () => server.toNodeListener(5 as never), 'handler'],
];

describe('every public function checks its arguments first', () => {
  it.each(CASES)('%s', async (_name, run, field) => {
    fetched = 0;
    let caught: unknown;
    try {
      await run();
    } catch (error) {
      caught = error;
    }
    expect(caught, 'a typed error').toBeInstanceOf(ApsaraMqttAuthError);
    if (field !== undefined) expect((caught as InstanceType<typeof ApsaraMqttAuthError>).field).toBe(field);
    expect(fetched, 'nothing sent').toBe(0);
  });

  it("a parameter named like an Object.prototype member is an ordinary parameter (was refused as a common one)", async () => {
    const signed = await server.signRpcRequest({ ...rpc, params: { constructor: 'x', toString: 'y' } });
    expect(signed).toMatchObject({ constructor: 'x', toString: 'y' });
  });

  it('connect(a megabyte string) is refused as options before anything reads the string', () => {
    const input = 'x'.repeat(2 ** 20);
    // Before, the string was spread into an object of a million keys (1.9 s) and the error named instanceId.
    expect(() => client.connect(input as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', field: 'options' }));
    expect(() => client.createConnectOptions(input as never)).toThrow(expect.objectContaining({ field: 'options' }));
  });

  it('the error classes take any message and options without throwing', () => {
    const odd = Object.create(null) as object; // String(odd) throws
    for (const error of [new ApsaraMqttAuthError('ERR_INVALID_ARGUMENT', odd as never, null as never), new server.OpenApiError(odd as never, null as never), new ApsaraMqttAuthError('ERR_INVALID_ARGUMENT', 'm', 5 as never)]) {
      expect(error).toBeInstanceOf(ApsaraMqttAuthError);
      expect(typeof error.message).toBe('string');
    }
  });

  it('an actions value is never echoed (a string in the wrong place can be a secret)', () => {
    let caught: unknown;
    try {
      server.tokenTypeOf(SECRET as never);
    } catch (error) {
      caught = error;
    }
    expect(String((caught as Error).message)).not.toContain(SECRET.slice(0, 6));
  });
});
