/**
 * The broker's custom-authentication and Group ID stores, and the rule evaluation both custom
 * permissions and HTTP-authentication ACLs use: lookups, precedence, limits, and no secret in any dump.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CustomAuthCapacityError, CustomAuthStore, GroupStore, checkRules, checkRulesSubscription, type AccessRule } from '../../src/broker/broker-entry.js';
import { manualClock } from '../helpers/manual-clock.js';

const rule = (effect: 'allow' | 'deny', actions: ('R' | 'W')[], topic: string): AccessRule => ({ effect, actions: new Set(actions), topic });

describe('rules', () => {
  const rules = [rule('allow', ['W', 'R'], 'fleet/#'), rule('deny', ['W'], 'fleet/config'), rule('allow', ['R'], 'news')];

  it('nothing is allowed without a rule; deny wins over allow whatever the order', () => {
    expect(checkRules([], 'W', 'a')).toBe('resource');
    expect(checkRules(rules, 'W', 'fleet/a/b')).toBeUndefined();
    expect(checkRules(rules, 'W', 'fleet/config')).toBe('denied');
    expect(checkRules([...rules].reverse(), 'W', 'fleet/config')).toBe('denied');
    expect(checkRules(rules, 'R', 'fleet/config')).toBeUndefined();
    expect(checkRules(rules, 'W', 'news')).toBe('action');
    expect(checkRules(rules, 'W', 'other')).toBe('resource');
  });

  it('a rule on a parent topic covers its P2P topics', () => {
    expect(checkRules([rule('allow', ['W'], 'chat')], 'W', 'chat/p2p/GID_abc@@@b')).toBeUndefined();
  });

  it('a subscription needs an allow rule covering the whole filter and no deny rule covering it', () => {
    expect(checkRulesSubscription(rules, 'fleet/+/status')).toBeUndefined();
    expect(checkRulesSubscription(rules, '#')).toBe('resource');
    expect(checkRulesSubscription([rule('allow', ['R'], 'a/#'), rule('deny', ['R'], 'a/secret/#')], 'a/secret/x')).toBe('denied');
    // A narrower deny leaves the subscription allowed; its messages are filtered on delivery.
    expect(checkRulesSubscription([rule('allow', ['R'], 'a/#'), rule('deny', ['R'], 'a/secret')], 'a/#')).toBeUndefined();
    expect(checkRules([rule('allow', ['R'], 'a/#'), rule('deny', ['R'], 'a/secret')], 'R', 'a/secret')).toBe('denied');
  });
});

describe('CustomAuthStore', () => {
  it('a CLIENT identity is preferred to the USER identity of the same username', () => {
    const store = new CustomAuthStore();
    store.addIdentity({ username: 'u', secret: 'user-secret', signMode: 'ORIGIN' });
    store.addIdentity({ username: 'u', secret: 'client-secret', signMode: 'SIGNED', identityType: 'CLIENT', clientId: 'GID_abc@@@1' });
    expect(store._find('u', 'GID_abc@@@1')).toMatchObject({ identityType: 'CLIENT', secret: 'client-secret' });
    expect(store._find('u', 'GID_abc@@@2')).toMatchObject({ identityType: 'USER', secret: 'user-secret' });
    expect(store._find('v', 'GID_abc@@@1')).toBeUndefined();
    expect(store.hasUsername('u')).toBe(true);
  });

  it("a client's rules are its username's and its client id's, read at each check", () => {
    const store = new CustomAuthStore();
    store.addPermission({ identityType: 'USER', identity: 'u', topic: 'a/#', permitAction: 'PUB_SUB', effect: 'ALLOW' });
    store.addPermission({ identityType: 'CLIENT', identity: 'GID_abc@@@1', topic: 'a/private', permitAction: 'PUB', effect: 'DENY' });
    expect(checkRules(store.rulesFor('u', 'GID_abc@@@1'), 'W', 'a/private')).toBe('denied');
    expect(checkRules(store.rulesFor('u', 'GID_abc@@@2'), 'W', 'a/private')).toBeUndefined();
    store.deletePermission({ identityType: 'CLIENT', identity: 'GID_abc@@@1', topic: 'a/private' });
    expect(checkRules(store.rulesFor('u', 'GID_abc@@@1'), 'W', 'a/private')).toBeUndefined();
    store.updatePermission({ identityType: 'USER', identity: 'u', topic: 'a/#', permitAction: 'SUB', effect: 'ALLOW' });
    expect(checkRules(store.rulesFor('u', 'GID_abc@@@1'), 'W', 'a/x')).toBe('action');
  });

  it('checks each field by name, and refuses repeats and missing entries', () => {
    const store = new CustomAuthStore();
    const ok = { username: 'u', secret: 's', signMode: 'SIGNED' as const };
    expect(() => store.addIdentity({ ...ok, username: 'x'.repeat(65) })).toThrow(expect.objectContaining({ field: 'username' }));
    expect(() => store.addIdentity({ ...ok, identityType: 'CLIENT' })).toThrow(expect.objectContaining({ field: 'clientId' }));
    expect(() => store.addIdentity({ ...ok, clientId: 'GID_abc@@@1' })).toThrow(expect.objectContaining({ field: 'clientId' }));
    expect(() => store.addIdentity({ ...ok, signMode: 'X' as never })).toThrow(expect.objectContaining({ field: 'signMode' }));
    expect(() => store.addIdentity({ ...ok, secret: '' })).toThrow(expect.objectContaining({ field: 'secret' }));
    store.addIdentity(ok);
    expect(() => store.addIdentity(ok)).toThrow(expect.objectContaining({ field: 'username' }));
    expect(() => store.updateIdentity({ ...ok, username: 'nobody' })).toThrow(expect.objectContaining({ field: 'username' }));
    expect(store.deleteIdentity({ username: 'nobody', identityType: 'USER' })).toBe(false);
    const p = { identityType: 'USER' as const, identity: 'u', topic: 't', permitAction: 'PUB' as const, effect: 'ALLOW' as const };
    expect(() => store.addPermission({ ...p, topic: '#' })).toThrow(expect.objectContaining({ field: 'topic' }));
    expect(() => store.addPermission({ ...p, identityType: 'CLIENT' })).toThrow(expect.objectContaining({ field: 'identity' }));
    store.addPermission(p);
    expect(() => store.addPermission(p)).toThrow(expect.objectContaining({ field: 'topic' }));
  });

  it('identities and permissions+blacklist are each limited to the capacity', () => {
    const store = new CustomAuthStore({ capacity: 2 });
    store.addIdentity({ username: 'a', secret: 's', signMode: 'ORIGIN' });
    store.addIdentity({ username: 'b', secret: 's', signMode: 'ORIGIN' });
    expect(() => store.addIdentity({ username: 'c', secret: 's', signMode: 'ORIGIN' })).toThrow(CustomAuthCapacityError);
    store.addPermission({ identityType: 'USER', identity: 'a', topic: 't', permitAction: 'PUB', effect: 'ALLOW' });
    store.block('GID_abc@@@1');
    expect(() => store.block('GID_abc@@@2')).toThrow(CustomAuthCapacityError);
    expect(store.isBlocked('GID_abc@@@1')).toBe(true);
  });

  it('secrets stay out of every dump', () => {
    const store = new CustomAuthStore();
    const record = store.addIdentity({ username: 'u', secret: 'Top-Secret-77', signMode: 'ORIGIN' });
    expect(record.Secret).toBe('Top-Secret-77');
    for (const text of [JSON.stringify(record), inspect(record, { showHidden: true }), inspect(store, { showHidden: true }), JSON.stringify(store.identities())]) {
      expect(text).not.toContain('Top-Secret-77');
    }
  });
});

describe('GroupStore', () => {
  it('checks Group IDs as CreateGroupId documents them and lists them oldest first', () => {
    const clock = manualClock(1000);
    const groups = new GroupStore({ instanceId: 'mqtt-x', clock });
    expect(groups.enforced).toBe(false);
    expect(groups.admits('GID_anything')).toBe(true);
    expect(groups.create('GID_one')).toBe(true);
    expect(groups.create('GID_one')).toBe(false);
    expect(() => groups.create('GID_x')).toThrow(expect.objectContaining({ field: 'groupId' }));
    expect(() => groups.create('group_one')).toThrow(expect.objectContaining({ field: 'groupId' }));
    clock.advance(1);
    groups.create('GID-two');
    expect(groups.list()).toEqual([
      { GroupId: 'GID_one', InstanceId: 'mqtt-x', CreateTime: 1000, UpdateTime: 1000, IndependentNaming: true },
      { GroupId: 'GID-two', InstanceId: 'mqtt-x', CreateTime: 1001, UpdateTime: 1001, IndependentNaming: true },
    ]);
  });

  it('given groupIds, only their clients are admitted', () => {
    const groups = new GroupStore({ instanceId: 'mqtt-x', groupIds: ['GID_one'] });
    expect(groups.enforced).toBe(true);
    expect(groups.admits('GID_one')).toBe(true);
    expect(groups.admits('GID_two')).toBe(false);
    groups.delete('GID_one');
    expect(groups.admits('GID_one')).toBe(false);
    expect(() => new GroupStore({ instanceId: 'x', groupIds: ['bad'] })).toThrow(expect.objectContaining({ field: 'groupIds[0]' }));
  });
});
