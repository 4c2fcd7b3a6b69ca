/**
 * The main signatures of `apsaramq-mqtt-auth`, checked by the type checker (vitest's typecheck mode)
 * against the published declarations: imported by the package's own name, so `dist/*.d.ts` is what
 * is read, as in a user's project. A signature that changes shape fails here (and in `api/`).
 */
import type { MqttClient } from 'mqtt';
import {
  ApsaraMqttAuthError,
  connect,
  connectAsync,
  createConnectOptions,
  createSigner,
  customCredentials,
  deviceCredentials,
  explainSignature,
  formatClientId,
  hmacBackend,
  hmacSha1,
  onSessionEvent,
  parseClientId,
  refreshCredentials,
  remoteCredentials,
  sessionState,
  signatureCredentials,
  signatureProvider,
  systemClock,
  tokenCredentials,
  USERNAME_LABELS,
  validateClientId,
  type ApsaraMqttAuthErrorCode,
  type AuthMode,
  type ClientIdValidation,
  type Clock,
  type ConnectInput,
  type ConnectOptions,
  type Credentials,
  type CredentialsProvider,
  type HmacBackend,
  type ProvidedCredentials,
  type ProviderContext,
  type RemoteCredentialsOptions,
  type SessionState,
  type SessionStateName,
  type SignatureExplanation,
  type Signer,
  type TokenInvalidNotice,
  type Transport,
} from 'apsaramq-mqtt-auth';
import { describe, expectTypeOf, test } from 'vitest';

const signature = { accessKeyId: 'id', accessKeySecret: 'secret', instanceId: 'mqtt-cn-x', clientId: 'GID_a@@@b' };

describe('credential builders', () => {
  test('Signature, DeviceCredential and custom identities sign asynchronously; Token is synchronous', () => {
    expectTypeOf(signatureCredentials).parameter(0).toHaveProperty('accessKeySecret').toEqualTypeOf<string>();
    expectTypeOf(signatureCredentials(signature)).toEqualTypeOf<Promise<Credentials>>();
    expectTypeOf(deviceCredentials).returns.toEqualTypeOf<Promise<Credentials>>();
    expectTypeOf(customCredentials).returns.toEqualTypeOf<Promise<Credentials>>();
    expectTypeOf(tokenCredentials({ accessKeyId: 'id', instanceId: 'mqtt-cn-x', tokens: { RW: 't' } })).toEqualTypeOf<Credentials>();
    expectTypeOf<Credentials>().toExtend<{ readonly username: string; readonly password: string }>();
  });

  test('an options object missing a required field does not compile', () => {
    // @ts-expect-error accessKeySecret is required
    void signatureCredentials({ accessKeyId: 'id', instanceId: 'mqtt-cn-x', clientId: 'GID_a@@@b' });
    // @ts-expect-error the token types are R, W and RW
    void tokenCredentials({ accessKeyId: 'id', instanceId: 'mqtt-cn-x', tokens: { X: 't' } });
  });

  test('HMAC, signer and explanation', () => {
    expectTypeOf(hmacSha1).returns.toEqualTypeOf<Promise<Uint8Array>>();
    expectTypeOf(hmacBackend).returns.toEqualTypeOf<HmacBackend>();
    expectTypeOf<HmacBackend>().toEqualTypeOf<'node' | 'webcrypto' | 'noble'>();
    expectTypeOf(createSigner).returns.toEqualTypeOf<Promise<Signer>>();
    expectTypeOf<Signer['sign']>().returns.toEqualTypeOf<Credentials>();
    expectTypeOf(explainSignature).returns.toEqualTypeOf<Promise<SignatureExplanation>>();
    expectTypeOf<SignatureExplanation['valid']>().toEqualTypeOf<boolean>();
  });

  test('client ids', () => {
    expectTypeOf(parseClientId('GID_a@@@b')).toEqualTypeOf<{ groupId: string; deviceId: string }>();
    expectTypeOf(formatClientId).returns.toEqualTypeOf<string>();
    expectTypeOf(validateClientId).parameter(0).toEqualTypeOf<unknown>();
    expectTypeOf(validateClientId).returns.toEqualTypeOf<ClientIdValidation>();
    expectTypeOf<ClientIdValidation['valid']>().toEqualTypeOf<boolean>();
  });

  test('USERNAME_LABELS covers every mode but custom', () => {
    expectTypeOf<keyof typeof USERNAME_LABELS>().toEqualTypeOf<Exclude<AuthMode, 'custom'>>();
    expectTypeOf<AuthMode>().toEqualTypeOf<'signature' | 'token' | 'device' | 'custom'>();
  });
});

