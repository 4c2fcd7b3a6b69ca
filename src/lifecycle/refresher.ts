/**
 * Keeps one connection's credentials fresh: fetches single-flight, schedules the next fetch ahead
 * of expiry, and retries failures with jittered exponential backoff.
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';
import type { Clock } from './clock.js';
import { _checkProvided, type CredentialsProvider, type ProvidedCredentials, type ProviderContext, type RefreshReason } from './provider.js';

/** Tuning of {@link createRefresher}; every field has a default. */
export interface RefreshOptions {
  /**
   * Fetch new credentials this long before they expire (ms). Default 5 minutes, the lead time of
   * the broker's own expiry notice; capped at half the credentials' lifetime.
   */
  refreshMargin?: number;
  /** First retry delay after a failed fetch (ms). Default 1 s. */
  minBackoff?: number;
  /** Longest retry delay (ms). Default 60 s. */
  maxBackoff?: number;
  /** Random source in [0, 1) for the jitter; injectable for tests. */
  random?: () => number;
}

/** @internal What the managed connection needs from a refresher. */
export interface Refresher {
  /** The newest credentials, if any were fetched. */
  readonly current: ProvidedCredentials | undefined;
  /** Fetches now, or joins the fetch already under way. */
  refresh(reason: RefreshReason): Promise<ProvidedCredentials>;
  /** Cancels timers; later calls to `refresh` still work. */
  stop(): void;
}

/** @internal */
export interface RefresherInput extends RefreshOptions {
  provider: CredentialsProvider;
  context: Omit<ProviderContext, 'reason'>;
  clock: Clock;
  /** Called with each new set of credentials. */
  onUpdate(credentials: ProvidedCredentials, reason: RefreshReason): void;
  /** Called when a fetch failed; retries are already scheduled. */
  onError(error: ApsaraMqttAuthError): void;
}

/** @internal */
export function _createRefresher(input: RefresherInput): Refresher {
  const { provider, context, clock, onUpdate, onError } = input;
  const margin = input.refreshMargin ?? 300_000;
  const minBackoff = input.minBackoff ?? 1000;
  const maxBackoff = input.maxBackoff ?? 60_000;
  const random = input.random ?? Math.random;
  let current: ProvidedCredentials | undefined;
  let inflight: Promise<ProvidedCredentials> | undefined;
  let timer: unknown;
  let failures = 0;
  let stopped = false;

  const schedule = (delay: number, reason: RefreshReason) => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    if (stopped) return;
    timer = clock.setTimeout(() => {
      timer = undefined;
      refresh(reason).catch(() => undefined); // reported through onError
    }, Math.max(0, delay));
  };

  const refresh = (reason: RefreshReason): Promise<ProvidedCredentials> => {
    if (inflight) return inflight;
    const fetchedAt = clock.now();
    inflight = (async () => {
      try {
        return _checkProvided(await provider({ ...context, reason }), 'provider');
      } catch (cause) {
        throw cause instanceof ApsaraMqttAuthError
          ? cause
          : new ApsaraMqttAuthError('ERR_CREDENTIALS_UNAVAILABLE', 'the credentials provider failed', { cause });
      }
    })().then(
      (fresh) => {
        inflight = undefined;
        failures = 0;
        current = fresh;
        if (fresh.expiresAt !== undefined) {
          const lead = Math.min(margin, (fresh.expiresAt - fetchedAt) / 2);
          schedule(fresh.expiresAt - lead - clock.now(), 'expiring');
        }
        onUpdate(fresh, reason);
        return fresh;
      },
      (error: ApsaraMqttAuthError) => {
        inflight = undefined;
        // Full jitter in the upper half: spreads a fleet's retries without ever retrying at once.
        const delay = Math.min(maxBackoff, minBackoff * 2 ** failures++) * (0.5 + random() / 2);
        schedule(delay, reason);
        onError(error);
        throw error;
      },
    );
    return inflight;
  };

  return {
    get current() {
      return current;
    },
    refresh,
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
