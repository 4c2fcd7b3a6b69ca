/**
 * The mqtt.js release the managed connection's suites run against (Node only). By default the
 * installed `mqtt` (the latest of the peer range); `MQTT_UNDER_TEST=<package folder>` picks another:
 * the `mqtt-release` project of vitest.config.ts sets it to `node_modules/mqtt-lowest` (an npm alias
 * of the lowest release) in `npm test`, and scripts/mqtt-matrix.mjs to each minor release it installs.
 * Suites pass it to the SDK through the `mqtt` option; test/helpers/mqtt-under-test.ts also makes it
 * the one `import 'mqtt'` and the SDK's own lookup find, for the suites that do not.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { MqttModule } from '../../src/index.js';

/** One mqtt.js release. */
export interface MqttRelease {
  /** `mqtt 5.16.0`: what a suite's title shows. */
  name: string;
  version: string;
  mqtt: MqttModule & { connectAsync(url: string, options: object): Promise<MqttClient> };
}

/** The release in the package folder `folder`, or the installed `mqtt`. */
export function mqttRelease(folder = process.env.MQTT_UNDER_TEST): MqttRelease {
  const load = createRequire(folder ? join(folder, 'package.json') : import.meta.url);
  const id = folder ? './' : 'mqtt';
  const { version } = load(folder ? './package.json' : 'mqtt/package.json') as { version: string };
  return { name: `mqtt ${version}`, version, mqtt: load(id) as MqttRelease['mqtt'] };
}

/** The releases under test (one per run of a project; see the module's comment). */
export function mqttReleases(): MqttRelease[] {
  return [mqttRelease()];
}
