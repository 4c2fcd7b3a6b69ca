/**
 * The node-service example's settings, read from environment variables (see README.md).
 *
 * Without `APSARAMQ_INSTANCE_ID` it targets the local broker that `npm start` runs (or
 * `npx apsaramq-mqtt-auth broker --config examples/broker.json`), with the demo device credential
 * from `examples/broker.json`. With it, it targets that ApsaraMQ for MQTT instance over TLS.
 *
 * The secrets go straight into a credentials provider (a closure); the returned settings hold none,
 * so logging them can leak nothing.
 */
import { readFileSync } from 'node:fs';
import { deviceProvider, parseClientId, signatureProvider, validateClientId } from 'apsaramq-mqtt-auth';

/** A setting that is missing or wrong; the message names the variable and the fix. */
export class SettingsError extends Error {
  name = 'SettingsError';
}

const DEMO_CONFIG = new URL('../broker.json', import.meta.url);
const DEFAULT_PORTS = { tcp: 1883, tls: 8883 };

/** `examples/broker.json`: the local broker's demo identities, shared with `npm start`. */
function demoConfig() {
  const config = JSON.parse(readFileSync(DEMO_CONFIG, 'utf8'));
  const device = config.devices?.[0];
  if (typeof device?.deviceAccessKeySecret !== 'string') throw new SettingsError(`${DEMO_CONFIG.pathname} has no device with an inline secret`);
  return { instanceId: config.instanceId, tcpPort: config.tcpPort, device };
}

function port(env, fallback) {
  const text = env.APSARAMQ_PORT;
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new SettingsError(`APSARAMQ_PORT must be a port number from 1 to 65535 (got ${JSON.stringify(text)})`);
  return Number(text);
}

function interval(env) {
  const text = env.TELEMETRY_INTERVAL_MS ?? '1000';
  if (!/^\d+$/.test(text) || Number(text) < 10) throw new SettingsError(`TELEMETRY_INTERVAL_MS must be a whole number of milliseconds, at least 10 (got ${JSON.stringify(text)})`);
  return Number(text);
}

function clientIdFrom(env, fallback) {
  let clientId = env.APSARAMQ_CLIENT_ID;
  let variable = 'APSARAMQ_CLIENT_ID';
  if (!clientId && env.APSARAMQ_GROUP_ID) {
    clientId = `${env.APSARAMQ_GROUP_ID}@@@${env.APSARAMQ_DEVICE_ID || 'node-service-1'}`;
    variable = 'APSARAMQ_GROUP_ID/APSARAMQ_DEVICE_ID';
  }
  clientId ||= fallback;
  if (!clientId) throw new SettingsError('APSARAMQ_CLIENT_ID (or APSARAMQ_GROUP_ID and APSARAMQ_DEVICE_ID) is required: the client id, e.g. GID_telemetry@@@node-1');
  const check = validateClientId(clientId);
  if (!check.valid) throw new SettingsError(`${variable}: ${check.problems[0].message}`);
  return clientId;
}

/** Which credentials the environment holds: DeviceCredential wins unless APSARAMQ_MODE says otherwise. */
function modeFrom(env) {
  const device = Boolean(env.APSARAMQ_DEVICE_ACCESS_KEY_ID && env.APSARAMQ_DEVICE_ACCESS_KEY_SECRET);
  const signature = Boolean(env.APSARAMQ_ACCESS_KEY_ID && env.APSARAMQ_ACCESS_KEY_SECRET);
  const asked = env.APSARAMQ_MODE;
  if (asked !== undefined && asked !== '' && asked !== 'device' && asked !== 'signature') {
    throw new SettingsError(`APSARAMQ_MODE must be "device" or "signature" (got ${JSON.stringify(asked)})`);
  }
  if (asked === 'signature' || (!asked && !device && signature)) {
    if (!signature) throw new SettingsError('Signature mode needs APSARAMQ_ACCESS_KEY_ID and APSARAMQ_ACCESS_KEY_SECRET');
    return 'signature';
  }
  if (!device) {
    throw new SettingsError(
      'credentials are required: APSARAMQ_DEVICE_ACCESS_KEY_ID and APSARAMQ_DEVICE_ACCESS_KEY_SECRET (DeviceCredential), or APSARAMQ_ACCESS_KEY_ID and APSARAMQ_ACCESS_KEY_SECRET (Signature)',
    );
  }
  return 'device';
}

/**
 * Reads the settings from `env`.
 * @param {Record<string, string | undefined>} env
 * @returns {{ target: string, instanceId: string, clientId: string, mode: 'device' | 'signature',
 *   credentials: import('apsaramq-mqtt-auth').CredentialsProvider, transport: 'tcp' | 'tls', host: string,
 *   port: number, ca?: Buffer, topic: string, intervalMs: number }}
 * @throws {SettingsError} naming the variable at fault.
 */
export function readSettings(env) {
  const local = !env.APSARAMQ_INSTANCE_ID;
  const demo = local ? demoConfig() : undefined;
  const instanceId = env.APSARAMQ_INSTANCE_ID || demo.instanceId;
  const transport = env.APSARAMQ_TRANSPORT || (local ? 'tcp' : 'tls');
  if (transport !== 'tcp' && transport !== 'tls') throw new SettingsError(`APSARAMQ_TRANSPORT must be "tls" or "tcp" (got ${JSON.stringify(transport)})`);

  let clientId;
  let credentials;
  let mode;
  if (local && !env.APSARAMQ_ACCESS_KEY_ID && !env.APSARAMQ_DEVICE_ACCESS_KEY_ID) {
    // The demo device of examples/broker.json: the local broker knows its secret.
    mode = 'device';
    clientId = clientIdFrom(env, demo.device.clientId);
    credentials = deviceProvider({ ...demo.device, instanceId, clientId });
  } else {
    mode = modeFrom(env);
    clientId = clientIdFrom(env, demo?.device.clientId);
    credentials =
      mode === 'device'
        ? deviceProvider({
            deviceAccessKeyId: env.APSARAMQ_DEVICE_ACCESS_KEY_ID,
            deviceAccessKeySecret: env.APSARAMQ_DEVICE_ACCESS_KEY_SECRET,
            instanceId,
            clientId,
          })
        : signatureProvider({ accessKeyId: env.APSARAMQ_ACCESS_KEY_ID, accessKeySecret: env.APSARAMQ_ACCESS_KEY_SECRET, instanceId, clientId });
  }

  let ca;
  if (env.APSARAMQ_CA_FILE) {
    try {
      ca = readFileSync(env.APSARAMQ_CA_FILE);
    } catch (error) {
      throw new SettingsError(`APSARAMQ_CA_FILE could not be read (${error.code ?? error.message})`);
    }
  }
  const { deviceId } = parseClientId(clientId);
  return {
    target: local ? 'the local broker' : `ApsaraMQ instance ${instanceId}`,
    instanceId,
    clientId,
    mode,
    credentials,
    transport,
    host: env.APSARAMQ_HOST || (local ? '127.0.0.1' : `${instanceId}.mqtt.aliyuncs.com`),
    port: port(env, local && transport === 'tcp' ? demo.tcpPort : DEFAULT_PORTS[transport]),
    ...(ca ? { ca } : {}),
    topic: env.APSARAMQ_TOPIC || `${env.APSARAMQ_PARENT_TOPIC || 'demo'}/${deviceId}/telemetry`,
    intervalMs: interval(env),
  };
}
