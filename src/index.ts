/**
 * apsaramq-mqtt-auth: connection credentials for Alibaba Cloud ApsaraMQ for MQTT, the same in
 * browsers and Node, ready for mqtt.js.
 *
 * Layers, bottom up: `hmac/` (HMAC-SHA1 backends) → `credentials/` (Username/Password per auth
 * mode, client ids) → `connect/` (mqtt.js options) → `lifecycle/` (providers, managed connections).
 * @module apsaramq-mqtt-auth
 */
export * from './script.js';

// Not in the main script-tag build (see script.ts): node:crypto, the batch signer and the diagnostics.
export { nodeHmacSha1 } from './hmac/node.js';
export { createSigner } from './credentials/signer.js';
export type { Signer, SignerBackend, SignerOptions } from './credentials/signer.js';
export { USERNAME_LABELS } from './protocol/username.js';
export type { AuthMode, UsernameLabel } from './protocol/username.js';
export { explainSignature } from './credentials/explain.js';
export type { ExplainSignatureOptions, ExplainedPart, SignatureExplanation, SignedMode } from './credentials/explain.js';
