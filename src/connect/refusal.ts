/**
 * Turning a CONNACK refusal into an error that says what to check.
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';

// MQTT 3.1.1 return codes and MQTT 5 reason codes that a credential problem produces.
const MEANINGS: Readonly<Record<number, string>> = {
  1: 'unacceptable protocol version',
  2: 'client identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
  0x80: 'unspecified error',
  0x84: 'unsupported protocol version',
  0x85: 'client identifier not valid',
  0x86: 'bad user name or password',
  0x87: 'not authorized',
  0x88: 'server unavailable',
  0x89: 'server busy',
  0x8a: 'banned',
  0x8c: 'bad authentication method',
  0x95: 'packet too large',
  0x97: 'quota exceeded',
};

const AUTH_CODES = new Set([4, 5, 0x86, 0x87, 0x8c]);

/** @internal The CONNACK code of an mqtt.js error, if it is a refusal. */
export function _refusalCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code > 0 ? code : undefined;
}

/** @internal A typed, secret-free error for a refusal with CONNACK `code`. */
export function _refusalError(code: number, cause?: unknown): ApsaraMqttAuthError {
  const meaning = MEANINGS[code] ?? 'refused';
  const hint = AUTH_CODES.has(code)
    ? '; check the auth mode, AccessKey id and secret, instance id and that the password was made for this exact client id'
    : '';
  return new ApsaraMqttAuthError('ERR_CONNECT_REFUSED', `the broker refused the connection: ${meaning} (code ${code})${hint}`, {
    returnCode: code,
    cause,
  });
}
