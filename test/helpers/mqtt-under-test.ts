/**
 * Setup file of the `mqtt-release` vitest project: the release named by `MQTT_UNDER_TEST` becomes
 * the `mqtt` global, which the SDK's lookup finds first when a suite passes no `mqtt` option
 * (src/connect/mqtt-module.ts); vitest.config.ts aliases `import 'mqtt'` to the same folder.
 */
import { mqttRelease } from './mqtt-releases.js';

(globalThis as { mqtt?: unknown }).mqtt = mqttRelease().mqtt;
