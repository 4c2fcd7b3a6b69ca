/**
 * Credential providers: where a managed connection gets its Username/Password, before the first
 * connect and again whenever they are about to expire or the broker refuses them.
 * @module
 */
import { ApsaraMqttAuthError, _invalid, type ApsaraMqttAuthErrorOptions } from '../errors.js';
import { _mustBe } from '../internal/bytes.js';
import { _own, _requireOptions, _requireString } from '../credentials/validate.js';
import { deviceCredentials, type DeviceCredentialsOptions } from '../credentials/device.js';
import { signatureCredentials, type SignatureCredentialsOptions } from '../credentials/signature.js';
import type { Credentials } from '../credentials/credential-types.js';
import { _checkClock, systemClock, type Clock } from '../clock.js';
import { _carryNotes } from './built-credentials.js';

/**
 * Credentials with an optional expiry, as a provider hands them out. Give `expiresIn` where the
 * device's clock may be wrong (phones, kiosks, boards without a real-time clock): `expiresAt` is a time
 * on the issuer's clock, and judged alone it is judged by this device's.
 */
export interface ProvidedCredentials extends Credentials {
  /** When these credentials stop working (a token's ExpireTime), UNIX ms on the issuer's clock. Omitted (and no `expiresIn`): they do not expire. */
  expiresAt?: number;
  /**
   * How long they keep working, in seconds from the provider's answer: a relative lifetime, which a
   * wrong device clock cannot misread. When given, the session times renewals and judges expiry by it
   * (counted from when it asked); beside `expiresAt`, the two together tell the issuer's clock offset.
   */
  expiresIn?: number;
}

/** Why the credentials are being fetched. */
export type RefreshReason = 'connect' | 'expiring' | 'refused' | 'token-invalid' | 'manual';

/** What a provider is told about the fetch; providers may ignore it. */
export interface ProviderContext {
  /** The client id the credentials are for. */
  clientId: string;
  /** The instance the client connects to. */
  instanceId: string;
  /** Why credentials are asked for now. */
  reason: RefreshReason;
  /**
   * Aborted when the session stops waiting for this answer (it took longer than
   * `credentialsTimeout`, or the client was ended); pass it on to `fetch` and the like.
   */
  signal?: AbortSignal;
}

/** Anything that yields fresh credentials. Called single-flight: never twice at once for one connection. */
export type CredentialsProvider = (context: ProviderContext) => ProvidedCredentials | PromiseLike<ProvidedCredentials>;

/** @internal Checks a provider's answer; names what is wrong, never echoes a value. */
export function _checkProvided(value: unknown, source: string): ProvidedCredentials {
  if (!value || typeof value !== 'object') throw _mustBe(source, 'an object { username, password }', value);
  const { username, password, expiresAt, expiresIn } = _requireOptions(value as ProvidedCredentials, source);
  _requireString(username, `${source}.username`);
  _requireString(password, `${source}.password`);
  if (expiresAt !== undefined && !(typeof expiresAt === 'number' && Number.isFinite(expiresAt))) throw _invalid(`${source}.expiresAt`, 'must be a UNIX time in milliseconds');
  if (expiresIn !== undefined && !(typeof expiresIn === 'number' && expiresIn >= 0 && expiresIn < Infinity)) throw _invalid(`${source}.expiresIn`, 'must be a number of seconds, 0 or more');
  const checked: ProvidedCredentials = { username, password };
  if (expiresAt !== undefined) checked.expiresAt = expiresAt;
  if (expiresIn !== undefined) checked.expiresIn = expiresIn;
  _carryNotes(value, checked);
  return checked;
}

/** A provider that always returns the same credentials (e.g. computed once on a trusted device). */
export function staticCredentials(credentials: ProvidedCredentials): CredentialsProvider {
  const checked = _checkProvided(credentials, 'credentials');
  return () => checked;
}

/** Signs now; a failure is reported when the provider is called, not as an unhandled rejection. */
function signedOnce(signed: Promise<Credentials>): CredentialsProvider {
  signed.catch(() => undefined);
  return () => signed;
}

/**
 * A provider that signs Signature-mode credentials itself. For trusted clients only: it holds the
 * AccessKey secret (in a closure, never on an inspectable object).
 */
export function signatureProvider(options: SignatureCredentialsOptions): CredentialsProvider {
  return signedOnce(signatureCredentials(options));
}

/** A provider that signs DeviceCredential-mode credentials with the device's own secret. */
export function deviceProvider(options: DeviceCredentialsOptions): CredentialsProvider {
  return signedOnce(deviceCredentials(options));
}

/** Options of {@link remoteCredentials}. */
export interface RemoteCredentialsOptions {
  /** Abandon a request that has not been answered within this (ms). Default 10 s. */
  timeout?: number;
  /** Clock and timers for the timeout; injectable for tests. */
  clock?: Clock;
}

/**
 * A provider that asks a credential server (see `createCredentialHandler` in
 * `apsaramq-mqtt-auth/server`) for credentials: `POST url` with JSON `{ clientId, instanceId, reason }`
 * unless `init` supplies its own body. The server signs or applies for tokens, so the page never
 * holds an AccessKey secret. Non-2xx answers become `ERR_CREDENTIALS_UNAVAILABLE` carrying the
 * server's error code and the HTTP status as `returnCode`; so does a request that was not answered
 * within `options.timeout` (it is aborted, and the session asks again after a backoff).
 *
 * Time is the server's: an answer with `expiresAt` gets `expiresIn` (seconds) from the server's own
 * "now", its `issuedAt` field (the credential handler's) or else its HTTP `Date` header, so that a
 * device whose clock is hours off neither takes fresh credentials for expired nor renews them late.
 *
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` for a bad `url` or `options`.
 * @example
 * ```ts
 * const client = await connectAsync({ instanceId, clientId, credentials: remoteCredentials('/api/mqtt-credentials', {}, { timeout: 5000 }) })
 * ```
 */
