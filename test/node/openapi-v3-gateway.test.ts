/**
 * Signature V3 end to end, and the local STS: the SDK's signer agrees byte for byte with Alibaba's
 * `@alicloud/openapi-util`; `@alicloud/openapi-client` (V3 by default, and V2), pop-core (V2) and the
 * SDK's own client pass the local OpenAPI's gateway, which refuses what Alibaba's refuses with its
 * codes; `AssumeRole` issues temporary credentials that every action accepts until they expire.
 * Real HTTP on loopback; the service's clock is a manual one started at the real time (Alibaba's
 * clients stamp their requests with the real clock).
 */
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenApiService, type OpenApiService } from '../../src/broker/openapi-service.js';
import { DeviceStore, TokenStore } from '../../src/broker/broker-entry.js';
import { ApsaraMqttAuthError, createOnsMqttClient, OpenApiError, signV3Request, type OpenApiCredentialProvider } from '../../src/server/server-entry.js';
import { manualClock } from '../helpers/manual-clock.js';
import { openApiCore } from '../helpers/openapi-client.js';
import { serve, type Served } from '../helpers/loopback.js';

const require = createRequire(import.meta.url);
const OpenApiUtil = (require('@alicloud/openapi-util') as { default: { getAuthorization(request: unknown, algorithm: string, payload: string, ak: string, secret: string): string } }).default;
const RPCClient = require('@alicloud/pop-core') as new (config: Record<string, unknown>) => { request(action: string, params: Record<string, unknown>, options?: Record<string, unknown>): Promise<Record<string, unknown>> };

const AK = 'LTAI5tV3Gateway';
const SECRET = 'v3-gateway-secret-0123456789abcdef';
const OTHER_AK = 'LTAI5tV3Other';
const INSTANCE = 'mqtt-cn-v3';
const ROLE = 'acs:ram::1234567890123456:role/mqtt-token-issuer';
const clock = manualClock(Date.now());

let service: OpenApiService;
let served: Served;
let tokens: TokenStore;

beforeAll(async () => {
  tokens = new TokenStore({ instanceId: INSTANCE, clock });
  service = createOpenApiService({
    accessKeys: [{ accessKeyId: AK, accessKeySecret: SECRET }, { accessKeyId: OTHER_AK, accessKeySecret: SECRET + '-other' }],
    instanceId: INSTANCE,
    tokens,
    devices: new DeviceStore({ instanceId: INSTANCE, clock }),
    clock,
    rateLimits: false,
    sts: { roles: [{ arn: ROLE, maxSessionSeconds: 7200 }], minSessionSeconds: 1 },
  });
  served = await serve(service);
});
afterAll(() => served?.close());

const renderings = (value: unknown) => [String(value), JSON.stringify(value) ?? '', inspect(value, { depth: 10, showHidden: true }), (value as Error)?.stack ?? ''];

async function rejection(promise: Promise<unknown>): Promise<ApsaraMqttAuthError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApsaraMqttAuthError);
  return error as ApsaraMqttAuthError;
}

