/**
 * Node's native HMAC for the batch signer, reached without a static import of a built-in (which
 * would break browser bundles). Bun and Deno expose the same.
 * @module
 */

/** @internal The part of `node:crypto` the batch signer uses. */
export type _NodeCrypto = {
  createHmac(algorithm: 'sha1', key: Uint8Array): { update(data: string | Uint8Array): { digest(): Uint8Array; digest(encoding: 'base64'): string } };
};

/** @internal `node:crypto`, or undefined in the UMD build (no `import.meta.url` there) and outside Node-like runtimes. */
export function _nodeCrypto(): _NodeCrypto | undefined {
  if (!import.meta.url) return undefined;
  try {
    return (globalThis as { process?: { getBuiltinModule?: (id: string) => _NodeCrypto | undefined } }).process?.getBuiltinModule?.('crypto');
  } catch {
    return undefined;
  }
}
