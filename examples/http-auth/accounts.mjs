/**
 * The example's own account data, as an application would keep it in its database: meters with a
 * per-meter secret, and one back-office service that signs with an AccessKey pair (Signature mode).
 * Demo values only; a real endpoint reads them from its own store and never ships them to clients.
 */
export const INSTANCE_ID = 'mqtt-local-http-auth';

/** Meters: username → secret. A meter's password is Base64(HMAC-SHA1(secret, clientId)). */
export const METERS = {
  'meter-1': 'demo-meter-1-secret-not-real',
  'meter-2': 'demo-meter-2-secret-not-real',
};

/** The back-office service's AccessKey pair (Signature mode: `Signature|<id>|<instance>`). */
export const BACK_OFFICE = { accessKeyId: 'LTAI-demo-back-office', accessKeySecret: 'demo-back-office-secret-not-real' };

/** How long an allowed meter session lasts before the broker disconnects it (the answer's expireAt). */
export const SESSION_MS = 60 * 60_000;
