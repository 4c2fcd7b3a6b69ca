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
  /**
   * Called when a fetch failed; a retry is already scheduled unless `decided`: a credential server's
   * considered "no" (HTTP 4xx other than 408 and 429), which asking again would only repeat.
   */
  onError(error: ApsaraMqttAuthError, decided: boolean): void;
}

const unavailable = (detail: string, cause?: unknown) => new ApsaraMqttAuthError('ERR_CREDENTIALS_UNAVAILABLE', `the credentials ${detail}`, { cause });
const noop = () => undefined;

/** @internal */
export function _createRefresher(input: RefresherInput): Refresher {
  const { provider, context, clock, onUpdate, onError } = input;
  const { refreshMargin, credentialsTimeout, ...tuning } = _checkTuning(input);
  const backoff = input.backoff ?? _createBackoff(tuning);
  let inflight: Promise<ProvidedCredentials> | undefined;
  let abandon: (error: ApsaraMqttAuthError) => void = noop;
  let timer: unknown;
  let stopped = false;

  const cancel = () => {
    clock.clearTimeout(timer);
    timer = self.next = undefined;
  };
  const schedule = (delay: number, reason: RefreshReason, retry: boolean) => {
    cancel();
    if (stopped) return;
    delay = Math.max(0, delay);
    self.next = { at: clock.now() + delay, retry };
    // Failures are reported through onError, not as unhandled rejections.
    timer = clock.setTimeout(() => ((timer = self.next = undefined), refresh(reason).catch(noop)), delay);
  };

  function refresh(reason: RefreshReason): Promise<ProvidedCredentials> {
    stopped = false;
    if (inflight) return inflight;
    cancel(); // this fetch replaces whatever was scheduled
    const fetchedAt = clock.now();
    let deadline: unknown;
    const promise: Promise<ProvidedCredentials> = new Promise<unknown>((resolve, reject) => {
      // Made only when the provider reads `signal`, and aborted only when the answer is no longer
      // awaited (timed out, or the client ended): aborting builds a DOMException, which is not free.
      let controller: AbortController | undefined;
      let done = false;
      const end =
        <T>(settle: (value: T) => void) =>
        (value: T) => {
          done = true;
          settle(value);
        };
      abandon = end((error) => {
        clock.clearTimeout(deadline);
        controller?.abort();
        reject(error);
      });
      const answer = provider({
        ...context,
        reason,
        get signal() {
          return typeof AbortController === 'function' ? (controller ??= new AbortController()).signal : undefined;
        },
      });
      // A value is taken as it is; a promise is given credentialsTimeout to settle. The deadline is
      // set only if it is still pending a turn of the microtask queue later: a promise that had
      // settled already (signatureCredentials on node:crypto) costs no timer.
      if (typeof (answer as PromiseLike<unknown> | undefined)?.then !== 'function') return resolve(answer);
      (answer as PromiseLike<unknown>).then(end(resolve), end(reject));
      void Promise.resolve().then(() => {
        if (!done) deadline = clock.setTimeout(() => abandon(unavailable(`provider did not answer within ${credentialsTimeout} ms`)), credentialsTimeout);
      });
    }).then(
      (value) => {
        clock.clearTimeout(deadline);
        let fresh: ProvidedCredentials;
        try {
          fresh = _checkProvided(value, 'provider');
          // Already expired: using it would fail, and renewing "ahead of expiry" would loop at once.
          if ((fresh.expiresAt ?? Infinity) <= clock.now()) throw new ApsaraMqttAuthError('ERR_CREDENTIALS_UNAVAILABLE', 'the credentials provider answered with expired credentials', { field: 'provider.expiresAt' });
        } catch (error) {
          return failed(error);
        }
        if (inflight !== promise) return fresh; // abandoned by stop(): nobody is waiting for it
        inflight = undefined;
        const { current } = self;
        const changed = current?.username !== fresh.username || current.password !== fresh.password || current.expiresAt !== fresh.expiresAt;
        self.current = fresh;
        const { expiresAt } = fresh;
        if (expiresAt !== undefined) {
          // Ahead of expiry by the margin, but never more than half the lifetime, never sooner than
          // minBackoff (credentials that live a few milliseconds are not renewed in a spin); and a
          // provider that keeps handing out the same credentials is asked once per backoff step, not
          // in a tightening loop as their end nears.
          const ahead = Math.max(expiresAt - Math.min(refreshMargin, (expiresAt - fetchedAt) / 2) - clock.now(), tuning.minBackoff);
          schedule(changed || reason !== 'expiring' ? ahead : Math.max(ahead, backoff.next()), 'expiring', false);
        }
        onUpdate(fresh, reason, changed);
        return fresh;
      },
      failed,
    );
    function failed(cause: unknown): never {
      clock.clearTimeout(deadline);
      const error = cause instanceof ApsaraMqttAuthError ? cause : unavailable('provider failed', cause);
      if (inflight === promise) {
        inflight = undefined;
        const status = error.returnCode ?? 0;
        const decided = (error.code === 'ERR_CREDENTIALS_UNAVAILABLE' || error.code === 'ERR_FORBIDDEN') && status >= 400 && status < 500 && status !== 408 && status !== 429;
        if (!decided) schedule(backoff.next(), reason, true);
        onError(error, decided);
      }
      throw error;
    }
    return (inflight = promise);
  }

  const self: { -readonly [K in keyof Refresher]: Refresher[K] } = {
    current: undefined,
    next: undefined,
    get fetching() {
      return inflight !== undefined;
    },
    refresh,
    stop() {
      stopped = true;
      cancel();
      if (!inflight) return;
      inflight.catch(noop);
      inflight = undefined;
      abandon(unavailable('request was abandoned'));
    },
  };
  return self;
}
