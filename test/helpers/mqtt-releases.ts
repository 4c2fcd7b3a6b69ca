/**
 * The mqtt.js releases the managed connection's suites run against (Node only): by default the
 * lowest and the latest of the peer range (`mqtt-lowest`, an npm alias, and `mqtt`), passed to the
 * SDK through its `mqtt` option. `MQTT_UNDER_TEST=<folder>` (set by scripts/mqtt-matrix.mjs) runs
 * them against the one release installed in `<folder>/node_modules/mqtt` instead.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { MqttModule } from '../../src/index.js';

/** One mqtt.js release. */
export interface MqttRelease {
  /** `mqtt 5.16.0`: what a suite's title shows. */
  name: string;
  version: string;
  mqtt: MqttModule & { connectAsync(url: string, options: object): Promise<import('mqtt').MqttClient> };
}

const require = createRequire(import.meta.url);

function release(id: string, from?: string): MqttRelease {
  const load = from ? createRequire(join(from, 'node_modules', 'noop.js')) : require;
  const { version } = load(`${id}/package.json`) as { version: string };
  return { name: `mqtt ${version}`, version, mqtt: load(id) as MqttRelease['mqtt'] };
}

/** The releases under test, lowest first. */
export function mqttReleases(): MqttRelease[] {
  const folder = process.env.MQTT_UNDER_TEST;
  if (folder) return [release('mqtt', folder)];
  return [release('mqtt-lowest'), release('mqtt')];
}
