/**
 * Opening a live mqtt.js client for an ApsaraMQ instance.
 * @module
 */
import type { MqttClient } from 'mqtt';
import { ApsaraMqttAuthError } from '../errors.js';
import type { Credentials } from '../credentials/types.js';
import { createConnectOptions, type ConnectOptionsInput } from './options.js';
import { _mqttAsync, _mqttSync, type MqttModule } from './mqtt-module.js';
import { _refusalCode, _refusalError } from './refusal.js';

/** Inputs of {@link connect} and {@link connectAsync}: those of {@link createConnectOptions}, plus: */
export interface ConnectInput extends Omit<ConnectOptionsInput, 'credentials'> {
  /** The credentials, or a promise of them (e.g. straight from `signatureCredentials(...)`). */
  credentials: Credentials | PromiseLike<Credentials>;
  /** mqtt.js to use; by default the installed `mqtt` package, or the `mqtt` global on a page. */
  mqtt?: MqttModule;
}

const PLACEHOLDER: Credentials = { username: '-', password: '-' };

function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function credentialsError(cause: unknown): ApsaraMqttAuthError {
  return cause instanceof ApsaraMqttAuthError
    ? cause
    : new ApsaraMqttAuthError('ERR_CREDENTIALS_UNAVAILABLE', 'the credentials could not be obtained', { cause });
}

/**
 * Opens a connection and returns the mqtt.js client at once, like `mqtt.connect`. When
 * `credentials` is a promise, the client is created idle and connects as soon as it resolves;
 * a failure is emitted as an `error` event ({@link ApsaraMqttAuthError}).
 *
 * mqtt.js must be available without waiting: passed as `mqtt`, the `mqtt` global of its browser
 * bundle, already loaded by an earlier call, or installed in Node. Elsewhere use {@link connectAsync}.
 * @throws {@link ApsaraMqttAuthError} for invalid input or when mqtt.js is not available.
 */
export function connect(input: ConnectInput): MqttClient {
  const { mqtt, credentials, ...rest } = input ?? ({} as ConnectInput);
  if (!isPromiseLike<Credentials>(credentials)) {
    const { url, options } = createConnectOptions({ ...rest, credentials });
    return _mqttSync(mqtt).connect(url, options);
  }
  // Validate everything now, so bad input throws here and not later in an event.
  const { url, options } = createConnectOptions({ ...rest, credentials: PLACEHOLDER });
  const manual = options.manualConnect === true;
  const client = _mqttSync(mqtt).connect(url, { ...options, manualConnect: true });
  Promise.resolve(credentials).then(
    (resolved) => {
      if (client.disconnecting || client.disconnected) return; // ended by the caller meanwhile
      const checked = createConnectOptions({ ...rest, credentials: resolved }).options;
      client.options.username = checked.username!;
      client.options.password = checked.password!;
      if (!manual) client.connect();
    },
    (cause) => {
      client.emit('error', credentialsError(cause));
      client.end(true);
    },
  );
  return client;
}

/**
 * Opens a connection and resolves with the mqtt.js client once the broker accepted it (CONNACK).
 * Loads mqtt.js on first use if it was not passed in.
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_CONNECT_REFUSED` (with `returnCode`) when the broker says no,
 *   `ERR_CONNECT_FAILED` when it cannot be reached and `reconnectPeriod` is 0,
 *   `ERR_CREDENTIALS_UNAVAILABLE`, `ERR_MQTT_UNAVAILABLE`, or an input error.
 * @example
 * ```ts
 * const client = await connectAsync({ instanceId, clientId, credentials: signatureCredentials({ ... }) })
 * ```
 */
export async function connectAsync(input: ConnectInput): Promise<MqttClient> {
  const { mqtt, credentials, ...rest } = input ?? ({} as ConnectInput);
  // Validate before awaiting anything, so input errors are not blamed on the credentials.
  createConnectOptions({ ...rest, credentials: isPromiseLike(credentials) ? PLACEHOLDER : credentials });
  let resolved: Credentials;
  try {
    resolved = await credentials;
  } catch (cause) {
    throw credentialsError(cause);
  }
  const { url, options } = createConnectOptions({ ...rest, credentials: resolved });
  const client = (await _mqttAsync(mqtt)).connect(url, options);
  return new Promise<MqttClient>((resolve, reject) => {
    const settle = (error?: ApsaraMqttAuthError) => {
      client.off('connect', onConnect).off('error', onError).off('close', onClose);
      if (!error) return resolve(client);
      client.end(true);
      reject(error);
    };
    const onConnect = () => settle();
    const onError = (error: unknown) => {
      const code = _refusalCode(error);
      settle(
        code !== undefined
          ? _refusalError(code, error)
          : new ApsaraMqttAuthError('ERR_CONNECT_FAILED', `could not connect to ${url}`, { cause: error }),
      );
    };
    // Without retries a close before CONNACK is final; with retries mqtt.js keeps trying.
    const onClose = () => {
      if (!options.reconnectPeriod) settle(new ApsaraMqttAuthError('ERR_CONNECT_FAILED', `could not connect to ${url} (connection closed before CONNACK)`));
    };
    client.on('connect', onConnect).on('error', onError).on('close', onClose);
  });
}
