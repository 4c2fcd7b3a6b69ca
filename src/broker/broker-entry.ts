/**
 * `apsaramq-mqtt-auth/broker`: a local ApsaraMQ-compatible MQTT broker for tests, demos and offline
 * development. Node only; needs the optional peer dependencies `aedes`, `ws` and `mqtt-packet`.
 * Never imported by the client API, so browser bundles never reach it.
 * @module apsaramq-mqtt-auth/broker
 */
export { startBroker, SYS_TOPICS } from './broker.js';
export type { BrokerEndpoint, BrokerMqttTransport, BrokerTransport, LocalBroker } from './broker.js';
export type { BrokerTlsConfig } from './certificates.js';
export { DEFAULT_LIMITS } from './broker-limits.js';
export type { BrokerLimits } from './broker-limits.js';
export type { BrokerEvents, DenialReason, SessionInfo } from './events.js';
export { DEFAULT_EXPIRE_NOTICE_LEAD_MS } from './config.js';
export type {
  AccessKeyConfig,
  BrokerConfig,
  CustomIdentityConfig,
  CustomPermissionConfig,
  DeviceConfig,
  PermissionsConfig,
  RouteHandler,
  TokenConfig,
} from './config.js';
export { TokenStore } from './tokens.js';
export type { AddTokenOptions, TokenStoreApplyOptions, TokenCheck, TokenCheckOptions, TokenInfo, TokenStoreOptions } from './tokens.js';
export { TOKEN_INVALID_CODES } from '../protocol/sys-topics.js';
export type { TokenInvalidCode } from '../protocol/sys-topics.js';
export { DeviceStore } from './devices.js';
export type { DeviceCredentialInput, StoredDeviceCredential, DeviceStoreOptions } from './devices.js';
// The one clock the broker and its stores take as `{ clock }` (the same as the main entry's), and the manual one.
export { systemClock } from '../clock.js';
export type { Clock } from '../clock.js';
export { createManualClock } from './broker-clock.js';
export type { ManualClock } from './broker-clock.js';
export { createControlRoutes } from './control.js';
export type { ControlTarget } from './control.js';
export { topicMatches, filterCovers, parseP2pTopic, checkTopic, checkSubscription } from './acl.js';
export type { Action, Denial, Permissions } from './acl.js';
export type { BrokerAuthMode, RefusalKind } from './auth/auth-types.js';
export type { AccessPolicy } from './access.js';
export type { HttpAuthConfig } from './http-auth-client.js';
export { loadBrokerConfig, parseBrokerConfig } from './config-file.js';
export type { BrokerConfigFileOptions } from './config-file.js';
export { createOpenApiService, DOCUMENTED_RATE_LIMITS, ONSMQTT_ACTIONS, STS_API_VERSION } from './openapi-service.js';
export type {
  RoleConfig,
  StsSettings,
  OpenApiBroker,
  OpenApiServiceSettings,
  OpenApiStores,
  OpenApiDeviceRecord,
  OpenApiDeviceStore,
  OpenApiGroupStore,
  OpenApiPublisher,
  OpenApiService,
  OpenApiServiceOptions,
  OpenApiSessions,
  OpenApiTokenStore,
} from './openapi-service.js';
export { GroupStore, groupIdProblem } from './groups.js';
export type { GroupRecord, GroupStoreOptions } from './groups.js';
export { CustomAuthStore, CustomAuthCapacityError, MAX_CUSTOM_USERNAME_LENGTH } from './custom-auth-store.js';
export type {
  CustomAuthStoreOptions,
  CustomIdentityInput,
  CustomIdentityKey,
  CustomIdentityRecord,
  CustomPermission,
  CustomPermissionInput,
  IdentityType,
  PermitAction,
  PermitEffect,
  SignMode,
} from './custom-auth-store.js';
export { checkRules, checkRulesSubscription, rulesPolicy } from './rules.js';
export type { AccessRule } from './rules.js';
// The error class the broker throws, and types its signatures refer to, nameable from this entry.
export { ApsaraMqttAuthError } from '../errors.js';
export type { ApsaraMqttAuthErrorCode, ApsaraMqttAuthErrorOptions, ConnectRefusalCause } from '../errors.js';
export type { TokenType } from '../protocol/token-password.js';
export type { TokenActions } from '../protocol/token-rules.js';
