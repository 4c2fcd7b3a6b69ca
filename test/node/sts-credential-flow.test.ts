/**
 * The production flow, offline: the credential server's OpenAPI client is fed by Alibaba's real
 * `@alicloud/credentials` (its credentials-URI provider, as on Function Compute or behind a sidecar),
 * whose URI is a small loopback server that gets STS credentials from the local broker's STS
 * (`AssumeRole`, through `@alicloud/openapi-client`, V3). A token is applied with those temporary
 * credentials and a real mqtt.js client connects with it; the STS credentials expire and are renewed,
 * once between bursts and once in the middle of a burst of credential requests, and no request fails.
 *
 * Time: everything here reads `Date` (the broker's default clock, `@alicloud/credentials`, Alibaba's
 * signer, the SDK's), so only `Date` is faked, and moved forward past each Expiration; timers and
 * sockets stay real. (The RAM-role-ARN provider needs https and 900 s sessions; the URI provider
 * has neither constraint.)
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBroker, type LocalBroker } from '../../src/broker/broker-entry.js';
import { createCredentialHandler, createOnsMqttClient, createTokenIssuer, type OpenApiCredentialProvider } from '../../src/server/server-entry.js';
import { openApiCore } from '../helpers/openapi-client.js';
import { serve, type Served } from '../helpers/loopback.js';

const require = createRequire(import.meta.url);
const credentials = require('@alicloud/credentials') as { default: new (config: unknown) => OpenApiCredentialProvider; Config: new (map: Record<string, unknown>) => unknown };

const INSTANCE = 'mqtt-cn-sts';
const AK = 'LTAI5tStsParent';
const SECRET = 'sts-parent-secret-0123456789abcdef';
const ROLE = 'acs:ram::1234567890123456:role/credential-server';
const DURATION = 1200; // seconds: @alicloud/credentials refreshes within 15 minutes of Expiration

let broker: LocalBroker;
let uriServer: ReturnType<typeof createServer>;
let uri: string;
let credentialServer: Served;
/** Every STS credential set the URI server handed out, and how often it was asked. */
const issued: { accessKeyId: string; expiration: string }[] = [];
let uriHits = 0;
/** OpenAPI requests the credential server sent, and what the broker answered to each. */
const openApiStatuses: number[] = [];
let onOpenApiRequest: (() => void) | undefined;

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  broker = await startBroker({
    instanceId: INSTANCE,
    accessKeys: [{ accessKeyId: AK, accessKeySecret: SECRET }],
    roles: [{ arn: ROLE, maxSessionSeconds: 3600 }],
    wsPort: false,
    wssPort: false,
    tlsPort: false,
  });
  const endpoint = `${broker.url('http')}/`;

  // The credentials URI: STS credentials from the local STS, kept until their Expiration (no
  // margin, so that the mid-burst expiry below really happens), renewed single-flight.
  const sts = openApiCore({ endpoint, accessKeyId: AK, accessKeySecret: SECRET, version: '2015-04-01' });
  let current: { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string; Expiration: string } | undefined;
  let renewing: Promise<void> | undefined;
  const renew = async () => {
    const answer = await sts('AssumeRole', { RoleArn: ROLE, RoleSessionName: 'credential-server', DurationSeconds: String(DURATION) }, 'query');
    if (answer.status !== 200) throw new Error(`AssumeRole answered ${answer.status} ${answer.code}`);
    current = answer.body['Credentials'] as typeof current;
    issued.push({ accessKeyId: current!.AccessKeyId, expiration: current!.Expiration });
  };
  uriServer = createServer((_req, res) => {
    uriHits++;
    const fresh = current && Date.parse(current.Expiration) > Date.now();
    (fresh ? Promise.resolve() : (renewing ??= renew().finally(() => (renewing = undefined)))).then(
      () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ Code: 'Success', ...current })),
      (error: Error) => res.writeHead(500).end(error.message),
    );
  });
  await new Promise<void>((resolve) => uriServer.listen(0, '127.0.0.1', resolve));
  uri = `http://127.0.0.1:${(uriServer.address() as AddressInfo).port}/credentials`;

  const provider = new credentials.default(new credentials.Config({ type: 'credentials_uri', credentialsURI: uri }));
  const client = createOnsMqttClient({
    credentials: provider,
    // The AccessKey Token-mode Usernames name: the local STS binds tokens to the key that assumed the role.
    accessKeyId: AK,
    endpoint,
    instanceId: INSTANCE,
    fetch: async (url, init) => {
      onOpenApiRequest?.();
      const response = await fetch(url, init);
      openApiStatuses.push(response.status);
      return response;
    },
  });
  const tokenIssuer = createTokenIssuer({ client, rateLimit: false });
  credentialServer = await serve(
    createCredentialHandler({
      instanceId: INSTANCE,
      tokenIssuer,
      // Each device its own topic: every credential request is an ApplyToken of its own.
      authorize: (_request, clientId) => ({ mode: 'token', resources: [`fleet/${clientId.split('@@@')[1]}`], actions: 'R,W' }),
    }),
  );
});

