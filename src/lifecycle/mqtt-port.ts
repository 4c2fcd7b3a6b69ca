/**
 * The port onto mqtt.js: every touch of an mqtt.js client beyond its typed, documented surface sits
 * here, so that a release that changes one of them breaks one function, and the contract test
 * (test/node/mqtt-port.test.ts, run against the lowest and the latest mqtt.js of the peer range)
 * names the field. What the session needs, and why mqtt.js offers no public way:
 * - `outgoing[id].cb`: which app call a PUBACK answers (mqtt.js keeps the callback under its id);
 * - `_resubscribeTopics`: a refused subscription must not be sent again on the next connection
 *   (mqtt.js deletes from it itself on a SUBACK refusal, not on a disconnect);
 * - `stream`: `end()` needs one, and a `manualConnect` client has none until it connects;
 * - `disconnected`: an ended client comes back with `reconnect()`, a dropped one with `connect()`;
 * - instance methods replaced (`publish`, `subscribe`, `unsubscribe`, `end`, `emit`): mqtt.js has no
 *   hook on outgoing calls, and its `*Async` variants and its own events go through these.
 * Nothing here depends on anything but the client object handed in.
 * @module
 */
import type { MqttClient } from 'mqtt';

/** The client's methods the session replaces on the instance. */
export type ReplacedMethod = 'publish' | 'subscribe' | 'unsubscribe' | 'end' | 'emit';

type Method = (...args: never[]) => unknown;

/** The private and undocumented members read, with the type each must have (checked by the contract test). */
export const MQTT_INTERNALS = {
  /** `{ [messageId]: { cb, volatile } }`, from construction on. */
  outgoing: 'object',
  /**
   * `{ [topic]: subscription }`, from construction on; filled when SUBSCRIBE is sent (with
   * `resubscribe`, the default, and a `reconnectPeriod` above 0: the session's is).
   */
  _resubscribeTopics: 'object',
  /** Set on `end()`; absent on a new client. */
  disconnected: 'boolean|undefined',
  /** Public, typed since 5.0: takes a QoS > 0 publish out of the resend store, failing its callback. */
  removeOutgoingMessage: 'function',
  publish: 'function',
  subscribe: 'function',
  unsubscribe: 'function',
  end: 'function',
  emit: 'function',
  connect: 'function',
  reconnect: 'function',
} as const;

interface Internals {
  stream?: unknown;
  disconnected?: boolean;
  _resubscribeTopics?: Record<string, unknown>;
  outgoing?: Record<number, { cb?: unknown } | undefined>;
  removeOutgoingMessage?(messageId: number): unknown;
  [method: string]: unknown;
}

/** @internal What the session does to an mqtt.js client beyond its public surface. */
export interface MqttPort {
  /** The callback mqtt.js keeps for the unanswered packet `messageId` (a QoS > 0 publish: the app's own). */
  callbackOf(messageId: number | undefined): unknown;
  /** Fails and drops every unanswered QoS > 0 publish `drop` picks (by id and callback): none is resent. */
  dropPublishes(drop: (messageId: number, callback: unknown) => boolean): void;
  /** The subscription to `topic` is not sent again when the client reconnects. */
  forgetSubscription(topic: string): void;
  /** The client has a network stream (it connected at least once): its own `end()` works. */
  hasStream(): boolean;
  /** The client was ended: `reconnect()`, not `connect()`, brings it back. */
  isEnded(): boolean;
  /**
   * Replaces `name` on the instance with what `make` builds from the original (bound to the client);
   * returns that original. mqtt.js calls its own methods through the instance, so it hears these too.
   */
  replace<T extends Method>(name: ReplacedMethod, make: (original: T) => T): T;
}

/** @internal The port onto `client`. */
export function _mqttPort(client: MqttClient): MqttPort {
  const internals = client as unknown as Internals;
  return {
    callbackOf: (messageId) => (messageId === undefined ? undefined : internals.outgoing?.[messageId]?.cb),
    dropPublishes(drop) {
      for (const [id, entry] of Object.entries(internals.outgoing ?? {})) if (drop(+id, entry?.cb)) internals.removeOutgoingMessage?.(+id);
    },
    forgetSubscription(topic) {
      delete internals._resubscribeTopics?.[topic];
    },
    hasStream: () => Boolean(internals.stream),
    isEnded: () => internals.disconnected === true,
    replace<T extends Method>(name: ReplacedMethod, make: (original: T) => T): T {
      const original = (internals[name] as T).bind(client) as T;
      internals[name] = make(original);
      return original;
    },
  };
}

/**
 * @internal Every member of {@link MQTT_INTERNALS} that `client` lacks or holds with another type,
 * as a sentence naming the field (empty when mqtt.js still keeps the contract).
 */
export function _mqttContractProblems(client: unknown): string[] {
  const problems: string[] = [];
  for (const [field, type] of Object.entries(MQTT_INTERNALS)) {
    const value = (client as Record<string, unknown> | null)?.[field];
    const actual = value === null ? 'null' : typeof value;
    if (!type.split('|').includes(actual)) problems.push(`mqtt.js client field \`${field}\` is ${actual === 'undefined' ? 'missing' : `a ${actual}`}, expected a ${type}`);
  }
  return problems;
}
