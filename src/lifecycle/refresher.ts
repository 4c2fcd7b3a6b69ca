/**
 * Keeps one connection's credentials fresh: fetches single-flight with a timeout, schedules the next
 * fetch ahead of expiry, and retries failures on the connection's backoff.
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';
import type { Clock } from '../clock.js';
import { _carryNotes } from './built-credentials.js';
import { _checkProvided, type CredentialsProvider, type ProvidedCredentials, type ProviderContext, type RefreshReason } from './provider.js';
import { _checkTuning, _createBackoff, type Backoff, type RefreshOptions } from './tuning.js';

export type { RefreshOptions } from './tuning.js';

/** @internal What the managed connection needs from a refresher. */
export interface Refresher {
  /** The newest credentials, if any were fetched; their `expiresAt` is on this clock (see {@link _onOurClock}). */
  readonly current: ProvidedCredentials | undefined;
  /** A provider call is under way. */
  readonly fetching: boolean;
  /** When the next scheduled fetch is due, and whether it retries a failure or renews ahead of expiry. */
  readonly next: { at: number; retry: boolean } | undefined;
  /**
   * The issuer's clock minus this one (ms), when the last answer told it (`expiresAt` with
   * `expiresIn`): a time the issuer states (a token notice's `expireTime`) is on this clock that
   * much earlier.
   */
  readonly offset: number | undefined;
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

/**
 * @internal A provider's answer with its expiry on this clock, and the issuer's clock offset when the
 * answer tells it. `expiresIn` counts from `askedAt`, when the request left: the issuer answered later,
 * so the expiry errs early, never late, whatever either clock says. Without `expiresIn`, `expiresAt`
 * is taken as it is (this clock is trusted).
 */
export function _onOurClock(given: ProvidedCredentials, askedAt: number): { fresh: ProvidedCredentials; offset: number | undefined } {
  const { expiresIn, ...fresh } = given;
  _carryNotes(given, fresh);
  if (expiresIn === undefined) return { fresh, offset: undefined };
  const expiresAt = askedAt + expiresIn * 1000;
  const offset = given.expiresAt === undefined ? undefined : Math.round(given.expiresAt - expiresAt);
  fresh.expiresAt = expiresAt;
  return { fresh, offset };
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
  let last: ProvidedCredentials | undefined; // the provider's last answer, as given
  // Renewals answered with the same credentials back off on their own steps, not the connection's:
  // a server's cache is no failure, and the app's "failures in a row" must not count it.
  const repeats = _createBackoff(tuning);

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
        let given: ProvidedCredentials;
        let fresh: ProvidedCredentials;
        let offset: number | undefined;
        try {
          given = _checkProvided(value, 'provider');
          ({ fresh, offset } = _onOurClock(given, fetchedAt));
          // Already expired: using it would fail, and renewing "ahead of expiry" would loop at once.
          if ((fresh.expiresAt ?? Infinity) <= clock.now()) {
            const judged = given.expiresIn === undefined ? " by this device's clock (if it may be wrong, return expiresIn)" : '';
            throw new ApsaraMqttAuthError('ERR_CREDENTIALS_UNAVAILABLE', `the credentials provider answered with expired credentials${judged}`, { field: given.expiresIn === undefined ? 'provider.expiresAt' : 'provider.expiresIn' });
          }
        } catch (error) {
          return failed(error);
        }
        if (inflight !== promise) return fresh; // abandoned by stop(): nobody is waiting for it
        inflight = undefined;
        // The same credentials are the same username, password and issuer's expiry; the expiry on this
        // clock moves a little with each answer (it counts from the request).
        const changed = !last || last.username !== given.username || last.password !== given.password || last.expiresAt !== given.expiresAt;
        last = given;
        self.current = fresh;
        self.offset = offset;
        const { expiresAt } = fresh;
        if (expiresAt !== undefined) {
          const remaining = expiresAt - clock.now();
          // Renewed refreshMargin before expiry, but never before two thirds of the remaining life
          // have passed (90-second tokens are renewed after 60 s, not at once), and never sooner than
          // minBackoff (credentials that live a few milliseconds are not renewed in a spin).
          let delay = Math.max(remaining - Math.min(refreshMargin, remaining / 3), tuning.minBackoff);
          // A renewal answered with the same credentials (the server's cache) is asked again at two
          // thirds of what is left, and at least one step of its own backoff later; not at all when
          // that step ends after the expiry (the expiry's reconnect asks then).
          if (!changed && reason === 'expiring') delay = Math.max(delay, repeats.next());
          else repeats.reset();
          if (delay < remaining) schedule(delay, 'expiring', false);
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
    offset: undefined,
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
