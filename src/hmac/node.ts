/**
 * HMAC-SHA1 on Node's native `node:crypto`, reached without a static import of a built-in (which
 * would break browser bundles): `process.getBuiltinModule`, which Node (≥ 20.16), Bun and Deno have.
 * Synchronous, and several times faster per call than WebCrypto there (no thread-pool round trip).
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';
import { _toBytes, type BytesLike } from '../internal/bytes.js';

/** @internal The part of `node:crypto` the SDK uses. */
export type _NodeCrypto = {
  createHmac(algorithm: 'sha1' | 'sha256', key: Uint8Array | string): { update(data: string | Uint8Array): { digest(): Uint8Array; digest(encoding: 'base64'): string } };
  /** SHA-256 for the V3 OpenAPI signature (`sha256.ts`). */
  createHash(algorithm: 'sha256'): { update(data: string | Uint8Array): { digest(): Uint8Array } };
};

function lookup(): _NodeCrypto | undefined {
  try {
    return (globalThis as { process?: { getBuiltinModule?: (id: string) => _NodeCrypto | undefined } }).process?.getBuiltinModule?.('crypto');
  } catch {
    // a runtime whose getBuiltinModule throws for crypto has none: the other backends remain
  }
}

/**
 * @internal `node:crypto`, looked up once when the module loads. The script-tag build has no
 * `import.meta.url` (it becomes `undefined`), so there this is a constant and every Node path folds away.
 */
export const _node: _NodeCrypto | undefined = import.meta.url ? /* @__PURE__ */ lookup() : undefined;

/** @internal HMAC-SHA1 as a 20-byte Uint8Array (a view, not a Buffer, so it equals the other backends' results). */
export function _nodeMac(node: _NodeCrypto, key: Uint8Array | string, message: Uint8Array | string): Uint8Array {
  const mac = node.createHmac('sha1', key).update(message).digest();
  return new Uint8Array(mac.buffer, mac.byteOffset, 20);
}

/**
 * HMAC-SHA1 through `node:crypto` (Node, Bun, Deno). Strings are UTF-8 encoded. The default
 * ({@link hmacSha1}) uses it wherever it is reachable.
 * @throws {@link ApsaraMqttAuthError} `ERR_HMAC_UNAVAILABLE` where `node:crypto` is not reachable
 *   (browsers, workers, mini-programs); use {@link hmacSha1} there.
 */
export async function nodeHmacSha1(key: BytesLike, message: BytesLike): Promise<Uint8Array> {
  if (!_node) throw new ApsaraMqttAuthError('ERR_HMAC_UNAVAILABLE', 'node:crypto is not reachable here: use hmacSha1');
  return _nodeMac(_node, _toBytes(key, 'key'), _toBytes(message, 'message'));
}
