/**
 * The thin adapter between the connection state machine (`machine.ts`) and an mqtt.js client:
 * mqtt.js events in, the machine's decisions out. What it still patches on the client, and why:
 * - `publish`/`subscribe`/`unsubscribe`: the publish gate holds them while a token upload awaits its
 *   PUBACK, and a call the broker refuses is answered with `ERR_NOT_AUTHORIZED` instead of mqtt.js's
 *   plain error (mqtt.js has no hook on outgoing calls; its `*Async` variants go through these);
 * - `emit`, for two events only: `$SYS` notices are not user messages, and a CONNACK refusal the
 *   session answers with fresh credentials is not an error to the user (an unheard `error` would
 *   throw in Node);
 * - `end`, only before the first connection: mqtt.js's needs a network stream that a client
 *   created with `manualConnect` does not have yet.
 * A refused session ends the mqtt.js client (whatever waits on it fails instead of waiting for good)
 * and brings it back with `client.reconnect()` when the app retries.
 * Reconnecting is the machine's: mqtt.js's own timer is set to the longest a timer can wait (its
 * `reconnectPeriod` must stay above 0, or it would neither re-subscribe nor keep QoS 1 messages
 * across a reconnect), and the machine calls `client.connect()` after its backoff. A refused
 * subscription is taken out of mqtt.js's private `_resubscribeTopics` (the one private field touched:
 * mqtt.js does the same itself for a SUBACK refusal), a refused QoS 1 publish out of its resend store
 * with the public `removeOutgoingMessage`.
 * @module
 */
import type { MqttClient } from 'mqtt';
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { _AUTH_REFUSALS, _refusalCode } from '../connect/refusal.js';
import { _requireMethods } from '../credentials/validate.js';
import type { Clock } from '../clock.js';
import { _createGate } from './gate.js';
import { _createLedger, _isRefusalCode, _notAuthorized, _reasonCodeNotice, type Refusal } from './ledger.js';
import { _createMachine, type Machine, type SessionState } from './machine.js';
import { _needsFreshCredentials, _parseNotice, UPLOAD_TOKEN_TOPIC, type TokenExpireNotice, type TokenInvalidNotice } from '../protocol/sys-topics.js';
import { _tokenPairs } from '../protocol/token-password.js';
import type { CredentialsProvider, ProvidedCredentials, RefreshReason } from './provider.js';
import type { Tuning } from './tuning.js';

export type { SessionState, SessionStateName } from './machine.js';

/** Events a managed client emits besides mqtt.js's own. Listen with {@link onSessionEvent}. */
export interface SessionEvents {
  /** The connection's state changed (see {@link SessionState}); also each retry with its time. */
  state: (state: SessionState) => void;
  /**
   * New credentials are in `client.options` (used by the next CONNECT). No secret in the payload.
   * `changed` is false when the provider answered with what it had handed out before (a cached token).
   */
  credentials: (info: { reason: RefreshReason; expiresAt?: number; changed: boolean }) => void;
  /** Fetching credentials failed; a retry is scheduled with backoff (unless the server said no: 4xx). */
  credentialsError: (error: ApsaraMqttAuthError) => void;
  /** The broker acknowledged a token uploaded in band (`$SYS/uploadToken`); no reconnect was needed. */
  tokenUploaded: (info: { types: string[]; expiresAt?: number }) => void;
  /** `$SYS/tokenExpireNotice`: the token expires soon; a refresh has started. */
  tokenExpiring: (notice: TokenExpireNotice) => void;
  /**
   * `$SYS/tokenInvalidNotice` (the broker disconnects next; new credentials are fetched for codes
   * other than 4 and 5), or a publish/subscribe refused by MQTT reason code (`reason: 'not-authorized'`).
   * For a refused call, `action` and `topic` name it; that call failed with `ERR_NOT_AUTHORIZED`.
   */
  tokenInvalid: (notice: TokenInvalidNotice) => void;
}

/** @internal */
export interface SessionInput {
  provider: CredentialsProvider;
  clientId: string;
  instanceId: string;
  clock: Clock;
  tuning: Tuning;
}

