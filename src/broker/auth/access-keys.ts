/**
 * The AccessKey pairs of the instance's account, from the broker config: Signature-mode clients sign
 * with them and Token-mode Usernames name them. Secrets live in a private map only.
 * @module
 */
import { _invalid } from '../../errors.js';
import type { Permissions } from '../acl.js';
import { _checkId, _checkList, _checkPermissions, _checkSecret, type AccessKeyConfig } from '../config.js';

/** One AccessKey as the modes use it. */
export interface AccessKeyEntry {
  readonly secret: string;
  /** What Signature-mode clients of this key may do; `undefined`: everything. */
  readonly permissions: Permissions | undefined;
}

/** The configured AccessKeys, checked once. */
export class AccessKeys {
  readonly #keys = new Map<string, AccessKeyEntry>();

  /** @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming `accessKeys[i].<field>`. */
  constructor(config: readonly AccessKeyConfig[] | undefined) {
    _checkList(config, 'accessKeys').forEach((k, i) => {
      const field = `accessKeys[${i}]`;
      const id = _checkId(k?.accessKeyId, `${field}.accessKeyId`);
      if (this.#keys.has(id)) throw _invalid(`${field}.accessKeyId`, `repeats ${JSON.stringify(id)}`);
      this.#keys.set(id, {
        secret: _checkSecret(k.accessKeySecret, `${field}.accessKeySecret`),
        permissions: _checkPermissions(k.permissions, `${field}.permissions`),
      });
    });
  }

  get(accessKeyId: string): AccessKeyEntry | undefined {
    return this.#keys.get(accessKeyId);
  }

  has(accessKeyId: string): boolean {
    return this.#keys.has(accessKeyId);
  }

  /** The ids (public). */
  ids(): string[] {
    return [...this.#keys.keys()];
  }
}
