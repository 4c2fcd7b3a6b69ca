/**
 * MQTT topic filters as rules name them (HTTP-authentication ACL rules, custom-authentication
 * permissions): the syntax MQTT 3.1.1 §4.7 sets — `#` only as the whole last level, `+` only as a
 * whole level — plus no control characters. Pure; shared by the server handler that writes rules and
 * the broker that enforces them.
 * @module
 */

/** The longest filter accepted in a rule (bounds the work a rule can cause; MQTT's own limit is 65 535 bytes). */
export const MAX_TOPIC_FILTER_LENGTH = 1024;

/**
 * Why `filter` is not a valid MQTT topic filter, as a sentence starting with "must", or `undefined`.
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
