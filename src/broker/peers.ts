/**
 * The optional peer dependencies of the broker (aedes, ws, mqtt-packet), loaded on first use so
 * that importing this subpath never fails, and a missing one is reported by name.
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';

/** The modules the broker runs on. */
export interface BrokerPeers {
  aedes: typeof import('aedes');
  ws: typeof import('ws');
  mqttPacket: typeof import('mqtt-packet');
}

let loading: Promise<BrokerPeers> | undefined;

async function load<T>(name: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (cause) {
    throw new ApsaraMqttAuthError(
      'ERR_BROKER_UNAVAILABLE',
      `the local broker needs the package "${name}": install it with \`npm install -D aedes@^1.2 ws@^8 mqtt-packet@^9\``,
      { field: name, cause },
    );
  }
}

/** @internal Loads aedes, ws and mqtt-packet once. */
export function _loadPeers(): Promise<BrokerPeers> {
  loading ??= (async () => {
    const [aedes, ws, mqttPacket] = await Promise.all([
      load('aedes', () => import('aedes')),
      load('ws', () => import('ws')),
      load('mqtt-packet', async () => {
        const mod = (await import('mqtt-packet')) as typeof import('mqtt-packet') & { default?: typeof import('mqtt-packet') };
        return mod.default ?? mod;
      }),
    ]);
    return { aedes, ws, mqttPacket };
  })();
  loading.catch(() => (loading = undefined));
  return loading;
}
