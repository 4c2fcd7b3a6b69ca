/**
 * What `npm start` runs, read from environment variables (pure: no I/O beyond reading the demo
 * broker config). Two targets:
 * - local (default): the local ApsaraMQ-compatible broker from `examples/broker.json`, on fixed
 *   loopback ports that `DEMO_*_PORT` variables override (0 picks a free port);
 * - instance: `APSARAMQ_INSTANCE_ID`, `APSARAMQ_ACCESS_KEY_ID` and `APSARAMQ_ACCESS_KEY_SECRET` set
 *   (all three; Alibaba's own names `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET` and
 *   `ALIBABA_CLOUD_SECURITY_TOKEN` work too, for the AccessKey), plus `APSARAMQ_REGION_ID` or `APSARAMQ_OPENAPI_ENDPOINT` for ApplyToken: no local
 *   broker; the pages and the Node service connect to that instance.
 * Secrets are not copied here: the code that needs one reads it from the environment at that point.
 */
import { readFileSync } from 'node:fs';

/** A setting that is missing or wrong; the message names the variable. */
export class StartSettingsError extends Error {
  name = 'StartSettingsError';
}

/** Default ports of the local target: easy to remember, each overridable. */
export const DEFAULT_PORTS = Object.freeze({ web: 8080, tcp: 1883, tls: 8883, ws: 8083, wss: 8084, http: 8088 });

/** Variables that override {@link DEFAULT_PORTS}. */
export const PORT_VARIABLES = Object.freeze({ web: 'DEMO_WEB_PORT', tcp: 'DEMO_TCP_PORT', tls: 'DEMO_TLS_PORT', ws: 'DEMO_WS_PORT', wss: 'DEMO_WSS_PORT', http: 'DEMO_HTTP_PORT' });

