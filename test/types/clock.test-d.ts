/**
 * One clock across the three entries, read from the published declarations: the same `Clock` type,
 * a manual clock is one, and every factory that keeps time takes it as `{ clock }` (the older `now`
 * and `timers` still type-check beside it, deprecated).
 */
import { systemClock, type Clock, type ConnectInput, type RemoteCredentialsOptions } from 'apsaramq-mqtt-auth';
import {
  createManualClock,
  parseBrokerConfig,
  startBroker,
  createOpenApiService,
  type BrokerConfig,
  type BrokerConfigFileOptions,
  type BrokerTimers,
  type Clock as BrokerClock,
  type DeviceStoreOptions,
  type GroupStoreOptions,
  type ManualClock,
  type OpenApiServiceSettings,
  type TokenStoreOptions,
} from 'apsaramq-mqtt-auth/broker';
import {
  createMemoryTokenStore,
  createOnsMqttClient,
  createRedisTokenStore,
  createTokenIssuer,
  systemClock as serverSystemClock,
  type Clock as ServerClock,
  type MemoryTokenStoreOptions,
  type OnsMqttClientOptions,
  type RedisTokenStoreOptions,
  type TokenIssuerOptions,
} from 'apsaramq-mqtt-auth/server';
import { describe, expectTypeOf, test } from 'vitest';

describe('one Clock', () => {
  test('the same type and the same real clock in every entry', () => {
    expectTypeOf<ServerClock>().toEqualTypeOf<Clock>();
    expectTypeOf<BrokerClock>().toEqualTypeOf<Clock>();
    expectTypeOf(serverSystemClock).toEqualTypeOf<Clock>();
    expectTypeOf(systemClock).toEqualTypeOf<Clock>();
  });

  test('a manual clock is a Clock, with an async advance and its due times', () => {
    expectTypeOf(createManualClock).returns.toExtend<Clock>();
    expectTypeOf<ManualClock['advanceAsync']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<ManualClock['dueTimes']>().returns.toEqualTypeOf<number[]>();
    expectTypeOf<Clock>().toExtend<BrokerTimers>();
  });

  test('every factory that keeps time takes { clock }', () => {
    expectTypeOf<NonNullable<ConnectInput['clock']>>().toEqualTypeOf<Clock>();
    expectTypeOf<NonNullable<RemoteCredentialsOptions['clock']>>().toEqualTypeOf<Clock>();
    expectTypeOf<NonNullable<TokenIssuerOptions['clock']>>().toEqualTypeOf<Clock>();
    expectTypeOf<NonNullable<OnsMqttClientOptions['clock']>>().toEqualTypeOf<Clock>();
    expectTypeOf<NonNullable<MemoryTokenStoreOptions['clock']>>().toEqualTypeOf<Clock>();
    expectTypeOf<NonNullable<RedisTokenStoreOptions['clock']>>().toEqualTypeOf<Clock>();
    expectTypeOf<NonNullable<BrokerConfig['clock']>>().toEqualTypeOf<Clock>();
    expectTypeOf<NonNullable<TokenStoreOptions['clock']>>().toEqualTypeOf<Clock>();
    expectTypeOf<NonNullable<DeviceStoreOptions['clock']>>().toEqualTypeOf<Clock>();
    expectTypeOf<NonNullable<GroupStoreOptions['clock']>>().toEqualTypeOf<Clock>();
    expectTypeOf<NonNullable<OpenApiServiceSettings['clock']>>().toEqualTypeOf<Clock>();
    expectTypeOf<NonNullable<BrokerConfigFileOptions['clock']>>().toEqualTypeOf<Clock>();
    const clock = createManualClock(0);
    expectTypeOf(startBroker).toBeCallableWith({ instanceId: 'mqtt-x', clock });
    expectTypeOf(createTokenIssuer).parameter(0).toHaveProperty('clock');
    expectTypeOf(createOnsMqttClient).parameter(0).toHaveProperty('clock');
    expectTypeOf(createMemoryTokenStore).toBeCallableWith({ clock });
    expectTypeOf(createRedisTokenStore).parameter(0).toHaveProperty('clock');
    expectTypeOf(createOpenApiService).parameter(0).toHaveProperty('clock');
    expectTypeOf(parseBrokerConfig).toBeCallableWith({}, { clock });
  });

  test('the older options still type-check', () => {
    const clock = createManualClock(0);
    expectTypeOf(startBroker).toBeCallableWith({ instanceId: 'mqtt-x', now: clock.now, timers: clock.timers });
    expectTypeOf(createMemoryTokenStore).toBeCallableWith({ now: () => 0 });
    expectTypeOf(parseBrokerConfig).toBeCallableWith({}, { now: 0 });
  });
});
