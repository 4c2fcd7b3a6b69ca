/**
 * `apsaramq-mqtt-auth/broker`: a local ApsaraMQ-compatible MQTT broker for tests, demos and offline
 * development. Node only; needs the optional peer dependencies `aedes`, `ws` and `mqtt-packet`.
 * Never imported by the client API, so browser bundles never reach it.
 * @module
 */
export { startBroker, SYS_TOPICS } from './broker.js';
export type { BrokerEndpoint, BrokerMqttTransport, BrokerTransport, LocalBroker } from './broker.js';
export type { BrokerTlsConfig } from './certificates.js';
export { DEFAULT_LIMITS } from './limits.js';
export type { BrokerLimits } from './limits.js';
export type { BrokerEvents, DenialReason, SessionInfo } from './events.js';
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
export { TokenStore } from './tokens.js';
export type { AddTokenOptions, ApplyTokenOptions, TokenCheck, TokenCheckOptions, TokenInfo, TokenStoreOptions } from './tokens.js';
export { TOKEN_INVALID_CODES } from '../protocol/sys-topics.js';
export type { TokenInvalidCode } from '../protocol/sys-topics.js';
export { DeviceStore } from './devices.js';
export type { DeviceCredential, DeviceCredentialInput, DeviceStoreOptions } from './devices.js';
export { createManualClock, systemTimers } from './clock.js';
export type { BrokerTimers, ManualClock } from './clock.js';
export { createControlRoutes } from './control.js';
export type { ControlTarget } from './control.js';
export { topicMatches, filterCovers, parseP2pTopic, checkTopic, checkSubscription } from './acl.js';
export type { Action, Denial, Permissions } from './acl.js';
export type { AuthMode, RefusalKind } from './auth/types.js';
export { loadBrokerConfig, parseBrokerConfig } from './config-file.js';
export type { BrokerConfigFileOptions } from './config-file.js';
export { createOpenApiService } from './openapi-service.js';
export type { OpenApiDeviceRecord, OpenApiDeviceStore, OpenApiService, OpenApiServiceOptions, OpenApiTokenStore } from './openapi-service.js';
