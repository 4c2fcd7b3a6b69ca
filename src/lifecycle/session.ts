/**
 * The thin adapter between the connection state machine (`machine.ts`) and an mqtt.js client:
 * mqtt.js events in, the machine's decisions out. What it still patches on the client, and why:
 * - `publish`/`subscribe`/`unsubscribe`: the publish gate holds them while a token upload awaits its
 *   PUBACK, and a call the broker refuses is answered with `ERR_NOT_AUTHORIZED` instead of mqtt.js's
 *   plain error (mqtt.js has no hook on outgoing calls; its `*Async` variants go through these);
 * - `emit`: the session hears every event there, before the app's listeners, in one function (no
 *   listener of its own on the client); it keeps two from the app: `$SYS` notices are not user
 *   messages, and a CONNACK refusal the session answers with fresh credentials is not an error to the
 *   user (an unheard `error` would throw in Node);
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
import { _invalid, type ApsaraMqttAuthError } from '../errors.js';
import { _AUTH_REFUSALS } from '../connect/refusal.js';
import { _requireMethods } from '../credentials/validate.js';
import type { Clock } from '../clock.js';
import { _createGate } from './gate.js';
import { _createLedger, _notAuthorized, type LedgerPacket } from './ledger.js';
import { _createMachine, type Machine, type SessionState } from './machine.js';
import { _formatUploadToken, _needsFreshCredentials, _parseNotice, UPLOAD_TOKEN_TOPIC, type TokenExpireNotice, type TokenInvalidNotice } from '../protocol/sys-topics.js';
import { _tokenPairs, type TokenType } from '../protocol/token-password.js';
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
  /** The notice (or reason code) that refused it. */
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
  end(...args: unknown[]): MqttClient;
  [method: string]: unknown;
}

/** Runs `fn` on a later turn of the microtask queue (`queueMicrotask` is missing in some mini-programs). */
const later = (fn: () => void) => void Promise.resolve().then(fn);
const lastFunction = (args: unknown[]) => args.filter((a): a is Callback => typeof a === 'function').pop();

/**
 * @internal Takes charge of `client` (created with `manualConnect: true`). `connectNow` connects as
 * soon as the first credentials arrive. `first` (connectAsync's) hears how the first attempt ends:
 * CONNACK (no argument), or an error.
 */
