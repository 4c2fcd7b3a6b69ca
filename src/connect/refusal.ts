/**
 * Turning a CONNACK refusal into an error that says what to check.
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';

/** @internal MQTT 3.1.1 return codes and MQTT 5 reason codes that a credential problem produces. */
export const _AUTH_REFUSALS = [4, 5, 0x86, 0x87, 0x8c];

/**
 * @internal A typed, secret-free error for a refusal with CONNACK `code`. mqtt.js already words
 * the code (`Connection refused: Not authorized`), so its message is reused rather than a table.
 */
export function _refusalError(code: number, cause?: unknown): ApsaraMqttAuthError {
  const meaning = `${(cause as Error | undefined)?.message ?? ''}`.replace(/^Connection refused: /, '').toLowerCase() || 'refused';
  const hint = _AUTH_REFUSALS.includes(code) ? '; check the auth mode, AccessKey, instance id and client id' : '';
  return new ApsaraMqttAuthError('ERR_CONNECT_REFUSED', `the broker refused the connection: ${meaning} (code ${code})${hint}`, { returnCode: code, cause });
}
