/**
 * Credential providers: where a managed connection gets its Username/Password, before the first
 * connect and again whenever they are about to expire or the broker refuses them.
 * @module
 */
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { _typeName } from '../internal/bytes.js';
import { deviceCredentials, type DeviceCredentialsOptions } from '../credentials/device.js';
import { signatureCredentials, type SignatureCredentialsOptions } from '../credentials/signature.js';
import type { Credentials } from '../credentials/types.js';

/** Credentials with an optional expiry (UNIX ms), as a provider hands them out. */
export interface ProvidedCredentials extends Credentials {
  /** When these credentials stop working (a token's ExpireTime). Omitted: they do not expire. */
  expiresAt?: number;
}

/** Why the credentials are being fetched. */
export type RefreshReason = 'connect' | 'expiring' | 'refused' | 'token-invalid' | 'manual';

/** What a provider is told about the fetch; providers may ignore it. */
export interface ProviderContext {
  clientId: string;
  instanceId: string;
  reason: RefreshReason;
}

/** Anything that yields fresh credentials. Called single-flight: never twice at once for one connection. */
export type CredentialsProvider = (context: ProviderContext) => ProvidedCredentials | PromiseLike<ProvidedCredentials>;

/** @internal Checks a provider's answer; names what is wrong, never echoes a value. */
export function _checkProvided(value: unknown, source: string): ProvidedCredentials {
  const v = value as Partial<ProvidedCredentials> | null;
  if (!v || typeof v !== 'object') throw _invalid(source, `must yield { username, password } (got ${_typeName(value)})`);
  if (typeof v.username !== 'string' || !v.username) throw _invalid(`${source}.username`, 'must be a non-empty string');
  if (typeof v.password !== 'string' || !v.password) throw _invalid(`${source}.password`, 'must be a non-empty string');
  if (v.expiresAt !== undefined && !(typeof v.expiresAt === 'number' && Number.isFinite(v.expiresAt))) {
    throw _invalid(`${source}.expiresAt`, 'must be a UNIX time in milliseconds');
  }
  const out: ProvidedCredentials = { username: v.username, password: v.password };
  if (v.expiresAt !== undefined) out.expiresAt = v.expiresAt;
  return out;
}

/** A provider that always returns the same credentials (e.g. computed once on a trusted device). */
export function staticCredentials(credentials: ProvidedCredentials): CredentialsProvider {
  const checked = _checkProvided(credentials, 'credentials');
  return () => checked;
}

/**
 * A provider that signs Signature-mode credentials itself. For trusted clients only: it holds the
 * AccessKey secret (in a closure, never on an inspectable object).
 */
export function signatureProvider(options: SignatureCredentialsOptions): CredentialsProvider {
  const { accessKeyId, accessKeySecret, instanceId, clientId, hmac } = options ?? ({} as SignatureCredentialsOptions);
  const signed = signatureCredentials({ accessKeyId, accessKeySecret, instanceId, clientId, ...(hmac ? { hmac } : {}) });
  signed.catch(() => undefined); // reported when the provider is called, not as an unhandled rejection
  return () => signed;
}

/** A provider that signs DeviceCredential-mode credentials with the device's own secret. */
export function deviceProvider(options: DeviceCredentialsOptions): CredentialsProvider {
  const { deviceAccessKeyId, deviceAccessKeySecret, instanceId, clientId, hmac } = options ?? ({} as DeviceCredentialsOptions);
  const signed = deviceCredentials({ deviceAccessKeyId, deviceAccessKeySecret, instanceId, clientId, ...(hmac ? { hmac } : {}) });
  signed.catch(() => undefined);
  return () => signed;
}

/**
 * A provider that asks a credential server (see `createCredentialHandler` in
 * `apsaramq-mqtt-auth/server`) for credentials: `POST url` with JSON `{ clientId, instanceId, reason }`
 * unless `init` supplies its own body. The server signs or applies for tokens, so the page never
 * holds an AccessKey secret. Non-2xx answers become `ERR_CREDENTIALS_UNAVAILABLE` carrying the
 * server's error code.
 *
 * @example
 * ```ts
 * const client = await connectAsync({ instanceId, clientId, credentials: remoteCredentials('/api/mqtt-credentials') })
 * ```
 */
export function remoteCredentials(url: string | URL, init: RequestInit = {}): CredentialsProvider {
  if (typeof url !== 'string' && !(url instanceof URL)) throw _invalid('url', `must be a string or URL (got ${_typeName(url)})`);
  return async (context) => {
    const headers = new Headers(init.headers);
    if (init.body === undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        cache: 'no-store',
        ...init,
        headers,
        body: init.body ?? JSON.stringify(context),
      });
    } catch (cause) {
      throw new ApsaraMqttAuthError('ERR_CREDENTIALS_UNAVAILABLE', `the credential server at ${String(url)} could not be reached`, { cause });
    }
    const body = (await response.json().catch(() => undefined)) as { error?: { code?: unknown; message?: unknown } } | undefined;
    if (!response.ok) {
      const error = body?.error;
      const detail = typeof error?.message === 'string' ? `: ${error.message}` : '';
      throw new ApsaraMqttAuthError(
        'ERR_CREDENTIALS_UNAVAILABLE',
        `the credential server answered ${response.status}${typeof error?.code === 'string' ? ` ${error.code}` : ''}${detail}`,
        { returnCode: response.status },
      );
    }
    return _checkProvided(body, 'response');
  };
}