export function remoteCredentials(url: string | URL, init: RequestInit = {}, options: RemoteCredentialsOptions = {}): CredentialsProvider {
  if (typeof url !== 'string' && !(url instanceof URL)) throw _mustBe('url', 'a string or URL', url);
  init = _requireOptions(init, 'init');
  try {
    new Headers(init.headers);
  } catch {
    throw _invalid('init.headers', 'must be valid request headers');
  }
  const { timeout = 10_000, clock: givenClock } = _requireOptions(options, 'options');
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) throw _invalid('timeout', 'must be a finite number of milliseconds above 0');
  const clock = _checkClock(givenClock) ?? systemClock;
  return async (context) => {
    let sentBody: string | undefined;
    try {
      const { signal: _ignored, ...fields } = context;
      sentBody = JSON.stringify(fields);
    } catch {
      // no object, or not JSON (a BigInt, a cycle): refused below
    }
    if (typeof context !== 'object' || sentBody === undefined) throw _mustBe('context', 'a provider context { clientId, instanceId, reason }', context);
    const headers = new Headers(init.headers);
    if (init.body === undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
    const fail = (detail: string, errorOptions?: ApsaraMqttAuthErrorOptions) =>
      new ApsaraMqttAuthError('ERR_CREDENTIALS_UNAVAILABLE', `the credential server${where(url)} ${detail}`, errorOptions);
    const late = () => fail(`did not answer within ${timeout} ms`);
    // One signal for the caller's (the session's) abort, the app's own `init.signal` and the timeout.
    const controller = new AbortController();
    const abort = () => controller.abort();
    let timedOut = false;
    const timer = clock.setTimeout(() => ((timedOut = true), abort()), timeout);
    const signals = [context.signal, init.signal].filter((s): s is AbortSignal => typeof s?.addEventListener === 'function');
    for (const signal of signals) {
      if (signal.aborted) abort();
      else signal.addEventListener('abort', abort, { once: true });
    }
    try {
      let response: Response;
      try {
        response = await fetch(url, { method: 'POST', credentials: 'same-origin', cache: 'no-store', ...init, headers, body: init.body ?? sentBody, signal: controller.signal });
      } catch {
        // Its error is not kept: a fetch (a polyfill, a wrapper) may quote what it was asked to send,
        // headers and body included. Browsers say no more than "Failed to fetch" anyway.
        throw timedOut ? late() : fail('could not be reached (network error, or a CORS refusal)');
      }
      const answer = await response.json().catch(ignore);
      if (timedOut) throw late();
      if (!response.ok) {
        const error = _own(answer, 'error');
        const code = quote(_own(error, 'code'), 64);
        const message = quote(_own(error, 'message'), 300);
        throw fail(`answered ${response.status}${code && ` ${code}`}${message && `: ${message}`}`, { returnCode: response.status });
      }
      const provided = _checkProvided(answer, 'response');
      // The server's answer says how long its credentials live: a relative lifetime is what a device
      // whose clock is hours off can still use (see ProvidedCredentials.expiresIn).
      if (provided.expiresAt !== undefined && provided.expiresIn === undefined) {
        const lifetime = _lifetime(provided.expiresAt, _own(answer, 'issuedAt'), givenClock === undefined ? response.headers.get('date') : null);
        if (lifetime !== undefined) provided.expiresIn = lifetime;
      }
      return provided;
    } finally {
      clock.clearTimeout(timer);
      for (const signal of signals) signal.removeEventListener('abort', abort);
    }
  };
}

const ignore = () => undefined;

/**
 * @internal Seconds from the server's "now" to `expiresAt`: its now is the answer's `issuedAt` (UNIX ms,
 * which `createCredentialHandler` adds), else its HTTP `Date` header (whole seconds, so the now is
 * taken at the end of that second: the lifetime errs short, never long). The header is read only on
 * the real clock (a test's manual clock is not the time a server's header tells) and only where the
 * browser exposes it (same origin, or `Access-Control-Expose-Headers: Date`).
 */
export function _lifetime(expiresAt: number, issuedAt: unknown, date: string | null): number | undefined {
  let serverNow: number | undefined;
  if (typeof issuedAt === 'number' && Number.isFinite(issuedAt)) serverNow = issuedAt;
  else if (date) {
    const parsed = Date.parse(date);
    if (Number.isFinite(parsed)) serverNow = parsed + 1000;
  }
  return serverNow === undefined ? undefined : Math.max(0, (expiresAt - serverNow) / 1000);
}

/** Where the server is, for a message: its origin only (a path or a query may hold a token). */
function where(url: string | URL): string {
  try {
    const { origin } = new URL(url);
    return origin === 'null' ? '' : ` at ${origin}`;
  } catch {
    return ''; // relative to the page: the page's own server
  }
}

/** What the server said, quoted only when it is text, and never without bound. */
const quote = (text: unknown, max: number): string => (typeof text === 'string' ? text.slice(0, max) : '');
