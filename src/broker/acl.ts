/**
 * Topic permissions as ApsaraMQ tokens express them: a list of resources (topics, `+` and `#`
 * allowed) and a set of actions (`R` subscribe/receive, `W` publish). Pure functions, no I/O.
 * @module
 */

/** An action a permission grants: `R` subscribe and receive, `W` publish. */
export type Action = 'R' | 'W';

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

/** The p2p level: `<parentTopic>/p2p/<targetClientId>`. */
const P2P = 'p2p';

/**
 * Does the topic filter `filter` match the concrete topic `topic` (MQTT 3.1.1 §4.7 rules)?
 * `#` matches the parent level too (`a/#` matches `a`); wildcards never match a leading `$`.
 */
export function topicMatches(filter: string, topic: string): boolean {
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
 * Is `topic` a point-to-point topic `<parentTopic>/p2p/<clientId>`? Returns its parts, else `undefined`.
 */
export function parseP2pTopic(topic: string): { parent: string; target: string } | undefined {
  const levels = topic.split('/');
  if (levels.length !== 3 || levels[1] !== P2P || !levels[0] || !levels[2]) return undefined;
  return { parent: levels[0], target: levels[2] };
}

/** True when some resource matches the topic, or (for a p2p topic) its parent topic. */
function topicInResources(resources: readonly string[], topic: string): boolean {
  const p2p = parseP2pTopic(topic);
  return resources.some((r) => topicMatches(r, topic) || (p2p !== undefined && topicMatches(r, p2p.parent)));
}

/**
 * May a client holding `permissions` publish (`W`) to, or receive (`R`) a message on, the
 * concrete `topic`? A p2p topic `<parent>/p2p/<id>` is allowed when the topic itself or its parent
 * topic is among the resources. Returns `undefined` when allowed, else why not.
 */
export function checkTopic(permissions: readonly Permissions[], action: Action, topic: string): Denial | undefined {
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
 * by one resource of a permission that grants `R`. Returns `undefined` when allowed, else why not.
 */
export function checkSubscription(permissions: readonly Permissions[], filter: string): Denial | undefined {
  let inResources = false;
  for (const p of permissions) {
    const p2p = parseP2pTopic(filter);
    const covered = p.resources.some((r) => filterCovers(r, filter) || (p2p !== undefined && topicMatches(r, p2p.parent)));
    if (!covered) continue;
    if (p.actions.has('R')) return undefined;
    inResources = true;
  }
  return inResources ? 'action' : 'resource';
}

/** ApsaraMQ limits topics to 64 characters in all. */
const MAX_TOPIC_LENGTH = 64;

/**
 * Checks one resource (a topic filter) against ApsaraMQ's rules: levels of letters, digits, `-`
 * and `_` joined by `/`, `+` as a whole level, `#` only as the last level, at most 64 characters.
 * Returns a sentence naming the problem, or `undefined` when it is valid.
 */
export function resourceProblem(resource: unknown): string | undefined {
  if (typeof resource !== 'string' || resource.length === 0) return 'must be a non-empty topic';
  if (resource.length > MAX_TOPIC_LENGTH) return `must be at most ${MAX_TOPIC_LENGTH} characters (it has ${resource.length})`;
  const levels = resource.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level === '#') {
      if (i !== levels.length - 1) return '"#" may only be the last level';
      continue;
    }
    if (level === '+') continue;
    if (!/^[A-Za-z0-9_-]+$/.test(level)) {
      return `level ${JSON.stringify(level)} may contain only letters, digits, "-" and "_" ("+" and "#" as whole levels)`;
    }
  }
  if (levels[0] === '+' || levels[0] === '#') return 'must start with a parent topic, not a wildcard';
  return undefined;
}

/** Actions as the OpenAPI writes them (`R`, `W`, `R,W`) → a set. `undefined` when not one of those. */
export function parseActions(actions: unknown): Set<Action> | undefined {
  if (Array.isArray(actions)) actions = actions.join(',');
  if (typeof actions !== 'string') return undefined;
  const parts = actions.split(',').map((a) => a.trim());
  if (parts.length === 0 || parts.length > 2 || new Set(parts).size !== parts.length) return undefined;
  if (!parts.every((a) => a === 'R' || a === 'W')) return undefined;
  return new Set(parts as Action[]);
}

/** A set of actions written the OpenAPI way: `R`, `W` or `R,W`. */
export function formatActions(actions: ReadonlySet<Action>): string {
  return (['R', 'W'] as const).filter((a) => actions.has(a)).join(',');
}
