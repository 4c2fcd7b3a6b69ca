/**
 * HMAC-SHA1 in pure JavaScript (`@noble/hashes`), for runtimes with neither `node:crypto` nor
 * WebCrypto: pages served over plain http (browsers hide `crypto.subtle` outside secure contexts),
 * old WebViews, mini-programs, React Native.
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';
import { _hasCodec, _setCodec, _toBytes, type BytesLike } from '../internal/bytes.js';

let loaded: Promise<typeof import('./noble-sync.js')> | undefined;

/**
 * @internal Loads the noble chunk once (a dynamic import keeps it out of bundles that never need
 * it) and installs its pure UTF-8/Base64 codec where the runtime has none. In the script-tag build
 * the import fetches a sibling file (see rollup.config.ts), which can fail: the failure is typed,
 * and not kept, so a later call tries again.
 */
export const _loadNoble = () =>
  (loaded ??= import('./noble-sync.js').then(
    (chunk) => (_setCodec(chunk._pureCodec), chunk),
    (cause: unknown) => {
      loaded = undefined;
      // The script build's loader says which file it looked for where, and what to load instead; a
      // bundler's chunk loader names the chunk's URL: either is what the reader needs, and holds no secret.
      const detail = cause instanceof Error ? `: ${cause.message.slice(0, 400)}` : '';
      throw new ApsaraMqttAuthError('ERR_HMAC_UNAVAILABLE', `the noble HMAC did not load${detail}`, { cause });
    },
  ));

/** @internal Settles once strings can be converted to bytes: at once where TextEncoder, btoa and atob exist. */
export const _codecReady = (): Promise<unknown> | undefined => (_hasCodec() ? undefined : _loadNoble());

/** HMAC-SHA1 through `@noble/hashes`. Strings are UTF-8 encoded. Works in every JavaScript runtime. */
export async function nobleHmacSha1(key: BytesLike, message: BytesLike): Promise<Uint8Array> {
  return (await _loadNoble())._nobleHmac(_toBytes(key, 'key'), _toBytes(message, 'message'));
}
