/**
 * The `onsmqtt` OpenAPI played on loopback: the service lives in `openapi/` (one file per group of
 * actions, the gateway checks in `service.ts`); this module keeps the import path it always had.
 * @module
 */
export { createOpenApiService, ONSMQTT_ACTIONS } from './openapi/service.js';
export type { OpenApiBroker, OpenApiService, OpenApiServiceOptions, OpenApiServiceSettings, OpenApiStores } from './openapi/service.js';
export type { OpenApiTokenStore } from './openapi/tokens.js';
export type { OpenApiDeviceRecord, OpenApiDeviceStore } from './openapi/devices.js';
export type { OpenApiGroupStore } from './openapi/groups.js';
export type { OpenApiPublisher, OpenApiSessions } from './openapi/sessions.js';
export { DOCUMENTED_RATE_LIMITS } from './openapi/errors.js';
export type { RoleConfig, StsSettings } from './openapi/sts.js';
export { STS_API_VERSION } from './openapi/sts.js';