/** A raw V3 request built with the SDK's signer and sent with fetch; `tamper` changes it after signing. */
async function rawV3(options: { action?: string; version?: string; body?: string; accessKeyId?: string; secret?: string; securityToken?: string; nonce?: string; now?: number; tamper?: (init: { headers: Record<string, string>; body: string }) => void }) {
  const body = options.body ?? `InstanceId=${INSTANCE}&Token=none`;
  const headers = await signV3Request({
    method: 'POST',
    host: new URL(served.url).host,
    action: options.action ?? 'QueryToken',
    version: options.version ?? '2020-04-20',
    accessKeyId: options.accessKeyId ?? AK,
    accessKeySecret: options.secret ?? SECRET,
    ...(options.securityToken ? { securityToken: options.securityToken } : {}),
    body,
    contentType: 'application/x-www-form-urlencoded',
    now: options.now ?? clock.now(),
    nonce: options.nonce ?? crypto.randomUUID(),
  });
  const init = { headers: { ...headers }, body };
  options.tamper?.(init);
  const response = await fetch(served.url, { method: 'POST', headers: init.headers, body: init.body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Temporary credentials from the local STS, through `@alicloud/openapi-client` (V3). */
async function assumeRole(durationSeconds = 3600, caller = { accessKeyId: AK, accessKeySecret: SECRET }) {
  const sts = openApiCore({ endpoint: served.url, ...caller, version: '2015-04-01' });
  const answer = await sts('AssumeRole', { RoleArn: ROLE, RoleSessionName: 'credential-server', DurationSeconds: String(durationSeconds) }, 'query');
  expect(answer.status).toBe(200);
  const c = answer.body['Credentials'] as Record<string, string>;
  return { accessKeyId: c['AccessKeyId']!, accessKeySecret: c['AccessKeySecret']!, securityToken: c['SecurityToken']!, expiration: c['Expiration']! };
}

describe('the signer agrees with @alicloud/openapi-util', () => {
  it('byte for byte on 200 random requests (Unicode, reserved characters, STS tokens, GET and POST)', async () => {
    // Code points, not code units: a lone surrogate has no UTF-8 form (and is refused by name).
    const alphabet = Array.from('aZ09 -_.~*!\'()/+=&%é中😀');
    const pick = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
    for (let i = 0; i < 200; i++) {
      const query: Record<string, string> = {};
      for (let j = 0; j < (i % 4); j++) query[`P${j}${pick(2).replace(/[^A-Za-z0-9]/g, 'x')}`] = pick(8);
      const body = i % 2 ? `Resources=${encodeURIComponent(pick(12))}` : undefined;
      const options = {
        method: (i % 2 ? 'POST' : 'GET') as 'POST' | 'GET',
        host: '127.0.0.1:8080',
        action: 'ApplyToken',
        version: '2020-04-20',
        accessKeyId: i % 3 ? AK : 'STS.NUx2abc',
        accessKeySecret: pick(30),
        ...(i % 3 ? {} : { securityToken: 'CAIS' + pick(40) }),
        query,
        ...(body ? { body, contentType: 'application/x-www-form-urlencoded' } : {}),
        now: 1_700_000_000_000 + i * 1000,
        nonce: crypto.randomUUID(),
      };
      const ours = await signV3Request(options);
      const { authorization, ...sent } = ours;
      const theirs = OpenApiUtil.getAuthorization(
        { pathname: '/', method: options.method, query, headers: { host: options.host, ...sent } },
        'ACS3-HMAC-SHA256',
        sent['x-acs-content-sha256']!,
        options.accessKeyId,
        options.accessKeySecret,
      );
      expect(authorization).toBe(theirs);
    }
  });
});

describe('Alibaba clients and the SDK client pass the gateway', () => {
  it('@alicloud/openapi-client with its defaults (V3) and with signatureAlgorithm v2: ApplyToken → QueryToken', async () => {
    for (const signatureAlgorithm of [undefined, 'v2'] as const) {
      const call = openApiCore({ endpoint: served.url, accessKeyId: AK, accessKeySecret: SECRET, ...(signatureAlgorithm ? { signatureAlgorithm } : {}) });
      const applied = await call('ApplyToken', { InstanceId: INSTANCE, Resources: 'v3/a', Actions: 'R', ExpireTime: String(clock.now() + 3600_000) });
      expect(applied).toMatchObject({ status: 200 });
      const token = applied.body['Token'] as string;
      expect(await call('QueryToken', { InstanceId: INSTANCE, Token: token })).toMatchObject({ status: 200, body: { TokenStatus: true } });
      const wrong = openApiCore({ endpoint: served.url, accessKeyId: AK, accessKeySecret: 'wrong', ...(signatureAlgorithm ? { signatureAlgorithm } : {}) });
      expect(await wrong('QueryToken', { InstanceId: INSTANCE, Token: token })).toMatchObject({ status: 400, code: 'SignatureDoesNotMatch' });
    }
  });

  it('the SDK client: V3 by default (POST and GET), V2 on request', async () => {
    const before = service.calls['QueryToken'] ?? 0;
    for (const extra of [{}, { method: 'GET' as const }, { signatureAlgorithm: 'v2' as const }, { signatureAlgorithm: 'v2' as const, method: 'GET' as const }]) {
      const api = createOnsMqttClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: served.url, instanceId: INSTANCE, clock, ...extra });
      expect(api.signatureAlgorithm).toBe(extra.signatureAlgorithm ?? 'ACS3-HMAC-SHA256');
      expect(await api.queryToken({ token: 'unknown token with spaces *~' })).toBe(false);
    }
    expect(service.calls['QueryToken']).toBe(before + 4);
  });

  it('the SDK client sends V3 headers, not V2 parameters, by default', async () => {
    const seen: { url: string; headers: Record<string, string>; body?: string }[] = [];
    const api = createOnsMqttClient({
      accessKeyId: AK, accessKeySecret: SECRET, endpoint: served.url, instanceId: INSTANCE, clock,
      fetch: (url, init) => (seen.push({ url, headers: init.headers, ...(init.body ? { body: init.body } : {}) }), fetch(url, init)),
    });
    await api.queryToken({ token: 't' });
    expect(seen[0]!.headers).toMatchObject({ 'x-acs-action': 'QueryToken', 'x-acs-version': '2020-04-20', 'content-type': 'application/x-www-form-urlencoded' });
    expect(seen[0]!.headers['authorization']).toMatch(/^ACS3-HMAC-SHA256 Credential=LTAI5tV3Gateway,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=[0-9a-f]{64}$/);
    expect(seen[0]!.body).toBe(`InstanceId=${INSTANCE}&Token=t`);
    expect(seen[0]!.url).toBe(served.url);
  });
});

describe('the gateway refuses V3 requests as Alibaba documents', () => {
  it('a valid raw request passes (the control)', async () => {
    expect(await rawV3({})).toMatchObject({ status: 200, body: { TokenStatus: false } });
  });

  it('a wrong secret → SignatureDoesNotMatch, quoting the canonical request but no secret', async () => {
    const answer = await rawV3({ secret: 'not-the-secret' });
    expect(answer).toMatchObject({ status: 400, body: { Code: 'SignatureDoesNotMatch' } });
    expect(answer.body['Message']).toContain('x-acs-action:QueryToken');
    expect(JSON.stringify(answer.body)).not.toContain(SECRET);
  });

  it('a body changed after signing → SignatureDoesNotMatch; a header changed after signing too', async () => {
    expect(await rawV3({ tamper: (init) => void (init.body += 'x') })).toMatchObject({ status: 400, body: { Code: 'SignatureDoesNotMatch' } });
    expect(await rawV3({ tamper: (init) => void (init.headers['x-acs-action'] = 'RevokeToken') })).toMatchObject({ status: 400, body: { Code: 'SignatureDoesNotMatch' } });
  });

  it('a replayed request → SignatureNonceUsed', async () => {
    const nonce = crypto.randomUUID();
    expect((await rawV3({ nonce })).status).toBe(200);
    expect(await rawV3({ nonce })).toMatchObject({ status: 400, body: { Code: 'SignatureNonceUsed' } });
    // The nonce is per AccessKey.
    expect((await rawV3({ nonce, accessKeyId: OTHER_AK, secret: SECRET + '-other' })).status).toBe(200);
  });

  it('x-acs-date more than 15 minutes off → InvalidTimeStamp.Expired; malformed → InvalidTimeStamp.Format', async () => {
    expect(await rawV3({ now: clock.now() - 16 * 60_000 })).toMatchObject({ status: 400, body: { Code: 'InvalidTimeStamp.Expired' } });
    expect(await rawV3({ now: clock.now() + 16 * 60_000 })).toMatchObject({ status: 400, body: { Code: 'InvalidTimeStamp.Expired' } });
    expect(await rawV3({ tamper: (init) => void (init.headers['x-acs-date'] = 'yesterday') })).toMatchObject({ status: 400, body: { Code: 'InvalidTimeStamp.Format' } });
  });

  it('missing or incomplete signature parts → IncompleteSignature', async () => {
    expect(await rawV3({ tamper: (init) => void delete init.headers['authorization'] })).toMatchObject({ status: 400, body: { Code: 'IncompleteSignature' } });
    expect(await rawV3({ tamper: (init) => void (init.headers['authorization'] = 'ACS3-HMAC-SHA256 Credential=x') })).toMatchObject({ status: 400, body: { Code: 'IncompleteSignature' } });
    expect(await rawV3({ tamper: (init) => void delete init.headers['x-acs-signature-nonce'] })).toMatchObject({ status: 400, body: { Code: 'IncompleteSignature' } });
    // An x-acs-* header added after signing is not in SignedHeaders.
    expect(await rawV3({ tamper: (init) => void (init.headers['x-acs-extra'] = '1') })).toMatchObject({ status: 400, body: { Code: 'IncompleteSignature' } });
    expect(await rawV3({ tamper: (init) => void (init.headers['authorization'] = init.headers['authorization']!.replace('ACS3-HMAC-SHA256', 'ACS3-HMAC-SM3')) })).toMatchObject({ status: 400, body: { Code: 'InvalidSignatureMethod' } });
  });

  it('an unknown AccessKey → InvalidAccessKeyId.NotFound (404); a SecurityToken with a permanent key → InvalidSecurityToken.Malformed', async () => {
    expect(await rawV3({ accessKeyId: 'LTAI5tNobody' })).toMatchObject({ status: 404, body: { Code: 'InvalidAccessKeyId.NotFound' } });
    expect(await rawV3({ securityToken: 'CAIS-made-up' })).toMatchObject({ status: 400, body: { Code: 'InvalidSecurityToken.Malformed' } });
  });
});

describe('the local STS', () => {
  it('AssumeRole (V3, openapi-client) answers STS credentials that expire as their Expiration says', async () => {
    const creds = await assumeRole(1800);
    expect(creds.accessKeyId).toMatch(/^STS\.[A-Za-z0-9]{20,}$/);
    expect(creds.securityToken).toMatch(/^CAIS/);
    expect(Date.parse(creds.expiration)).toBe(Math.floor(clock.now() / 1000) * 1000 + 1800_000);
    expect(creds.expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('AssumeRole through pop-core (V2) too', async () => {
    const pop = new RPCClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: served.url.replace(/\/$/, ''), apiVersion: '2015-04-01' });
    const answer = await pop.request('AssumeRole', { RoleArn: ROLE, RoleSessionName: 'pop', DurationSeconds: 900 }, { method: 'POST' });
    expect(answer).toMatchObject({ AssumedRoleUser: { Arn: `${ROLE}/pop` }, Credentials: { AccessKeyId: expect.stringMatching(/^STS\./) } });
  });

  it('every client accepts STS credentials on onsmqtt actions; tokens are bound to the AccessKey that assumed the role', async () => {
    const creds = await assumeRole();
    const { expiration: _e, ...temporary } = creds;
    for (const signatureAlgorithm of [undefined, 'v2'] as const) {
      const call = openApiCore({ endpoint: served.url, ...temporary, ...(signatureAlgorithm ? { signatureAlgorithm } : {}) });
      const applied = await call('ApplyToken', { InstanceId: INSTANCE, Resources: 'sts/a', Actions: 'R,W', ExpireTime: String(clock.now() + 3600_000) });
      expect(applied.status).toBe(200);
      expect(tokens.describe(applied.body['Token'] as string)).toMatchObject({ accessKeyId: AK });
      const api = createOnsMqttClient({ credentials: temporary, endpoint: served.url, instanceId: INSTANCE, clock, ...(signatureAlgorithm ? { signatureAlgorithm } : {}) });
      expect(await api.queryToken({ token: applied.body['Token'] as string })).toBe(true);
      for (const text of renderings(api)) for (const secret of [temporary.accessKeySecret, temporary.securityToken]) expect(text).not.toContain(secret);
    }
  });

  it('expired, forged, mismatched and missing SecurityTokens are refused with the documented codes', async () => {
    const a = await assumeRole(60);
    const b = await assumeRole(60);
    const call = (creds: { accessKeyId: string; accessKeySecret: string; securityToken?: string }, signatureAlgorithm?: 'v2') =>
      openApiCore({ endpoint: served.url, ...creds, ...(signatureAlgorithm ? { signatureAlgorithm } : {}) })('QueryToken', { InstanceId: INSTANCE, Token: 'x' });
    for (const v of [undefined, 'v2'] as const) {
      expect(await call({ ...a, securityToken: 'CAIS' + 'f'.repeat(40) }, v)).toMatchObject({ status: 400, code: 'InvalidSecurityToken.Malformed' });
      expect(await call({ ...a, securityToken: b.securityToken }, v)).toMatchObject({ status: 400, code: 'InvalidSecurityToken.MismatchWithAccessKey' });
      expect(await call({ accessKeyId: a.accessKeyId, accessKeySecret: a.accessKeySecret }, v)).toMatchObject({ status: 400, code: 'MissingSecurityToken' });
      expect(await call({ ...a, accessKeySecret: 'forged' }, v)).toMatchObject({ status: 400, code: 'SignatureDoesNotMatch' });
      expect(await call({ accessKeyId: AK, accessKeySecret: SECRET, securityToken: a.securityToken }, v)).toMatchObject({ status: 400, code: 'InvalidSecurityToken.MismatchWithAccessKey' });
    }
    expect((await call(a)).status).toBe(200);
    clock.advance(60_000);
    expect(await call(a)).toMatchObject({ status: 400, code: 'InvalidSecurityToken.Expired' });
    expect(await call(a, 'v2')).toMatchObject({ status: 400, code: 'InvalidSecurityToken.Expired' });
  });

  it('AssumeRole refuses unknown roles, durations out of range and temporary callers', async () => {
    const sts = openApiCore({ endpoint: served.url, accessKeyId: AK, accessKeySecret: SECRET, version: '2015-04-01' });
    expect(await sts('AssumeRole', { RoleArn: 'acs:ram::1234567890123456:role/nobody', RoleSessionName: 's1' }, 'query')).toMatchObject({ status: 404, code: 'EntityNotExist.Role' });
    expect(await sts('AssumeRole', { RoleArn: ROLE, RoleSessionName: 's1', DurationSeconds: '7201' }, 'query')).toMatchObject({ status: 400, code: 'InvalidParameter.DurationSeconds' });
    expect(await sts('AssumeRole', { RoleArn: ROLE }, 'query')).toMatchObject({ status: 400, code: 'MissingRoleSessionName' });
    expect(await sts('GetCallerIdentity', {}, 'query')).toMatchObject({ status: 404, code: 'InvalidAction.NotFound' });
    const { expiration: _e, ...temporary } = await assumeRole();
    const chained = openApiCore({ endpoint: served.url, ...temporary, version: '2015-04-01' });
    expect(await chained('AssumeRole', { RoleArn: ROLE, RoleSessionName: 's2' }, 'query')).toMatchObject({ status: 403, code: 'NoPermission' });
  });
});

describe('credential providers', () => {
  it('are asked before every call; the answers (key, secret, token) can change between calls', async () => {
    const sets = [await assumeRole(), await assumeRole()];
    let asked = 0;
    const provider: OpenApiCredentialProvider = { getCredential: async () => sets[asked++ % 2]! };
    const api = createOnsMqttClient({ credentials: provider, accessKeyId: AK, endpoint: served.url, instanceId: INSTANCE, clock });
    expect(api.accessKeyId).toBe(AK);
    for (let i = 0; i < 4; i++) expect(await api.queryToken({ token: 't' })).toBe(false);
    expect(asked).toBe(4);
  });

  it('one that fails gives ERR_CREDENTIALS_UNAVAILABLE without what its message quoted', async () => {
    const leaked = 'LTAI5tLeakedSecretValue0123456789';
    const api = createOnsMqttClient({ credentials: { getCredential: async () => { throw new Error(`refresh failed for ${leaked}`); } }, endpoint: served.url, instanceId: INSTANCE, clock });
    const error = await rejection(api.queryToken({ token: 't' }));
    expect(error).toMatchObject({ code: 'ERR_CREDENTIALS_UNAVAILABLE', field: 'credentials' });
    expect(error.message).toContain('refresh failed');
    for (const text of renderings(error)) expect(text).not.toContain(leaked);
  });

  it('a token issuer needs the AccessKey ID of Token Usernames beside a provider, and says so', async () => {
    const { createTokenIssuer } = await import('../../src/server/server-entry.js');
    const api = createOnsMqttClient({ credentials: { getCredential: async () => ({ accessKeyId: 'STS.x', accessKeySecret: 's' }) }, endpoint: served.url, instanceId: INSTANCE });
    expect(api.accessKeyId).toBe('');
    expect(() => createTokenIssuer({ client: api })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', field: 'client.accessKeyId', message: expect.stringMatching(/accessKeyId beside a credentials provider/) }));
  });

  it('one that hangs gives ERR_CREDENTIALS_UNAVAILABLE within the client timeout', async () => {
    const api = createOnsMqttClient({ credentials: { getCredential: () => new Promise(() => undefined) }, endpoint: served.url, instanceId: INSTANCE, clock, timeout: 50 });
    const error = await rejection(api.queryToken({ token: 't' }));
    expect(error).toMatchObject({ code: 'ERR_CREDENTIALS_UNAVAILABLE', field: 'credentials' });
    expect(error.message).toMatch(/within 50 ms/);
  });

  it('one that answers no secret is named; bad static credentials are named by field', async () => {
    const api = createOnsMqttClient({ credentials: { getCredential: async () => ({ accessKeyId: 'STS.x' }) }, endpoint: served.url, instanceId: INSTANCE, clock });
    expect(await rejection(api.queryToken({ token: 't' }))).toMatchObject({ code: 'ERR_CREDENTIALS_UNAVAILABLE', message: expect.stringMatching(/no accessKeySecret/) });
    expect(() => createOnsMqttClient({ credentials: { accessKeyId: 'a', accessKeySecret: '' }, endpoint: served.url })).toThrow(expect.objectContaining({ field: 'credentials.accessKeySecret' }));
    expect(() => createOnsMqttClient({ credentials: 'AK:secret' as never, endpoint: served.url })).toThrow(expect.objectContaining({ field: 'credentials' }));
    expect(() => createOnsMqttClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: served.url, signatureAlgorithm: 'v1' as never })).toThrow(expect.objectContaining({ field: 'signatureAlgorithm' }));
  });

  it('credentials that expire between the answer and the check are asked for again, once', async () => {
    const old = await assumeRole(30);
    let stale = true;
    let asked = 0;
    const provider: OpenApiCredentialProvider = {
      getCredential: async () => {
        asked++;
        if (stale) return old;
        return assumeRole();
      },
    };
    // The gateway's clock passes the old set's Expiration while the request is on its way.
    const api = createOnsMqttClient({
      credentials: provider, endpoint: served.url, instanceId: INSTANCE, clock,
      fetch: async (url, init) => {
        if (stale) {
          clock.advance(30_000);
          stale = false;
        }
        return fetch(url, init);
      },
    });
    expect(await api.queryToken({ token: 't' })).toBe(false);
    expect(asked).toBe(2);
    // A provider that keeps answering the expired set gets the service's answer, not a loop.
    const stuck = createOnsMqttClient({ credentials: { getCredential: async () => old }, endpoint: served.url, instanceId: INSTANCE, clock });
    expect(await rejection(stuck.queryToken({ token: 't' }))).toMatchObject({ openApiCode: 'InvalidSecurityToken.Expired' });
    expect(OpenApiError).toBeDefined();
  });
});

describe('broker config: roles and stsMinSessionSeconds', () => {
  it('a config file may list roles; bad ones are named by field when the broker starts', async () => {
    const { parseBrokerConfig, startBroker } = await import('../../src/broker/broker-entry.js');
    const config = parseBrokerConfig({ instanceId: 'mqtt-x', roles: [{ arn: ROLE, maxSessionSeconds: 900 }], stsMinSessionSeconds: 60 });
    expect(config).toMatchObject({ roles: [{ arn: ROLE, maxSessionSeconds: 900 }], stsMinSessionSeconds: 60 });
    expect(() => parseBrokerConfig({ instanceId: 'mqtt-x', roles: [{ arn: ROLE, maxSession: 1 }] })).toThrow(expect.objectContaining({ field: 'roles[0].maxSession' }));
    const refused = async (extra: Record<string, unknown>) => (await rejection(startBroker({ instanceId: 'mqtt-x', httpPort: false, tlsPort: false, wsPort: false, wssPort: false, ...extra }))).field;
    expect(await refused({ roles: [{ arn: 'role/x' }] })).toBe('roles[0].arn');
    expect(await refused({ roles: [{ arn: ROLE }, { arn: ROLE.toUpperCase().replace('ACS:RAM', 'acs:ram') }] })).toBe('roles[1].arn');
    expect(await refused({ roles: [{ arn: ROLE, maxSessionSeconds: 0 }] })).toBe('roles[0].maxSessionSeconds');
    expect(await refused({ roles: 'x' })).toBe('roles');
    expect(await refused({ stsMinSessionSeconds: 0.5 })).toBe('stsMinSessionSeconds');
  });
});
