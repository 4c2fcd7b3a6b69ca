/**
 * The broker config's custom-authentication, Group ID and HTTP-authentication settings: read from JSON
 * (unknown keys refused by name, header secrets from the environment and out of every dump), and
 * checked by startBroker's stores with the setting named on error.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseBrokerConfig } from '../../src/broker/broker-entry.js';
import { customAuthFromConfig } from '../../src/broker/auth/custom-mode.js';
import { checkRules } from '../../src/broker/rules.js';

describe('config files', () => {
  it('reads customPermissions, connectBlacklist, groupIds and httpAuth, the header secret from the environment', () => {
    const config = parseBrokerConfig(
      {
        instanceId: 'mqtt-x',
        customIdentities: [{ username: 'u', secret: 's', signMode: 'SIGNED', identityType: 'CLIENT', clientId: 'GID_abc@@@1' }],
        customPermissions: [{ identityType: 'USER', identity: 'u', topic: 'a/#', permitAction: 'PUB', effect: 'ALLOW' }],
        connectBlacklist: ['GID_abc@@@2'],
        groupIds: ['GID_abc'],
        httpAuth: { url: 'http://127.0.0.1:1/auth', timeoutMs: 2000, headers: { 'x-shared-secret': { env: 'AUTH_HEADER' } } },
      },
      { env: { AUTH_HEADER: 'header-DoNotLeak' } },
    );
    expect(config.httpAuth!.headers!['x-shared-secret']).toBe('header-DoNotLeak');
    expect(config).toMatchObject({ groupIds: ['GID_abc'], connectBlacklist: ['GID_abc@@@2'], httpAuth: { url: 'http://127.0.0.1:1/auth', timeoutMs: 2000 } });
    expect(inspect(config, { depth: 10, showHidden: true }) + JSON.stringify(config)).not.toContain('DoNotLeak');
    expect(() => parseBrokerConfig({ instanceId: 'x', httpAuth: { url: 'http://a', timeout: 1 } })).toThrow(expect.objectContaining({ field: 'httpAuth.timeout' }));
    expect(() => parseBrokerConfig({ instanceId: 'x', customPermissions: [{ identity: 'u', verb: 'PUB' }] })).toThrow(expect.objectContaining({ field: 'customPermissions[0].verb' }));
  });
});

describe('the custom-auth store of a config', () => {
  it("turns an identity's permissions into ALLOW permissions of its username or client id", () => {
    const store = customAuthFromConfig({
      customIdentities: [
        { username: 'user', secret: 's', signMode: 'ORIGIN', permissions: { resources: 'a/#,b', actions: 'R,W' } },
        { username: 'pinned', secret: 's', signMode: 'ORIGIN', identityType: 'CLIENT', clientId: 'GID_abc@@@1', permissions: { resources: 'c', actions: 'W' } },
      ],
      customPermissions: [{ identityType: 'USER', identity: 'user', topic: 'a/secret', permitAction: 'PUB_SUB', effect: 'DENY' }],
    });
    expect(store.permissions()).toEqual([
      { IdentityType: 'USER', Identity: 'user', Topic: 'a/#', PermitAction: 'PUB_SUB', Effect: 'ALLOW' },
      { IdentityType: 'USER', Identity: 'user', Topic: 'b', PermitAction: 'PUB_SUB', Effect: 'ALLOW' },
      { IdentityType: 'CLIENT', Identity: 'GID_abc@@@1', Topic: 'c', PermitAction: 'PUB', Effect: 'ALLOW' },
      { IdentityType: 'USER', Identity: 'user', Topic: 'a/secret', PermitAction: 'PUB_SUB', Effect: 'DENY' },
    ]);
    expect(checkRules(store.rulesFor('user', 'GID_abc@@@9'), 'W', 'a/secret')).toBe('denied');
    expect(checkRules(store.rulesFor('pinned', 'GID_abc@@@1'), 'W', 'c')).toBeUndefined();
  });

  it('names the setting at fault', () => {
    const bad = (config: Parameters<typeof customAuthFromConfig>[0]) => () => customAuthFromConfig(config);
    expect(bad({ customIdentities: [{ username: 'u', secret: 's', signMode: 'X' as never }] })).toThrow(expect.objectContaining({ field: 'customIdentities[0].signMode' }));
    expect(bad({ customIdentities: [{ username: 'u', secret: 's', signMode: 'ORIGIN', identityType: 'CLIENT' }] })).toThrow(
      expect.objectContaining({ field: 'customIdentities[0].clientId' }),
    );
    expect(bad({ customIdentities: [{ username: 'u', secret: 's', signMode: 'ORIGIN', permissions: { resources: 'a/#/b', actions: 'R' } }] })).toThrow(
      expect.objectContaining({ field: 'customIdentities[0].permissions.resources[0]' }),
    );
    expect(bad({ customPermissions: [{ identityType: 'USER', identity: 'u', topic: 't', permitAction: 'READ' as never, effect: 'ALLOW' }] })).toThrow(
      expect.objectContaining({ field: 'customPermissions[0].permitAction' }),
    );
    expect(bad({ connectBlacklist: ['nope'] })).toThrow(expect.objectContaining({ field: 'connectBlacklist[0].clientId' }));
  });
});
