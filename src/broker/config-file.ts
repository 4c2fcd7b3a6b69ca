/**
 * Broker configuration from a JSON file (what `apsaramq-mqtt-auth broker --config broker.json`
 * reads). Secrets may be written inline or as `{ "env": "VARIABLE" }`; the loaded object keeps
 * them behind getters, so printing it shows none. A TLS certificate is named by files
 * (`tls.certFile`, `keyFile`, `caFile`), read relative to the config file, as is `tls.stateDir`.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { _checkedClock, type Clock } from '../clock.js';
import { _invalid } from '../errors.js';
import { _typeName } from '../internal/bytes.js';
import { _BROKER_SETTINGS, type BrokerConfig } from './config.js';

/** Options of {@link parseBrokerConfig} and {@link loadBrokerConfig}. */
export interface BrokerConfigFileOptions {
  /** Where `{ "env": "NAME" }` secrets are read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The clock whose time `expiresInMs` of tokens counts from (default: the real one). */
  clock?: Clock;
}

type Json = Record<string, unknown>;

/** What a file may set: the config's settings (their one list is in `config.ts`), and a `$schema` for editors. */
const TOP_KEYS: readonly string[] = ['$schema', ..._BROKER_SETTINGS];
const TLS_KEYS = ['certFile', 'keyFile', 'caFile', 'stateDir', 'hosts'];
const HTTP_AUTH_KEYS = ['url', 'timeoutMs', 'headers'];
const KEYS: Record<string, readonly string[]> = {
  accessKeys: ['accessKeyId', 'accessKeySecret', 'permissions'],
  roles: ['arn', 'maxSessionSeconds'],
  devices: ['clientId', 'deviceAccessKeyId', 'deviceAccessKeySecret'],
  customIdentities: ['username', 'secret', 'signMode', 'identityType', 'clientId', 'permissions'],
  customPermissions: ['identityType', 'identity', 'topic', 'permitAction', 'effect'],
  tokens: ['token', 'resources', 'actions', 'expireTime', 'expiresInMs', 'accessKeyId'],
};
/** The secret field of each list's entries. */
const SECRET_KEY: Record<string, string> = {
  accessKeys: 'accessKeySecret',
  devices: 'deviceAccessKeySecret',
  customIdentities: 'secret',
  tokens: 'token',
};

function checkKeys(value: Json, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw _invalid(field ? `${field}.${key}` : key, `is not a broker setting (known: ${allowed.filter((k) => k !== '$schema').join(', ')})`);
  }
}

function secretValue(value: unknown, field: string, env: BrokerConfigFileOptions['env']): unknown {
  if (value === null || typeof value !== 'object') return value;
  const name = (value as Json).env;
  if (typeof name !== 'string' || Object.keys(value).length !== 1) throw _invalid(field, 'must be a string or { "env": "VARIABLE_NAME" }');
  const source = env ?? process.env;
  const text = Object.hasOwn(source, name) ? source[name] : undefined;
  // The name is echoed only when it reads as one (a secret pasted in its place must not come back).
  const named = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) ? `the environment variable ${name}` : 'an environment variable';
  if (typeof text !== 'string' || text === '') throw _invalid(field, `names ${named}, which is not set`);
  return text;
}

/** A copy of `entry` whose `secretKey` is readable but out of every dump. */
function hideSecret(entry: Json, secretKey: string, secret: unknown): Json {
  const { [secretKey]: _omit, ...rest } = entry;
  // An own property that is not enumerable: read as any other (also by code that reads own
  // properties only), left out of JSON.stringify, util.inspect and spreads.
  return Object.defineProperty(rest, secretKey, { get: () => secret, enumerable: false });
}

/**
 * `httpAuth`: its keys checked; header values (a shared secret the endpoint checks, say) may be
 * `{ "env": "VARIABLE" }` and sit behind a getter, out of every dump.
 */
function httpAuthSetting(value: unknown, env: BrokerConfigFileOptions['env']): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw _invalid('httpAuth', `must be { "url", "timeoutMs"?, "headers"? } (got ${_typeName(value)})`);
  const item = { ...(value as Json) };
  checkKeys(item, HTTP_AUTH_KEYS, 'httpAuth');
  if (item.headers === undefined) return item;
  if (item.headers === null || typeof item.headers !== 'object' || Array.isArray(item.headers)) throw _invalid('httpAuth.headers', 'must map header names to values');
  const headers: Record<string, unknown> = {};
  for (const [name, header] of Object.entries(item.headers as Json)) headers[name] = secretValue(header, `httpAuth.headers.${name}`, env);
  return hideSecret(item, 'headers', headers);
}

/**
 * Turns parsed JSON into a {@link BrokerConfig}: unknown keys are refused by name, `{ "env": ... }`
 * secrets are resolved, tokens may give `expiresInMs` instead of `expireTime`. The values are checked
 * by `startBroker`, in one place for a config from a file and one written in code.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the setting (e.g. `accessKeys[0].accessKeySecret`).
 */