/** @internal mqtt.js's timer maximum (2^31 − 1 ms, 24.8 days): its own reconnect never comes first. */
export const _NO_MQTT_RECONNECT = 2_147_483_647;

const machines = new WeakMap<MqttClient, Machine>();

type Callback = (error?: Error | null, ...rest: unknown[]) => void;
type Method = (...args: unknown[]) => unknown;
interface Call {
  action: 'publish' | 'subscribe';
  topics: string[];
  /** The notice that refused it, set when the broker cut the connection over it. */
  refused?: TokenInvalidNotice;
}
/** The mqtt.js members the adapter uses beyond its typed surface. */
interface Internals {
  stream?: unknown;
  disconnected?: boolean;
  _resubscribeTopics?: Record<string, unknown>;
  outgoing: Record<number, { cb: unknown }>;
  removeOutgoingMessage(messageId: number): unknown;
  emit(event: string, ...args: unknown[]): boolean;
}

/**
 * @internal Takes charge of `client` (created with `manualConnect: true`). `connectNow` connects as
 * soon as the first credentials arrive.
 */
export function _startSession(client: MqttClient, input: SessionInput, connectNow: boolean): Machine {
  const internals = client as unknown as Internals;
  const emit = client.emit.bind(client) as (event: string, ...args: unknown[]) => boolean;
  const version = client.options.protocolVersion;
  const ledger = _createLedger(version);
  const pending = new Map<Callback, Call>();
  const period = client.options.reconnectPeriod;
  let ownReconnect = false;
  let parked = false; // the session ended the mqtt.js client itself (refused): its 'end' is not the app's

  const originals = {} as Record<'publish' | 'subscribe' | 'unsubscribe', Method>;
  for (const name of ['publish', 'subscribe', 'unsubscribe'] as const) originals[name] = (client[name] as Method).bind(client);
  const gate = _createGate<[Method, unknown[]]>(([fn, args]) => fn(...args));

  const machine = _createMachine({
    provider: input.provider,
    context: { clientId: input.clientId, instanceId: input.instanceId },
    clock: input.clock,
    tuning: input.tuning,
    autoReconnect: client.options.reconnectPeriod !== 0,
    ports: {
      install(fresh) {
        client.options.username = fresh.username;
        client.options.password = fresh.password;
      },
      connect(attempt) {
        client.options.reconnectPeriod = period; // set to 0 when the session parked the client
        ownReconnect = true;
        try {
          // An ended client comes back with reconnect() (new stores); otherwise announce the
          // reconnect as mqtt.js does for each of its own.
          if (internals.disconnected) return void client.reconnect();
          if (attempt > 1) emit('reconnect');
        } finally {
          ownReconnect = false;
        }
        client.connect();
      },
      park() {
        parked = true;
        client.end(true);
      },
      upload(fresh, previous) {
        if (previous?.username === fresh.username && previous.password !== fresh.password) void upload(fresh);
      },
      emit: (event, payload) => void emit(event, payload),
    },
  });

  /** Wraps a callback so that a refusal reaches it as our error. */
  function track(action: Call['action'], topics: string[], callback: unknown): Callback | undefined {
    if (typeof callback !== 'function') return undefined;
    const call: Call = { action, topics };
    const wrapped: Callback = (error, ...rest) => {
      pending.delete(wrapped);
      (callback as Callback)(error ? refusalOf(call, error, rest) : error, ...rest);
    };
    pending.set(wrapped, call);
    return wrapped;
  }

  /** The session's refusal while it is parked in `refused`: why every call fails meanwhile. */
  const parkedBy = () => {
    const { state, lastError } = machine.snapshot();
    return state === 'refused' ? lastError : undefined;
  };

  function refusalOf(call: Call, error: Error, rest: unknown[]): Error {
    if (call.refused) return _notAuthorized(call.refused);
    const parked = parkedBy();
    if (parked) return parked; // failed because the session closed the client on a refusal
    if (call.action === 'publish') {
      const code = (error as { code?: unknown }).code;
      return _isRefusalCode(code, version, false) ? _notAuthorized(_reasonCodeNotice(code, 'publish', call.topics[0]!)) : error;
    }
    // mqtt.js answers a subscribe with (error, subscriptions, SUBACK): one granted code per subscription.
    const granted = ((error as { packet?: { granted?: unknown[] } }).packet ?? (rest[1] as { granted?: unknown[] } | undefined))?.granted ?? [];
    const subs = Array.isArray(rest[0]) ? (rest[0] as { topic: string }[]) : [];
    const refused = subs.filter((_, i) => _isRefusalCode(granted[i], version, true));
    const code = granted.find((c) => _isRefusalCode(c, version, true)) as number | undefined;
    return code === undefined ? error : _notAuthorized(_reasonCodeNotice(code, 'subscribe', refused.map((s) => s.topic).join(', ')));
  }

  /** After a notice-and-disconnect: the refused call fails with our error and is not sent again. */
  function takeBack({ action, topics, messageId }: Refusal, notice: TokenInvalidNotice): void {
    for (const call of pending.values()) if (call.action === action && call.topics.some((t) => topics.includes(t))) call.refused = notice;
    if (action === 'subscribe') {
      for (const topic of topics) delete internals._resubscribeTopics?.[topic];
      return;
    }
    // The refused publish, and every other unacknowledged one to that topic: each would be refused too.
    for (const [id, entry] of Object.entries(internals.outgoing)) {
      const call = pending.get(entry.cb as Callback);
      if (Number(id) === messageId || (call?.action === 'publish' && topics.includes(call.topics[0]!))) internals.removeOutgoingMessage(Number(id));
    }
  }

  async function upload(fresh: ProvidedCredentials): Promise<void> {
    const pairs = _tokenPairs(fresh.username, fresh.password);
    if (pairs.length === 0) return; // not Token mode: the next CONNECT carries the new password
    const done = gate.begin();
    try {
      for (const { type, token } of pairs) {
        await new Promise<void>((resolve, reject) =>
          originals.publish(UPLOAD_TOKEN_TOPIC, JSON.stringify({ token, type }), { qos: 1 }, (error?: Error) => (error ? reject(error) : resolve())),
        );
      }
      emit('tokenUploaded', { types: pairs.map((p) => p.type), ...(fresh.expiresAt === undefined ? {} : { expiresAt: fresh.expiresAt }) });
    } catch {
      // The broker answers a bad upload with tokenInvalidNotice and a disconnect; the reconnect
      // then carries the new password, so there is nothing more to do here.
    } finally {
      done();
    }
  }

  // Held-back calls keep their order. While refused, a call fails at once with the refusal (typed),
  // not with mqtt.js's "client disconnecting" (or an `error` event when it has no callback).
  const patch = (name: keyof typeof originals, make: (args: unknown[]) => unknown[]) => {
    (client as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      const parked = parkedBy();
      if (parked) {
        const callback = [...args].reverse().find((a): a is Callback => typeof a === 'function');
        queueMicrotask(() => callback?.(parked));
        return client;
      }
      const call = make(args);
      if (!gate.hold([originals[name], call])) originals[name](...call);
      return client;
    };
  };
  patch('publish', ([topic, message, opts, callback]) => {
    if (typeof opts === 'function') [opts, callback] = [{}, opts];
    return [topic, message, opts ?? {}, track('publish', [String(topic)], callback)];
  });
  patch('subscribe', ([topics, opts, callback]) => {
    if (typeof opts === 'function') [opts, callback] = [{}, opts];
    const names = typeof topics === 'string' ? [topics] : Array.isArray(topics) ? topics.map(String) : Object.keys(Object(topics)).filter((k) => k !== 'resubscribe');
    return [topics, opts ?? {}, track('subscribe', names, callback)];
  });
  patch('unsubscribe', (args) => args);

  // mqtt.js's end() needs the network stream, which a `manualConnect` client gets only when it
  // connects. Ended before that (say its first credentials were refused), the session ends it:
  // 'end' as mqtt.js would emit it, then the callback.
  const mqttEnd = client.end.bind(client) as (...args: unknown[]) => MqttClient;
  let endedEarly = false;
  (client as unknown as { end: unknown }).end = (...args: unknown[]): MqttClient => {
    // With a period of 0, mqtt.js fails what is still waiting instead of keeping it for a
    // reconnect that will not come, and schedules no reconnect when the socket closes later.
    client.options.reconnectPeriod = 0;
    if (internals.stream) return mqttEnd(...args);
    const callback = args.find((a): a is () => void => typeof a === 'function');
    if (parked) {
      parked = false; // refused before any socket: nothing to close
      queueMicrotask(() => callback?.());
      return client;
    }
    const first = !endedEarly;
    endedEarly = true;
    machine.end();
    queueMicrotask(() => {
      if (first) client.emit('end');
      callback?.();
    });
    return client;
  };

  internals.emit = (event: string, ...args: unknown[]): boolean => {
    if (event === 'message') {
      const parsed = _parseNotice(String(args[0]), args[1] as Uint8Array);
      if (!parsed) return emit(event, ...args);
      if (parsed.kind === 'expiring') {
        emit('tokenExpiring', parsed.notice);
        machine.tokenExpiring(parsed.notice);
      } else {
        // Codes 4 and 5 are about one call: they are reported with it once the connection closes.
        if (_needsFreshCredentials(parsed.notice.code)) emit('tokenInvalid', parsed.notice);
        else ledger.noticed(parsed.notice);
        machine.tokenInvalid(parsed.notice);
      }
      return true;
    }
    if (event === 'error' && machine.snapshot().state !== 'ended') {
      const code = _refusalCode(args[0]);
      if (code !== undefined && _AUTH_REFUSALS.includes(code)) {
        machine.refused(code, args[0]); // the machine emits the typed error if it gives up
        return true;
      }
    }
    return emit(event, ...args);
  };

  client.on('packetsend', (packet) => ledger.sent(packet));
  client.on('packetreceive', (packet) => {
    for (const refusal of ledger.received(packet)) emit('tokenInvalid', refusal.notice);
  });
  client.on('connect', () => {
    gate.release(); // the new connection authenticated with the newest credentials
    machine.connected();
  });
  client.on('close', () => {
    const { notice, refused } = ledger.closed();
    if (refused) takeBack(refused, notice!);
    if (notice) emit('tokenInvalid', notice);
    gate.release(); // mqtt.js queues offline publishes itself, in order
    machine.closed();
  });
  client.on('reconnect', () => ownReconnect || machine.attempted());
  client.on('end', () => {
    client.options.reconnectPeriod = 0;
    gate.release();
    if (parked) parked = false;
    else machine.end();
  });

  machines.set(client, machine);
  machine.start(connectNow);
  return machine;
}