afterAll(async () => {
  vi.useRealTimers();
  await credentialServer?.close();
  await new Promise<void>((resolve) => (uriServer ? uriServer.close(() => resolve()) : resolve()));
  await broker?.close();
});

async function credentialsFor(device: string): Promise<{ status: number; body: { username?: string; password?: string; code?: string } }> {
  const response = await fetch(`${credentialServer.url}credentials?clientId=${encodeURIComponent(`GID_fleet@@@${device}`)}`);
  return { status: response.status, body: (await response.json()) as { username?: string; password?: string } };
}

describe('@alicloud/credentials → local STS → the credential server', () => {
  it('a token is applied with STS credentials, and a real MQTT client connects with it', async () => {
    const answer = await credentialsFor('d0');
    expect(answer.status).toBe(200);
    expect(answer.body.username).toBe(`Token|${AK}|${INSTANCE}`);
    expect(issued).toHaveLength(1);
    expect(issued[0]!.accessKeyId).toMatch(/^STS\./);
    const client = await mqtt.connectAsync(broker.url('tcp'), { clientId: 'GID_fleet@@@d0', username: answer.body.username!, password: answer.body.password!, reconnectPeriod: 0 });
    try {
      await client.publishAsync('fleet/d0', 'hello', { qos: 1 });
    } finally {
      await client.endAsync();
    }
  });

  it('the STS credentials expire and are renewed between requests', async () => {
    vi.setSystemTime(Date.parse(issued[0]!.expiration) + 1000);
    expect((await credentialsFor('d1')).status).toBe(200);
    expect(issued).toHaveLength(2);
    expect(issued[1]!.accessKeyId).not.toBe(issued[0]!.accessKeyId);
  });

  it('an expiry in the middle of a burst of 40 credential requests: none fails', async () => {
    const before = issued.length;
    const statusesBefore = openApiStatuses.length;
    const expiry = Date.parse(issued.at(-1)!.expiration);
    // Just before the current set expires: the provider still answers it.
    vi.setSystemTime(expiry - 5000);
    let seen = 0;
    onOpenApiRequest = () => {
      // Half-way through, the clock passes the Expiration while requests signed with the old set are in flight.
      if (++seen === 20) vi.setSystemTime(expiry + 1000);
    };
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => credentialsFor(`burst${i}`)));
    onOpenApiRequest = undefined;
    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(200));
    expect(new Set(answers.map((a) => a.body.password)).size).toBe(40);
    // The expiry did happen mid-burst: the broker refused some in-flight calls (InvalidSecurityToken.Expired),
    // the client asked the provider again, and a new set was issued.
    expect(openApiStatuses.slice(statusesBefore).filter((s) => s === 400).length).toBeGreaterThan(0);
    expect(issued.length).toBe(before + 1);
    expect(broker.openApi!.errors['InvalidSecurityToken.Expired']).toBeGreaterThan(0);
    // Every token works at the broker.
    const last = answers[39]!.body;
    const client = await mqtt.connectAsync(broker.url('tcp'), { clientId: 'GID_fleet@@@burst39', username: last.username!, password: last.password!, reconnectPeriod: 0 });
    await client.endAsync();
    expect(uriHits).toBeGreaterThan(issued.length);
  });
});
