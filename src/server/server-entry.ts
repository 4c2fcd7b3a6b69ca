/**
 * apsaramq-mqtt-auth/server: the server side of ApsaraMQ for MQTT authentication. Runs on Node ≥ 20
 * and on any runtime with fetch-standard `Request`/`Response` (Deno, Bun, edge workers).
 *
 * - `createOnsMqttClient`: the `onsmqtt` OpenAPI (ApplyToken, QueryToken, RevokeToken, DeviceCredential calls),
 *   signed V3 (`ACS3-HMAC-SHA256`) or V2, with static, STS or provider (`@alicloud/credentials`) credentials.
 * - `createTokenIssuer`: tokens cached per (resources, actions), refreshed ahead of expiry, single-flight.
 * - `createRedisTokenStore`: one token cache, one ApplyToken per permission and one rate window for a fleet.
 * - `createCredentialHandler`: `(request: Request) => Promise<Response>` handing credentials to clients.
 * - `createHttpAuthHandler`: the endpoint an instance with HTTP authentication calls on each CONNECT.
 * - `toNodeListener`: the same handlers behind `http.createServer`.
 * @module apsaramq-mqtt-auth/server
 */
export { createOnsMqttClient, ONSMQTT_API_VERSION } from './onsmqtt-client.js';
export type { ApplyTokenOptions, DeviceCredentialCallOptions, FetchLike, OnsMqttClient, OnsMqttClientOptions, OnsMqttSignatureAlgorithm, TokenCallOptions } from './onsmqtt-client.js';
export type { OpenApiCredentialProvider, OpenApiCredentials, OpenApiCredentialsOption } from '../openapi/openapi-credentials.js';
export { OpenApiError, isThrottlingCode } from './openapi-error.js';
export type { OpenApiErrorOptions } from './openapi-error.js';
export { AppliedToken, CustomIdentity, DeviceCredential } from './records.js';
export type {
  CustomIdentityOptions,
  CustomIdentityType,
  CustomPermissionOptions,
  CustomPermissionRecord,
  GroupIdRecord,
  InstanceOption,
  OnsMqttManagementCalls,
  QueryPage,
  DeviceClientIdPage,
  ConnectBlackRecord,
} from './onsmqtt-management.js';
export { ONSMQTT_ENDPOINTS, onsMqttEndpoint } from '../openapi/onsmqtt-endpoints.js';
export type { EndpointNetwork, OnsMqttEndpoint } from '../openapi/onsmqtt-endpoints.js';
export { ONSMQTT_CONTRACT, ONSMQTT_ERRORS, ONSMQTT_RATE_LIMITS, ONSMQTT_SDK_ACTIONS, ONSMQTT_UNDESCRIBED_ACTIONS, ONSMQTT_VERSION } from '../openapi/onsmqtt-contract.js';
export type { ActionGroup, ActionSpec, FieldSpec, OnsMqttAction, OnsMqttErrorCode, ParamSpec, ParamType } from '../openapi/onsmqtt-contract.js';
export { createTokenIssuer } from './token-issuer.js';
export type { IssueOptions, TokenApplier, TokenIssuer, TokenIssuerOptions, TokenPermission } from './token-issuer.js';
export { createMemoryTokenStore, RATE_WINDOW } from './token-store.js';
export type { MemoryTokenStore, MemoryTokenStoreOptions, TokenCacheStore, TokenClaim } from './token-store.js';
export { createRedisTokenStore } from './redis-token-store.js';
export type { RedisCallClient, RedisClusterCommandClient, RedisCommandClient, RedisTokenStore, RedisTokenStoreOptions } from './redis-token-store.js';
export { createCredentialHandler } from './credential-handler.js';
export type { Authorize, AuthorizeContext, CredentialBody, CredentialGrant, CredentialHandlerOptions, DeviceSecret, IssuedTokenBody } from './credential-handler.js';
export type { CorsOptions, CredentialErrorBody } from './http-helpers.js';
export { createHttpAuthHandler, credentialsMatch } from './http-auth-handler.js';
export type { HttpAuthContext, HttpAuthDecision, HttpAuthHandlerOptions } from './http-auth-handler.js';
export {
  formatHttpAuthRequest,
  formatHttpAuthResponse,
  parseHttpAuthRequest,
  parseHttpAuthResponse,
  HTTP_AUTH_MAX_BODY_BYTES,
  HTTP_AUTH_MAX_RULES,
} from '../protocol/http-auth.js';
export type { HttpAuthAclRule, HttpAuthAction, HttpAuthCredentials, HttpAuthProblem, HttpAuthVerdict } from '../protocol/http-auth.js';
export { toNodeListener } from './node-listener.js';
export type { NodeListenerOptions, NodeRequestLike, NodeResponseLike } from './node-listener.js';

export { signRpcRequest, rpcTimestamp, RPC_COMMON_PARAMS } from '../openapi/rpc.js';
export type { SignRpcRequestOptions } from '../openapi/rpc.js';
export { openApiSignature, canonicalQuery, percentEncode, stringToSign } from '../openapi/rpc-signature.js';
export type { OpenApiSignatureOptions } from '../openapi/rpc-signature.js';
export {
  ACS3_HMAC_SHA256,
  isV3SignedHeader,
  parseV3Authorization,
  signV3Request,
  v3Authorization,
  v3CanonicalRequest,
  v3PayloadHash,
  v3Signature,
  v3StringToSign,
} from '../openapi/signature-v3.js';
export type { SignV3RequestOptions, V3Authorization, V3CanonicalRequestInput, V3Hashes } from '../openapi/signature-v3.js';
export { hmacSha256, nobleHmacSha256, nobleSha256, sha256, webCryptoHmacSha256 } from '../hmac/sha256.js';
export { tokenTypeOf, MAX_TOKEN_RESOURCES, MIN_TOKEN_TTL, MIN_TOKEN_LIFETIME, MAX_TOKEN_TTL } from '../protocol/token-rules.js';
export { parseUsername } from '../protocol/username.js';
export type { ParsedUsername } from '../protocol/username.js';
export { parseTokenPassword } from '../protocol/token-password.js';
export type { ParsedTokenPassword } from '../protocol/token-password.js';
export type { TokenActions } from '../protocol/token-rules.js';
export { ApsaraMqttAuthError } from '../errors.js';
export type { ApsaraMqttAuthErrorCode } from '../errors.js';
// Types the signatures above refer to, so that users can name them from this entry.
export type { ApsaraMqttAuthErrorOptions, ConnectRefusalCause } from '../errors.js';
export type { HmacSha1, HmacSha256, Sha256 } from '../hmac/hmac-types.js';
export type { TokenSet, TokenType } from '../protocol/token-password.js';
export type { AuthMode } from '../protocol/username.js';
// The one clock every factory here takes as `{ clock }` (the same as the main entry's).
export { systemClock } from '../clock.js';
export type { Clock } from '../clock.js';
