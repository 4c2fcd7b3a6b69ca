/**
 * The managed connection as an explicit state machine, driven by events (CONNACK, refusal, close,
 * the broker's notices, answers from the credentials provider) and acting only through its ports,
 * so it runs the same against mqtt.js and against a test's fake on a manual clock.
 *
 * idle ─start→ connecting ─CONNACK→ connected ─close→ backing off ─timer→ connecting …
 *   connecting ─refused with fresh credentials─→ refused (until the app asks again)
 *   any ─end→ ended
 *
 * One backoff paces credential requests and reconnects; it starts over only once a connection has
 * stayed up for {@link STABLE_AFTER}, so a broker that accepts and then drops a client, or a
 * credential server that keeps failing, is asked at most once per (growing) step.
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';
import { _refusalError } from '../connect/refusal.js';
import type { Clock } from '../clock.js';
import { _needsFreshCredentials, type TokenExpireNotice, type TokenInvalidNotice, type TokenInvalidReason } from '../protocol/sys-topics.js';
import type { CredentialsProvider, ProvidedCredentials, ProviderContext, RefreshReason } from './provider.js';
import { _createRefresher } from './refresher.js';
import { _createBackoff, STABLE_AFTER, type Tuning } from './tuning.js';

/** The states of a managed connection. */
export type SessionStateName = 'idle' | 'connecting' | 'connected' | 'backing-off' | 'refused' | 'ended';

/** Where a managed connection stands (see `sessionState` and the `state` event). No secret in it. */
export interface SessionState {
  /**
   * - `idle`: nothing under way (`manualConnect`, or `reconnectPeriod: 0` after a drop);
   * - `connecting`: asking for credentials and/or waiting for CONNACK;
   * - `connected`: CONNACK received;
   * - `backing-off`: waiting until `nextAttempt.at` after a failure;
   * - `refused`: the broker refused fresh credentials, or the credential server said no (4xx);
   *   nothing is retried until the app calls `refreshCredentials`;
   * - `ended`: `client.end()` was called.
   */
  state: SessionStateName;
  /** When it entered this state (the clock's ms). */
  since: number;
  /** A credentials request is under way. */
  refreshing: boolean;
  /** Failures in a row (credential requests and connections) since a connection last stayed up. */
  failures: number;
  /** Connection attempts so far. */
  attempts: number;
  /**
   * What happens next on its own, and when: a reconnect or a credentials request after a failure,
   * or the renewal of the credentials ahead of their expiry.
   */
  nextAttempt?: { at: number; action: 'connect' | 'credentials' | 'renew' };
  /** The credentials in use (never their secret parts). */
  credentials?: {
    receivedAt: number;
    reason: RefreshReason;
    expiresAt?: number;
    /** False when the provider's last answer was what it had handed out before (a cached token). */
    changed: boolean;
    /** The broker said these no longer work (refused, or `tokenInvalidNotice`): new ones are on the way. */
    invalid?: TokenInvalidReason | 'refused';
  };
  /** What last went wrong, until the next successful connection. */
  lastError?: ApsaraMqttAuthError | Error;
}

/** @internal What the machine does to the world. */
export interface MachinePorts {
  /** New credentials: write them where the next CONNECT reads them. */
  install(fresh: ProvidedCredentials, previous: ProvidedCredentials | undefined): void;
  /** Open a connection with the installed credentials; `attempt` counts from 1. */
  connect(attempt: number): void;
  /** Connected and not doomed: rotate `fresh` in band (Token mode) if it differs from `previous`. */
  upload(fresh: ProvidedCredentials, previous: ProvidedCredentials | undefined): void;
  /** Emit a session event (`state`, `credentials`, `credentialsError`, `error`) on the client. */
  emit(event: string, payload: unknown): void;
  /**
   * Refused: close the connection for good, failing whatever waits on it, until `connect` is called
   * again (the app's retry).
   */
  park(): void;
}

/** @internal */
export interface MachineInput {
  provider: CredentialsProvider;
  context: Omit<ProviderContext, 'reason' | 'signal'>;
  clock: Clock;
  tuning: Tuning;
  /** False for `reconnectPeriod: 0`: a closed connection is not reopened by the session. */
  autoReconnect: boolean;
  ports: MachinePorts;
}