const machineOf = (client: MqttClient): Machine => {
  const machine = machines.get(client);
  if (!machine) throw _invalid('client', 'is not a client opened by connect/connectAsync of this SDK');
  return machine;
};

/**
 * Fetches fresh credentials for a managed client now (rotating the token in band when connected).
 * From the `refused` and `backing-off` states it also reconnects right after: the retry action.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` if the client was not opened by this SDK
 *   or has ended, or the provider's error.
 */
export async function refreshCredentials(client: MqttClient): Promise<void> {
  await machineOf(client).refresh();
}

/**
 * Where a managed client's connection stands: its state, the next retry and when, the
 * credentials' expiry. Changes are also emitted as the `state` event.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` if the client was not opened by this SDK.
 */
export function sessionState(client: MqttClient): SessionState {
  return machineOf(client).snapshot();
}

/** Typed listener for {@link SessionEvents}; returns a function that removes it. */
export function onSessionEvent<K extends keyof SessionEvents>(client: MqttClient, event: K, listener: SessionEvents[K]): () => void {
  const emitter = client as unknown as { on(e: string, l: unknown): void; off(e: string, l: unknown): void };
  _requireMethods(client, 'on off', 'client', 'an mqtt.js client');
  if (typeof event !== 'string' || typeof listener !== 'function') throw _invalid(typeof event !== 'string' ? 'event' : 'listener', 'must be an event name and a function');
  emitter.on(event, listener);
  return () => emitter.off(event, listener);
}
