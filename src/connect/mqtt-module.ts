/**
 * Finding mqtt.js, an optional peer: passed in, already loaded, the `mqtt` global of its browser
 * bundle, or loaded on first use. Only the code that opens connections calls this.
 * @module
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import { ApsaraMqttAuthError } from '../errors.js';

/** The part of mqtt.js the SDK uses; pass `import * as mqtt from 'mqtt'` (or its default export). */
export interface MqttModule {
  connect(url: string, options: IClientOptions): MqttClient;
}

let loaded: MqttModule | undefined;

function usable(candidate: unknown): MqttModule | undefined {
  const c = candidate as { connect?: unknown; default?: { connect?: unknown } } | undefined;
  if (c && typeof c.connect === 'function') return c as MqttModule;
  if (c?.default && typeof c.default.connect === 'function') return c.default as MqttModule;
  return undefined;
}

const MISSING =
  'mqtt.js is not available: install it (npm install mqtt), pass it as the mqtt option, or on a plain page load its browser bundle (mqtt.min.js) before this script';

function nodeRequire(): MqttModule | undefined {
  // Node ≥ 20.16 exposes built-ins without a static import, which would break browser bundles.
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  const nodeModule = getBuiltin?.('module') as { createRequire(url: string): (id: string) => unknown } | undefined;
  if (!nodeModule) return undefined;
  try {
    return usable(nodeModule.createRequire(import.meta.url)('mqtt'));
  } catch {
    return undefined;
  }
}

/** @internal mqtt.js now, without waiting: for the synchronous `connect`. */
export function _mqttSync(injected?: unknown): MqttModule {
  const found = usable(injected) ?? loaded ?? usable((globalThis as { mqtt?: unknown }).mqtt) ?? nodeRequire();
  if (!found) throw new ApsaraMqttAuthError('ERR_MQTT_UNAVAILABLE', `${MISSING}; or use connectAsync`);
  return (loaded ??= found);
}

/** @internal mqtt.js, loading it if needed. */
export async function _mqttAsync(injected?: unknown): Promise<MqttModule> {
  let found = usable(injected) ?? loaded ?? usable((globalThis as { mqtt?: unknown }).mqtt);
  if (!found) {
    try {
      found = usable(await import('mqtt'));
    } catch (cause) {
      throw new ApsaraMqttAuthError('ERR_MQTT_UNAVAILABLE', MISSING, { cause });
    }
    if (!found) throw new ApsaraMqttAuthError('ERR_MQTT_UNAVAILABLE', MISSING);
  }
  return (loaded ??= found);
}
