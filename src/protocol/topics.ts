/**
 * ApsaraMQ's topic rules: the characters and length of topics and token resources, the parent
 * topic (first level), and point-to-point topics `<parentTopic>/p2p/<targetClientId>`. Pure
 * functions, shared by the broker, its token store and anyone checking a topic before use.
 * Sources: ARCHITECTURE.md, "MQTT rules of the local broker".
 * @module
 */
import { _invalid } from '../errors.js';
import { SYS_TOPICS, UPLOAD_TOKEN_TOPIC } from './sys-topics.js';

/** Topics (and token resources) are at most this many characters in all. */
export const MAX_TOPIC_LENGTH = 64;

/** The second level of a point-to-point topic. */
export const P2P_LEVEL = 'p2p';

const LEVEL = /^[A-Za-z0-9_-]+$/;
// The target of a P2P topic is a client id: `<GroupId>@@@<DeviceId>`.
const CLIENT_ID_LEVEL = /^[A-Za-z0-9_-]+@@@[A-Za-z0-9_-]+$/;

/** The parent (first-level) topic of a topic or filter. */
export function parentTopic(topic: string): string {
  const slash = topic.indexOf('/');
  return slash < 0 ? topic : topic.slice(0, slash);
}

/** `<parentTopic>/p2p/<clientId>`: the topic that sends a message to one client, which need not subscribe. */
export function p2pTopic(parent: string, clientId: string): string {
  return `${parent}/${P2P_LEVEL}/${clientId}`;
}

/**
 * Is `topic` a point-to-point topic `<parentTopic>/p2p/<clientId>`? Returns its parts, else `undefined`.
 */
export function parseP2pTopic(topic: string): { parent: string; target: string } | undefined {
  if (typeof topic !== 'string') throw _invalid('topic', 'must be a string');
  const levels = topic.split('/');
  if (levels.length !== 3 || levels[1] !== P2P_LEVEL || !levels[0] || !levels[2]) return undefined;
  return { parent: levels[0], target: levels[2] };
}

/**
 * Checks a topic (`filter: false`, what PUBLISH names) or a topic filter / token resource
 * (`filter: true`: `+` as a whole level, `#` as the last level) against ApsaraMQ's rules: a parent
 * topic first, levels of letters, digits, `-` and `_` joined by `/`, at most 64 characters in all.
 * The target level of a P2P topic is a client id (`@@@` allowed, up to 64 characters of its own:
 * the 64 count `<parent>/p2p`; inferred, the documentation is silent). Returns a sentence naming
 * the problem, or `undefined` when it is valid.
 */
export function topicProblem(topic: unknown, { filter = false }: { filter?: boolean } = {}): string | undefined {
  return _topicBreach(topic, filter)?.problem;
}

/** A rule of ApsaraMQ's topic limits, by name (what {@link clientTopicProblem} reports). */
export type TopicRule =
  /** Levels of letters, digits, `-` and `_`, a parent topic first (`+`/`#` only in filters, as whole levels). */
  | 'characters'
  /** At most 64 characters ({@link MAX_TOPIC_LENGTH}). */
  | 'length'
  /** No shared subscriptions: `$share/…` (MQTT 5) and `$queue/…` are not supported. */
  | 'shared-subscription'
  /** A PUBLISH names one topic: no `+` or `#`. */
  | 'wildcard-in-publish'
  /** No `$` topics but the documented ones a client publishes to: `$SYS/uploadToken`, `$SYS/enableOrderMsg`. */
  | 'system-topic';

/** A broken topic rule: which, and a sentence saying how. */
export interface TopicBreach {
  rule: TopicRule;
  problem: string;
}

/**
 * Would ApsaraMQ refuse a client's `publish` to `topic` or `subscribe` to it (a filter), by its
 * documented limits alone? Returns the rule and why, or `undefined` (permissions are the broker's to
 * judge). Checked before any byte is sent: the service answers these with a disconnect.
 *
 * @example
 * ```ts
 * clientTopicProblem('$share/g1/demo/x', 'subscribe') // { rule: 'shared-subscription', problem: '…' }
 * ```
 */
