/**
 * Turning a CONNACK refusal into an error that says what to check, and, where the SDK can tell
 * without the broker's help, why (`likelyCause`).
 * @module
 */
import { ApsaraMqttAuthError, type ConnectRefusalCause } from '../errors.js';
import { _buildNotes } from '../credentials/build-notes.js';
import { parseClientId } from '../credentials/client-id.js';
import { parseUsername } from '../protocol/username.js';

/** @internal MQTT 3.1.1 return codes and MQTT 5 reason codes that a credential problem produces. */
export const _AUTH_REFUSALS = [4, 5, 0x86, 0x87, 0x8c];

/** @internal The CONNACK code of an mqtt.js error, if it is a refusal. */
export function _refusalCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code > 0 ? code : undefined;
}

/** @internal What the session knows about the refused attempt. */
export interface _RefusedAttempt {
  /** The credentials the CONNECT carried; `expiresAt` on the session's clock. */
  sent?: { username: string; password: string; expiresAt?: number | undefined };
  /** The session's clock when the refusal came. */
  now: number;
  /** The client id that connected. */
  clientId: string;
  /** The instance the connection was opened for. */
  instanceId?: string;
  /** The host it connected to. */
  host?: string | undefined;
}

/** The instance id in an ApsaraMQ endpoint's host name (`<instanceId>.mqtt.aliyuncs.com`). */
const HOST_INSTANCE = /^([a-z0-9-]+)\.mqtt\.aliyuncs\.com\.?$/i;
const q = JSON.stringify;

/**
 * @internal The most specific cause the SDK can tell from what it sent, in order: expired credentials
 * (it knows their expiry), a Username naming another instance, a Password signed for another client
 * id, a secret with white space at its ends. Names ids (not secret), never a secret or a Password.
 */
export function _likelyCause(attempt: _RefusedAttempt): { cause: ConnectRefusalCause; text: string } | undefined {
  const { sent, now, clientId, instanceId, host } = attempt;
  if (!sent) return undefined;
  if (sent.expiresAt !== undefined && sent.expiresAt <= now) {
    return { cause: 'token-expired', text: `the credentials it sent had expired ${Math.round((now - sent.expiresAt) / 1000)} s before (by the issuer's clock); fresh ones are needed` };
  }
  let named: string | undefined;
  try {
    named = parseUsername(sent.username).instanceId;
  } catch {
    // not a string: nothing to compare
  }
  const hostInstance = host?.match(HOST_INSTANCE)?.[1];
  if (named !== undefined && hostInstance !== undefined && named !== hostInstance) {
    return { cause: 'instance-mismatch', text: `the Username names instance ${q(named)} but the endpoint ${q(host)} is instance ${q(hostInstance)}` };
  }
  if (named !== undefined && instanceId !== undefined && named !== instanceId) {
    return { cause: 'instance-mismatch', text: `the Username names instance ${q(named)} but the connection was opened for instanceId ${q(instanceId)}` };
  }
  const notes = _buildNotes(sent);
  if (notes?.signedFor !== undefined && notes.signedFor !== clientId) {
    const [signed, connecting] = [groupOf(notes.signedFor), groupOf(clientId)];
    const which = signed !== connecting ? `Group ID ${q(signed)}, but the client id connecting has ${q(connecting)}` : `client id ${q(notes.signedFor)}, but ${q(clientId)} connected`;
    return { cause: 'client-id-mismatch', text: `the Password was signed for ${which} (the signature covers the exact client id)` };
  }
  if (notes?.secretSpace) {
    const { field, where } = notes.secretSpace;
    return { cause: 'secret-whitespace', text: `${field} has white space at its ${where} (a newline from a file or from echo?) and was signed as is` };
  }
  return undefined;
}

const groupOf = (clientId: string): string => {
  try {
    return parseClientId(clientId).groupId;
  } catch {
    return clientId.split('@@@')[0]!;
  }
};

/**
 * @internal A typed, secret-free error for a refusal with CONNACK `code`. mqtt.js already words
 * the code (`Connection refused: Not authorized`), so its message is reused rather than a table;
 * what the SDK can tell about the attempt (`attempt`) adds the likely cause.
 */
export function _refusalError(code: number, cause?: unknown, attempt?: _RefusedAttempt): ApsaraMqttAuthError {
  const meaning = `${(cause as Error | undefined)?.message ?? ''}`.replace(/^Connection refused: /, '').toLowerCase() || 'refused';
  const auth = _AUTH_REFUSALS.includes(code);
  const likely = auth && attempt ? _likelyCause(attempt) : undefined;
  const hint = likely ? `: likely because ${likely.text}` : auth ? '; check the auth mode, AccessKey, instance id and client id' : '';
  return new ApsaraMqttAuthError('ERR_CONNECT_REFUSED', `the broker refused the connection: ${meaning} (code ${code})${hint}`, { returnCode: code, cause, ...(likely && { likelyCause: likely.cause }) });
}
