/**
 * The aedes hooks: where aedes asks the broker about a CONNECT, a PUBLISH, a SUBSCRIBE or a
 * delivery. They keep the session table (created at an accepted CONNECT, ready at its CONNACK,
 * gone at close) and hand each question to authentication, authorization or the token lifecycle.
 * @module
 */
import type { AedesOptions, Client } from 'aedes';
import type { AuthResult } from './auth/auth-types.js';
import { authorizeForward, authorizePublish, authorizeSubscribe } from './authorization.js';
import { DISCONNECT_REASON, _v5ConnackReason, type ClientConnection } from './connection.js';
import type { BrokerCore } from './core.js';
import { _runAt } from './broker-clock.js';
import { _unauthorized, cancelTimers, kick, sessionInfo, type AedesClientInternals, type Session } from './client-session.js';
import { scheduleToken } from './token-lifecycle.js';
import { p2pTopic } from '../protocol/topics.js';

/** The hooks aedes is created with. */
export type BrokerHooks = Required<Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>>;

/** The aedes hooks over the broker's shared state. */
export function createHooks(core: BrokerCore): BrokerHooks {
  return {
    authenticate: (client, username, password, done) => {
      onConnect(core, client, username, password).then(
        (error) => (error ? done(error as never, false) : done(null, true)),
        () => done(_unauthorized() as never, false),
      );
    },
    authorizePublish: (client, packet, done) => {
      const session = client && core.sessions.get(client);
      if (!session) return done(_unauthorized());
      // The will of a client that went away: ApsaraMQ does not support wills, so none is published.
      if (client.closed) return done(_unauthorized());
      session.queue = session.queue.then(() => authorizePublish(core, session, packet)).then(done, () => done(_unauthorized()));
    },
    authorizeSubscribe: (client, subscription, done) => {
      const session = core.sessions.get(client);
      if (!session) return done(_unauthorized());
      session.queue = session.queue
        .then(() => authorizeSubscribe(core, session, subscription.topic))
        .then(
          (error) => done(error, error ? null : subscription),
          () => done(_unauthorized()),
        );
    },
    authorizeForward: (client, packet) => (authorizeForward(core, core.sessions.get(client), packet) ? packet : null),
  };
}

/** A CONNECT: authenticates it and, when accepted, opens its session. Resolves with the refusal, or `null`. */
async function onConnect(core: BrokerCore, client: Client, username: string | undefined, password: Buffer | undefined): Promise<Error | null> {
  const conn = client.conn as ClientConnection;
  const v5 = conn.protocolVersion === 5;
  const result: AuthResult =
    v5 && conn.willRetain
      ? // A Will to retain, where retained messages are not supported: refused with 0x9A (MQTT 5 §3.2.2.3.5).
        { ok: false, kind: 'unsupported', reason: 'a Will with the retain flag: retained messages are not supported' }
      : await core.auth.authenticate(username, password?.toString('utf8'), client.id);
  if (!result.ok) {
    if (result.kind === 'unsupported') conn.refusalReason = DISCONNECT_REASON.RETAIN_NOT_SUPPORTED;
    // 3.1.1 clients get 5 for every credential problem, as ApsaraMQ (and mosquitto) send;
    // MQTT 5 clients learn which: 0x86 bad username or password, 0x87 not authorized.
    const returnCode = result.kind === 'bad-client-id' ? 2 : v5 && result.kind === 'bad-credentials' ? 4 : 5;
    core.emit('clientRefused', {
      clientId: client.id,
      kind: result.kind,
      reason: result.reason,
      returnCode: v5 ? (conn.refusalReason ?? _v5ConnackReason(returnCode)) : returnCode,
      ...(result.tokenCode === undefined ? {} : { tokenCode: result.tokenCode }),
    });
    return Object.assign(new Error(result.reason), { returnCode });
  }
  for (const other of core.sessions.values()) {
    // The newer connection takes over: aedes closes the older one; MQTT 5 clients are told why.
    if (other.clientId === client.id && other.client !== client) {
      other.closing = true;
      cancelTimers(other);
      other.conn.sendDisconnect(DISCONNECT_REASON.SESSION_TAKEN_OVER);
    }
  }
  const { identity } = result;
  const session: Session = {
    client,
    conn,
    clientId: client.id,
    identity,
    access: identity.access,
    tokens: new Map(identity.tokens ?? []),
    timers: new Map(),
    closing: false,
    ready: false,
    ordered: false,
    queue: Promise.resolve(),
  };
  core.sessions.set(client, session);
  conn.once('close', () => onClose(core, session));
  conn.once('overflow', () => core.emit('slowConsumer', { clientId: session.clientId }));
  // Just before the CONNACK leaves, so P2P delivery and token timers are in place before the
  // client can act on it.
  conn.once('connack', (returnCode: number) => {
    if (returnCode === 0) onReady(core, session);
  });
  return null;
}

/** At CONNACK: P2P delivery and token timers start. */
function onReady(core: BrokerCore, session: Session): void {
  if (session.closing) return;
  session.ready = true;
  // P2P messages reach their target without a subscription: subscribe on its behalf, through
  // aedes's own delivery function so that a matching user subscription is not delivered twice.
  const deliver = (session.client as unknown as AedesClientInternals).deliverQoS;
  session.p2p = { filter: p2pTopic('+', session.clientId), deliver };
  core.aedes.subscribe(session.p2p.filter, deliver, () => {});
  for (const held of session.tokens.values()) scheduleToken(core, session, held);
  const { expireAt } = session.identity;
  // HTTP authentication's expireAt: the session ends then (no notice: the mode has none).
  if (expireAt !== undefined) session.expiry = _runAt(expireAt, () => void kick(core, session, undefined), core.clock);
  core.emit('clientConnected', sessionInfo(session));
}

function onClose(core: BrokerCore, session: Session): void {
  if (!core.sessions.delete(session.client)) return;
  cancelTimers(session);
  if (session.p2p) core.aedes.unsubscribe(session.p2p.filter, session.p2p.deliver, () => {});
  if (session.ready) core.emit('clientDisconnected', { clientId: session.clientId, mode: session.identity.mode });
}
