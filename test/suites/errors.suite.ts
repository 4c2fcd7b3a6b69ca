import { describe, expect, it } from 'vitest';
import { DOC_VECTOR, fromUtf8 } from '../helpers/vectors.js';
import { SECRET, type Api } from './api.js';

/** Every textual form an error can take; `inspect` is Node's util.inspect where available. */
export function renderings(value: unknown, inspect?: (v: unknown) => string): string[] {
  const error = value as Error;
  return [String(error), error.message, error.stack ?? '', JSON.stringify(error), JSON.stringify({ ...error }), inspect ? inspect(error) : ''];
}

type Case = { name: string; run: (api: Api) => unknown; code: string; field: string };

const ok = { accessKeyId: 'LTAI5tExample', accessKeySecret: SECRET, instanceId: 'mqtt-cn-test', clientId: DOC_VECTOR.clientId };
const device = { deviceAccessKeyId: 'dak', deviceAccessKeySecret: SECRET, instanceId: 'mqtt-cn-test', clientId: DOC_VECTOR.clientId };
const custom = { username: 'u', secret: SECRET, clientId: DOC_VECTOR.clientId, signMode: 'SIGNED' as const };
const creds = { username: 'Signature|a|b', password: SECRET };
const conn = { instanceId: 'mqtt-cn-test', clientId: DOC_VECTOR.clientId, credentials: creds };

