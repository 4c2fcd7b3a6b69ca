/**
 * The thin adapter between the connection state machine (`machine.ts`) and an mqtt.js client:
 * mqtt.js events in, the machine's decisions out. Every touch of mqtt.js beyond its public surface
 * goes through the port (`mqtt-port.ts`). What it replaces on the client, and why:
 * - `publish`/`subscribe`/`unsubscribe`: a topic ApsaraMQ's documented limits rule out fails at once
 *   with `ERR_INVALID_TOPIC` (nothing is sent: the service would answer with a disconnect); the
 *   publish gate holds calls while a token upload awaits its PUBACK; a call the broker refuses is
 *   answered with `ERR_NOT_AUTHORIZED` (or `ERR_INVALID_TOPIC`) instead of mqtt.js's plain error
 *   (mqtt.js has no hook on outgoing calls; its `*Async` variants go through these);
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
 * subscription is taken out of the subscriptions mqtt.js renews on reconnecting, a refused QoS 1
 * publish out of its resend store: neither is sent again.
 * A failed call's error reaches the app one microtask later than mqtt.js gives it: mqtt.js up to
 * 5.12 fails unanswered calls just before it emits `close`, and the close is where the ledger names
 * the refused one.
 * @module
 */
import type { MqttClient } from 'mqtt';
import { _invalid, type ApsaraMqttAuthError } from '../errors.js';
import { _AUTH_REFUSALS } from '../connect/refusal.js';
import { _requireMethods } from '../credentials/validate.js';
import type { Clock } from '../clock.js';
import { _createGate } from './gate.js';
import { _createLedger, _notAuthorized, _topicRefused, type LedgerPacket } from './ledger.js';
import { _mqttPort } from './mqtt-port.js';
import { clientTopicProblem } from '../protocol/topics.js';
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
   * other than 4 and 5), or a publish/subscribe refused by MQTT reason code on its SUBACK/PUBACK or
   * the DISCONNECT after it (`reason: 'not-authorized'`, with the MQTT 5 `reasonString`), or by an
   * MQTT 3.1.1 disconnect while it awaited its answer (`reason: 'connection-closed'`). For a refused
   * call, `action` and `topic` name it; that call failed with `ERR_NOT_AUTHORIZED` (`ERR_INVALID_TOPIC`
   * when the reason code is about the topic) and is not sent again.
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
type Emit = (event: string, ...args: unknown[]) => boolean;

/** Runs `fn` on a later turn of the microtask queue (`queueMicrotask` is missing in some mini-programs). */
const later = (fn: () => void) => void Promise.resolve().then(fn);
const lastFunction = (args: unknown[]) => args.filter((a): a is Callback => typeof a === 'function').pop();

/**
 * @internal Takes charge of `client` (created with `manualConnect: true`). `connectNow` connects as
 * soon as the first credentials arrive. `first` (connectAsync's) hears how the first attempt ends:
 * CONNACK (no argument), or an error.
 */
