/**
 * Managed connections against the local broker: refresh ahead of expiry with in-band rotation (no
 * disconnect), expiry with a reconnect and no QoS 1 loss, revocation, refusal handling. One manual
 * clock drives both the broker's token expiry and the client's refresh schedule; network waits are
 * on events, never on time.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCredentialHandler, toNodeListener } from '../src/server/server-entry.js';
import { freePort } from './helpers/ports.js';
import { WAIT } from './helpers/wait.js';
import { createManualClock, startBroker, type LocalBroker, type ManualClock } from '../src/broker/broker-entry.js';
import {
  connect,
  connectAsync,
  onSessionEvent,
  refreshCredentials,
  signatureCredentials,
  tokenCredentials,
  remoteCredentials,
  sessionState,
  type CredentialsProvider,
  type TokenInvalidNotice,
} from '../src/index.js';

const INSTANCE = 'mqtt-lifecycle-test';
const AK = { accessKeyId: 'LTAI-lifecycle', accessKeySecret: 'lifecycle-secret-K2' };
const MINUTE = 60_000;
const TOPIC = 'fleet/telemetry';

let clock: ManualClock;
let broker: LocalBroker;
const clients = new Set<MqttClient>();

/** A token provider like a credential server: applies a token for `lifetime` and hands it out until told otherwise. */
function tokenProvider(lifetime: number, options: { withExpiry?: boolean } = {}) {
  const issued: string[] = [];
  let reuse = false;
  const provider: CredentialsProvider = () => {
    if (!reuse || issued.length === 0) {
      const expireTime = clock.now() + lifetime;
      issued.push(broker.tokens.apply({ resources: [`${TOPIC}`, 'fleet/#'], actions: 'R,W', expireTime, accessKeyId: AK.accessKeyId }));
    }
    const token = issued.at(-1)!;
    const creds = tokenCredentials({ accessKeyId: AK.accessKeyId, instanceId: INSTANCE, tokens: { RW: token } });
    const expiresAt = broker.tokens.describe(token)!.expireTime;
    return options.withExpiry === false ? creds : { ...creds, expiresAt };
  };
  return {
    provider,
    issued,
    /** While set, the provider hands out its newest token again instead of applying for one. */
    set reuse(value: boolean) {
      reuse = value;
    },
  };
}

async function managed(clientId: string, credentials: Parameters<typeof connectAsync>[0]['credentials'], extra: object = {}) {
  const client = await connectAsync({
    instanceId: INSTANCE,
    clientId,
    credentials,
    ...broker.endpoint('tcp'),
    clock,
    reconnectPeriod: 50,
    random: () => 0.5,
    ...extra,
  });
  clients.add(client);
  return client;
}

/** A Signature-mode subscriber that records every payload on `fleet/#`, in order. */
async function receiver(clientId: string): Promise<{ client: MqttClient; received: string[] }> {
  const client = await managed(clientId, signatureCredentials({ ...AK, instanceId: INSTANCE, clientId }));
  const received: string[] = [];
  client.on('message', (_topic, payload) => received.push(payload.toString()));
  await client.subscribeAsync('fleet/#', { qos: 1 });
  return { client, received };
}

/**
 * Reconnects wait a backoff on the client's clock, which here is the broker's manual one: moves it
 * on in small steps (token lifetimes are minutes, the backoff about a second) until `condition`.
 */
function advanceUntil(condition: () => boolean, what: string): Promise<void> {
  return vi.waitFor(() => {
    if (condition()) return;
    clock.advance(250);
    throw new Error(`waiting for ${what}`);
  }, { ...WAIT, interval: 5 });
}

const until = (condition: () => boolean, what: string): Promise<void> => vi.waitFor(() => expect(condition(), what).toBe(true), { ...WAIT, interval: 5 });

beforeAll(async () => {
  clock = createManualClock(Date.UTC(2026, 10, 23, 12));
  broker = await startBroker({ instanceId: INSTANCE, accessKeys: [AK], clock, httpPort: false });
});

afterEach(async () => {
  await Promise.all([...clients].map((c) => c.endAsync(true).catch(() => undefined)));
  clients.clear();
});

afterAll(async () => {
  await broker?.close();
});