/** The AccessKey variables of each family: this project's, and Alibaba's (its SDKs, CLI and `@alicloud/credentials`). */
const ACCESS_KEY_FAMILIES = Object.freeze({
  apsaramq: Object.freeze({ id: 'APSARAMQ_ACCESS_KEY_ID', secret: 'APSARAMQ_ACCESS_KEY_SECRET', token: 'APSARAMQ_SECURITY_TOKEN' }),
  alibaba: Object.freeze({ id: 'ALIBABA_CLOUD_ACCESS_KEY_ID', secret: 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', token: 'ALIBABA_CLOUD_SECURITY_TOKEN' }),
});

/**
 * The names of the AccessKey variables in use: `APSARAMQ_*` when either of them is set, else
 * `ALIBABA_CLOUD_*`. One family at a time, so that an id and a secret never come from two pairs.
 * @param {Record<string, string | undefined>} env
 */
export function accessKeyVariables(env) {
  const own = ACCESS_KEY_FAMILIES.apsaramq;
  const alibaba = ACCESS_KEY_FAMILIES.alibaba;
  return !env[own.id] && !env[own.secret] && (env[alibaba.id] || env[alibaba.secret]) ? alibaba : own;
}
const HOUR = 3_600_000;
/**
 * The shortest token lifetime: `MIN_TOKEN_LIFETIME` of `apsaramq-mqtt-auth/server` (ApplyToken's 60 s
 * plus 10 s on the way). Settings are read before the build, so the number is repeated here;
 * test/node/start-settings.test.ts holds the two equal.
 */
export const MIN_TOKEN_TTL_MS = 70_000;

function portFrom(env, name, fallback) {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new StartSettingsError(`${name} must be a port number from 0 (any free port) to 65535 (got ${JSON.stringify(text)})`);
  return Number(text);
}

function durationFrom(env, name, fallback, min, max) {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new StartSettingsError(`${name} must be a whole number of milliseconds from ${min} to ${max} (got ${JSON.stringify(text)})`);
  }
  return Number(text);
}

function segmentFrom(env, name, fallback, pattern, rule) {
  const value = env[name] || fallback;
  if (!pattern.test(value)) throw new StartSettingsError(`${name} ${rule} (got ${JSON.stringify(value)})`);
  return value;
}

/**
 * @param {Record<string, string | undefined>} env
 * @param {{ brokerConfigFile: string }} files
 */
export function readStartSettings(env, files) {
  const keys = accessKeyVariables(env);
  const required = ['APSARAMQ_INSTANCE_ID', keys.id, keys.secret];
  const given = required.filter((name) => env[name]);
  if (given.length > 0 && given.length < required.length) {
    const missing = required.filter((name) => !env[name]);
    throw new StartSettingsError(`${missing.join(' and ')} must be set too, to use an ApsaraMQ instance (or unset ${given.join(', ')} for the local broker)`);
  }
  const local = given.length === 0;
  const demo = JSON.parse(readFileSync(files.brokerConfigFile, 'utf8'));
  const common = {
    webPort: portFrom(env, PORT_VARIABLES.web, DEFAULT_PORTS.web),
    // 1 hour by default; short lifetimes (70 s to 30 days) show in-band rotation live.
    tokenTtl: durationFrom(env, 'DEMO_TOKEN_TTL_MS', HOUR, MIN_TOKEN_TTL_MS, 30 * 24 * HOUR),
    groupId: segmentFrom(env, 'APSARAMQ_GROUP_ID', 'GID_demo', /^GID[_-][A-Za-z0-9_-]{3,60}$/, 'must be a GroupId: GID_ or GID- then letters, digits, - or _'),
    parentTopic: segmentFrom(env, 'APSARAMQ_PARENT_TOPIC', 'demo', /^[A-Za-z0-9_-]{1,40}$/, 'must be a parent topic: letters, digits, - or _'),
  };
  if (local) {
    return {
      ...common,
      target: 'local',
      instanceId: demo.instanceId,
      brokerPorts: {
        tcp: portFrom(env, PORT_VARIABLES.tcp, DEFAULT_PORTS.tcp),
        tls: portFrom(env, PORT_VARIABLES.tls, DEFAULT_PORTS.tls),
        ws: portFrom(env, PORT_VARIABLES.ws, DEFAULT_PORTS.ws),
        wss: portFrom(env, PORT_VARIABLES.wss, DEFAULT_PORTS.wss),
        http: portFrom(env, PORT_VARIABLES.http, DEFAULT_PORTS.http),
      },
    };
  }
  if (!env.APSARAMQ_REGION_ID && !env.APSARAMQ_OPENAPI_ENDPOINT) {
    throw new StartSettingsError('APSARAMQ_REGION_ID (e.g. cn-hangzhou) or APSARAMQ_OPENAPI_ENDPOINT is required: the credential server applies for tokens there');
  }
  const instanceId = env.APSARAMQ_INSTANCE_ID;
  const webTransport = env.APSARAMQ_WS_TRANSPORT || 'wss';
  if (webTransport !== 'wss' && webTransport !== 'ws') throw new StartSettingsError(`APSARAMQ_WS_TRANSPORT must be "wss" or "ws" (got ${JSON.stringify(webTransport)})`);
  return {
    ...common,
    target: 'instance',
    instanceId,
    accessKeyId: env[keys.id],
    // Names, not values: the secret (and the SecurityToken of temporary credentials) stay in the environment.
    accessKeyVariables: keys,
    openApi: env.APSARAMQ_OPENAPI_ENDPOINT ? { endpoint: env.APSARAMQ_OPENAPI_ENDPOINT } : { regionId: env.APSARAMQ_REGION_ID },
    host: env.APSARAMQ_HOST || `${instanceId}.mqtt.aliyuncs.com`,
    pages: {
      transport: webTransport,
      port: portFrom(env, 'APSARAMQ_WS_PORT', webTransport === 'wss' ? 443 : 80),
      path: env.APSARAMQ_WS_PATH || '/mqtt',
    },
  };
}
