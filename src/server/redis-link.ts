/**
 * The Redis clients the token store takes as they are: node-redis (5 and later, `createClient` and
 * `createCluster`), ioredis 5 (`new Redis()` and `new Redis.Cluster()`) and its Valkey fork iovalkey,
 * or anything with node-redis's `sendCommand(args)`. Each is recognised by its shape (no import, so
 * the package depends on none of them) and reduced to what the store needs: one command routed by its
 * key, every master (for the work that spans keys), and a subscription for the near cache.
 * @module
 */

/** A channel's messages, as the store hears them; `ready` and `down` say when the subscription may have missed some. */
export interface RedisListener {
  message(text: string): void;
  /** The subscription is (again) in place: messages may have been missed before. */
  ready(): void;
  /** The subscription is broken: messages are being missed. */
  down(): void;
}

/** What the store does with a Redis client. */
export interface RedisLink {
  /** `node-redis`, `node-redis cluster`, `ioredis`, `ioredis cluster` or `sendCommand` (a duck-typed client). */
  readonly kind: string;
  /** One command; `key` routes it on a cluster (the node holding that key's slot). */
  send(args: string[], key?: string): Promise<unknown>;
  /** One link per master: the client itself, or each master of a cluster. */
  masters(): Promise<RedisLink[]>;
  /** Subscribes to `channel` on a connection of its own; resolves to what ends it. Absent: no near cache. */
  subscribe?(channel: string, listener: RedisListener): Promise<() => Promise<void>>;
}

type Fn = (...args: never[]) => unknown;
type Shape = Record<string, unknown> & { on?: Fn };
const has = (value: unknown, name: string): boolean => typeof (value as Record<string, unknown>)[name] === 'function';
const call = (target: unknown, name: string, ...args: unknown[]): unknown => ((target as Record<string, (...a: unknown[]) => unknown>)[name]!)(...args);
const quiet = () => undefined;

const decoder = new TextDecoder();
const asText = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : value instanceof Uint8Array ? decoder.decode(value) : undefined;

/** Listens to a client's connection events (node-redis and ioredis both emit `ready`, `end`, `error`). */
function watch(client: Shape, listener: RedisListener): void {
  if (!has(client, 'on')) return;
  call(client, 'on', 'error', quiet);
  call(client, 'on', 'ready', () => listener.ready());
  for (const event of ['end', 'close', 'reconnecting']) call(client, 'on', event, () => listener.down());
}

function ioredis(client: Shape, cluster: boolean): RedisLink {
  const link: RedisLink = {
    kind: cluster ? 'ioredis cluster' : 'ioredis',
    send: (args) => Promise.resolve(call(client, 'call', ...args)),
    masters: async () => (cluster ? (call(client, 'nodes', 'master') as Shape[]).map((node) => ioredis(node, false)) : [link]),
    async subscribe(channel, listener) {
      // A connection of its own: a subscribed connection runs no other commands.
      const sub = call(client, 'duplicate') as Shape;
      watch(sub, listener);
      call(sub, 'on', 'message', (from: unknown, text: unknown) => {
        const message = asText(text);
        if (asText(from) === channel && message !== undefined) listener.message(message);
      });
      try {
        await call(sub, 'subscribe', channel);
      } catch (error) {
        await Promise.resolve(call(sub, 'disconnect')).catch(quiet);
        throw error;
      }
      listener.ready();
      return async () => void call(sub, 'disconnect');
    },
  };
  return link;
}

function nodeRedisCluster(client: Shape): RedisLink {
  return {
    kind: 'node-redis cluster',
    send: (args, key) => Promise.resolve(call(client, 'sendCommand', key, false, args)),
    masters: async () =>
      Promise.all(
        (client['masters'] as unknown[]).map(async (master) => {
          const node = (await call(client, 'nodeClient', master)) as Shape;
          return nodeRedis(node, false);
        }),
      ),
    async subscribe(channel, listener) {
      // node-redis keeps a cluster's subscriptions on a connection of their own (and moves them when a node fails).
      const onMessage = (text: unknown) => {
        const message = asText(text);
        if (message !== undefined) listener.message(message);
      };
      await call(client, 'subscribe', channel, onMessage);
      listener.ready();
      return async () => void (await call(client, 'unsubscribe', channel, onMessage));
    },
  };
}

function nodeRedis(client: Shape, subscribable: boolean): RedisLink {
  const link: RedisLink = {
    kind: subscribable ? 'node-redis' : 'sendCommand',
    send: (args) => Promise.resolve(call(client, 'sendCommand', args)),
    masters: async () => [link],
  };
  if (subscribable) {
    link.subscribe = async (channel, listener) => {
      const sub = call(client, 'duplicate') as Shape;
      watch(sub, listener);
      try {
        await call(sub, 'connect');
        await call(sub, 'subscribe', channel, (text: unknown) => {
          const message = asText(text);
          if (message !== undefined) listener.message(message);
        });
      } catch (error) {
        await Promise.resolve(call(sub, 'destroy')).catch(quiet);
        throw error;
      }
      listener.ready();
      return async () => void call(sub, 'destroy');
    };
  }
  return link;
}

/**
 * The link to a client passed by the user, or `undefined` for something that is no Redis client.
 * ioredis is recognised by `call` and `duplicate` (its `Cluster` by `isCluster`), a node-redis
 * cluster by `nodeClient` and `masters`, a node-redis client by `sendCommand` with `duplicate`
 * and `connect`; anything else with `sendCommand(args)` is used as it is, without a near cache.
 */
export function _redisLink(client: unknown): RedisLink | undefined {
  if (client === null || typeof client !== 'object') return undefined;
  const shape = client as Shape;
  if (has(shape, 'call') && has(shape, 'duplicate')) return ioredis(shape, shape['isCluster'] === true && has(shape, 'nodes'));
  if (has(shape, 'sendCommand') && has(shape, 'nodeClient') && 'masters' in shape) return nodeRedisCluster(shape);
  if (has(shape, 'sendCommand')) return nodeRedis(shape, has(shape, 'duplicate') && has(shape, 'connect'));
  return undefined;
}
