/**
 * Topic rules with an effect: what custom-authentication permissions (`ALLOW`/`DENY`, `PUB`/`SUB`/
 * `PUB_SUB`, a topic filter) and HTTP-authentication ACL rules (`allow`/`deny`, `publish`/`subscribe`,
 * a topic filter) both are. Pure functions, no I/O.
 *
 * The evaluation, where Alibaba's pages are silent (inferred, recorded in ARCHITECTURE.md):
 * - nothing is allowed unless a rule allows it ("topics need a permission", Custom authentication);
 * - a matching `deny` wins over any `allow`, whatever their order;
 * - a rule on a parent topic also covers its P2P topics `<parent>/p2p/<clientId>`, as token resources do;
 * - a subscription needs an `allow` rule whose filter covers the whole subscription filter, and no
 *   `deny` rule covering it; messages on topics a narrower `deny` rule matches are not delivered.
 * @module
 */
import { filterCovers, parseP2pTopic, topicMatches, type Action, type Denial } from './acl.js';

/** One rule: `allow` or `deny` the actions (`W` publish, `R` subscribe and receive) on a topic filter. */
export interface AccessRule {
  readonly effect: 'allow' | 'deny';
  readonly actions: ReadonlySet<Action>;
  /** An MQTT topic filter (`+` and `#` allowed). */
  readonly topic: string;
}

function matchesTopic(filter: string, topic: string): boolean {
  if (topicMatches(filter, topic)) return true;
  const p2p = parseP2pTopic(topic);
  return p2p !== undefined && topicMatches(filter, p2p.parent);
}

function coversFilter(rule: string, filter: string): boolean {
  if (filterCovers(rule, filter)) return true;
  const p2p = parseP2pTopic(filter);
  return p2p !== undefined && topicMatches(rule, p2p.parent);
}

/**
 * May a client under `rules` publish (`W`) to, or receive (`R`) a message on, the concrete `topic`?
 * `undefined` when allowed; `'denied'` when a deny rule matches; else why no rule allows it.
 */
export function checkRules(rules: readonly AccessRule[], action: Action, topic: string): Denial | undefined {
  let allowed = false;
  let inResources = false;
  for (const rule of rules) {
    if (!matchesTopic(rule.topic, topic)) continue;
    if (!rule.actions.has(action)) {
      if (rule.effect === 'allow') inResources = true;
      continue;
    }
    if (rule.effect === 'deny') return 'denied';
    allowed = true;
  }
  return allowed ? undefined : inResources ? 'action' : 'resource';
}

/**
 * May a client under `rules` subscribe to the topic filter `filter`? `undefined` when allowed.
 */
export function checkRulesSubscription(rules: readonly AccessRule[], filter: string): Denial | undefined {
  let allowed = false;
  let inResources = false;
  for (const rule of rules) {
    if (!coversFilter(rule.topic, filter)) continue;
    if (!rule.actions.has('R')) {
      if (rule.effect === 'allow') inResources = true;
      continue;
    }
    if (rule.effect === 'deny') return 'denied';
    allowed = true;
  }
  return allowed ? undefined : inResources ? 'action' : 'resource';
}
