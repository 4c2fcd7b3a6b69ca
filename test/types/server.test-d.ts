/**
 * The main signatures of `apsaramq-mqtt-auth/server`, read from the published declarations (the
 * package imported by its own name).
 */
import {
  AppliedToken,
  ApsaraMqttAuthError,
  createCredentialHandler,
  createMemoryTokenStore,
  createOnsMqttClient,
  createRedisTokenStore,
  createTokenIssuer,
  systemClock,
  DeviceCredential,
  OpenApiError,
  toNodeListener,
  type ApplyTokenOptions,
  type Authorize,
  type Clock,
  type CredentialGrant,
  type IssueOptions,
  type MemoryTokenStoreOptions,
  type OnsMqttClient,
  type OnsMqttClientOptions,
  type RedisTokenStore,
  type RedisTokenStoreOptions,
  type TokenCacheStore,
  type TokenIssuer,
  type TokenIssuerOptions,
  type TokenPermission,
} from 'apsaramq-mqtt-auth/server';
import type { Clock as ClientClock } from 'apsaramq-mqtt-auth';
import { describe, expectTypeOf, test } from 'vitest';

describe('the onsmqtt OpenAPI client', () => {
  test('createOnsMqttClient and its token calls', () => {
    expectTypeOf(createOnsMqttClient).returns.toEqualTypeOf<OnsMqttClient>();
    expectTypeOf<OnsMqttClient['applyToken']>().parameter(0).toEqualTypeOf<ApplyTokenOptions>();
    expectTypeOf<OnsMqttClient['applyToken']>().returns.toEqualTypeOf<Promise<AppliedToken>>();
    expectTypeOf<OnsMqttClient['queryToken']>().returns.toEqualTypeOf<Promise<boolean>>();
    expectTypeOf<OnsMqttClient['registerDeviceCredential']>().returns.toEqualTypeOf<Promise<DeviceCredential>>();
    expectTypeOf<ApplyTokenOptions['actions']>().toEqualTypeOf<'R' | 'W' | 'R,W'>();
  });

  test('records are made by the client: read-only, secrets behind getters, not constructible', () => {
    expectTypeOf<AppliedToken['token']>().toEqualTypeOf<string>();
    expectTypeOf<DeviceCredential['deviceAccessKeySecret']>().toEqualTypeOf<string>();
    // @ts-expect-error the constructor is private (made by the client)
    void new AppliedToken();
    // @ts-expect-error the constructor is private (made by the client)
    void new DeviceCredential();
  });

  test('OpenApiError is an ApsaraMqttAuthError with Alibaba\'s code', () => {
    expectTypeOf<OpenApiError>().toExtend<ApsaraMqttAuthError>();
    expectTypeOf<OpenApiError['openApiCode']>().toEqualTypeOf<string | undefined>();
  });
});

describe('the token issuer', () => {
  test('createTokenIssuer and issue, with its exported options', () => {
    expectTypeOf(createTokenIssuer).returns.toEqualTypeOf<TokenIssuer>();
    expectTypeOf<TokenIssuer['issue']>().parameters.toEqualTypeOf<[permission: TokenPermission, options?: IssueOptions]>();
    expectTypeOf<TokenIssuer['issue']>().returns.toEqualTypeOf<Promise<AppliedToken>>();
    expectTypeOf<IssueOptions['verify']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<OnsMqttClient>().toExtend<Parameters<typeof createTokenIssuer>[0]['client']>();
  });

  test('token stores: memory and Redis are both TokenCacheStores', () => {
    expectTypeOf(createMemoryTokenStore()).toExtend<TokenCacheStore>();
    expectTypeOf(createRedisTokenStore).returns.toEqualTypeOf<RedisTokenStore>();
    expectTypeOf<RedisTokenStore>().toExtend<TokenCacheStore>();
  });
});

describe('the credential handler', () => {
  test('a fetch-standard handler, behind a Node listener', () => {
    expectTypeOf(createCredentialHandler).returns.toEqualTypeOf<(request: Request) => Promise<Response>>();
    expectTypeOf<ReturnType<typeof createCredentialHandler>>().toExtend<Parameters<typeof toNodeListener>[0]>();
  });

  test('authorize grants a mode, or refuses with false', () => {
    const authorize: Authorize = async (_request, clientId) => clientId.startsWith('GID_demo@@@') && { mode: 'token', resources: ['demo/#'], actions: 'R' };
    expectTypeOf(authorize).toExtend<Authorize>();
    expectTypeOf<{ mode: 'signature' }>().toExtend<CredentialGrant>();
    expectTypeOf<{ mode: 'device' }>().toExtend<CredentialGrant>();
    // @ts-expect-error a token grant names its resources and actions
    const incomplete: CredentialGrant = { mode: 'token' };
    void incomplete;
  });
});

describe('one clock', () => {
  test('the client entry\'s Clock, taken as { clock } by every factory that keeps time, and no older now', () => {
    expectTypeOf<Clock>().toEqualTypeOf<ClientClock>();
    expectTypeOf(systemClock).toEqualTypeOf<Clock>();
    expectTypeOf<NonNullable<(TokenIssuerOptions | OnsMqttClientOptions | MemoryTokenStoreOptions | RedisTokenStoreOptions)['clock']>>().toEqualTypeOf<Clock>();
    expectTypeOf(createMemoryTokenStore).toBeCallableWith({ clock: systemClock });
    expectTypeOf<MemoryTokenStoreOptions>().not.toHaveProperty('now');
  });
});
