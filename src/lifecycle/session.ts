/**
 * A managed connection: keeps an mqtt.js client's credentials fresh for its whole life.
 * - mqtt.js builds each CONNECT from `client.options.username/password` synchronously, so fresh
 *   credentials are written there ahead of time, never fetched inside its reconnect path.
 * - A CONNACK refusal is answered by one refresh and one retry; a refusal of fresh credentials is
 *   final and surfaces as one typed `error`.
 * - Token mode rotates in band: new tokens are published to `$SYS/uploadToken` (QoS 1) while the
 *   user's publishes and subscribes wait for the PUBACK, then go out in order.
 * @module
 */
import type { MqttClient } from 'mqtt';
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { _AUTH_REFUSALS, _refusalCode, _refusalError } from '../connect/refusal.js';
import type { Clock } from './clock.js';
import { _parseNotice, UPLOAD_TOKEN_TOPIC, type TokenExpireNotice, type TokenInvalidNotice } from '../protocol/sys-topics.js';
import { _tokenPairs } from '../protocol/token-password.js';
import type { CredentialsProvider, RefreshReason } from './provider.js';
import { _createRefresher, type RefreshOptions } from './refresher.js';

/** Events a managed client emits besides mqtt.js's own. Listen with {@link onSessionEvent}. */
export interface SessionEvents {
  /** New credentials are in `client.options` (used by the next CONNECT). No secret in the payload. */
  credentials: (info: { reason: RefreshReason; expiresAt?: number }) => void;
  /** Fetching credentials failed; a retry is scheduled with backoff. */
  credentialsError: (error: ApsaraMqttAuthError) => void;
  /** The broker acknowledged a token uploaded in band (`$SYS/uploadToken`); no reconnect was needed. */
  tokenUploaded: (info: { types: string[]; expiresAt?: number }) => void;
  /** `$SYS/tokenExpireNotice`: the token expires soon; a refresh has started. */
  tokenExpiring: (notice: TokenExpireNotice) => void;
  /** `$SYS/tokenInvalidNotice`: the broker rejected the token and will disconnect; a refresh has started. */
  tokenInvalid: (notice: TokenInvalidNotice) => void;
}

/** @internal */
export interface SessionInput extends RefreshOptions {
  provider: CredentialsProvider;
  clientId: string;
  instanceId: string;
  clock: Clock;
}

interface Controller {
  refresh(): Promise<void>;
}

const controllers = new WeakMap<MqttClient, Controller>();
const GATED = ['publish', 'subscribe', 'unsubscribe'] as const;

type Call = [fn: (...args: unknown[]) => unknown, args: unknown[]];

/**
 * @internal Takes charge of `client` (created with `manualConnect: true`). `connectNow` connects as
 * soon as the first credentials arrive.
 */
