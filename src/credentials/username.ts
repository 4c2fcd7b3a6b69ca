/**
 * The auth modes by name, and the label each puts first in its `Label|Id|Instance` Username.
 * @module
 */

/** The four ways a client proves who it is, named as the CLI's `--mode` names them. */
export type AuthMode = 'signature' | 'token' | 'device' | 'custom';

/** The first part of a `Mode|Id|Instance` Username, per mode. Custom identities have none. */
export const USERNAME_LABELS: { readonly [M in Exclude<AuthMode, 'custom'>]: string } = {
  signature: 'Signature',
  token: 'Token',
  device: 'DeviceCredential',
};