describe('managed connection, Token mode', () => {
  it('rotates the token in band before expiry: new token installed, zero disconnects, publishing never stops', async () => {
    const tokens = tokenProvider(30 * MINUTE);
    const { received } = await receiver('GID_fleet@@@rx-rotate');
    const client = await managed('GID_fleet@@@tx-rotate', tokens.provider, { refreshMargin: 5 * MINUTE });
    let disconnects = 0;
    broker.on('clientDisconnected', ({ clientId }) => clientId === 'GID_fleet@@@tx-rotate' && disconnects++);
    const uploaded = once(client as never, 'tokenUploaded');

    await client.publishAsync(TOPIC, 'before', { qos: 1 });
    clock.advance(25 * MINUTE); // the refresh falls due 5 minutes before expiry
    const [info] = (await uploaded) as [{ types: string[]; expiresAt: number }];
    expect(info.types).toEqual(['RW']);
    expect(tokens.issued).toHaveLength(2);
    expect(client.options.password).toBe(`RW|${tokens.issued[1]}`);

    clock.advance(6 * MINUTE); // the first token has now expired; the connection lives on the second
    await client.publishAsync(TOPIC, 'after', { qos: 1 });
    await until(() => received.includes('after'), 'the message after the first token expired');
    expect(client.connected).toBe(true);
    expect(disconnects).toBe(0);
    expect(broker.sessions().find((s) => s.clientId === 'GID_fleet@@@tx-rotate')?.tokens[0]?.expireTime).toBe(
      broker.tokens.describe(tokens.issued[1]!)!.expireTime,
    );
  });

  it('holds publishes back while the upload awaits its PUBACK and releases them in order', async () => {
    const tokens = tokenProvider(30 * MINUTE);
    const { received } = await receiver('GID_fleet@@@rx-order');
    const client = await managed('GID_fleet@@@tx-order', tokens.provider);
    const sent = Array.from({ length: 50 }, (_, i) => `m${i}`);
    // The wire as the client sees it: what it sends, and the PUBACKs it gets.
    const wire: string[] = [];
    let uploadId: number | undefined;
    const acks: Promise<unknown>[] = [];
    client.on('packetsend', (p) => {
      if (p.cmd !== 'publish') return;
      if (p.topic === '$SYS/uploadToken') {
        uploadId = p.messageId;
        // The upload is on the wire, its PUBACK not yet back: the app publishes the second half now.
        for (const m of sent.slice(25)) acks.push(client.publishAsync(TOPIC, m, { qos: 1 }));
      }
      wire.push(p.topic === '$SYS/uploadToken' ? 'upload' : `pub ${String(p.payload)}`);
    });
    client.on('packetreceive', (p) => {
      if (p.cmd === 'puback' && p.messageId === uploadId) wire.push('upload acked');
    });
    for (const m of sent.slice(0, 25)) acks.push(client.publishAsync(TOPIC, m, { qos: 1 }));
    const uploaded = once(client as never, 'tokenUploaded');
    await refreshCredentials(client);
    await uploaded;
    await Promise.all(acks);
    await until(() => received.length >= sent.length, 'all 50 messages');
    expect(received).toEqual(sent);
    expect(tokens.issued).toHaveLength(2);
    // Nothing of the app's went out between the upload and its PUBACK, and some of it was held.
    const upload = wire.indexOf('upload');
    const acked = wire.indexOf('upload acked');
    expect(upload).toBeGreaterThanOrEqual(0);
    expect(acked).toBe(upload + 1);
    expect(wire.slice(acked + 1)).toEqual(sent.slice(25).map((m) => `pub ${m}`));
  });

  it('a second rotation before the first is acknowledged drops nothing that was held', async () => {
    const tokens = tokenProvider(30 * MINUTE);
    const { received } = await receiver('GID_fleet@@@rx-twice');
    const client = await managed('GID_fleet@@@tx-twice', tokens.provider);
    const sent = Array.from({ length: 30 }, (_, i) => `d${i}`);
    const acks: Promise<unknown>[] = [];
    let uploads = 0;
    let second: Promise<void> | undefined;
    client.on('packetsend', (p) => {
      if (p.cmd !== 'publish' || p.topic !== '$SYS/uploadToken') return;
      // Each upload is on the wire, unacknowledged: the app publishes, and the first time a
      // second rotation starts at once.
      const batch = uploads++ === 0 ? sent.slice(0, 15) : sent.slice(15);
      for (const m of batch) acks.push(client.publishAsync(TOPIC, m, { qos: 1 }));
      if (uploads === 1) second = refreshCredentials(client);
    });
    await refreshCredentials(client);
    await until(() => second !== undefined && uploads === 2, 'the second upload');
    await second;
    await Promise.all(acks);
    await until(() => received.length >= sent.length, 'all 30 messages');
    expect(received).toEqual(sent);
    expect(tokens.issued).toHaveLength(3);
    expect(client.connected).toBe(true);
  });

  it('accepts the expiry notice: refreshes and rotates without a disconnect', async () => {
    const tokens = tokenProvider(30 * MINUTE, { withExpiry: false }); // no expiresAt: only the notice can warn
    const client = await managed('GID_fleet@@@tx-notice', tokens.provider);
    const expiring = once(client as never, 'tokenExpiring');
    const uploaded = once(client as never, 'tokenUploaded');
    clock.advance(25 * MINUTE + 1); // the broker's notice lead time is 5 minutes
    const [notice] = (await expiring) as [{ expireTime: number; type: string }];
    expect(notice.expireTime).toBe(broker.tokens.describe(tokens.issued[0]!)!.expireTime);
    await uploaded;
    expect(tokens.issued).toHaveLength(2);
    clock.advance(10 * MINUTE);
    await client.publishAsync(TOPIC, 'still here', { qos: 1 });
    expect(client.connected).toBe(true);
  });

  it('after an expiry the broker disconnects; the client reconnects with a new token and loses no QoS 1 message', async () => {
    const tokens = tokenProvider(30 * MINUTE, { withExpiry: false });
    tokens.reuse = true; // the "server" keeps handing out the expiring token: in-band rotation cannot help
    const { received } = await receiver('GID_fleet@@@rx-expiry');
    const client = await managed('GID_fleet@@@tx-expiry', tokens.provider);
    const invalid: TokenInvalidNotice[] = [];
    onSessionEvent(client, 'tokenInvalid', (n) => invalid.push(n));
    let reconnects = 0;
    client.on('connect', () => reconnects++);

    const sent: string[] = [];
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) {
      if (i === 50) {
        tokens.reuse = false; // from now on the provider applies for a fresh token
        clock.advance(31 * MINUTE); // expiry: notice code 2, then the broker disconnects
      }
      sent.push(`q${i}`);
      acks.push(client.publishAsync(TOPIC, `q${i}`, { qos: 1 }));
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await advanceUntil(() => reconnects === 1, 'the reconnect after the expiry');
    await Promise.all(acks);
    await until(() => new Set(received).size >= sent.length, 'all 100 QoS 1 messages');
    expect([...new Set(received)].sort()).toEqual([...sent].sort());
    expect(invalid.map((n) => [n.code, n.reason])).toEqual([[2, 'expired']]);
    expect(reconnects).toBe(1);
    expect(client.options.password).toBe(`RW|${tokens.issued.at(-1)}`);
  });

  it('revocation: tokenInvalid "revoked", then a reconnect with a fresh token', async () => {
    const tokens = tokenProvider(30 * MINUTE);
    const client = await managed('GID_fleet@@@tx-revoke', tokens.provider);
    const invalid = once(client as never, 'tokenInvalid');
    let reconnected = false;
    client.once('connect', () => (reconnected = true));
    broker.tokens.revoke(tokens.issued[0]!);
    const [notice] = (await invalid) as [TokenInvalidNotice];
    expect(notice).toMatchObject({ code: 3, reason: 'revoked' });
    await advanceUntil(() => reconnected, 'the reconnect after the revocation');
    expect(tokens.issued).toHaveLength(2);
    expect(client.options.password).toBe(`RW|${tokens.issued[1]}`);
    await client.publishAsync(TOPIC, 'after revoke', { qos: 1 });
  });
});

