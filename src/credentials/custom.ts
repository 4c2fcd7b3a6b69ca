/**
 * Custom identities: a username registered in the console with its own secret.
 * @module
 */
import { _invalid } from '../errors.js';
import { _checkClientId } from './client-id.js';
import { _signClientId } from './sign.js';
import type { Credentials } from './credential-types.js';
import { _onBuilt } from './built.js';
import { _requireHmac, _requireOptions, _requireString } from './validate.js';
import type { HmacSha1 } from '../hmac/hmac-types.js';

/** How a custom identity's password is made: the secret itself, or the client id signed with it. */
export type CustomSignMode = 'ORIGIN' | 'SIGNED';

/** Inputs of {@link customCredentials}. */
export interface CustomCredentialsOptions {
  /** The custom username exactly as registered (no `Mode|Id|Instance` format). */
  username: string;
  /** The identity's secret. */
  secret: string;
  /** The client id that will connect. */
  clientId: string;
  /** `ORIGIN`: the password is the secret; `SIGNED`: Base64(HMAC-SHA1(secret, clientId)). */
  signMode: CustomSignMode;
  /** HMAC-SHA1 to use instead of the default (SIGNED only). */
  hmac?: HmacSha1;
}

/**
 * Credentials for a custom identity.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` / `ERR_INVALID_CLIENT_ID` before any signing.
 */
export async function customCredentials(options: CustomCredentialsOptions): Promise<Credentials> {
  options = _requireOptions(options, 'options');
  const username = _requireString(options.username, 'username');
  const secret = _requireString(options.secret, 'secret');
  const clientId = _checkClientId(options.clientId);
  const hmac = _requireHmac(options.hmac);
  const signed = options.signMode === 'SIGNED';
  if (!signed && options.signMode !== 'ORIGIN') throw _invalid('signMode', 'must be "ORIGIN" or "SIGNED"');
  const credentials = { username, password: signed ? await _signClientId(secret, clientId, hmac) : secret };
  _onBuilt?.(credentials, signed ? clientId : '', 'secret', secret);
  return credentials;
}
