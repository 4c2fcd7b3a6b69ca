/**
 * The authorization seam: what an authenticated client may do, asked on every PUBLISH, SUBSCRIBE
 * and delivery. Each auth mode hands the broker an {@link AccessPolicy}; the broker never looks
 * inside it. Permission lists (tokens, config permissions) make one with {@link permissionsPolicy};
 * other sources (custom-auth permissions managed through the OpenAPI, the ACL an HTTP
 * authentication endpoint returns) implement the interface themselves.
 * @module
 */
import { checkSubscription, checkTopic, type Denial, type Permissions } from './acl.js';

/** What one connected client may do. Each method returns `undefined` to allow, else why not. */
export interface AccessPolicy {
  /** May the client PUBLISH to the concrete `topic`? */
  publish(topic: string): Denial | undefined;
  /** May the client SUBSCRIBE to the filter `filter`? */
  subscribe(filter: string): Denial | undefined;
  /** May a message on the concrete `topic` be delivered to the client (it subscribed, or it is a P2P target)? */
  receive(topic: string): Denial | undefined;
}

/** Everything allowed: identities configured without permissions. */
export const ALLOW_ALL: AccessPolicy = Object.freeze({
  publish: () => undefined,
  subscribe: () => undefined,
  receive: () => undefined,
});

/** A policy from permission lists (one per token, or one from the config); `undefined` allows everything. */
export function permissionsPolicy(permissions: readonly Permissions[] | undefined): AccessPolicy {
  if (permissions === undefined) return ALLOW_ALL;
  return {
    publish: (topic) => checkTopic(permissions, 'W', topic),
    subscribe: (filter) => checkSubscription(permissions, filter),
    receive: (topic) => checkTopic(permissions, 'R', topic),
  };
}
