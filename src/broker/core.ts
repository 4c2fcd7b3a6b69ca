/**
 * What the broker's parts share: aedes, the authenticator, the live sessions, the clock and the
 * events. Each concern (aedes hooks, authorization, token lifecycle) is a module of functions over it.
 * @module
 */
import type { Aedes, Client } from 'aedes';
import type { Authenticator } from './auth/authenticator.js';
import type { Clock } from '../clock.js';
import type { BrokerEvents } from './events.js';
import type { BrokerLimits } from './limits.js';
import type { Session } from './session.js';

/** Emits one of the broker's events. */
export type EmitEvent = <K extends keyof BrokerEvents>(event: K, ...args: BrokerEvents[K]) => void;

/** The state and services the broker's modules share. */
export interface BrokerCore {
  readonly aedes: Aedes;
  readonly auth: Authenticator;
  /** Authenticated clients, from CONNECT to close. */
  readonly sessions: Map<Client, Session>;
  readonly emit: EmitEvent;
  /** The clock: the time and the timers of token notices and expiries. */
  readonly clock: Clock;
  /** How long before a token's expiry `$SYS/tokenExpireNotice` is sent. */
  readonly expireNoticeLeadMs: number;
  readonly limits: BrokerLimits;
  /** Payloads of messages accepted but not to be delivered (over the size limit). */
  readonly discarded: WeakSet<object>;
  /** Payloads of the `$SYS` notices the broker itself sends: the only ones delivered on those topics. */
  readonly notices: WeakSet<object>;
}
