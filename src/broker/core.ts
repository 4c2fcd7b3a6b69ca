/**
 * What the broker's parts share: aedes, the authenticator, the live sessions, the clock and the
 * events (as the `NoticeSender` of `client-session.ts`). Each concern (aedes hooks, authorization, token
 * lifecycle) is a module of functions over it.
 * @module
 */
import type { Aedes, Client } from 'aedes';
import type { Authenticator } from './auth/authenticator.js';
import type { Clock } from '../clock.js';
import type { BrokerLimits } from './broker-limits.js';
import type { NoticeSender, Session } from './client-session.js';

/**
 * The state and services the broker's modules share. It is the {@link NoticeSender} a session's
 * notices go through: `client-session.ts` needs no more of it, and so does not import this file.
 */
export interface BrokerCore extends NoticeSender {
  readonly aedes: Aedes;
  readonly auth: Authenticator;
  /** Authenticated clients, from CONNECT to close. */
  readonly sessions: Map<Client, Session>;
  /** The clock: the time and the timers of token notices and expiries. */
  readonly clock: Clock;
  /** How long before a token's expiry `$SYS/tokenExpireNotice` is sent. */
  readonly expireNoticeLeadMs: number;
  readonly limits: BrokerLimits;
  /** Payloads of messages accepted but not to be delivered (over the size limit). */
  readonly discarded: WeakSet<object>;
}
