/**
 * Opening a live mqtt.js client for an ApsaraMQ instance, with its credentials managed for the
 * connection's whole life.
 * @module
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import type { Credentials } from '../credentials/credential-types.js';
import { createConnectOptions, type ConnectOptionsInput } from '../connect/options.js';
import { _mqttAsync, _mqttSync, type MqttModule } from '../connect/mqtt-module.js';
import { _requireMethods, _requireOptions } from '../credentials/validate.js';
import { _checkClock, systemClock, type Clock } from '../clock.js';
import { _checkProvided, type CredentialsProvider } from './provider.js';
import { _NO_MQTT_RECONNECT, _startSession } from './session.js';
import { _checkTuning, type RefreshOptions } from './tuning.js';

/**
 * Inputs of {@link connect} and {@link connectAsync}: those of `createConnectOptions`, plus the ones
 * below. A managed client reconnects after a drop with jittered exponential backoff (`minBackoff` up
 * to `maxBackoff`, starting over once a connection has stayed up 30 s), not every `reconnectPeriod`;
 * `reconnectPeriod: 0` still turns reconnecting off.
 */
export interface ConnectInput extends Omit<ConnectOptionsInput, 'credentials'>, RefreshOptions {
  /**
   * Credentials, a promise of them (e.g. `signatureCredentials(...)` not awaited), or a provider
   * that is asked again before they expire and after a refusal (e.g. `remoteCredentials(url)`).
   */
  credentials: Credentials | PromiseLike<Credentials> | CredentialsProvider;
  /** mqtt.js to use; by default the installed `mqtt` package, or the `mqtt` global on a page. */
  mqtt?: MqttModule;
  /** Clock and timers; injectable for tests. */
  clock?: Clock;
}

/** What the session drives on an mqtt.js client. */
const CLIENT_METHODS = ['on', 'off', 'emit', 'connect', 'reconnect', 'end', 'publish', 'subscribe', 'unsubscribe'];

const PLACEHOLDER: Credentials = { username: '-', password: '-' };
const ignore = () => undefined;

/** Everything checked before any I/O, so bad input throws here, not later in an event. */
function prepare(input: ConnectInput) {
  // Checked first: a string spread below would become an object with a key per character.
  const given = _requireOptions(input, 'options');
  // A promise handed in is observed from now on: if anything below throws first (a bad client id,
  // say), its rejection must not surface as an unhandled one. The provider still hears it.
  const handed = given.credentials as PromiseLike<Credentials> | undefined;
  if (typeof handed?.then === 'function') handed.then(undefined, ignore);
  const { mqtt, credentials, clock, refreshMargin, minBackoff, maxBackoff, credentialsTimeout, random, ...rest } = given;
  const { url, options } = createConnectOptions({ ...rest, credentials: PLACEHOLDER });
  const tuning = _checkTuning(given);
  let provider = credentials as CredentialsProvider;
  if (typeof credentials !== 'function') {
    const answer = typeof (credentials as PromiseLike<Credentials>)?.then === 'function' ? credentials : _checkProvided(credentials, 'credentials');
    provider = () => answer;
  }
  const session = { tuning, provider, clientId: rest.clientId, instanceId: rest.instanceId, clock: _checkClock(clock) ?? systemClock };
  const connectNow = options.manualConnect !== true;
  // The session connects, and reconnects on its own backoff; 0 still means "never reconnect" (see session.ts).
  options.manualConnect = true;
  if (options.reconnectPeriod !== 0) options.reconnectPeriod = _NO_MQTT_RECONNECT;
  return { mqtt, url, options, session, connectNow };
}

/** mqtt.js's client for the options (`manualConnect`: not yet connecting); what mqtt.js throws (a bad option) is ours. */
function open(mqtt: MqttModule, url: string, options: IClientOptions): MqttClient {
  let client: Record<string, unknown> | undefined;
  try {
    client = mqtt.connect(url, options) as unknown as typeof client;
  } catch {
    // Its error is not kept: it could quote an option, and the password is one.
    throw _invalid('options', 'were refused by mqtt.js');
  }
  // The session drives these: anything else as a client would fail later, inside an event.
  _requireMethods(typeof client?.options === 'object' && client, CLIENT_METHODS, 'mqtt', 'mqtt.js, whose connect returns a client');
  return client as unknown as MqttClient;
}

/**
 * Opens a managed connection and returns the mqtt.js client at once, like `mqtt.connect`. The
 * client connects as soon as the credentials are ready; fresh credentials are fetched ahead of
 * expiry, after a refusal, and on the broker's token notices (see `SessionEvents`).
 *
 * mqtt.js must be available without waiting: passed as `mqtt`, the `mqtt` global of its browser
 * bundle, or installed (Node). In a bundled browser app use {@link connectAsync}, or pass `mqtt`.
 * @throws {@link ApsaraMqttAuthError} for invalid input or when mqtt.js is not available.
 */
export function connect(input: ConnectInput): MqttClient {
  const { mqtt, url, options, session, connectNow } = prepare(input);
  const client = open(_mqttSync(mqtt), url, options);
  _startSession(client, session, connectNow);
  return client;
}

/**
 * Opens a managed connection and resolves with the mqtt.js client once the broker accepted it.
 * Loads mqtt.js on first use if it was not passed in.
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_CONNECT_REFUSED` (with `returnCode`) when the broker refuses
 *   even fresh credentials, `ERR_CREDENTIALS_UNAVAILABLE` when the first credentials cannot be had,
 *   `ERR_CONNECT_FAILED` when the first attempt cannot reach the broker (later drops are retried
 *   with backoff), `ERR_MQTT_UNAVAILABLE`, or an input error. A call that rejected leaves nothing
 *   behind: its client is ended, no timer or request of it is left.
 * @example
 * ```ts
 * const client = await connectAsync({ instanceId, clientId, credentials: remoteCredentials('/api/mqtt-credentials') })
 * ```
 */
export async function connectAsync(input: ConnectInput): Promise<MqttClient> {
  const { mqtt, url, options, session } = prepare(input);
  const found = _mqttAsync(mqtt);
  const client = open('connect' in found ? found : await found, url, options);
  return new Promise<MqttClient>((resolve, reject) =>
    _startSession(client, session, true, (error) => {
      if (error === undefined) return resolve(client);
      reject(
        error instanceof ApsaraMqttAuthError
          ? error
          : // Browsers report an unreachable WebSocket only as a close.
            new ApsaraMqttAuthError('ERR_CONNECT_FAILED', `could not connect to ${url}${error === 'close' ? ' (connection closed before CONNACK)' : ''}`, { cause: error === 'close' ? undefined : error }),
      );
      client.end(true); // the session's end() also copes with a client that never opened a socket
    }),
  );
}
