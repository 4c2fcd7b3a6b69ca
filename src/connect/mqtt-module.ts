/**
 * Finding mqtt.js, a peer: passed in, already loaded, the `mqtt` global of its browser
 * bundle, or loaded on first use. Only the code that opens connections calls this.
 * @module
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { _importMqtt } from './mqtt-import.js';

/** The part of mqtt.js the SDK uses; pass `import * as mqtt from 'mqtt'` (or its default export). */
export interface MqttModule {
  /** mqtt.js's `connect`. */
  connect(url: string, options: IClientOptions): MqttClient;
}

let loaded: MqttModule | undefined;

function usable(candidate: unknown): MqttModule | undefined {
  const c = candidate as (MqttModule & { default?: MqttModule }) | undefined;
  return typeof c?.connect === 'function' ? c : typeof c?.default?.connect === 'function' ? c.default : undefined;
}

/** What is there without waiting: passed in, loaded before, or the global of mqtt.js's browser bundle. */
function found(injected: unknown): MqttModule | undefined {
  if (injected === undefined) return loaded ?? usable((globalThis as { mqtt?: unknown }).mqtt);
  const mqtt = usable(injected);
  // One passed in that is not mqtt.js is a mistake to report, not a reason to use another.
  if (!mqtt) throw _invalid('mqtt', 'must be mqtt.js (an object with a connect function)');
  return mqtt;
}

function missing(cause?: unknown, hint = ''): ApsaraMqttAuthError {
  return new ApsaraMqttAuthError(
    'ERR_MQTT_UNAVAILABLE',
    `mqtt.js is missing: npm install mqtt, pass it as the mqtt option, or load mqtt.min.js first${hint}`,
    { cause },
  );
}

/** Remembered for later calls without one, but an mqtt passed in always wins over it. */
const remember = (mqtt: MqttModule): MqttModule => ((loaded ??= mqtt), mqtt);

/** @internal mqtt.js now, without waiting: for the synchronous `connect`. */
export function _mqttSync(injected?: unknown): MqttModule {
  let mqtt = found(injected);
  // Node ≥ 20.16 exposes built-ins without a static import, which would break browser bundles.
  // `import.meta.url` is undefined in the UMD build, which drops this Node-only path.
  if (!mqtt && import.meta.url) {
    type NodeModule = { createRequire(url: string): (id: string) => unknown };
    const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => NodeModule | undefined } }).process;
    try {
      mqtt = usable(process?.getBuiltinModule?.('module')?.createRequire(import.meta.url)('mqtt'));
    } catch {
      // not installed: reported below
    }
  }
  if (!mqtt) throw missing(undefined, '; or use connectAsync');
  return remember(mqtt);
}

/**
 * @internal mqtt.js, loading it if needed: a promise only then (an await costs a turn of the
 * microtask queue, and connectAsync is measured against mqtt.js's own).
 */
export function _mqttAsync(injected?: unknown): MqttModule | Promise<MqttModule> {
  const mqtt = found(injected);
  return mqtt ? remember(mqtt) : load();
}

async function load(): Promise<MqttModule> {
  let mqtt: MqttModule | undefined;
  // The script builds have no module loader to ask: there the global is the only way.
  if (_importMqtt) {
    try {
      mqtt = usable(await _importMqtt());
    } catch (cause) {
      throw missing(cause);
    }
  }
  if (!mqtt) throw missing();
  return remember(mqtt);
}
