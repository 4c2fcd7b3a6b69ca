/**
 * Topic rules with an effect: what custom-authentication permissions (`ALLOW`/`DENY`, `PUB`/`SUB`/
 * `PUB_SUB`, a topic filter) and HTTP-authentication ACL rules (`allow`/`deny`, `publish`/`subscribe`,
 * a topic filter) both are. Pure functions, no I/O.
 *
 * The evaluation, where Alibaba's pages are silent (inferred, recorded in ARCHITECTURE.md):
 * - nothing is allowed unless a rule allows it ("topics need a permission", Custom authentication);
 * - a matching `deny` wins over any `allow`, whatever their order;
 * - an `allow` rule under a parent topic also covers that parent's P2P topics `<parent>/p2p/<clientId>`, as
 *   token resources do (the broker's P2P rule); a `deny` rule denies only the topics its filter matches;
 * - a subscription needs an `allow` rule whose filter covers the whole subscription filter, and no
 *   `deny` rule covering it; messages on topics a narrower `deny` rule matches are not delivered.
 * @module
 */
import { _invalid } from '../errors.js';
import { parentTopic, parseP2pTopic } from '../protocol/topics.js';
import type { AccessPolicy } from './access.js';
import { filterCovers, topicMatches, type Action, type Denial } from './acl.js';

/** One rule: `allow` or `deny` the actions (`W` publish, `R` subscribe and receive) on a topic filter. */
export interface AccessRule {
  /** `allow`, or `deny` (which wins). */
  readonly effect: 'allow' | 'deny';
  /** `R` (subscribe, receive) and/or `W` (publish). */
  readonly actions: ReadonlySet<Action>;
  /** An MQTT topic filter (`+` and `#` allowed). */
  readonly topic: string;
}

/**
 * Whether `rule` speaks about `target` (a topic, by `topicMatches`; a subscription filter, by
 * `filterCovers`): its filter does, or it is an `allow` under the parent of a P2P target.
 */
function applies(rule: AccessRule, target: string, match: (filter: string, target: string) => boolean): boolean {
  if (match(rule.topic, target)) return true;
  const p2p = rule.effect === 'allow' ? parseP2pTopic(target) : undefined;
  return p2p !== undefined && parentTopic(rule.topic) === p2p.parent;
}

/** The evaluation (see the module): `action` on a target, given the rules that speak about it. */
function evaluate(rules: readonly AccessRule[], action: Action, speaks: (rule: AccessRule) => boolean): Denial | undefined {
  let allowed = false;
  let inResources = false;
  for (const rule of rules) {
    if (!speaks(rule)) continue;
    if (!rule.actions.has(action)) {
      if (rule.effect === 'allow') inResources = true;
      continue;
    }
    if (rule.effect === 'deny') return 'denied';
    allowed = true;
  }
  return allowed ? undefined : inResources ? 'action' : 'resource';
}

/** A list of rules, each `{ effect, topic, actions: Set }` (indexed: a sparse list has holes). */
function requireRules(rules: unknown): void {
  let ok = Array.isArray(rules);
  for (let i = 0; ok && i < (rules as unknown[]).length; i++) {
    const rule = (rules as (Partial<AccessRule> | null | undefined)[])[i];
    ok = rule != null && typeof rule === 'object' && typeof rule.topic === 'string' && typeof rule.actions?.has === 'function' && (rule.effect === 'allow' || rule.effect === 'deny');
  }
  if (!ok) throw _invalid('rules', 'must be a list of { effect: "allow" | "deny", topic, actions: Set<"R" | "W"> }');
}

/**
 * May a client under `rules` publish (`W`) to, or receive (`R`) a message on, the concrete `topic`?
 * `undefined` when allowed; `'denied'` when a deny rule matches; else why no rule allows it.
 */
export function checkRules(rules: readonly AccessRule[], action: Action, topic: string): Denial | undefined {
  requireRules(rules);
  if (action !== 'R' && action !== 'W') throw _invalid('action', 'must be "R" or "W"');
  if (typeof topic !== 'string') throw _invalid('topic', 'must be a string');
  return evaluate(rules, action, (rule) => applies(rule, topic, topicMatches));
}

/**
 * May a client under `rules` subscribe to the topic filter `filter`? `undefined` when allowed.
 */
export function checkRulesSubscription(rules: readonly AccessRule[], filter: string): Denial | undefined {
  requireRules(rules);
  if (typeof filter !== 'string') throw _invalid('filter', 'must be a string');
  return evaluate(rules, 'R', (rule) => applies(rule, filter, filterCovers));
}

/**
 * The access policy of a client under rules: a fixed list (an HTTP-authentication answer), or a
 * function read at every check (custom-auth permissions, which the OpenAPI may change at any time).
 */
export function rulesPolicy(rules: readonly AccessRule[] | (() => readonly AccessRule[])): AccessPolicy {
  if (typeof rules !== 'function') requireRules(rules);
  const current = typeof rules === 'function' ? rules : () => rules;
  return {
    publish: (topic) => checkRules(current(), 'W', topic),
    subscribe: (filter) => checkRulesSubscription(current(), filter),
    receive: (topic) => checkRules(current(), 'R', topic),
  };
}
