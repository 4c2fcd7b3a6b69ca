/**
 * mqtt.js connect options for an ApsaraMQ instance, per transport. Pure: no I/O, no mqtt.js import.
 * @module
 */
import type { IClientOptions } from 'mqtt';
import { _invalid } from '../errors.js';
import { _checkClientId } from '../credentials/client-id.js';
import type { Credentials } from '../credentials/credential-types.js';
import { _requireOptions, _requireSegment, _requireString } from '../credentials/validate.js';
import { RECOMMENDED_KEEPALIVE_SECONDS } from '../protocol/limits.js';
import { _miniProgramOptions, _miniProgramTransport } from './mini-program.js';

/**
 * How the client reaches the broker: MQTT over TCP, over TLS, over WebSocket, over secure WebSocket;
 * in a WeChat mini-program over `wx.connectSocket` (`wxs`, or `wx` without TLS where the platform
 * allows it: the developer tools); in an Alipay mini-program over `my.connectSocket` (`alis`, `ali`).
 */
export type Transport = 'tcp' | 'tls' | 'ws' | 'wss' | 'wx' | 'wxs' | 'ali' | 'alis';

/** ApsaraMQ's ports per transport (the mini-program ones are WebSocket: 80 and 443). */
export const DEFAULT_PORTS: Readonly<Record<Transport, number>> = { tcp: 1883, tls: 8883, ws: 80, wss: 443, wx: 80, wxs: 443, ali: 80, alis: 443 };

/** The WebSocket path used unless `path` says otherwise. */
export const DEFAULT_WS_PATH = '/mqtt';

/**
 * Defaults applied unless the caller passes its own: keepalive 90 s as the documentation and
 * Alibaba's demos recommend (`RECOMMENDED_KEEPALIVE_SECONDS`, under the broker's 8-minute cap), a
 * clean session, a retry every 2 s as in the browser demo, and a 10 s connect timeout (the demos'
 * 3 s is too short for TLS over mobile networks).
 */
export const CONNECT_DEFAULTS = { keepalive: RECOMMENDED_KEEPALIVE_SECONDS, clean: true, reconnectPeriod: 2000, connectTimeout: 10_000 } as const;

// Options the URL and the credentials own, and what to use instead; passing them beside would
// silently lose one of the two.
const RESERVED: Readonly<Record<string, string>> = {
  username: 'credentials',
  password: 'credentials',
  clientId: 'clientId at the top level',
  protocol: 'transport',
  hostname: 'host',
  servers: 'host (one instance at a time)',
};

/** Options of mqtt.js that pass through untouched (all but those the SDK sets). */
export type PassThroughMqttOptions = Omit<
  IClientOptions,
  'username' | 'password' | 'clientId' | 'protocol' | 'hostname' | 'host' | 'port' | 'path' | 'servers' | 'protocolVersion'
>;

/** Inputs of {@link createConnectOptions}: where to connect, as whom, and any mqtt.js option. */
export interface ConnectOptionsInput extends PassThroughMqttOptions {
  /** The instance id; also names the default host `<instanceId>.mqtt.aliyuncs.com`. */
  instanceId: string;
  /** `<GroupId>@@@<DeviceId>`: the id the credentials were made for. */
  clientId: string;
  /** The result of a credential builder. */
  credentials: Credentials;
  /**
   * Default: `tls` in Node (and Bun, Deno), `wxs` in a WeChat mini-program (a global
   * `wx.connectSocket`), `alis` in an Alipay one (a global `my.connectSocket`), `wss` elsewhere.
   */
  transport?: Transport;
  /** Default `<instanceId>.mqtt.aliyuncs.com` (use the domain, not an IP). */
  host?: string;
  /** Default 1883 / 8883 / 80 / 443 for tcp / tls / ws / wss. */
  port?: number;
  /** WebSocket path, default `/mqtt`; ignored for tcp and tls. */
  path?: string;
  /** `ali`/`alis` only: Alipay's `my` object, which mqtt.js needs passed in (default: the global `my`). */
  my?: unknown;
  /** 4 (MQTT 3.1.1, default) or 5 (MQTT 5.0, upgraded instances). */
  protocolVersion?: 4 | 5;
}