/** @internal */
export interface Machine {
  snapshot(): SessionState;
  /** Fetches the first credentials; connects as soon as they are there when `connectNow`. */
  start(connectNow: boolean): void;
  /** CONNACK 0. */
  connected(): void;
  /** CONNACK refused with a credential code (`_AUTH_REFUSALS`). */
  refused(code: number, error: unknown): void;
  /** The connection closed (after CONNACK or not). */
  closed(): void;
  /** The app opened a connection itself (`client.connect()` / `client.reconnect()`). */
  attempted(): void;
  tokenInvalid(notice: TokenInvalidNotice): void;
  /** `$SYS/tokenExpireNotice`. */
  tokenExpiring(notice: TokenExpireNotice): void;
  /** True from a refusal until its retry: that connection's close is not a failure. */
  recovering(): boolean;
  /** `refreshCredentials`: fetch now; from `refused` or `backing-off`, connect right after. */
  refresh(): Promise<void>;
  end(): void;
}

/** @internal */
export function _createMachine(input: MachineInput): Machine {
  const { provider, context, clock, tuning, autoReconnect, ports } = input;
  const backoff = _createBackoff(tuning);
  let state: SessionStateName = 'idle';
  let since = clock.now();
  let attempts = 0;
  let open = false; // a connection is being made or is up: mqtt.js cannot start another
  let retryTimer: unknown; // reconnect after a failure
  let retryAt: number | undefined;
  let stableTimer: unknown;
  let fresh: RefreshReason | undefined; // the current credentials need replacing, for this reason
  let refusedWith: ProvidedCredentials | undefined; // refused since the last successful CONNACK
  let refusal: { code: number; error: unknown } | undefined;
  let doomed = false; // tokenInvalidNotice: the broker is about to disconnect
  let credentials: SessionState['credentials'];
  let lastError: SessionState['lastError'];
  let reported = '';
  let installed: ProvidedCredentials | undefined; // what the next CONNECT carries
  const current = () => installed;

  const refresher = _createRefresher({
    provider,
    context,
    clock,
    ...tuning,
    backoff,
    onUpdate(answer, reason, changed) {
      if (state === 'ended') return;
      const previous = current();
      if (reason === 'refused' && refusedWith && answer.username === refusedWith.username && answer.password === refusedWith.password) {
        // The provider has nothing newer than what was just refused: retrying would loop.
        return refuse(_refusalError(refusal!.code, refusal!.error));
      }
      fresh = undefined;
      credentials = { receivedAt: clock.now(), reason, changed, ...(answer.expiresAt === undefined ? {} : { expiresAt: answer.expiresAt }) };
      installed = answer;
      ports.install(answer, previous);
      ports.emit('credentials', { reason, changed, ...(answer.expiresAt === undefined ? {} : { expiresAt: answer.expiresAt }) });
      if (state === 'connected' && !doomed) ports.upload(answer, previous);
      advance();
    },
    onError(error, decided) {
      if (state === 'ended') return;
      lastError = error;
      ports.emit('credentialsError', error);
      if (state !== 'connected' && state !== 'idle' && decided) return refuse(error);
      advance();
    },
  });

  const report = () => {
    const snapshot = machine.snapshot();
    const key = JSON.stringify({ ...snapshot, since: 0, lastError: snapshot.lastError?.message });
    if (key !== reported) {
      reported = key;
      ports.emit('state', snapshot);
    }
  };
  const enter = (next: SessionStateName) => {
    if (next !== state) {
      state = next;
      since = clock.now();
    }
  };
  const clearRetry = () => {
    if (retryTimer !== undefined) clock.clearTimeout(retryTimer);
    retryTimer = retryAt = undefined;
  };
  const clearStable = () => {
    if (stableTimer !== undefined) clock.clearTimeout(stableTimer);
    stableTimer = undefined;
  };

  function refuse(error: ApsaraMqttAuthError): void {
    if (state === 'ended') return;
    clearRetry();
    refresher.stop(); // not even the renewal ahead of expiry: nothing is asked until the app asks
    lastError = error;
    enter('refused');
    if (error.code === 'ERR_CONNECT_REFUSED') ports.emit('error', error);
    report();
    if (state === 'refused') ports.park(); // unless a listener ended the client meanwhile
  }

  /** Takes the next step towards a connection, if one is due and possible now. */
  function advance(): void {
    if (state === 'connected' || state === 'ended' || state === 'refused' || state === 'idle' || open || retryTimer !== undefined) return report();
    const creds = current();
    if (creds?.expiresAt !== undefined && creds.expiresAt <= clock.now()) fresh ??= 'expiring';
    if (!creds || fresh) {
      // Wait for the answer under way, or for the refresher's own retry after a failure.
      if (refresher.fetching) enter('connecting');
      else if (refresher.next?.retry) enter('backing-off');
      else {
        enter('connecting');
        refresher.refresh(fresh ?? 'connect').catch(() => undefined);
      }
      return report();
    }
    open = true;
    enter('connecting');
    ports.connect(++attempts);
    report();
  }

  const machine: Machine = {
    snapshot() {
      const next = refresher.next;
      const nextAttempt =
        retryAt !== undefined
          ? { at: retryAt, action: 'connect' as const }
          : next && state !== 'ended' && state !== 'refused'
            ? { at: next.at, action: next.retry ? ('credentials' as const) : ('renew' as const) }
            : undefined;
      return {
        state,
        since,
        refreshing: refresher.fetching,
        failures: backoff.failures,
        attempts,
        ...(nextAttempt ? { nextAttempt } : {}),
        ...(credentials ? { credentials: { ...credentials } } : {}),
        ...(lastError ? { lastError } : {}),
      };
    },
    start(connectNow) {
      if (connectNow) {
        enter('connecting');
        advance();
      } else {
        refresher.refresh('connect').catch(() => undefined);
        report();
      }
    },
    connected() {
      if (state === 'ended') return;
      open = true;
      clearRetry();
      refusedWith = refusal = undefined;
      doomed = false;
      lastError = undefined;
      if (credentials) delete credentials.invalid;
      enter('connected');
      clearStable();
      stableTimer = clock.setTimeout(() => ((stableTimer = undefined), backoff.reset(), report()), STABLE_AFTER);
      report();
    },
    refused(code, error) {
      if (state === 'ended') return;
      lastError = _refusalError(code, error);
      refusal = { code, error };
      // Refused again before any success: fresh credentials are no better, so stop here.
      if (refusedWith) return refuse(lastError as ApsaraMqttAuthError);
      refusedWith = current();
      fresh = 'refused';
      if (credentials) credentials.invalid = 'refused';
      enter('connecting');
      refresher.refresh('refused').catch(() => undefined);
      report();
    },
    closed() {
      open = false;
      clearStable();
      doomed = false;
      if (state === 'ended' || state === 'refused') return report();
      if (refusedWith && state === 'connecting') return advance(); // the one retry, with the fresh credentials
      if (!autoReconnect) {
        enter('idle');
        return report();
      }
      clearRetry();
      const delay = backoff.next();
      retryAt = clock.now() + delay;
      retryTimer = clock.setTimeout(() => {
        retryTimer = retryAt = undefined;
        advance();
      }, delay);
      enter('backing-off');
      report();
    },
    attempted() {
      if (state === 'ended' || state === 'connected') return;
      clearRetry();
      open = true;
      enter('connecting');
      report();
    },
    tokenInvalid(notice) {
      if (state === 'ended') return;
      doomed = true;
      if (credentials) credentials.invalid = notice.reason;
      if (_needsFreshCredentials(notice.code)) {
        fresh = 'token-invalid';
        refresher.refresh('token-invalid').catch(() => undefined);
      }
      report();
    },
    tokenExpiring(notice) {
      if (state === 'ended') return;
      // A notice about a token already replaced (the refresh ahead of expiry won the race) needs nothing.
      if ((current()?.expiresAt ?? 0) <= notice.expireTime) refresher.refresh('expiring').catch(() => undefined);
      report();
    },
    recovering: () => refusedWith !== undefined && state === 'connecting',
    async refresh() {
      if (state === 'ended') throw new ApsaraMqttAuthError('ERR_INVALID_ARGUMENT', 'client has ended: open a new one', { field: 'client' });
      if (state === 'refused' || state === 'backing-off') {
        clearRetry();
        fresh ??= 'manual';
        enter('connecting');
      }
      const answer = refresher.refresh('manual');
      report();
      await answer;
    },
    end() {
      if (state === 'ended') return;
      enter('ended');
      clearRetry();
      clearStable();
      refresher.stop();
      report();
    },
  };
  return machine;
}
