/**
 * Token mode: on-demand permissions for untrusted clients.
 * @module
 */
import { _formatTokenPassword, type TokenSet } from '../protocol/token-password.js';
import { _formatUsername, _TOKEN_LABEL } from '../protocol/username.js';
import type { Credentials } from './credential-types.js';
import { _requireOptions } from './validate.js';

/** Inputs of {@link tokenCredentials}. */
export interface TokenCredentialsOptions {
  /** The AccessKey ID of the account that applied for the tokens. */
  accessKeyId: string;
  /** The ApsaraMQ for MQTT instance id. */
  instanceId: string;
  /** The tokens from ApplyToken, by type (`R` read, `W` write, `RW` both). */
  tokens: TokenSet;
}

/**
 * Token-mode credentials: Username `Token|<AccessKeyId>|<InstanceId>`, Password the tokens as
 * `R|<token>|W|<token>|RW|<token>` (only the types given, in that order). Synchronous: nothing is signed.
 *
 * @example
 * ```ts
 * tokenCredentials({ accessKeyId: 'YYYYY', instanceId: 'mqtt-xxxxx', tokens: { RW: token } })
 * // { username: 'Token|YYYYY|mqtt-xxxxx', password: 'RW|' + token }
 * ```
 */
export function tokenCredentials(options: TokenCredentialsOptions): Credentials {
  options = _requireOptions(options, 'options');
  return { username: _formatUsername(_TOKEN_LABEL, options.accessKeyId, 'accessKeyId', options.instanceId), password: _formatTokenPassword(_requireOptions(options.tokens, 'tokens')) };
}