/** What {@link createConnectOptions} returns: the two arguments of `mqtt.connect(url, options)`. */
export interface ConnectOptions {
  /** The broker URL, e.g. `wss://<instanceId>.mqtt.aliyuncs.com:443/mqtt`. */
  url: string;
  /** mqtt.js's options: client id, Username, Password and the connection defaults. */
  options: IClientOptions;
}

/**
 * @internal `tls` where Node's TCP/TLS sockets exist; in a mini-program `wxs` or `alis`; `wss`
 * elsewhere (browsers, workers, React Native). The script and browser builds have no
 * `import.meta.url` (it becomes `undefined`): never `tls` there.
 */
export function _defaultTransport(): Transport {
  const g = globalThis as { document?: unknown; WorkerGlobalScope?: unknown; process?: { versions?: { node?: string } } };
  if (import.meta.url && !g.document && !g.WorkerGlobalScope && g.process?.versions?.node) return 'tls';
  return _miniProgramTransport() ?? 'wss';
}

/**
 * Builds the arguments of `mqtt.connect(url, options)` for an ApsaraMQ instance.
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` / `ERR_INVALID_CLIENT_ID`.
 * @example
 * ```ts
 * const credentials = await signatureCredentials({ accessKeyId, accessKeySecret, instanceId, clientId })
 * const { url, options } = createConnectOptions({ instanceId, clientId, credentials, transport: 'wss' })
 * // url: 'wss://mqtt-xxxxx.mqtt.aliyuncs.com:443/mqtt'
 * const client = mqtt.connect(url, options)
 * ```
 */
export function createConnectOptions(input: ConnectOptionsInput): ConnectOptions {
  const { instanceId, clientId, credentials: given, transport, host, port, path, protocolVersion, my, ...rest } = _requireOptions(input, 'options') as ConnectOptionsInput & Record<string, unknown>;
  _requireSegment(instanceId, 'instanceId');
  _checkClientId(clientId);
  const credentials = _requireOptions(given, 'credentials');
  _requireString(credentials.username, 'credentials.username');
  _requireString(credentials.password, 'credentials.password');

  const chosen = transport ?? _defaultTransport();
  if (typeof chosen !== 'string' || !Object.hasOwn(DEFAULT_PORTS, chosen)) throw _invalid('transport', `must be one of ${Object.keys(DEFAULT_PORTS)}`);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw _invalid('port', 'must be an integer from 1 to 65535');
  if (protocolVersion !== undefined && protocolVersion !== 4 && protocolVersion !== 5) throw _invalid('protocolVersion', 'must be 4 (MQTT 3.1.1) or 5');
  for (const key of Object.keys(rest)) if (Object.hasOwn(RESERVED, key)) throw _invalid(key, `is set by the SDK: use ${RESERVED[key]}`);
  let hostName = `${instanceId}.mqtt.aliyuncs.com`;
  if (host !== undefined) {
    hostName = _requireString(host, 'host');
    if (/^\w[\w+.-]*:\/\/|[\s/?#@]/.test(hostName)) throw _invalid('host', 'must be a bare host name or IP address (no scheme, path or user)');
    // A bare IPv6 address needs brackets inside a URL.
    if (hostName.includes(':') && hostName[0] !== '[') hostName = `[${hostName}]`;
  }
  let urlPath = '';
  // Every transport but tcp and tls is WebSocket underneath, with a path.
  if (chosen[0] !== 't') {
    urlPath = path === undefined ? DEFAULT_WS_PATH : _requireString(path, 'path');
    if (urlPath[0] !== '/') throw _invalid('path', `must start with "/" (e.g. "${DEFAULT_WS_PATH}")`);
  }
  const scheme = chosen === 'tcp' ? 'mqtt' : chosen === 'tls' ? 'mqtts' : chosen;
  const address = `${hostName}:${port ?? DEFAULT_PORTS[chosen]}${urlPath}`;
  const platform = _miniProgramOptions(chosen, my, address);
  return {
    url: `${scheme}://${address}`,
    options: {
      ...CONNECT_DEFAULTS,
      ...platform,
      ...rest,
      clientId,
      username: credentials.username,
      password: credentials.password,
      protocolVersion: protocolVersion ?? 4,
    },
  };
}
