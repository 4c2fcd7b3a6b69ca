/**
 * Turning a CONNACK refusal into an error that says what to check, and, where the SDK can tell
 * without the broker's help, why (`likelyCause`).
 * @module
 */
import { ApsaraMqttAuthError, type ConnectRefusalCause } from '../errors.js';

/** @internal MQTT 3.1.1 return codes and MQTT 5 reason codes that a credential problem produces. */
export const _AUTH_REFUSALS = [4, 5, 0x86, 0x87, 0x8c];

/** @internal What the session knows about the refused attempt. */
export interface _RefusedAttempt {
  /** The credentials the CONNECT carried; `expiresAt` on the session's clock. */
  sent?: { username: string; expiresAt?: number | undefined };
  /** What their builder noticed (see `lifecycle/built-credentials.ts`). */
  notes?: { signedFor?: string; secretSpace?: string } | undefined;
  /** The session's clock when the refusal came. */
  now: number;
  /** The client id that connected. */
  clientId: string;
  /** The instance the connection was opened for. */
  instanceId?: string;
  /** The host it connected to. */
  host?: string | undefined;
}

const q = JSON.stringify;
const groupOf = (clientId: string) => clientId.split('@@@')[0];

/**
 * @internal The most specific cause the SDK can tell from what it sent, in order: expired credentials
 * (it knows their expiry), a Username naming another instance than the host (`<instanceId>.mqtt.aliyuncs.com`)
 * or `instanceId`, a Password signed for another client id, a secret with white space at its ends.
 * Names ids (not secret), never a secret or a Password.
 */
export function _likelyCause({ sent, notes, now, clientId, instanceId, host }: _RefusedAttempt): [ConnectRefusalCause, string] | undefined {
  if (!sent) return undefined;
  const expired = now - (sent.expiresAt ?? Infinity);
  if (expired >= 0) return ['token-expired', `the credentials it sent had expired ${Math.round(expired / 1000)} s before`];
  const parts = `${sent.username}`.split('|');
  const named = parts.length === 3 ? parts[2]! : undefined;
  const hostInstance = host?.match(/^([\w-]+)\.mqtt\.aliyuncs\.com\.?$/i)?.[1];
  for (const [other, where] of [
    [hostInstance, `the endpoint ${q(host)}`],
    [instanceId, 'instanceId'],
  ]) {
    if (named && other && named !== other) return ['instance-mismatch', `the Username names instance ${q(named)}, not ${q(other)} of ${where}`];
  }
  const signedFor = notes?.signedFor;
  if (signedFor && signedFor !== clientId) {
    const [a, b] = [groupOf(signedFor), groupOf(clientId)];
    return ['client-id-mismatch', `the Password was signed for ${a !== b ? `Group ID ${q(a)}, not ${q(b)}` : `client id ${q(signedFor)}, not ${q(clientId)}`}`];
  }
  if (notes?.secretSpace) return ['secret-whitespace', `${notes.secretSpace} has white space at its ends`];
  return undefined;
}

/**
 * @internal A typed, secret-free error for a refusal with CONNACK `code`. mqtt.js already words
 * the code (`Connection refused: Not authorized`), so its message is reused rather than a table;
 * what the SDK can tell about the attempt (`attempt`) adds the likely cause.
 */
export function _refusalError(code: number, cause?: unknown, attempt?: _RefusedAttempt): ApsaraMqttAuthError {
  const meaning = `${(cause as Error | undefined)?.message ?? ''}`.replace(/^Connection refused: /, '').toLowerCase() || 'refused';
  const auth = _AUTH_REFUSALS.includes(code);
  const likely = auth && attempt ? _likelyCause(attempt) : undefined;
  const hint = likely ? `: likely because ${likely[1]}` : auth ? '; check the auth mode, AccessKey, instance id and client id' : '';
  const error = new ApsaraMqttAuthError('ERR_CONNECT_REFUSED', `the broker refused the connection: ${meaning} (code ${code})${hint}`, { returnCode: code, cause });
  if (likely) (error as { likelyCause?: ConnectRefusalCause }).likelyCause = likely[0];
  return error;
}
