/**
 * The broker's topic permissions: MQTT filter matching, filter coverage, P2P topics, resource rules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkSubscription,
  checkTopic,
  filterCovers,
  parseP2pTopic,
  topicMatches,
  type Permissions,
} from '../../src/broker/acl.js';
import { _formatActions as formatActions, _parseActions as parseActions } from '../../src/protocol/token-rules.js';
import { topicProblem } from '../../src/protocol/topics.js';

const resourceProblem = (resource: string) => topicProblem(resource, { filter: true });

const perms = (resources: string[], actions: string): Permissions => ({ resources, actions: parseActions(actions)! });

describe('topicMatches (MQTT 3.1.1 §4.7)', () => {
  it.each([
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/+', 'a', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/b/d', false],
    ['#', 'a/b', true],
    ['+/+', 'a/b', true],
    ['a/b', 'a/b/c', false],
    ['a/b/c', 'a/b', false],
    ['#', '$SYS/x', false],
    ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/x', true],
    ['a//b', 'a//b', true],
    ['a/+/b', 'a//b', true],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});

describe('filterCovers', () => {
  it.each([
    ['a/#', 'a/+/b', true],
    ['a/#', 'a/#', true],
    ['a/#', 'a', true],
    ['a/+', 'a/b', true],
    ['a/+', 'a/+', true],
    ['a/+', 'a/#', false],
    ['a/b', 'a/+', false],
    ['a/+/c', 'a/+/c', true],
    ['a/+/c', 'a/b/+', false],
    ['a/b', 'a/b', true],
    ['a/b', 'a/b/c', false],
    ['#', '$SYS/#', false],
  ])('%s covers %s: %s', (resource, filter, expected) => {
    expect(filterCovers(resource, filter)).toBe(expected);
  });

  // A resource covers a filter exactly when every topic the filter matches, the resource matches.
  const level = fc.constantFrom('a', 'b', 'c');
  const topicArb = fc.array(level, { minLength: 1, maxLength: 4 }).map((l) => l.join('/'));
  const filterArb = fc
    .array(fc.constantFrom('a', 'b', '+'), { minLength: 1, maxLength: 4 })
    .chain((levels) => fc.boolean().map((hash) => (hash ? [...levels, '#'] : levels).join('/')));
  it('never claims coverage when some topic matches the filter but not the resource', () => {
    fc.assert(
      fc.property(filterArb, filterArb, fc.array(topicArb, { maxLength: 30 }), (resource, filter, topics) => {
        if (!filterCovers(resource, filter)) return;
        for (const topic of topics) if (topicMatches(filter, topic)) expect(topicMatches(resource, topic)).toBe(true);
      }),
    );
  });
  it('agrees with matching on concrete filters (no wildcards)', () => {
    fc.assert(
      fc.property(filterArb, topicArb, (resource, topic) => {
        expect(filterCovers(resource, topic)).toBe(topicMatches(resource, topic));
      }),
    );
  });
});

describe('P2P topics', () => {
  it('parses <parent>/p2p/<clientId> and nothing else', () => {
    expect(parseP2pTopic('fleet/p2p/GID_a@@@b')).toEqual({ parent: 'fleet', target: 'GID_a@@@b' });
    expect(parseP2pTopic('fleet/p2p')).toBeUndefined();
    expect(parseP2pTopic('fleet/x/p2p/GID_a@@@b')).toBeUndefined();
    expect(parseP2pTopic('fleet/p2p/GID_a@@@b/more')).toBeUndefined();
  });
  it('allows publishing P2P with the parent topic alone, and receiving it', () => {
    expect(checkTopic([perms(['fleet'], 'W')], 'W', 'fleet/p2p/GID_a@@@b')).toBeUndefined();
    expect(checkTopic([perms(['fleet'], 'R')], 'R', 'fleet/p2p/GID_a@@@b')).toBeUndefined();
    expect(checkTopic([perms(['other'], 'W')], 'W', 'fleet/p2p/GID_a@@@b')).toBe('resource');
  });
});

describe('checkTopic / checkSubscription', () => {
  const rw = perms(['fleet/+/telemetry', 'fleet/cmd/#'], 'R,W');
  it('tells a topic outside the resources from a missing action', () => {
    expect(checkTopic([rw], 'W', 'fleet/t1/telemetry')).toBeUndefined();
    expect(checkTopic([rw], 'W', 'fleet/t1/secret')).toBe('resource');
    expect(checkTopic([perms(['fleet/#'], 'R')], 'W', 'fleet/a')).toBe('action');
    expect(checkSubscription([perms(['fleet/#'], 'W')], 'fleet/a')).toBe('action');
  });
  it('unites several permissions (an R token and a W token)', () => {
    const both = [perms(['in/#'], 'R'), perms(['out/#'], 'W')];
    expect(checkSubscription(both, 'in/+')).toBeUndefined();
    expect(checkTopic(both, 'W', 'out/x')).toBeUndefined();
    expect(checkTopic(both, 'W', 'in/x')).toBe('action');
    expect(checkSubscription(both, 'out/#')).toBe('action');
    expect(checkSubscription(both, 'elsewhere')).toBe('resource');
  });
  it('refuses subscriptions wider than the resources', () => {
    expect(checkSubscription([rw], 'fleet/+/telemetry')).toBeUndefined();
    expect(checkSubscription([rw], 'fleet/cmd/+/x')).toBeUndefined();
    expect(checkSubscription([rw], 'fleet/#')).toBe('resource');
    expect(checkSubscription([rw], '$SYS/#')).toBe('resource');
  });
});

describe('resources and actions as the OpenAPI writes them', () => {
  it.each([
    ['fleet', undefined],
    ['fleet/+/telemetry', undefined],
    ['fleet/#', undefined],
    ['', 'must be a non-empty topic'],
    ['#', 'must start with a parent topic, not a wildcard'],
    ['fleet/#/x', '"#" may only be the last level'],
    ['fleet/a+b', 'level "a+b" may contain only letters, digits, "-" and "_" ("+" and "#" as whole levels)'],
    ['fleet/a b', 'level "a b" may contain only letters, digits, "-" and "_" ("+" and "#" as whole levels)'],
    ['x'.repeat(65), 'must be at most 64 characters (it has 65)'],
  ])('resource %j → %s', (resource, problem) => {
    expect(resourceProblem(resource)).toBe(problem);
  });
  it('parses R, W and R,W only', () => {
    expect([...parseActions('R')!]).toEqual(['R']);
    expect(formatActions(parseActions('W,R')!)).toBe('R,W');
    expect(formatActions(parseActions(['R', 'W'])!)).toBe('R,W');
    for (const bad of ['', 'RW', 'R,R', 'X', 'R,W,R', 5]) expect(parseActions(bad)).toBeUndefined();
  });
});