export function parseBrokerConfig(json: unknown, options: BrokerConfigFileOptions = {}): BrokerConfig {
  if (options === null || typeof options !== 'object') throw _invalid('options', `must be an options object (got ${_typeName(options)})`);
  options = Object.assign(Object.create(null), options);
  if (options.env !== undefined && (options.env === null || typeof options.env !== 'object')) throw _invalid('env', 'must be an object of environment variables');
  const clock = _checkedClock(options.clock);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw _invalid('config', `must be a JSON object (got ${_typeName(json)})`);
  const source = json as Json;
  checkKeys(source, TOP_KEYS, '');
  const config: Json = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === '$schema') continue;
    if (key === 'controlSecret') {
      const secret = secretValue(value, 'controlSecret', options.env);
      Object.defineProperty(config, key, { get: () => secret, enumerable: false });
      continue;
    }
    if (key === 'httpAuth') {
      config[key] = httpAuthSetting(value, options.env);
      continue;
    }
    if (key === 'tls') {
      if (value === false || value === null || typeof value !== 'object' || Array.isArray(value)) throw _invalid('tls', 'must be an object: { "certFile", "keyFile", "caFile" } or { "stateDir" }');
      checkKeys(value as Json, TLS_KEYS, 'tls');
      config[key] = { ...(value as Json) };
      continue;
    }
    const keys = KEYS[key];
    if (!keys) {
      config[key] = value;
      continue;
    }
    if (!Array.isArray(value)) throw _invalid(key, `must be an array (got ${_typeName(value)})`);
    config[key] = value.map((entry: unknown, i) => {
      const field = `${key}[${i}]`;
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw _invalid(field, 'must be an object');
      const item = { ...(entry as Json) };
      checkKeys(item, keys, field);
      if (key === 'tokens' && item.expiresInMs !== undefined) {
        if (item.expireTime !== undefined) throw _invalid(`${field}.expiresInMs`, 'cannot be given with expireTime');
        if (typeof item.expiresInMs !== 'number') throw _invalid(`${field}.expiresInMs`, 'must be a number of milliseconds');
        item.expireTime = clock.now() + item.expiresInMs;
        delete item.expiresInMs;
      }
      const secretKey = SECRET_KEY[key];
      return secretKey ? hideSecret(item, secretKey, secretValue(item[secretKey], `${field}.${secretKey}`, options.env)) : item;
    });
  }
  return config as unknown as BrokerConfig;
}

/**
 * Reads and parses a broker config file (JSON). See {@link parseBrokerConfig}.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` (field `config`) when the file cannot be read or is not JSON.
 */
export async function loadBrokerConfig(path: string, options: BrokerConfigFileOptions = {}): Promise<BrokerConfig> {
  if (typeof path !== 'string' || path === '') throw _invalid('path', 'must be the path of a JSON file');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    // Neither the path nor Node's error (which quotes it) is echoed: a secret typed where a path
    // was expected must not come back in a message or a log.
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    throw _invalid('config', `file could not be read (${typeof code === 'string' ? code : 'error'})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    // The parser's message quotes the text around the error, which may be a secret.
    throw _invalid('config', 'file is not valid JSON', cause instanceof Error ? new SyntaxError('invalid JSON') : undefined);
  }
  const config = parseBrokerConfig(json, options);
  // Set in place: a spread would drop the secrets kept out of enumeration.
  if (config.tls) (config as { tls: unknown }).tls = await readTlsFiles(config.tls as Json, dirname(resolve(path)));
  return config;
}

/** `tls.certFile` / `keyFile` / `caFile` → the PEM texts; `tls.stateDir` resolved against the config file's folder. */
async function readTlsFiles(tls: Json, base: string): Promise<BrokerConfig['tls']> {
  const { certFile, keyFile, caFile, stateDir, ...rest } = tls;
  const out: Json = { ...rest };
  for (const [field, file, key] of [['tls.certFile', certFile, 'cert'], ['tls.keyFile', keyFile, 'key'], ['tls.caFile', caFile, 'ca']] as const) {
    if (file === undefined) continue;
    if (typeof file !== 'string' || file.length === 0) throw _invalid(field, 'must be a file path');
    try {
      const text = await readFile(resolve(base, file), 'utf8');
      // The key stays out of every dump, like the other secrets of the file.
      if (key === 'key') Object.defineProperty(out, 'key', { get: () => text, enumerable: false });
      else out[key] = text;
    } catch (cause) {
      throw _invalid(field, `file ${JSON.stringify(file)} could not be read (${(cause as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  // A folder is read relative to the file; any other value is left for startBroker's check to name.
  if (stateDir !== undefined) out.stateDir = typeof stateDir === 'string' && stateDir.length > 0 ? resolve(base, stateDir) : stateDir;
  return out as BrokerConfig['tls'];
}