export function clientTopicProblem(topic: unknown, action: 'publish' | 'subscribe'): TopicBreach | undefined {
  if (typeof topic !== 'string' || topic.length === 0) return { rule: 'characters', problem: 'must be a non-empty topic' };
  const prefix = /^\$(share|queue)\//.exec(topic)?.[0];
  if (prefix) return { rule: 'shared-subscription', problem: `is a shared subscription (${prefix}…), which ApsaraMQ does not support` };
  if (topic.startsWith('$')) {
    // The documented `$` topics a client publishes to: the token upload and ordered messages.
    const documented = [UPLOAD_TOKEN_TOPIC, SYS_TOPICS.ENABLE_ORDER_MSG];
    if (action === 'publish' && documented.includes(topic)) return undefined;
    return { rule: 'system-topic', problem: `is a $ topic; clients may only publish to ${documented.join(' and ')} (the $SYS notices arrive without subscribing)` };
  }
  if (action === 'publish' && /[+#]/.test(topic)) return { rule: 'wildcard-in-publish', problem: 'contains a wildcard ("+" or "#"), which only a subscription may' };
  return _topicBreach(topic, action === 'subscribe');
}

/** @internal {@link topicProblem} with the rule named. */
export function _topicBreach(topic: unknown, filter: boolean): TopicBreach | undefined {
  const breach = (rule: TopicRule, problem: string): TopicBreach => ({ rule, problem });
  if (typeof topic !== 'string' || topic.length === 0) return breach('characters', 'must be a non-empty topic');
  const p2pTarget = parseP2pTopic(topic)?.target;
  const counted = p2pTarget === undefined ? topic.length : topic.length - p2pTarget.length - 1;
  if (counted > MAX_TOPIC_LENGTH) return breach('length', `must be at most ${MAX_TOPIC_LENGTH} characters (it has ${counted})`);
  if (p2pTarget !== undefined && p2pTarget.length > MAX_TOPIC_LENGTH) return breach('length', `names a client id of ${p2pTarget.length} characters (at most ${MAX_TOPIC_LENGTH})`);
  const levels = topic.split('/');
  if (levels[0] === '+' || levels[0] === '#') return breach('characters', 'must start with a parent topic, not a wildcard');
  const p2p = p2pTarget !== undefined;
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (filter && level === '#') {
      if (i !== levels.length - 1) return breach('characters', '"#" may only be the last level');
      continue;
    }
    if (filter && level === '+') continue;
    if (p2p && i === 2 && CLIENT_ID_LEVEL.test(level)) continue;
    if (!LEVEL.test(level)) {
      return breach('characters', `level ${JSON.stringify(level.slice(0, 20))} may contain only letters, digits, "-" and "_"${filter ? ' ("+" and "#" as whole levels)' : ''}`);
    }
  }
  return undefined;
}

/** The longest filter accepted in a rule (bounds the work a rule can cause; MQTT's own limit is 65 535 bytes). */
export const MAX_TOPIC_FILTER_LENGTH = 1024;

/**
 * Why `filter` is not a valid MQTT topic filter (MQTT 3.1.1 §4.7: `#` only as the whole last level, `+`
 * only as a whole level; no control characters), or `undefined`. Looser than {@link topicProblem}: what
 * HTTP-authentication ACL rules may name, which are the endpoint's to choose.
 *
 * @example
 * ```ts
 * topicFilterProblem('a/#/b') // '"#" must be the whole last level'
 * ```
 */
export function topicFilterProblem(filter: unknown): string | undefined {
  if (typeof filter !== 'string' || filter.length === 0) return 'must be a non-empty topic filter';
  if (filter.length > MAX_TOPIC_FILTER_LENGTH) return `must be at most ${MAX_TOPIC_FILTER_LENGTH} characters`;
  if (/[\u0000-\u001f\u007f]/.test(filter)) return 'must not contain control characters';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return '"#" must be the whole last level';
    if (level.includes('+') && level !== '+') return '"+" must be a whole level';
  }
  return undefined;
}
