/**
 * The main signatures of `apsaramq-mqtt-auth/broker`, read from the published declarations, and
 * what must not be in them: nothing marked `@internal` is published.
 */
import {
  ApsaraMqttAuthError,
  createManualClock,
  createOpenApiService,
  DeviceStore,
  loadBrokerConfig,
  parseBrokerConfig,
  startBroker,
  TokenStore,
  type BrokerAuthMode,
  type BrokerConfig,
  type BrokerConfigFileOptions,
  type Clock,
  type DeviceStoreOptions,
  type GroupStoreOptions,
  type LocalBroker,
  type ManualClock,
  type OpenApiService,
  type OpenApiServiceSettings,
  type SessionInfo,
  type StoredDeviceCredential,
  type TokenStoreApplyOptions,
  type TokenStoreOptions,
} from 'apsaramq-mqtt-auth/broker';
import type { AuthMode, Clock as ClientClock } from 'apsaramq-mqtt-auth';
import type { ApplyTokenOptions as OpenApiApplyTokenOptions, DeviceCredential } from 'apsaramq-mqtt-auth/server';
import { ApsaraMqttAuthError as ClientError } from 'apsaramq-mqtt-auth';
import { describe, expectTypeOf, test } from 'vitest';

describe('the local broker', () => {
  test('startBroker takes a config and resolves to a running broker', () => {
    expectTypeOf(startBroker).parameter(0).toEqualTypeOf<BrokerConfig>();
    expectTypeOf(startBroker).returns.toEqualTypeOf<Promise<LocalBroker>>();
    expectTypeOf(loadBrokerConfig).returns.toEqualTypeOf<Promise<BrokerConfig>>();
    expectTypeOf<LocalBroker['url']>().returns.toEqualTypeOf<string>();
    expectTypeOf<LocalBroker['close']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<LocalBroker['tokens']>().toEqualTypeOf<TokenStore>();
    expectTypeOf<LocalBroker['devices']>().toEqualTypeOf<DeviceStore>();
  });

  test('endpoint() spreads into the connect options', () => {
    expectTypeOf<ReturnType<LocalBroker['endpoint']>>().toHaveProperty('host').toEqualTypeOf<string>();
    expectTypeOf<ReturnType<LocalBroker['endpoint']>>().toHaveProperty('port').toEqualTypeOf<number>();
  });

  test('the OpenAPI service and the manual clock', () => {
    expectTypeOf(createOpenApiService).returns.toEqualTypeOf<OpenApiService>();
    expectTypeOf(createManualClock).returns.toEqualTypeOf<ManualClock>();
  });

  test('the broker entry throws the same error class as the client entry', () => {
    expectTypeOf<ApsaraMqttAuthError>().toEqualTypeOf<ClientError>();
  });
});

describe('one clock', () => {
  test('the client entry\'s Clock, taken as { clock } by the broker, its stores, its OpenAPI and its config file', () => {
    expectTypeOf<Clock>().toEqualTypeOf<ClientClock>();
    expectTypeOf<NonNullable<(BrokerConfig | TokenStoreOptions | DeviceStoreOptions | GroupStoreOptions | OpenApiServiceSettings | BrokerConfigFileOptions)['clock']>>().toEqualTypeOf<Clock>();
  });

  test('a manual clock is a Clock, with an async advance and its due times; no older now or timers', () => {
    const clock = createManualClock(0);
    expectTypeOf(clock).toExtend<Clock>();
    expectTypeOf<ManualClock['advanceAsync']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<ManualClock['dueTimes']>().returns.toEqualTypeOf<number[]>();
    expectTypeOf(startBroker).toBeCallableWith({ instanceId: 'mqtt-x', clock });
    expectTypeOf(parseBrokerConfig).toBeCallableWith({}, { clock });
    expectTypeOf<ManualClock>().not.toHaveProperty('timers');
    expectTypeOf<BrokerConfig>().not.toHaveProperty('now');
    expectTypeOf<BrokerConfig>().not.toHaveProperty('timers');
    expectTypeOf<BrokerConfigFileOptions>().not.toHaveProperty('now');
  });
});

describe('names that meant two things', () => {
  test('the broker\'s own names: its stores\' records and options, and the mode a session authenticated with', () => {
    expectTypeOf<ReturnType<DeviceStore['register']>>().toEqualTypeOf<StoredDeviceCredential>();
    expectTypeOf<StoredDeviceCredential['DeviceAccessKeySecret']>().toEqualTypeOf<string>();
    expectTypeOf<Parameters<TokenStore['apply']>[0]>().toEqualTypeOf<TokenStoreApplyOptions>();
    expectTypeOf<SessionInfo['mode']>().toEqualTypeOf<BrokerAuthMode>();
    expectTypeOf<BrokerAuthMode>().toEqualTypeOf<'Signature' | 'Token' | 'DeviceCredential' | 'Custom' | 'HttpAuth'>();
  });

  test('the old names are gone (0.1.0 was never published with them)', () => {
    // @ts-expect-error the former name of StoredDeviceCredential
    type _Device = import('apsaramq-mqtt-auth/broker').DeviceCredential;
    // @ts-expect-error the former name of TokenStoreApplyOptions
    type _Apply = import('apsaramq-mqtt-auth/broker').ApplyTokenOptions;
    // @ts-expect-error the former name of BrokerAuthMode
    type _Mode = import('apsaramq-mqtt-auth/broker').AuthMode;
  });

  test('the new names no longer look like the other entries\' types', () => {
    expectTypeOf<StoredDeviceCredential>().not.toEqualTypeOf<DeviceCredential>();
    expectTypeOf<TokenStoreApplyOptions>().not.toEqualTypeOf<OpenApiApplyTokenOptions>();
    expectTypeOf<BrokerAuthMode>().not.toEqualTypeOf<AuthMode>();
  });
});

describe('nothing internal is published', () => {
  test('DeviceStore has no _byKeyId (it returns a device secret)', () => {
    expectTypeOf<DeviceStore>().not.toHaveProperty('_byKeyId');
    // @ts-expect-error not in the published declarations
    void ((store: DeviceStore) => store._byKeyId('key'));
  });
});
