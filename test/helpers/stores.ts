/**
 * Small in-memory token and device stores with the shapes the OpenAPI service needs, for the
 * portable tests (they run in Chromium too, where the broker's Node-only stores cannot).
 */
import type { OpenApiDeviceRecord, OpenApiDeviceStore, OpenApiTokenStore } from '../../src/broker/openapi-service.js';
import { systemClock, type Clock } from '../../src/clock.js';

const random = (bytes: number) => {
  let out = '';
  for (const b of crypto.getRandomValues(new Uint8Array(bytes))) out += b.toString(16).padStart(2, '0');
  return out;
};

export interface MemoryTokenStore extends OpenApiTokenStore {
  readonly issued: ReadonlyMap<string, { resources: readonly string[]; actions: string; expireTime: number; accessKeyId: string; revoked: boolean }>;
}

export function memoryTokenStore(clock: Pick<Clock, 'now'> = systemClock): MemoryTokenStore {
  const issued = new Map<string, { resources: readonly string[]; actions: string; expireTime: number; accessKeyId: string; revoked: boolean }>();
  return {
    issued,
    apply(grant) {
      const token = random(24);
      issued.set(token, { ...grant, revoked: false });
      return token;
    },
    query(token) {
      const entry = issued.get(token);
      return !!entry && !entry.revoked && entry.expireTime > clock.now();
    },
    revoke(token) {
      const entry = issued.get(token);
      if (entry) entry.revoked = true;
    },
  };
}

export function memoryDeviceStore(instanceId: string, clock: Pick<Clock, 'now'> = systemClock): OpenApiDeviceStore {
  const records = new Map<string, OpenApiDeviceRecord>();
  const make = (clientId: string, keyId: string, createTime: number): OpenApiDeviceRecord => {
    const t = clock.now();
    return { ClientId: clientId, InstanceId: instanceId, DeviceAccessKeyId: keyId, DeviceAccessKeySecret: random(16), CreateTime: createTime, UpdateTime: t };
  };
  return {
    register(clientId) {
      const found = records.get(clientId) ?? make(clientId, 'DK' + random(8), clock.now());
      records.set(clientId, found);
      return found;
    },
    get: (clientId) => records.get(clientId),
    refresh(clientId) {
      const old = records.get(clientId)!;
      const next = make(clientId, old.DeviceAccessKeyId, old.CreateTime);
      records.set(clientId, next);
      return next;
    },
    unregister: (clientId) => records.delete(clientId),
  };
}