export function _startSession(client: MqttClient, input: SessionInput, connectNow: boolean, first?: (error?: unknown) => void): Machine {
  const internals = client as unknown as Internals;
  const emit = client.emit.bind(client) as Internals['emit'];
  const ledger = _createLedger(client.options.protocolVersion);
  const pending = new Map<Callback, Call>();
  const period = client.options.reconnectPeriod;
  let ownReconnect = false;
  let parked = false; // the session ended the mqtt.js client itself (refused): its 'end' is not the app's
  const gate = _createGate<[Method, unknown[]]>(([fn, args]) => fn(...args));

  const machine = _createMachine({
    provider: input.provider,
    context: { clientId: input.clientId, instanceId: input.instanceId },
    clock: input.clock,
    tuning: input.tuning,
    autoReconnect: period !== 0,
    host: client.options.hostname ?? client.options.host,
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
          if (internals.disconnected) client.reconnect();
          else {
            if (attempt > 1) emit('reconnect');
            client.connect();
          }
        } finally {
          ownReconnect = false;
        }
      },
      park() {
        parked = true;
        client.end(true);
      },
      upload(fresh, previous) {
        if (previous?.username === fresh.username && previous.password !== fresh.password) void upload(fresh);
      },
      // Through the patched emit, so that connectAsync hears the session's own `error`.
      emit: (event, payload) => void internals.emit(event, payload),
      listens: (event) => ((client as unknown as { listenerCount?(e: string): number }).listenerCount?.(event) ?? 1) > 0,
    },
  });

  /** The session's refusal while it is parked in `refused`: why every call fails meanwhile. */
  const parkedBy = () => (machine.state() === 'refused' ? machine.snapshot().lastError : undefined);

  /** Marks the calls a refusal names, so that their callbacks get our error. */
  const refuse = (action: Call['action'], topics: string[], notice: TokenInvalidNotice) => {
    for (const call of pending.values()) if (call.action === action && call.topics.some((t) => topics.includes(t))) call.refused ??= notice;
  };

  /** Wraps a callback so that a refusal reaches it as our error. */
  function track(action: Call['action'], topics: string[], callback: unknown): Callback | undefined {
    if (typeof callback !== 'function') return undefined;
    const call: Call = { action, topics };
    const wrapped: Callback = (error, ...rest) => {
      pending.delete(wrapped);
      // Refused by the broker, or failed because the session closed the client on a refusal.
      (callback as Callback)(error && (call.refused ? _notAuthorized(call.refused) : (parkedBy() ?? error)), ...rest);
    };
    pending.set(wrapped, call);
    return wrapped;
  }

  async function upload(fresh: ProvidedCredentials): Promise<void> {
    const pairs = _tokenPairs(fresh.username, fresh.password);
    if (!pairs.length) return; // not Token mode: the next CONNECT carries the new password
    const done = gate.begin();
    try {
      for (const { type, token } of pairs) {
        await new Promise<void>((resolve, reject) =>
          originals.publish(UPLOAD_TOKEN_TOPIC, _formatUploadToken(token, type as TokenType), { qos: 1 }, (error?: Error) => (error ? reject(error) : resolve())),
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
  const originals = {} as Record<'publish' | 'subscribe' | 'unsubscribe', Method>;
  const patch = (name: keyof typeof originals, make: (args: unknown[]) => unknown[]) => {
    const original = (originals[name] = (client[name] as Method).bind(client));
    internals[name] = (...args: unknown[]) => {
      const refused = parkedBy();
      if (refused) {
        const callback = lastFunction(args);
        later(() => callback?.(refused));
      } else {
        const call = make(args);
        if (!gate.hold([original, call])) original(...call);
      }
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
  const mqttEnd = internals.end.bind(client);
  let endedEarly = false;
  internals.end = (...args: unknown[]): MqttClient => {
    // With a period of 0, mqtt.js fails what is still waiting instead of keeping it for a
    // reconnect that will not come, and schedules no reconnect when the socket closes later.
    client.options.reconnectPeriod = 0;
    if (internals.stream) return mqttEnd(...args);
    const callback = lastFunction(args);
    const announce = !parked && !endedEarly; // refused before any socket: nothing to close, nothing to announce
    if (!parked) {
      endedEarly = true;
      machine.end();
    }
    parked = false;
    later(() => {
      if (announce) client.emit('end');
      callback?.();
    });
    return client;
  };

  internals.emit = (event: string, ...args: unknown[]): boolean => {
    const [arg, payload] = args;
    switch (event) {
      case 'message': {
        const parsed = _parseNotice(String(arg), payload as Uint8Array);
        if (!parsed) break;
        if (parsed.kind === 'expiring') {
          emit('tokenExpiring', parsed.notice);
          machine.tokenExpiring(parsed.notice);
        } else {
          // Codes 4 and 5 are about one call: they are reported with it once the connection closes.
          if (_needsFreshCredentials(parsed.notice.code)) emit('tokenInvalid', parsed.notice);
          else ledger.noticed(parsed.notice);
          machine.tokenInvalid(parsed.notice);
        }
        return true; // not the app's message
      }
      case 'error': {
        const code = (arg as { code?: unknown } | null)?.code as number;
        if (machine.state() !== 'ended' && _AUTH_REFUSALS.includes(code)) {
          machine.refused(code, arg); // the machine emits the typed error if it gives up
          return true;
        }
        break;
      }
      case 'packetsend':
        ledger.sent(arg as LedgerPacket);
        break;
      case 'packetreceive':
        for (const { action, topics, notice } of ledger.received(arg as LedgerPacket)) {
          // A PUBACK answers the one publish whose callback mqtt.js keeps under its id; a SUBACK's
          // callback is mqtt.js's own, so the subscribe is found by its topics.
          const call = pending.get(internals.outgoing[(arg as LedgerPacket).messageId!]?.cb as Callback);
          if (call) call.refused ??= notice;
          else refuse(action, topics, notice);
          emit('tokenInvalid', notice);
        }
        break;
      case 'connect':
        gate.release(); // the new connection authenticated with the newest credentials
        machine.connected();
        break;
      case 'close': {
        const { notice, refused } = ledger.closed();
        if (refused) {
          // After a notice and a disconnect: the refused call fails with our error and is not sent again.
          const { action, topics, messageId } = refused;
          refuse(action, topics, notice!);
          if (action === 'subscribe') for (const topic of topics) delete internals._resubscribeTopics?.[topic];
          // The refused publish, and every other unacknowledged one to that topic: each would be refused too.
          else for (const [id, entry] of Object.entries(internals.outgoing)) if (+id === messageId || pending.get(entry.cb as Callback)?.refused === notice) internals.removeOutgoingMessage(+id);
        }
        if (notice) emit('tokenInvalid', notice);
        gate.release(); // mqtt.js queues offline publishes itself, in order
        machine.closed();
        break;
      }
      case 'reconnect':
        if (!ownReconnect) machine.attempted();
        break;
      case 'end':
        client.options.reconnectPeriod = 0;
        gate.release();
        if (parked) parked = false;
        else machine.end();
    }
    if (first) {
      // connectAsync: how the first attempt ends, as the app would hear it. A close after a refusal
      // the session is answering is not final.
      const error = event === 'error' || event === 'credentialsError' ? arg : event === 'close' && !machine.recovering() ? 'close' : undefined;
      if (event === 'connect' || error !== undefined) {
        const settle = first;
        first = undefined;
        settle(error);
        // Heard by connectAsync, which rejects with it: not also thrown at a client nobody holds yet.
        if (event === 'error') return true;
      }
    }
    return emit(event, ...args);
  };

  machines.set(client, machine);
  machine.start(connectNow);
  return machine;
}

const machineOf = (client: MqttClient): Machine => {
  const machine = machines.get(client);
  if (!machine) throw _invalid('client', 'is not from connect/connectAsync');
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
  _requireMethods(client, ['on', 'off'], 'client', 'an mqtt.js client');
  if (typeof event !== 'string' || typeof listener !== 'function') throw _invalid(typeof event !== 'string' ? 'event' : 'listener', 'must be an event name and a function');
  emitter.on(event, listener);
  return () => emitter.off(event, listener);
}