/** The bad-input table: what a user might really pass, and what the SDK must say. */
export const BAD_INPUTS: Case[] = [
  { name: 'options missing', run: (a) => a.signatureCredentials(undefined as never), code: 'ERR_INVALID_ARGUMENT', field: 'options' },
  { name: 'accessKeyId missing', run: (a) => a.signatureCredentials({ ...ok, accessKeyId: undefined as never }), code: 'ERR_INVALID_ARGUMENT', field: 'accessKeyId' },
  { name: 'accessKeyId empty', run: (a) => a.signatureCredentials({ ...ok, accessKeyId: '' }), code: 'ERR_INVALID_ARGUMENT', field: 'accessKeyId' },
  { name: 'accessKeyId with |', run: (a) => a.signatureCredentials({ ...ok, accessKeyId: 'a|b' }), code: 'ERR_INVALID_ARGUMENT', field: 'accessKeyId' },
  { name: 'accessKeyId with a trailing newline', run: (a) => a.signatureCredentials({ ...ok, accessKeyId: 'LTAI\n' }), code: 'ERR_INVALID_ARGUMENT', field: 'accessKeyId' },
  { name: 'secret a number', run: (a) => a.signatureCredentials({ ...ok, accessKeySecret: 12345 as never }), code: 'ERR_INVALID_ARGUMENT', field: 'accessKeySecret' },
  { name: 'secret empty', run: (a) => a.signatureCredentials({ ...ok, accessKeySecret: '' }), code: 'ERR_INVALID_ARGUMENT', field: 'accessKeySecret' },
  { name: 'instanceId with |', run: (a) => a.signatureCredentials({ ...ok, instanceId: 'mqtt|x' }), code: 'ERR_INVALID_ARGUMENT', field: 'instanceId' },
  { name: 'clientId without @@@', run: (a) => a.signatureCredentials({ ...ok, clientId: 'GID_Test0001' }), code: 'ERR_INVALID_CLIENT_ID', field: 'clientId' },
  { name: 'clientId with a / in the device id', run: (a) => a.signatureCredentials({ ...ok, clientId: 'GID_Test@@@a/b' }), code: 'ERR_INVALID_CLIENT_ID', field: 'deviceId' },
  { name: 'clientId too long', run: (a) => a.signatureCredentials({ ...ok, clientId: 'GID_Test@@@' + 'x'.repeat(60) }), code: 'ERR_INVALID_CLIENT_ID', field: 'clientId' },
  { name: 'clientId that is the secret', run: (a) => a.signatureCredentials({ ...ok, clientId: SECRET.replace(/-/g, '/') }), code: 'ERR_INVALID_CLIENT_ID', field: 'clientId' },
  { name: 'hmac not a function', run: (a) => a.signatureCredentials({ ...ok, hmac: 'sha1' as never }), code: 'ERR_INVALID_ARGUMENT', field: 'hmac' },
  { name: 'hmac returns the wrong length', run: (a) => a.signatureCredentials({ ...ok, hmac: () => new Uint8Array(19) }), code: 'ERR_INVALID_ARGUMENT', field: 'hmac' },
  {
    name: 'hmac throws with the secret in its message',
    run: (a) =>
      a.signatureCredentials({
        ...ok,
        hmac: (key) => {
          throw new Error('bad key ' + fromUtf8(key));
        },
      }),
    code: 'ERR_HMAC_UNAVAILABLE',
    field: 'hmac',
  },
  { name: 'device secret missing', run: (a) => a.deviceCredentials({ ...device, deviceAccessKeySecret: undefined as never }), code: 'ERR_INVALID_ARGUMENT', field: 'deviceAccessKeySecret' },
  { name: 'device key id with space', run: (a) => a.deviceCredentials({ ...device, deviceAccessKeyId: 'a b' }), code: 'ERR_INVALID_ARGUMENT', field: 'deviceAccessKeyId' },
  { name: 'custom signMode lower case', run: (a) => a.customCredentials({ ...custom, signMode: 'signed' as never }), code: 'ERR_INVALID_ARGUMENT', field: 'signMode' },
  { name: 'custom username empty', run: (a) => a.customCredentials({ ...custom, username: '' }), code: 'ERR_INVALID_ARGUMENT', field: 'username' },
  { name: 'custom secret null', run: (a) => a.customCredentials({ ...custom, secret: null as never }), code: 'ERR_INVALID_ARGUMENT', field: 'secret' },
  { name: 'tokens empty', run: (a) => a.tokenCredentials({ accessKeyId: 'a', instanceId: 'i', tokens: {} }), code: 'ERR_INVALID_ARGUMENT', field: 'tokens' },
  { name: 'tokens missing', run: (a) => a.tokenCredentials({ accessKeyId: 'a', instanceId: 'i', tokens: undefined as never }), code: 'ERR_INVALID_ARGUMENT', field: 'tokens' },
  { name: 'token type lower case', run: (a) => a.tokenCredentials({ accessKeyId: 'a', instanceId: 'i', tokens: { rw: SECRET } as never }), code: 'ERR_INVALID_ARGUMENT', field: 'tokens.rw' },
  { name: 'token value empty', run: (a) => a.tokenCredentials({ accessKeyId: 'a', instanceId: 'i', tokens: { R: '' } }), code: 'ERR_INVALID_ARGUMENT', field: 'tokens.R' },
  { name: 'token value with |', run: (a) => a.tokenCredentials({ accessKeyId: 'a', instanceId: 'i', tokens: { W: SECRET + '|x' } }), code: 'ERR_INVALID_ARGUMENT', field: 'tokens.W' },
  { name: 'token value a number', run: (a) => a.tokenCredentials({ accessKeyId: 'a', instanceId: 'i', tokens: { RW: 7 as never } }), code: 'ERR_INVALID_ARGUMENT', field: 'tokens.RW' },
  { name: 'connect: transport unknown', run: (a) => a.createConnectOptions({ ...conn, transport: 'http' as never }), code: 'ERR_INVALID_ARGUMENT', field: 'transport' },
  { name: 'connect: port out of range', run: (a) => a.createConnectOptions({ ...conn, port: 70000 }), code: 'ERR_INVALID_ARGUMENT', field: 'port' },
  { name: 'connect: port a string', run: (a) => a.createConnectOptions({ ...conn, port: '443' as never }), code: 'ERR_INVALID_ARGUMENT', field: 'port' },
  { name: 'connect: host with scheme', run: (a) => a.createConnectOptions({ ...conn, host: 'wss://x.example' }), code: 'ERR_INVALID_ARGUMENT', field: 'host' },
  { name: 'connect: host with path', run: (a) => a.createConnectOptions({ ...conn, host: 'x.example/mqtt' }), code: 'ERR_INVALID_ARGUMENT', field: 'host' },
  { name: 'connect: ws path without /', run: (a) => a.createConnectOptions({ ...conn, transport: 'ws', path: 'mqtt' }), code: 'ERR_INVALID_ARGUMENT', field: 'path' },
  { name: 'connect: protocolVersion 3', run: (a) => a.createConnectOptions({ ...conn, protocolVersion: 3 as never }), code: 'ERR_INVALID_ARGUMENT', field: 'protocolVersion' },
  { name: 'connect: password beside credentials', run: (a) => a.createConnectOptions({ ...conn, password: SECRET } as never), code: 'ERR_INVALID_ARGUMENT', field: 'password' },
  { name: 'connect: credentials missing', run: (a) => a.createConnectOptions({ ...conn, credentials: undefined as never }), code: 'ERR_INVALID_ARGUMENT', field: 'credentials' },
  { name: 'connect: credentials without password', run: (a) => a.createConnectOptions({ ...conn, credentials: { username: 'u' } as never }), code: 'ERR_INVALID_ARGUMENT', field: 'credentials.password' },
  { name: 'connect: bad client id', run: (a) => a.createConnectOptions({ ...conn, clientId: 'nope' }), code: 'ERR_INVALID_CLIENT_ID', field: 'clientId' },
];

export function errorsSuite(api: Api, inspect?: (v: unknown) => string): void {
  describe('bad input', () => {
    it.each(BAD_INPUTS)('$name → $code on $field, no secret in any rendering', async ({ run, code, field }) => {
      let caught: unknown;
      try {
        await run(api);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(api.ApsaraMqttAuthError);
      const error = caught as InstanceType<Api['ApsaraMqttAuthError']>;
      expect(error.code).toBe(code);
      expect(error.field).toBe(field);
      expect(error.name).toBe('ApsaraMqttAuthError');
      expect(error.message).toContain(field.replace(/^tokens\./, 'tokens.'));
      for (const text of renderings(error, inspect)) {
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain(SECRET.replace(/-/g, '/'));
      }
    });
  });

  it('errors carry a stable code on instances and keep the cause', async () => {
    const cause = new Error('inner');
    const error = new api.ApsaraMqttAuthError('ERR_OPENAPI', 'outer', { cause, field: 'x', returnCode: 4 });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'ERR_OPENAPI', field: 'x', returnCode: 4, cause, name: 'ApsaraMqttAuthError' });
  });
}
