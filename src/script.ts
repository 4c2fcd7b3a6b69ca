/**
 * What the main script-tag build (`dist/apsaramq-mqtt-auth.umd[.min].js`, global `ApsaraMqttAuth`)
 * carries: the client API a page needs. The package's main entry (`src/index.ts`) is this plus the
 * diagnostics (`explainSignature`, `USERNAME_LABELS`), the batch signer (`createSigner`, a server's
 * tool) and `nodeHmacSha1` (no page has node:crypto), which the script-tag build leaves to
 * `apsaramq-mqtt-auth.full.umd[.min].js`; that build also drops the mini-program transports.
 * @module
 */
export { ApsaraMqttAuthError } from './errors.js';
export type { ApsaraMqttAuthErrorCode, ApsaraMqttAuthErrorOptions, ConnectRefusalCause } from './errors.js';
export type { BytesLike } from './internal/bytes.js';

export type { HmacSha1 } from './hmac/hmac-types.js';
export { hmacSha1, hmacBackend } from './hmac/hmac.js';
export type { HmacBackend } from './hmac/hmac.js';
export { webCryptoHmacSha1 } from './hmac/webcrypto.js';
export { nobleHmacSha1 } from './hmac/noble.js';

export type { Credentials } from './credentials/credential-types.js';
export { signatureCredentials } from './credentials/signature.js';
export type { SignatureCredentialsOptions } from './credentials/signature.js';
export { deviceCredentials } from './credentials/device.js';
export type { DeviceCredentialsOptions } from './credentials/device.js';
export { customCredentials } from './credentials/custom.js';
export type { CustomCredentialsOptions, CustomSignMode } from './credentials/custom.js';
export { tokenCredentials } from './credentials/token.js';
export type { TokenCredentialsOptions } from './credentials/token.js';
export { TOKEN_TYPES } from './protocol/token-password.js';
export type { TokenSet, TokenType } from './protocol/token-password.js';
export { formatClientId, parseClientId, validateClientId, MAX_CLIENT_ID_LENGTH } from './credentials/client-id.js';
export type { ClientIdProblem, ClientIdValidation } from './credentials/client-id.js';

export { createConnectOptions, CONNECT_DEFAULTS, DEFAULT_PORTS, DEFAULT_WS_PATH } from './connect/options.js';
export type { ConnectOptions, ConnectOptionsInput, PassThroughMqttOptions, Transport } from './connect/options.js';
export type { MqttModule } from './connect/mqtt-module.js';

export { connect, connectAsync } from './lifecycle/connect.js';
export type { ConnectInput } from './lifecycle/connect.js';
export { staticCredentials, signatureProvider, deviceProvider, remoteCredentials } from './lifecycle/provider.js';
export type { CredentialsProvider, ProvidedCredentials, ProviderContext, RefreshReason, RemoteCredentialsOptions } from './lifecycle/provider.js';
export type { RefreshOptions } from './lifecycle/tuning.js';
export { refreshCredentials, onSessionEvent, sessionState } from './lifecycle/session.js';
export type { SessionEvents, SessionState, SessionStateName } from './lifecycle/session.js';
export { TOKEN_INVALID_REASONS, UPLOAD_TOKEN_TOPIC } from './protocol/sys-topics.js';
export type { TokenExpireNotice, TokenInvalidNotice, TokenInvalidReason } from './protocol/sys-topics.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
