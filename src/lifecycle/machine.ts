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
import { _invalid, type ApsaraMqttAuthError } from '../errors.js';
import { _refusalError } from '../connect/refusal.js';
import { _buildNotes, _warnIfSpaced } from './built-credentials.js';
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
    /**
     * The issuer's clock minus this device's (ms), when the answer told it (`expiresIn` beside
     * `expiresAt`). `expiresAt` here is already on this device's clock.
     */
    clockOffset?: number;
  };
  /**
   * Renewal has stopped: the credential server said no (4xx) to a renewal while connected. The
   * connection lasts until the credentials in use expire; nothing is asked again until the app calls
   * `refreshCredentials` (a Retry). Cleared by the next credentials received.
   */
  renewalStopped?: ApsaraMqttAuthError;
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
   * Whether anyone listens to `event` (default: yes). The `state` event is worked out only for
   * listeners: a connect nobody watches does not pay for it.
   */
  listens?(event: string): boolean;
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
  /** The broker's host, for the likely cause of a refusal (its name may hold the instance id). */
  host?: string | undefined;
  ports: MachinePorts;
}

/** @internal */
export interface Machine {
  snapshot(): SessionState;
  /** The state alone, without building a snapshot. */
  state(): SessionStateName;
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

const noop = () => undefined;

/** The broker's `tokenExpireNotice` comes about 5 minutes before expiry (documented); 30 s of slack. */
const NOTICE_LEAD = 330_000;

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
  let refusal: ApsaraMqttAuthError | undefined; // that refusal, for when fresh credentials are no better
  let doomed = false; // tokenInvalidNotice: the broker is about to disconnect
  let credentials: SessionState['credentials'];
  let lastError: SessionState['lastError'];
  let reported = '';
  let installed: ProvidedCredentials | undefined; // what the next CONNECT carries
  let renewalStopped: ApsaraMqttAuthError | undefined; // a 4xx to a renewal while connected
  let warned = false; // about a secret with white space at its ends, once

  /** Runs an event's effect unless the session has ended, then emits `state` if anything changed. */
  const step =
    <A extends unknown[]>(effect: (...args: A) => void) =>
    (...args: A): void => {
      if (state !== 'ended') {
        effect(...args);
        report();
      }
    };
  const fetch = (reason: RefreshReason) => void refresher.refresh(reason).catch(noop);

  const refresher = _createRefresher({
    provider,
    context,
    clock,
    ...tuning,
    backoff,
    onUpdate: step((answer, reason, changed) => {
      const previous = installed;
      if (reason === 'refused' && answer.username === refusedWith?.username && answer.password === refusedWith.password) {
        // The provider has nothing newer than what was just refused: retrying would loop.
        return refuse(refusal!);
      }
      fresh = renewalStopped = undefined;
      const expiry = answer.expiresAt === undefined ? {} : { expiresAt: answer.expiresAt };
      const offset = refresher.offset === undefined ? {} : { clockOffset: refresher.offset };
      credentials = { receivedAt: clock.now(), reason, changed, ...expiry, ...offset };
      ports.install((installed = answer), previous);
      if (!warned) warned = _warnIfSpaced(answer);
      ports.emit('credentials', { reason, changed, ...expiry });
      if (state === 'connected' && !doomed) ports.upload(answer, previous);
      advance();
    }),
    onError: step((error, decided) => {
      lastError = error;
      if (decided && state === 'connected') renewalStopped = error;
      ports.emit('credentialsError', error);
      if (decided && state !== 'connected' && state !== 'idle') refuse(error);
      else advance();
    }),
  });

  function report(): void {
    // No listener: nothing to compare with later either, so the next listener hears the next change.
    if (ports.listens?.('state') === false) return void (reported = '');
    const snapshot = machine.snapshot();
    const key = JSON.stringify({ ...snapshot, since: 0, lastError: snapshot.lastError?.message });
    if (key !== reported) {
      reported = key;
      ports.emit('state', snapshot);
    }
  }
  const enter = (next: SessionStateName) => {
    if (next !== state) {
      state = next;
      since = clock.now();
    }
  };
  const clearRetry = () => {
    clock.clearTimeout(retryTimer);
    retryTimer = retryAt = undefined;
  };

