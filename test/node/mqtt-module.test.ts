/** Which mqtt.js the SDK opens connections with: one passed in always wins over one found earlier. */
import * as mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { _mqttAsync, _mqttSync } from '../../src/connect/mqtt-module.js';

describe('finding mqtt.js', () => {
  it('loads the installed package when none is passed, and keeps it', async () => {
    const found = await _mqttAsync();
    expect(typeof found.connect).toBe('function');
    expect(_mqttSync()).toBe(found);
  });

  it('uses the module passed in, even after another was loaded', async () => {
    await _mqttAsync();
    const wrapper = { connect: mqtt.connect };
    expect(await _mqttAsync(wrapper)).toBe(wrapper);
    expect(_mqttSync(wrapper)).toBe(wrapper);
  });

  it('accepts a namespace whose default export is mqtt.js', async () => {
    const inner = { connect: mqtt.connect };
    expect(await _mqttAsync({ default: inner })).toBe(inner);
  });
});