export function _startSession(client: MqttClient, input: SessionInput, connectNow: boolean): { recovering(): boolean } {
  const emit = client.emit.bind(client) as (event: string, ...args: unknown[]) => boolean;
  let waiting = connectNow; // idle until credentials arrive
  let closing = false; // a refused connection's socket has not closed yet
  let ready = false; // credentials arrived while `closing`: connect on its close
  let refused: string | undefined; // the password refused since the last successful CONNACK
  let lastRefusal: unknown; // mqtt.js's error for the last refusal (it words the code)
  let held: Call[] | undefined; // calls held back while token uploads await their PUBACKs
  let uploads = 0; // uploads in flight on this connection
  let generation = 0; // bumped when the gate opens, so uploads of an older connection cannot reopen it
  let doomed = false; // the broker said the token is invalid and will disconnect
  let ended = false;

  const fatal = (error: ApsaraMqttAuthError) => {
    ended = true;
    refresher.stop();
    client.end(true);
    emit('error', error);
  };

  const refresher = _createRefresher({
    ...input,
    context: { clientId: input.clientId, instanceId: input.instanceId },
    onUpdate(fresh, reason) {
      if (ended) return;
      const { username, password } = client.options;
      if (reason === 'refused' && fresh.password === refused && fresh.username === username) {
        // The provider has nothing newer than what was just refused: retrying would loop.
        return fatal(_refusalError(_refusalCode(lastRefusal)!, lastRefusal));
      }
      client.options.username = fresh.username;
      client.options.password = fresh.password;
      emit('credentials', fresh.expiresAt === undefined ? { reason } : { reason, expiresAt: fresh.expiresAt });
      if (waiting) {
        waiting = false;
        // mqtt.js cannot start a connection while the refused one is still closing.
        if (closing) ready = true;
        else client.connect();
      } else if (client.connected && !doomed && username === fresh.username && password !== fresh.password) {
        void upload(_tokenPairs(fresh.username, fresh.password), fresh.expiresAt);
      }
    },
    onError(error) {
      if (!ended) emit('credentialsError', error);
    },
  });

  const release = () => {
    const batch = held;
    held = undefined;
    uploads = 0;
    generation++;
    for (const [fn, args] of batch ?? []) fn.apply(client, args);
  };

  // Held-back calls keep their order; mqtt.js's *Async variants go through these methods too.
  const originals = {} as Record<(typeof GATED)[number], (...args: unknown[]) => unknown>;
  for (const name of GATED) {
    const fn = (originals[name] = (client[name] as (...args: unknown[]) => unknown).bind(client));
    (client as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      if (held) held.push([fn, args]);
      else fn(...args);
      return client;
    };
  }

  // mqtt.js's end() needs the network stream, which a `manualConnect` client gets only when it
  // connects. Ended before that (say its first credentials were refused), the session ends it:
  // 'end' as mqtt.js would emit it (which stops the refresher below), then the callback.
  const mqttEnd = client.end.bind(client) as (...args: unknown[]) => MqttClient;
  let endedEarly = false;
  (client as unknown as { end: unknown }).end = (...args: unknown[]): MqttClient => {
    if ((client as unknown as { stream?: unknown }).stream) return mqttEnd(...args);
    const callback = args.find((a): a is () => void => typeof a === 'function');
    waiting = false;
    const first = !endedEarly;
    endedEarly = true;
    queueMicrotask(() => {
      if (first) client.emit('end');
      callback?.();
    });
    return client;
  };

  async function upload(pairs: { type: string; token: string }[], expiresAt?: number): Promise<void> {
    if (pairs.length === 0) return; // not Token mode: the next CONNECT carries the new password
    // A second upload before the first is acknowledged shares its gate: nothing held is dropped,
    // and the gate opens when the last one is acknowledged.
    held ??= [];
    uploads++;
    const mine = generation;
    try {
      for (const { type, token } of pairs) {
        await new Promise<void>((resolve, reject) =>
          originals.publish(UPLOAD_TOKEN_TOPIC, JSON.stringify({ token, type }), { qos: 1 }, (error?: Error) =>
            error ? reject(error) : resolve(),
          ),
        );
      }
      emit('tokenUploaded', { types: pairs.map((p) => p.type), ...(expiresAt === undefined ? {} : { expiresAt }) });
    } catch {
      // The broker answers a bad upload with tokenInvalidNotice and a disconnect; the reconnect
      // then carries the new password, so there is nothing more to do here.
    } finally {
      if (mine === generation && --uploads === 0) release();
    }
  }

  // Intercepting emit lets the session answer refusals and $SYS notices before user listeners:
  // a refusal it can recover from is not an error to the user, and notices are not user messages.
  (client as { emit: unknown }).emit = (event: string, ...args: unknown[]): boolean => {
    if (event === 'message') {
      const parsed = _parseNotice(String(args[0]), args[1] as Uint8Array);
      if (parsed) {
        // After an invalid notice the broker disconnects: new credentials wait for the reconnect.
        if (parsed.kind === 'invalid') doomed = true;
        emit(parsed.kind === 'expiring' ? 'tokenExpiring' : 'tokenInvalid', parsed.notice);
        // A notice about a token already replaced (the refresh ahead of expiry won the race) needs nothing.
        const stale = parsed.kind === 'expiring' && (refresher.current?.expiresAt ?? 0) > parsed.notice.expireTime;
        if (!stale) refresher.refresh(parsed.kind === 'expiring' ? 'expiring' : 'token-invalid').catch(() => undefined);
        return true;
      }
    } else if (event === 'error' && !ended) {
      const code = _refusalCode(args[0]);
      if (code !== undefined && _AUTH_REFUSALS.includes(code)) {
        lastRefusal = args[0];
        // Refused again before any success: the fresh credentials are no better, so stop here.
        if (refused !== undefined) return fatal(_refusalError(code, args[0])), true;
        refused = client.options.password as string;
        waiting = true;
        closing = true;
        refresher.refresh('refused').catch(() => undefined);
        return true;
      }
    } else if (event === 'connect') {
      refused = undefined;
      doomed = false;
      release(); // the new connection authenticated with the newest credentials
    } else if (event === 'close') {
      release(); // mqtt.js queues offline publishes itself, in order
      closing = false;
      if (ready && !ended) {
        ready = false;
        queueMicrotask(() => client.connect()); // after mqtt.js's own close handling
      }
    } else if (event === 'end') {
      ended = true;
      refresher.stop();
      release();
    }
    return emit(event, ...args);
  };

  controllers.set(client, {
    async refresh() {
      await refresher.refresh('manual');
    },
  });
  refresher.refresh('connect').catch(() => undefined);
  // True from a refusal until the next CONNACK: the refused connection's close is not a failure.
  return { recovering: () => refused !== undefined };
}

/**
 * Fetches fresh credentials for a managed client now (rotating the token in band when connected).
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` if the client was not opened by this SDK
 *   with a provider, or the provider's error.
 */
export async function refreshCredentials(client: MqttClient): Promise<void> {
  const controller = controllers.get(client);
  if (!controller) throw _invalid('client', 'is not a client opened by connect/connectAsync of this SDK');
  await controller.refresh();
}

/** Typed listener for {@link SessionEvents}; returns a function that removes it. */
export function onSessionEvent<K extends keyof SessionEvents>(client: MqttClient, event: K, listener: SessionEvents[K]): () => void {
  const emitter = client as unknown as { on(e: string, l: unknown): void; off(e: string, l: unknown): void };
  emitter.on(event, listener);
  return () => emitter.off(event, listener);
}
