/**
 * Topic permissions as ApsaraMQ tokens express them: a list of resources (topics, `+` and `#`
 * allowed) and a set of actions (`R` subscribe/receive, `W` publish). Pure functions, no I/O.
 * Topic syntax, P2P topics and the action names come from `src/protocol/`.
 * @module
 */
import { _invalid } from '../errors.js';
import { parentTopic, parseP2pTopic } from '../protocol/topics.js';
import type { Action } from '../protocol/token-rules.js';

export type { Action } from '../protocol/token-rules.js';
export { parseP2pTopic } from '../protocol/topics.js';

/** What a client may do: the topics (MQTT filters) and the actions on them. */
export interface Permissions {
  /** Topic filters, e.g. `fleet/+/telemetry`, `fleet/#`. */
  readonly resources: readonly string[];
  /** The actions granted on every resource. */
  readonly actions: ReadonlySet<Action>;
}

/**
 * Why a permission check failed: the topic is outside the resources, the action is not granted on it,
 * or a rule denies it explicitly (custom-authentication and HTTP-authentication rules).
 */
export type Denial = 'resource' | 'action' | 'denied';

function requireTopics(...topics: unknown[]): void {
  for (const topic of topics) if (typeof topic !== 'string') throw _invalid('topic', 'must be a string');
}

function requirePermissions(permissions: unknown): void {
  let ok = Array.isArray(permissions);
  // Indexed, not every(): a sparse list has holes that every() skips and for-of does not.
  for (let i = 0; ok && i < (permissions as unknown[]).length; i++) {
    const p = (permissions as (Partial<Permissions> | null | undefined)[])[i];
    ok = p != null && typeof p === 'object' && Array.isArray(p.resources) && p.resources.every((r) => typeof r === 'string') && typeof p.actions?.has === 'function';
  }
  if (!ok) throw _invalid('permissions', 'must be a list of { resources: string[], actions: Set<"R" | "W"> }');
}

/**
 * Does the topic filter `filter` match the concrete topic `topic` (MQTT 3.1.1 §4.7 rules)?
 * `#` matches the parent level too (`a/#` matches `a`); wildcards never match a leading `$`.
 */
export function topicMatches(filter: string, topic: string): boolean {
  requireTopics(filter, topic);
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * Does the resource filter `resource` cover every topic the subscription filter `filter` can
 * match? (`a/#` covers `a/+/b`; `a/+` covers `a/b` but not `a/#`.)
 */
export function filterCovers(resource: string, filter: string): boolean {
  requireTopics(resource, filter);
  if (filter.startsWith('$') && /^[+#]/.test(resource)) return false;
  const r = resource.split('/');
  const f = filter.split('/');
  for (let i = 0; i < r.length; i++) {
    const level = r[i]!;
    if (level === '#') return true;
    if (i >= f.length) return false;
    const want = f[i]!;
    if (want === '#') return false;
    if (level === '+') continue;
    if (want === '+' || want !== level) return false;
  }
  return r.length === f.length;
}

/**
 * True when some resource matches the topic. A P2P topic `<parent>/p2p/<clientId>` is covered by
 * any resource under the same parent topic: the official token demo applies for
 * `<parent>/testMq4Iot` and sends P2P messages under `<parent>` with it (ARCHITECTURE.md, P2P rule).
 */
function topicInResources(resources: readonly string[], topic: string): boolean {
  const p2p = parseP2pTopic(topic);
  return resources.some((r) => topicMatches(r, topic) || (p2p !== undefined && parentTopic(r) === p2p.parent));
}

/**
 * May a client holding `permissions` publish (`W`) to, or receive (`R`) a message on, the
 * concrete `topic`? A P2P topic is allowed with any resource under its parent topic.
 * Returns `undefined` when allowed, else why not.
 */
export function checkTopic(permissions: readonly Permissions[], action: Action, topic: string): Denial | undefined {
  requirePermissions(permissions);
  if (action !== 'R' && action !== 'W') throw _invalid('action', 'must be "R" or "W"');
  requireTopics(topic);
  let inResources = false;
  for (const p of permissions) {
    if (!topicInResources(p.resources, topic)) continue;
    if (p.actions.has(action)) return undefined;
    inResources = true;
  }
  return inResources ? 'action' : 'resource';
}

/**
 * May a client holding `permissions` subscribe to the filter `filter`? The filter must be covered
 * by one resource of a permission that grants `R` (a P2P filter: any resource under its parent).
 * Returns `undefined` when allowed, else why not.
 */
export function checkSubscription(permissions: readonly Permissions[], filter: string): Denial | undefined {
  requirePermissions(permissions);
  requireTopics(filter);
  const p2p = parseP2pTopic(filter);
  let inResources = false;
  for (const p of permissions) {
    const covered = p.resources.some((r) => filterCovers(r, filter) || (p2p !== undefined && parentTopic(r) === p2p.parent));
    if (!covered) continue;
    if (p.actions.has('R')) return undefined;
    inResources = true;
  }
  return inResources ? 'action' : 'resource';
}
