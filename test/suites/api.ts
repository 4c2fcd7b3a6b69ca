/** The public API under test: the TypeScript sources, or one of the built bundles. */
export type Api = typeof import('../../src/index.js');

/** The HMAC backend names `hmacBackend()` reports. */
export type BackendName = ReturnType<Api['hmacBackend']>;

/** A named HMAC backend to run the vectors through. */
export interface Backend {
  name: string;
  hmac: Api['hmacSha1'] | undefined;
}

const g = globalThis as { process?: { getBuiltinModule?: unknown }; crypto?: { subtle?: unknown } };

/** Whether this runtime has WebCrypto: only there do the WebCrypto adapter and its key cache work. */
export const hasSubtle = (): boolean => !!g.crypto?.subtle;

/**
 * The backend the default must pick in this runtime, for a build that keeps the Node paths (the
 * sources, `dist/index.js`, `dist/index.cjs`). Launchers of builds without them (the script builds,
 * `dist/browser/`) or of runtimes that say otherwise pass it explicitly.
 */
export function expectedBackend(): BackendName {
  return typeof g.process?.getBuiltinModule === 'function' ? 'node' : hasSubtle() ? 'webcrypto' : 'noble';
}

/** Every backend that works here, plus the default rule (`undefined`). */
export function backendsOf(api: Api, backend: BackendName = expectedBackend()): Backend[] {
  return [
    { name: 'default', hmac: undefined },
    ...(backend === 'node' ? [{ name: 'node', hmac: api.nodeHmacSha1 }] : []),
    ...(hasSubtle() ? [{ name: 'webcrypto', hmac: api.webCryptoHmacSha1 }] : []),
    { name: 'noble', hmac: api.nobleHmacSha1 },
  ];
}

/** Secrets used by the leak checks: distinctive, so a leak cannot hide in other text. */
export const SECRET = 'S3cr3t-DoNotLeak-7f1e';