export function _startSession(client: MqttClient, input: SessionInput, connectNow: boolean, first?: (error?: unknown) => void): Machine {
  const port = _mqttPort(client);
  const emitOf = () => client.emit as unknown as Emit; // the replaced one, once replaced below
  const emit = (client.emit as unknown as Emit).bind(client);
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
          if (port.isEnded()) client.reconnect();
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
      emit: (event, payload) => void emitOf()(event, payload),
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
    const answer = (error: Error | null | undefined, rest: unknown[]) =>
      // Refused by the broker, or failed because the session closed the client on a refusal.
      (callback as Callback)(error && (call.refused ? _notAuthorized(call.refused) : (parkedBy() ?? error)), ...rest);
    const wrapped: Callback = (error, ...rest) => {
      const settle = () => (pending.delete(wrapped), answer(error, rest));
      // A failure waits for the close that may explain it (see the module's comment); the call
      // stays pending meanwhile, so that the close can mark it refused.
      if (error && !call.refused) later(settle);
      else settle();
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
  /** `make` returns the call to hand mqtt.js, or the error that refuses it before anything is sent. */
  const patch = (name: keyof typeof originals, make: (args: unknown[]) => unknown[] | ApsaraMqttAuthError) => {
    const original = (originals[name] = port.replace<Method>(name, (mqttMethod) => (...args: unknown[]) => {
      const refused = parkedBy();
      const call = refused ?? make(args);
      if (call instanceof Error) {
        const callback = lastFunction(args);
        later(() => callback?.(call));
      } else if (!gate.hold([mqttMethod, call])) mqttMethod(...call);
      return client;
    }));
    return original;
  };
  /** The first topic ApsaraMQ's documented limits refuse for `action`, as the error. */
  const precheck = (action: Call['action'], topics: unknown[]) => {
    for (const topic of topics) {
      const breach = clientTopicProblem(topic, action);
      if (breach) return _topicRefused(action, topic, breach);
    }
    return undefined;
  };
  patch('publish', ([topic, message, opts, callback]) => {
    if (typeof opts === 'function') [opts, callback] = [{}, opts];
    return precheck('publish', [topic]) ?? [topic, message, opts ?? {}, track('publish', [String(topic)], callback)];
  });
  patch('subscribe', ([topics, opts, callback]) => {
    if (typeof opts === 'function') [opts, callback] = [{}, opts];
    const names = typeof topics === 'string' ? [topics] : Array.isArray(topics) ? topics.map(String) : Object.keys(Object(topics)).filter((k) => k !== 'resubscribe');
    return precheck('subscribe', names) ?? [topics, opts ?? {}, track('subscribe', names, callback)];
  });
  patch('unsubscribe', (args) => args);

  // mqtt.js's end() needs the network stream, which a `manualConnect` client gets only when it
  // connects. Ended before that (say its first credentials were refused), the session ends it:
  // 'end' as mqtt.js would emit it, then the callback.
  let endedEarly = false;
  port.replace<(...args: unknown[]) => MqttClient>('end', (mqttEnd) => (...args: unknown[]): MqttClient => {
    // With a period of 0, mqtt.js fails what is still waiting instead of keeping it for a
    // reconnect that will not come, and schedules no reconnect when the socket closes later.
    client.options.reconnectPeriod = 0;
    ledger.explained(); // the close that follows is the app's (or the session's), not the broker's answer
    if (port.hasStream()) return mqttEnd(...args);
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
  });

  port.replace<Emit>('emit', () => (event: string, ...args: unknown[]): boolean => {
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
          if (_needsFreshCredentials(parsed.notice.code)) {
            emit('tokenInvalid', parsed.notice);
            ledger.explained(); // expired, revoked…: the disconnect is about the token, not a call
          } else ledger.noticed(parsed.notice);
          machine.tokenInvalid(parsed.notice);
        }
        return true; // not the app's message
      }
      case 'error': {
        ledger.explained(); // a socket error or a keep-alive timeout: the close that follows is not a refusal
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
          const call = pending.get(port.callbackOf((arg as LedgerPacket).messageId) as Callback);
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
        // Credentials past their expiry explain a disconnect (ApsaraMQ need not send a notice first).
        if ((machine.snapshot().credentials?.expiresAt ?? Infinity) <= input.clock.now()) ledger.explained();
        const { notice, refused } = ledger.closed();
        if (refused) {
          // After a notice and a disconnect: the refused call fails with our error and is not sent again.
          const { action, topics, messageId } = refused;
          refuse(action, topics, notice!);
          if (action === 'subscribe') for (const topic of topics) port.forgetSubscription(topic);
          // The refused publish, and every other unacknowledged one to that topic: each would be refused too.
          else port.dropPublishes((id, callback) => id === messageId || pending.get(callback as Callback)?.refused === notice);
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
  });

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