  function refuse(error: ApsaraMqttAuthError): void {
    if (state === 'ended') return; // a listener of the last event ended the client
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
    if (open || retryTimer !== undefined || (state !== 'connecting' && state !== 'backing-off')) return;
    if ((installed?.expiresAt ?? Infinity) <= clock.now()) fresh ??= 'expiring';
    if (!installed || fresh) {
      // Wait for the answer under way, or for the refresher's own retry after a failure.
      const waiting = !refresher.fetching && refresher.next?.retry;
      enter(waiting ? 'backing-off' : 'connecting');
      if (!waiting && !refresher.fetching) fetch(fresh ?? 'connect');
      return;
    }
    open = true;
    enter('connecting');
    ports.connect(++attempts);
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
        ...(nextAttempt && { nextAttempt }),
        ...(credentials && { credentials: { ...credentials } }),
        ...(lastError && { lastError }),
        ...(renewalStopped && { renewalStopped }),
      };
    },
    start: step((connectNow: boolean) => {
      if (!connectNow) return fetch('connect');
      enter('connecting');
      advance();
    }),
    connected: step(() => {
      open = true;
      clearRetry();
      refusedWith = refusal = lastError = undefined;
      doomed = false;
      if (credentials) delete credentials.invalid;
      enter('connected');
      clock.clearTimeout(stableTimer);
      stableTimer = clock.setTimeout(step(backoff.reset), STABLE_AFTER);
    }),
    refused: step((code: number, error: unknown) => {
      lastError = refusal = _refusalError(code, error, { sent: installed, notes: _buildNotes(installed), now: clock.now(), ...context, host: input.host });
      // Refused again before any success: fresh credentials are no better, so stop here.
      if (refusedWith) return refuse(refusal);
      refusedWith = installed;
      fresh = 'refused';
      if (credentials) credentials.invalid = 'refused';
      enter('connecting');
      fetch('refused');
    }),
    closed: step(() => {
      open = doomed = false;
      clock.clearTimeout(stableTimer);
      if (state === 'refused') return;
      if (refusedWith && state === 'connecting') return advance(); // the one retry, with the fresh credentials
      if (!autoReconnect) return enter('idle');
      clearRetry();
      const delay = backoff.next();
      retryAt = clock.now() + delay;
      retryTimer = clock.setTimeout(
        step(() => {
          retryTimer = retryAt = undefined;
          advance();
        }),
        delay,
      );
      enter('backing-off');
    }),
    attempted: step(() => {
      if (state === 'connected') return;
      clearRetry();
      open = true;
      enter('connecting');
    }),
    tokenInvalid: step((notice: TokenInvalidNotice) => {
      doomed = true;
      if (credentials) credentials.invalid = notice.reason;
      if (_needsFreshCredentials(notice.code)) fetch((fresh = 'token-invalid'));
    }),
    tokenExpiring: step((notice: TokenExpireNotice) => {
      // The notice's time is the issuer's: on this clock it is `offset` earlier. A notice about a token
      // already replaced (the renewal won the race) needs nothing. Nor does one that says no more than
      // the schedule knows: a token that lives less than the notice's lead (short tokens get it as soon
      // as they connect) and is renewed before it expires. A notice further ahead than its lead means
      // the clocks moved since the offset was learnt: it is believed, and credentials are asked for.
      const expireTime = notice.expireTime - (refresher.offset ?? 0);
      const renewal = refresher.next;
      if ((installed?.expiresAt ?? 0) > expireTime + 1000) return;
      if (renewal && !renewal.retry && renewal.at < expireTime && expireTime - clock.now() <= NOTICE_LEAD) return;
      fetch('expiring');
    }),
    state: () => state,
    recovering: () => refusedWith !== undefined && state === 'connecting',
    async refresh() {
      if (state === 'ended') throw _invalid('client', 'has ended: open a new one');
      if (state === 'refused' || state === 'backing-off') {
        clearRetry();
        fresh ??= 'manual';
        enter('connecting');
      }
      const answer = refresher.refresh('manual');
      report();
      await answer;
    },
    end: step(() => {
      enter('ended');
      clearRetry();
      clock.clearTimeout(stableTimer);
      refresher.stop();
    }),
  };
  return machine;
}
