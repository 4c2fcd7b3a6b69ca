/**
 * The token lifecycle of Token-mode sessions: tokens uploaded in band (`$SYS/uploadToken`), the
 * expiry notice ahead of expiry and the disconnect at expiry, and revocation. Formats (topics,
 * payloads, codes) are `src/protocol/sys-topics.ts`'s.
 * @module
 */
import type { PublishPacket } from 'aedes';
import { _formatExpireNotice, _parseUploadToken, SYS_TOPICS, TOKEN_INVALID_CODES } from '../protocol/sys-topics.js';
import { permissionsPolicy } from './access.js';
import { checkSubscription } from './acl.js';
import type { HeldToken } from './auth/auth-types.js';
import { _runAt } from './broker-clock.js';
import type { BrokerCore } from './core.js';
import { _unauthorized, cancelTimers, kick, sendNotice, type AedesClientInternals, type Session } from './client-session.js';

/**
 * A PUBLISH to `$SYS/uploadToken`: checks the token and installs it (the PUBACK follows), or sends
 * `tokenInvalidNotice` and disconnects. Resolves with the error for aedes, or `null` to acknowledge.
 */
export async function uploadToken(core: BrokerCore, session: Session, packet: PublishPacket): Promise<Error | null> {
  const { token, type } = _parseUploadToken(packet.payload as Buffer);
  if (!token || !type) {
    await kick(core, session, { code: TOKEN_INVALID_CODES.FORGED, type: type ?? 'RW' });
    return _unauthorized();
  }
  const check = core.auth.checkToken(token, type, session.identity.id);
  if (!check.ok) {
    await kick(core, session, { code: check.code, type });
    return _unauthorized();
  }
  const tokens = new Map(session.tokens).set(type, check.held);
  const permissions = [...tokens.values()].map((t) => t.permissions);
  // The new token must still cover what the client already holds: a rotation, not a narrowing.
  for (const filter of Object.keys((session.client as unknown as AedesClientInternals).subscriptions)) {
    if (checkSubscription(permissions, filter) !== undefined) {
      await kick(core, session, { code: TOKEN_INVALID_CODES.RESOURCE_MISMATCH, type });
      return _unauthorized();
    }
  }
  session.tokens = tokens;
  session.access = permissionsPolicy(permissions);
  cancelTimers(session, type);
  scheduleToken(core, session, check.held);
  core.emit('tokenInstalled', { clientId: session.clientId, type, expireTime: check.held.info.expireTime });
  return null;
}

/** Expire notice ahead of expiry (at once if already inside the lead time), disconnect at expiry. */
export function scheduleToken(core: BrokerCore, session: Session, held: HeldToken): void {
  const { expireTime } = held.info;
  const noticeAt = expireTime - core.expireNoticeLeadMs;
  session.timers.set(held.type, [
    _runAt(noticeAt, () => void sendNotice(core, session, SYS_TOPICS.TOKEN_EXPIRE_NOTICE, _formatExpireNotice(expireTime, held.type)), core.clock),
    _runAt(expireTime, () => void kick(core, session, { code: TOKEN_INVALID_CODES.EXPIRED, type: held.type }), core.clock),
  ]);
}

/** RevokeToken: every session holding the token gets `tokenInvalidNotice` code 3 and is disconnected. */
export function onTokenRevoked(core: BrokerCore, token: string): void {
  for (const session of core.sessions.values()) {
    for (const held of session.tokens.values()) {
      if (held.token === token) void kick(core, session, { code: TOKEN_INVALID_CODES.REVOKED, type: held.type });
    }
  }
}
