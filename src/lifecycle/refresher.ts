/**
 * Keeps one connection's credentials fresh: fetches single-flight with a timeout, schedules the next
 * fetch ahead of expiry, and retries failures on the connection's backoff.
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';
import type { Clock } from '../clock.js';
import { _checkProvided, type CredentialsProvider, type ProvidedCredentials, type ProviderContext, type RefreshReason } from './provider.js';
import { _checkTuning, _createBackoff, type Backoff, type RefreshOptions } from './tuning.js';

export type { RefreshOptions } from './tuning.js';

/** @internal What the managed connection needs from a refresher. */
export interface Refresher {
  /** The newest credentials, if any were fetched. */
  readonly current: ProvidedCredentials | undefined;
  /** A provider call is under way. */
  readonly fetching: boolean;
  /** When the next scheduled fetch is due, and whether it retries a failure or renews ahead of expiry. */
  readonly next: { at: number; retry: boolean } | undefined;
  /** Fetches now, or joins the fetch already under way. */
  refresh(reason: RefreshReason): Promise<ProvidedCredentials>;
  /** Cancels timers and abandons a fetch under way; a later `refresh` starts it all again. */
  stop(): void;
}

/** @internal */
export interface RefresherInput extends RefreshOptions {
  provider: CredentialsProvider;
  context: Omit<ProviderContext, 'reason' | 'signal'>;
  clock: Clock;
  /** Shared with the connection, so that credential requests and reconnects back off together. */
  backoff?: Backoff;
  /** Called with each answer; `changed` is false when the provider handed out what it gave last time. */
  onUpdate(credentials: ProvidedCredentials, reason: RefreshReason, changed: boolean): void;
  /** Called when a fetch failed; a retry is already scheduled unless `decided` (see {@link _isDecision}). */
  onError(error: ApsaraMqttAuthError, decided: boolean): void;
}

/**
 * @internal A credential server's considered "no" (HTTP 4xx other than 408 and 429): asking again
 * gets the same answer, so nothing retries it until the app asks.
 */
export function _isDecision(error: ApsaraMqttAuthError): boolean {
  const status = error.returnCode;
  return (error.code === 'ERR_CREDENTIALS_UNAVAILABLE' || error.code === 'ERR_FORBIDDEN') && status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

const same = (a: ProvidedCredentials | undefined, b: ProvidedCredentials) => a?.username === b.username && a.password === b.password && a.expiresAt === b.expiresAt;

/** @internal */
export function _createRefresher(input: RefresherInput): Refresher {
  const { provider, context, clock, onUpdate, onError } = input;
  const { refreshMargin, credentialsTimeout, ...tuning } = _checkTuning(input);
  const backoff = input.backoff ?? _createBackoff(tuning);
  let current: ProvidedCredentials | undefined;
  let inflight: { promise: Promise<ProvidedCredentials>; abandon(): void } | undefined;
  let timer: unknown;
  let next: { at: number; retry: boolean } | undefined;
  let stopped = false;

  const cancel = () => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = next = undefined;
  };
  const schedule = (delay: number, reason: RefreshReason, retry: boolean) => {
    cancel();
    if (stopped) return;
    next = { at: clock.now() + Math.max(0, delay), retry };
    // Failures are reported through onError, not as unhandled rejections.
    timer = clock.setTimeout(() => ((timer = next = undefined), refresh(reason).catch(() => undefined)), Math.max(0, delay));
  };

  function fetch(reason: RefreshReason): { promise: Promise<ProvidedCredentials>; abandon(): void } {
    const fetchedAt = clock.now();
    const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
    let settle!: (error: ApsaraMqttAuthError) => void;
    const abandoned = new Promise<never>((_, reject) => (settle = reject));
    const deadline = clock.setTimeout(
      () => settle(new ApsaraMqttAuthError('ERR_CREDENTIALS_UNAVAILABLE', `the credentials provider did not answer within ${credentialsTimeout} ms`)),
      credentialsTimeout,
    );
    const asked = (async () => {
      try {
        const signal = controller ? { signal: controller.signal } : {};
        const answer = _checkProvided(await provider({ ...context, reason, ...signal }), 'provider');
        // Already expired: using it would fail, and renewing "ahead of expiry" would loop at once.
        if (answer.expiresAt !== undefined && answer.expiresAt <= clock.now()) {
          throw new ApsaraMqttAuthError('ERR_CREDENTIALS_UNAVAILABLE', 'the credentials provider answered with credentials that have already expired (expiresAt is in the past)', { field: 'provider.expiresAt' });
        }
        return answer;
      } catch (cause) {
        throw cause instanceof ApsaraMqttAuthError ? cause : new ApsaraMqttAuthError('ERR_CREDENTIALS_UNAVAILABLE', 'the credentials provider failed', { cause });
      }
    })();
    const promise = Promise.race([asked, abandoned])
      .finally(() => {
        clock.clearTimeout(deadline);
        controller?.abort(); // a provider still working on an abandoned request may stop now
      })
      .then(
        (fresh) => {
          if (inflight?.promise !== promise) return fresh; // abandoned by stop(): nobody is waiting for it
          inflight = undefined;
          const changed = !same(current, fresh);
          current = fresh;
          const { expiresAt } = fresh;
          if (expiresAt !== undefined) {
            // Ahead of expiry by the margin, but never more than half the lifetime; and a provider
            // that keeps handing out the same credentials is asked once per backoff step, not in a
            // tightening loop as their end nears.
            // (Never sooner than minBackoff: credentials that live a few milliseconds are not renewed in a spin.)
            const ahead = Math.max(expiresAt - Math.min(refreshMargin, (expiresAt - fetchedAt) / 2) - clock.now(), tuning.minBackoff);
            schedule(changed || reason !== 'expiring' ? ahead : Math.max(ahead, backoff.next()), 'expiring', false);
          }
          onUpdate(fresh, reason, changed);
          return fresh;
        },
        (error: ApsaraMqttAuthError) => {
          if (inflight?.promise !== promise) throw error;
          inflight = undefined;
          const decided = _isDecision(error);
          if (!decided) schedule(backoff.next(), reason === 'connect' ? 'connect' : reason, true);
          onError(error, decided);
          throw error;
        },
      );
    const abandon = () => {
      clock.clearTimeout(deadline);
      settle(new ApsaraMqttAuthError('ERR_CREDENTIALS_UNAVAILABLE', 'the credentials request was abandoned'));
    };
    return { promise, abandon };
  }

  const refresh = (reason: RefreshReason): Promise<ProvidedCredentials> => {
    stopped = false;
    if (!inflight) {
      cancel(); // this fetch replaces whatever was scheduled
      inflight = fetch(reason);
    }
    return inflight.promise;
  };

  return {
    get current() {
      return current;
    },
    get fetching() {
      return inflight !== undefined;
    },
    get next() {
      return next;
    },
    refresh,
    stop() {
      stopped = true;
      cancel();
      const abandoned = inflight;
      inflight = undefined;
      abandoned?.promise.catch(() => undefined);
      abandoned?.abandon();
    },
  };
}