describe('managed connection, refusals', () => {
  it('a refused first password is refreshed once and the retry connects, with no error event', async () => {
    const clientId = 'GID_fleet@@@refused-once';
    let calls = 0;
    const errors: unknown[] = [];
    const good = await signatureCredentials({ ...AK, instanceId: INSTANCE, clientId });
    const provider: CredentialsProvider = () => (++calls === 1 ? { ...good, password: 'c3RhbGU=' } : good);
    const client = connect({ instanceId: INSTANCE, clientId, credentials: provider, ...broker.endpoint('ws'), clock });
    clients.add(client);
    client.on('error', (e) => errors.push(e));
    await once(client as never, 'connect');
    expect(calls).toBe(2);
    expect(errors).toEqual([]);
  });

  it('when fresh credentials are refused too, one typed error ends the client: no retry loop', async () => {
    const clientId = 'GID_fleet@@@refused-twice';
    let calls = 0;
    let refusals = 0;
    broker.on('clientRefused', (r) => r.clientId === clientId && refusals++);
    const provider: CredentialsProvider = () => ({ username: `Signature|${AK.accessKeyId}|${INSTANCE}`, password: `d3Jvbmc${++calls}` });
    const error = await connectAsync({ instanceId: INSTANCE, clientId, credentials: provider, ...broker.endpoint('tcp'), clock }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'ApsaraMqttAuthError', code: 'ERR_CONNECT_REFUSED', returnCode: 5 });
    expect(String((error as Error).message)).not.toContain('d3Jvbmc');
    expect(calls).toBe(2);
    expect(refusals).toBe(2);
  });

  it('refused: the client is closed for good (what waits fails), and refreshCredentials brings it back', async () => {
    const clientId = 'GID_fleet@@@refused-retry';
    const good = await signatureCredentials({ ...AK, instanceId: INSTANCE, clientId });
    let fixed = false;
    let calls = 0;
    const provider: CredentialsProvider = () => (calls++, fixed ? good : { ...good, password: `d3Jvbmc${calls}` });
    const client = connect({ instanceId: INSTANCE, clientId, credentials: provider, ...broker.endpoint('tcp'), clock });
    clients.add(client);
    const [error] = (await once(client as never, 'error')) as [Error];
    expect(error).toMatchObject({ code: 'ERR_CONNECT_REFUSED', returnCode: 5 });
    expect(sessionState(client).state).toBe('refused');
    await until(() => client.disconnected === true, 'the refused client to close');
    // Nothing waits for good, and what fails because of the refusal says so.
    await expect(client.publishAsync(TOPIC, 'while refused', { qos: 1 })).rejects.toMatchObject({ code: 'ERR_CONNECT_REFUSED', returnCode: 5 });
    await expect(client.subscribeAsync(TOPIC)).rejects.toMatchObject({ code: 'ERR_CONNECT_REFUSED' });
    expect(calls).toBe(2);
    fixed = true;
    const connected = once(client as never, 'connect');
    await refreshCredentials(client);
    await connected;
    expect(sessionState(client)).toMatchObject({ state: 'connected', attempts: 3 });
    await client.publishAsync(TOPIC, 'after the retry', { qos: 1 });
  });

  it('static credentials that are refused fail at once, without a second attempt', async () => {
    const clientId = 'GID_fleet@@@refused-static';
    let refusals = 0;
    broker.on('clientRefused', (r) => r.clientId === clientId && refusals++);
    await expect(
      connectAsync({
        instanceId: INSTANCE,
        clientId,
        credentials: signatureCredentials({ ...AK, accessKeySecret: 'not-the-secret', instanceId: INSTANCE, clientId }),
        ...broker.endpoint('tcp'),
      }),
    ).rejects.toMatchObject({ code: 'ERR_CONNECT_REFUSED', returnCode: 5 });
    expect(refusals).toBe(1);
  });

  it('MQTT 5: the refusal carries the reason code (0x86)', async () => {
    const clientId = 'GID_fleet@@@refused-v5';
    await expect(
      connectAsync({
        instanceId: INSTANCE,
        clientId,
        protocolVersion: 5,
        credentials: signatureCredentials({ ...AK, accessKeySecret: 'not-the-secret', instanceId: INSTANCE, clientId }),
        ...broker.endpoint('tcp'),
      }),
    ).rejects.toMatchObject({ code: 'ERR_CONNECT_REFUSED', returnCode: 0x86 });
  });

  it('an unreachable broker fails connectAsync with ERR_CONNECT_FAILED instead of retrying silently', async () => {
    const port = await freePort();
    const clientId = 'GID_fleet@@@unreachable';
    await expect(
      connectAsync({ instanceId: INSTANCE, clientId, transport: 'tcp', host: '127.0.0.1', port, credentials: signatureCredentials({ ...AK, instanceId: INSTANCE, clientId }) }),
    ).rejects.toMatchObject({ code: 'ERR_CONNECT_FAILED' });
  });

  it('first credentials that cannot be had reject connectAsync (typed, with the server\'s status) and leave nothing running', async () => {
    // A real credential server whose authorize refuses this caller.
    const handler = createCredentialHandler({ instanceId: INSTANCE, ...AK, authorize: () => false });
    const server: Server = createServer(toNodeListener(handler));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as { port: number };
      const own = createManualClock(clock.now()); // this client's own clock, to see what it leaves scheduled
      const error = await connectAsync({
        instanceId: INSTANCE,
        clientId: 'GID_fleet@@@denied',
        credentials: remoteCredentials(`http://127.0.0.1:${port}/credentials`),
        ...broker.endpoint('tcp'),
        clock: own,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'ERR_CREDENTIALS_UNAVAILABLE', returnCode: 403 });
      expect(own.pending()).toBe(0); // no retry left scheduled
      await expect(
        connectAsync({ instanceId: INSTANCE, clientId: 'GID_fleet@@@throws', credentials: () => Promise.reject(new Error('down')), ...broker.endpoint('tcp') }),
      ).rejects.toMatchObject({ code: 'ERR_CREDENTIALS_UNAVAILABLE' });
    } finally {
      server.close();
    }
  });
});
