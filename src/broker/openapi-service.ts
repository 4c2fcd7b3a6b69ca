/**
 * The `onsmqtt` OpenAPI played on loopback: the service lives in `openapi/` (one file per group of
 * actions, the gateway checks in `service.ts`); this module keeps the import path it always had.
 * @module
 */
export { createOpenApiService, ONSMQTT_ACTIONS } from './openapi/service.js';
export type { OpenApiBroker, OpenApiService, OpenApiServiceOptions, OpenApiServiceSettings, OpenApiStores } from './openapi/service.js';
export type { OpenApiTokenStore } from './openapi/token-actions.js';
export type { OpenApiDeviceRecord, OpenApiDeviceStore } from './openapi/device-actions.js';
export type { OpenApiGroupStore } from './openapi/group-actions.js';
export type { OpenApiPublisher, OpenApiSessions } from './openapi/session-actions.js';
export { DOCUMENTED_RATE_LIMITS } from './openapi/error-answers.js';
export type { RoleConfig, StsSettings } from './openapi/sts.js';
export { STS_API_VERSION } from './openapi/sts.js';
