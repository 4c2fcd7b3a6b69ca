/**
 * The broker config's one check (`_checkBrokerConfig` in `src/broker/config.ts`): what `startBroker`
 * starts from, whether the config was written in code or read from a JSON file, each bad setting
 * refused by name before anything listens.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBrokerConfig, parseBrokerConfig, startBroker } from '../../src/broker/broker-entry.js';
import { _BROKER_SETTINGS, _checkBrokerConfig, type BrokerConfig } from '../../src/broker/config.js';
import { DEFAULT_LIMITS } from '../../src/broker/broker-limits.js';
import { manualClock } from '../helpers/manual-clock.js';

const fails = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error as { code?: string; field?: string };
  }
  throw new Error('expected a failure');
};

describe('_checkBrokerConfig', () => {
  it('fills the defaults: loopback, ephemeral ports, /mqtt, the documented limits, a 5-minute notice lead', () => {
    const checked = _checkBrokerConfig({ instanceId: 'mqtt-x' });
    expect(checked.listen).toEqual({ host: '127.0.0.1', tcpPort: 0, tlsPort: 0, wsPort: 0, wssPort: 0, wsPath: '/mqtt', httpPort: 0 });
    expect(checked.limits).toEqual(DEFAULT_LIMITS);
    expect(checked.expireNoticeLeadMs).toBe(5 * 60_000);
    expect([checked.allowedHosts, checked.allowedOrigins]).toEqual([[], []]);
  });

  it('keeps the given clock, checked when read', () => {
    let time: unknown = 1000;
    const clock = { ...manualClock(), now: () => time as number };
    const checked = _checkBrokerConfig({ instanceId: 'mqtt-x', clock });
    expect(checked.clock.now()).toBe(1000);
    time = 'soon';
    expect(fails(() => checked.clock.now())).toMatchObject({ field: 'clock' });
  });

  it('refuses each bad setting, naming it', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ instanceId: '' }, 'instanceId'],
      [{ controlSecret: 'short' }, 'controlSecret'],
      [{ allowedHosts: ['a b'] }, 'allowedHosts[0]'],
      [{ allowedOrigins: ['null'] }, 'allowedOrigins[0]'],
      [{ host: '' }, 'host'],
      [{ wsPath: 'mqtt' }, 'wsPath'],
      [{ expireNoticeLeadMs: -1 }, 'expireNoticeLeadMs'],
      [{ routes: [5] }, 'routes[0]'],
      [{ openApi: 'yes' }, 'openApi'],
      [{ tls: { stateDir: '' } }, 'tls.stateDir'],
      [{ tls: { hosts: ['a b'] } }, 'tls.hosts[0]'],
      [{ clock: { now: () => 0 } }, 'clock'],
      [{ tcpPort: false }, 'tcpPort'],
      [{ httpPort: 70_000 }, 'httpPort'],
    ];
    for (const [setting, field] of cases) {
      expect(fails(() => _checkBrokerConfig({ instanceId: 'mqtt-x', ...setting } as BrokerConfig))).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field });
    }
    expect(fails(() => _checkBrokerConfig(null as never))).toMatchObject({ field: 'config' });
  });
});

describe('one list of settings, one check for a file and for code', () => {
  it('a config file may set every setting of the list, and nothing else', () => {
    for (const key of _BROKER_SETTINGS) {
      // Whatever the value's fate, the key itself is a setting of the file.
      const message = (() => {
        try {
          parseBrokerConfig({ instanceId: 'mqtt-x', [key]: 1 });
          return '';
        } catch (error) {
          return (error as Error).message;
        }
      })();
      expect(message, key).not.toContain('is not a broker setting');
    }
    expect(fails(() => parseBrokerConfig({ instanceId: 'mqtt-x', clock: 5 }))).toMatchObject({ field: 'clock', message: expect.stringContaining('is not a broker setting') });
  });

  it("a file's bad value is refused by startBroker's check, naming the setting as for a config in code", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'broker-config-'));
    try {
      const file = join(dir, 'broker.json');
      await writeFile(file, JSON.stringify({ instanceId: 'mqtt-x', wsPath: 'mqtt', tls: { stateDir: false } }));
      const config = await loadBrokerConfig(file);
      await expect(startBroker(config)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'wsPath' });
      await writeFile(file, JSON.stringify({ instanceId: 'mqtt-x', tls: { stateDir: 5 } }));
      await expect(startBroker(await loadBrokerConfig(file))).rejects.toMatchObject({ field: 'tls.stateDir' });
      await expect(startBroker({ instanceId: 'mqtt-x', tls: { stateDir: 5 as never } })).rejects.toMatchObject({ field: 'tls.stateDir' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
