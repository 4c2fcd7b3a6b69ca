/**
 * The shape every HMAC-SHA1 backend has, so that builders can take any of them (or the caller's own).
 * @module
 */

/**
 * An HMAC-SHA1 implementation: RFC 2104 over SHA-1, 20-byte result.
 * The SDK always passes bytes (strings are UTF-8 encoded first). A sync result is accepted too,
 * so a caller may plug in e.g. `(k, m) => createHmac('sha1', k).update(m).digest()`.
 */
export type HmacSha1 = (key: Uint8Array, message: Uint8Array) => Uint8Array | PromiseLike<Uint8Array>;

/**
 * An HMAC-SHA256 implementation (RFC 2104 over SHA-256, 32-byte result), for the V3 OpenAPI
 * signature (`ACS3-HMAC-SHA256`). Bytes in; a sync result is accepted too.
 */
export type HmacSha256 = (key: Uint8Array, message: Uint8Array) => Uint8Array | PromiseLike<Uint8Array>;

/** A SHA-256 implementation (32-byte digest), for the V3 OpenAPI signature's hashes. */
export type Sha256 = (message: Uint8Array) => Uint8Array | PromiseLike<Uint8Array>;
