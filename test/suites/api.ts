/** The public API under test: the TypeScript sources, or one of the built bundles. */
export type Api = typeof import('../../src/index.js');

/** A named HMAC backend to run the vectors through. */
export interface Backend {
  name: string;
  hmac: Api['hmacSha1'] | undefined;
}

/** Every backend the API ships, plus the default rule (`undefined`). */
export function backendsOf(api: Api): Backend[] {
  return [
    { name: 'default', hmac: undefined },
    { name: 'webcrypto', hmac: api.webCryptoHmacSha1 },
    { name: 'noble', hmac: api.nobleHmacSha1 },
  ];
}

/** Secrets used by the leak checks: distinctive, so a leak cannot hide in other text. */
export const SECRET = 'S3cr3t-DoNotLeak-7f1e';