describe('connecting', () => {
  test('createConnectOptions gives the two arguments of mqtt.connect', () => {
    expectTypeOf(createConnectOptions).returns.toEqualTypeOf<ConnectOptions>();
    expectTypeOf<ConnectOptions['url']>().toEqualTypeOf<string>();
    expectTypeOf<Transport>().toEqualTypeOf<'tcp' | 'tls' | 'ws' | 'wss' | 'wx' | 'wxs' | 'ali' | 'alis'>();
  });

  test('connect returns the client now, connectAsync after CONNACK; both return mqtt.js clients', () => {
    expectTypeOf(connect).parameter(0).toEqualTypeOf<ConnectInput>();
    expectTypeOf(connect).returns.toEqualTypeOf<MqttClient>();
    expectTypeOf(connectAsync).returns.toEqualTypeOf<Promise<MqttClient>>();
  });

  test('credentials may be credentials, a promise of them, or a provider', () => {
    expectTypeOf<{ username: string; password: string }>().toExtend<ConnectInput['credentials']>();
    expectTypeOf<Promise<Credentials>>().toExtend<ConnectInput['credentials']>();
    expectTypeOf<CredentialsProvider>().toExtend<ConnectInput['credentials']>();
    expectTypeOf(remoteCredentials('/api/mqtt-credentials')).toEqualTypeOf<CredentialsProvider>();
    expectTypeOf(signatureProvider(signature)).toEqualTypeOf<CredentialsProvider>();
  });

  test('a provider is any function of the context answering with credentials and an optional expiry', () => {
    const provider = async (context: ProviderContext) => ({ username: 'u', password: 'p', expiresAt: context.signal?.aborted ? 0 : 1 });
    expectTypeOf(provider).toExtend<CredentialsProvider>();
    expectTypeOf<ProvidedCredentials['expiresAt']>().toEqualTypeOf<number | undefined>();
  });
});

describe('the managed session', () => {
  test('state, events and refresh', () => {
    expectTypeOf(sessionState).returns.toEqualTypeOf<SessionState>();
    expectTypeOf<SessionState['state']>().toEqualTypeOf<SessionStateName>();
    expectTypeOf<SessionStateName>().toEqualTypeOf<'idle' | 'connecting' | 'connected' | 'backing-off' | 'refused' | 'ended'>();
    expectTypeOf(refreshCredentials).returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf(onSessionEvent).returns.toEqualTypeOf<() => void>();
  });

  test('event listeners are typed by the event name', () => {
    const client = {} as MqttClient;
    onSessionEvent(client, 'state', (state) => expectTypeOf(state).toEqualTypeOf<SessionState>());
    onSessionEvent(client, 'tokenInvalid', (notice) => expectTypeOf(notice).toEqualTypeOf<TokenInvalidNotice>());
    onSessionEvent(client, 'credentialsError', (error) => expectTypeOf(error).toEqualTypeOf<ApsaraMqttAuthError>());
    // @ts-expect-error not an event of the session
    onSessionEvent(client, 'no-such-event', () => {});
  });
});

describe('errors', () => {
  test('one error class with a stable code', () => {
    expectTypeOf<ApsaraMqttAuthError>().toExtend<Error>();
    expectTypeOf<ApsaraMqttAuthError['code']>().toEqualTypeOf<ApsaraMqttAuthErrorCode>();
    expectTypeOf<ApsaraMqttAuthError['field']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<'ERR_INVALID_CLIENT_ID'>().toExtend<ApsaraMqttAuthErrorCode>();
  });
});

describe('one clock', () => {
  test('connect, connectAsync and remoteCredentials keep time on a Clock given as { clock }', () => {
    expectTypeOf(systemClock).toEqualTypeOf<Clock>();
    expectTypeOf<NonNullable<(ConnectInput | RemoteCredentialsOptions)['clock']>>().toEqualTypeOf<Clock>();
  });
});
