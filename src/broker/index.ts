/**
 * `apsaramq-mqtt-auth/broker`: a local ApsaraMQ-compatible MQTT broker for tests, demos and offline
 * development. Node only; needs the optional peer dependencies `aedes`, `ws` and `mqtt-packet`.
 * Never imported by the client API, so browser bundles never reach it.
 * @module apsaramq-mqtt-auth/broker
 */
export { startBroker, SYS_TOPICS } from './broker.js';
export type { BrokerEvents, BrokerTransport, LocalBroker, SessionInfo } from './broker.js';
export { DEFAULT_EXPIRE_NOTICE_LEAD_MS } from './config.js';
export type {
  AccessKeyConfig,
  BrokerConfig,
  CustomIdentityConfig,
  DeviceConfig,
  PermissionsConfig,
  RouteHandler,
  TokenConfig,
} from './config.js';
export { TokenStore, TOKEN_INVALID_CODES } from './tokens.js';
export type { AddTokenOptions, ApplyTokenOptions, TokenCheck, TokenCheckOptions, TokenInfo, TokenInvalidCode, TokenStoreOptions } from './tokens.js';
export { DeviceStore } from './devices.js';
export type { DeviceCredential, DeviceCredentialInput, DeviceStoreOptions } from './devices.js';
export { createManualClock, systemTimers } from './clock.js';
export type { BrokerTimers, ManualClock } from './clock.js';
export { createControlRoutes } from './control.js';
export type { ControlTarget } from './control.js';
export { topicMatches, filterCovers, parseP2pTopic, checkTopic, checkSubscription } from './acl.js';
export type { Action, Denial, Permissions } from './acl.js';
export type { AuthMode, RefusalKind } from './auth.js';
export { loadBrokerConfig, parseBrokerConfig } from './config-file.js';
export type { BrokerConfigFileOptions } from './config-file.js';
export { createOpenApiService } from './openapi-service.js';
export type { OpenApiDeviceRecord, OpenApiDeviceStore, OpenApiService, OpenApiServiceOptions, OpenApiTokenStore } from './openapi-service.js';
// The error class the broker throws, and types its signatures refer to, nameable from this entry.
export { ApsaraMqttAuthError } from '../errors.js';
export type { ApsaraMqttAuthErrorCode, ApsaraMqttAuthErrorOptions } from '../errors.js';
export type { TokenType } from '../credentials/token.js';
export type { TokenActions } from '../openapi/token-rules.js';
