/**
 * What the fuzzer feeds the public API: hostile and near-valid values, callbacks that echo what they
 * were given (so a secret handed to a callback would show in its error), and HTTP requests.
 * The canary is the secret: it may go anywhere as input; it must come out nowhere the API promises
 * to keep secrets out of.
 */
import { EventEmitter } from 'node:events';
import fc from 'fast-check';

/**
 * Text the fuzzer may put anywhere (any string argument may be it): no error may ever show it, since
 * a value in the wrong place can be a secret.
 */
export const CANARY = 'Qz7CANARYaksS3cr3tDoNotLeak9';
/**
 * The secret of the seeds (AccessKey secrets, device secrets, tokens): valid in each of those
 * places. Besides errors, no HTTP response and no object that promises to hide its secrets may show it.
 */
export const SECRET = 'Qz7SECRETseedKeyDoNotLeak4';

/** The time the seeds count from (tokens a day ahead of it are valid). */
export const NOW = Date.now();

export const CLIENT_ID = 'GID_fuzz@@@device-1';

/** The control secret of the fuzzed control routes; requests carry it half of the time. */
export const CONTROL_SECRET = 'fuzz-control-secret-0123456789';

/** Text a user would hardly type, for any callback's error: a Uint8Array shows as the text it encodes. */
export function describeArgs(args: readonly unknown[]): string {
  return args
    .map((a) => {
      if (a instanceof Uint8Array) return new TextDecoder().decode(a);
      if (typeof a === 'string') return a;
      try {
        return JSON.stringify(a) ?? String(a);
      } catch {
        return Object.prototype.toString.call(a);
      }
    })
    .join(' ')
    .slice(0, 10_000);
}

/** Any UTF-16, lone surrogates included. */
const utf16 = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 12 }).map((codes) => String.fromCharCode(...codes));

const SPECIAL_STRINGS = [
  CANARY,
  '',
  ' ',
  '\n',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '\uD800',
  'a\uDFFFb',
  'R',
  'W',
  'R,W',
  'RW',
  'r',
  'GET',
  'POST',
  CLIENT_ID,
  'GID_x',
  '@@@',
  'GID_abc@@@',
  'a|b',
  'null',
  '*',
  '/',
  '#',
  '+/#',
  'a/b',
  '$SYS/tokenInvalidNotice',
  'mqtt-cn-fuzz',
  'LTAIfuzz',
  '127.0.0.1',
  'http://127.0.0.1:9/',
  'tcp',
  'ws',
  'wss',
  'tls',
  'http',
  'signature',
  'device',
  'token',
  'custom',
  'SIGNED',
  'ORIGIN',
  'node',
  'noble',
  'JSON',
  'XML',
  'credentials',
  'ApplyToken',
  '1e400',
];

/** A megabyte of text with the canary at its end: cheap checks must come before any work on it. */
const HUGE = 'x'.repeat(2 ** 20) + CANARY;

export const str: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  { weight: 1, arbitrary: utf16 },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }).map((s) => s + CANARY + s) },
  { weight: 1, arbitrary: fc.constant(HUGE) },
);

export const num: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1, 5, 64, 65535, 65536, 2 ** 31, 2 ** 53, 1e16, -1e16, 8.64e15 + 1, NOW, NOW + 3_600_000, NOW + 40 * 86_400_000),
);

const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constant(new TextEncoder().encode(CANARY)), fc.constant(new Uint8Array(20)));

/**
 * A rejected promise marked as handled: a callback that answers one where a value is expected (a
 * clock, a CORS predicate) is refused by the SDK, and the promise itself is the fuzzer's, not a leak.
 */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** The callbacks made here, so the harness can tell them from the SDK's own functions. */
export const CALLBACKS = new WeakSet<object>();
const mark = <T extends object>(fn: T): T => (CALLBACKS.add(fn), fn);

/** Callbacks: each either answers something or fails while quoting every argument it got. */
export const callback: fc.Arbitrary<(...args: unknown[]) => unknown> = fc.oneof(
  fc.constant(
    mark((...args: unknown[]) => {
      throw new Error(`callback got ${describeArgs(args)}`);
    }),
  ),
  fc.constant(mark((...args: unknown[]) => handled(Promise.reject(new Error(`callback got ${describeArgs(args)}`))))),
  fc.constant(
    mark((...args: unknown[]) => {
      // hostile callbacks throw anything, not only errors
      throw `thrown text ${describeArgs(args)}`;
    }),
  ),
  fc.constant(mark(() => undefined)),
  fc.constant(mark(() => new Uint8Array(20))),
  fc.constant(mark(() => true)),
  fc.constant(mark(() => NOW)),
  fc.oneof(str, num, fc.constant(null), fc.constant({ username: 'u', password: 'p' })).map((v) => mark(() => v)),
  fc.oneof(str, num, fc.constant(null), fc.constant({ username: 'u', password: 'p' })).map((v) => mark(() => Promise.resolve(v))),
);

/** Any value, favouring the kinds the API's checks must tell apart. */
export const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: str },
  { weight: 2, arbitrary: num },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, true, false, Symbol('fuzz'), 10n, [], {}, Object.create(null), new Date(NaN)) },
  { weight: 1, arbitrary: bytes },
  { weight: 1, arbitrary: callback },
  { weight: 1, arbitrary: fc.array(str, { maxLength: 4 }) },
  { weight: 2, arbitrary: fc.anything({ maxDepth: 2, withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true }) },
);

const NO_CANARY_STRINGS = SPECIAL_STRINGS.filter((s) => !s.includes(CANARY));
/** Text for HTTP requests: the canary is the servers' own secret, so requests never carry it. */
const requestText = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(...NO_CANARY_STRINGS));

const PARAM_NAMES = [
  'clientId',
  'reason',
  'instanceId',
  'Action',
  'AccessKeyId',
  'Signature',
  'SignatureMethod',
  'SignatureNonce',
  'SignatureVersion',
  'Timestamp',
  'Version',
  'Format',
  'InstanceId',
  'Token',
  'Resources',
  'Actions',
  'ExpireTime',
  'ClientId',
  'token',
  'resources',
  'actions',
  'expireTime',
  '__proto__',
  'constructor',
];

/** A fetch-standard request aimed at any of the SDK's handlers, well-formed or not. */
export const request: fc.Arbitrary<Request> = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'OPTIONS', 'PUT', 'DELETE', 'HEAD', 'PATCH'),
    path: fc.constantFrom('/', '/credentials', '/control', '/control/tokens', '/control/tokens/query', '/control/tokens/revoke', '/control/devices', `/control/devices/${encodeURIComponent(CLIENT_ID)}`, '/control/devices/%E0%A4%A', '/control/sessions', '/x/y'),
    query: fc.dictionary(fc.constantFrom(...PARAM_NAMES), requestText, { maxKeys: 6 }),
    type: fc.constantFrom(undefined, 'application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=utf-8'),
    body: fc.oneof(
      fc.dictionary(fc.constantFrom(...PARAM_NAMES), fc.oneof(requestText, fc.integer(), fc.constant(null)), { maxKeys: 6 }).map((d) => JSON.stringify(d)),
      fc.dictionary(fc.constantFrom(...PARAM_NAMES), requestText, { maxKeys: 6 }).map((d) => new URLSearchParams(d).toString()),
      requestText,
      fc.constant('{"__proto__":{"mode":"signature"},"clientId":"GID_fuzz@@@device-1"}'),
    ),
    origin: fc.constantFrom(undefined, 'null', 'https://evil.example', 'http://127.0.0.1:9'),
    authorization: fc.constantFrom(undefined, `Bearer ${CONTROL_SECRET}`, 'Bearer wrong', 'Basic x'),
  })
  .map(({ method, path, query, type, body, origin, authorization }) => {
    const headers = new Headers();
    if (authorization) headers.set('authorization', authorization);
    if (type) headers.set('content-type', type);
    if (origin) headers.set('origin', origin);
    const search = new URLSearchParams(query).toString();
    const hasBody = method !== 'GET' && method !== 'HEAD';
    return new Request(`http://127.0.0.1:9${path}${search ? `?${search}` : ''}`, { method, headers, ...(hasBody ? { body } : {}) });
  });

/** The `fetch`es a fuzzed OpenAPI client gets: sensible answers, hostile answers, failures that quote the request. */
export const FETCH_FAKES: ((url: string, init?: { body?: string }) => Promise<unknown>)[] = [
  async () => Response.json({ RequestId: 'r-1', Token: 'token-1', TokenStatus: true, DeviceCredential: { ClientId: CLIENT_ID, DeviceAccessKeyId: 'dak', DeviceAccessKeySecret: 'dsk', InstanceId: 'mqtt-cn-fuzz', CreateTime: 1, UpdateTime: 2 } }),
  async (url: string, init?: { body?: string }) => Response.json({ Code: 'SignatureDoesNotMatch', Message: `echo ${url} ${init?.body ?? ''}`, RequestId: 'r-2' }, { status: 400 }),
  async () => Response.json({ Code: 'Throttling.User', Message: 'slow down' }, { status: 503 }),
  async () => new Response('not json', { status: 200 }),
  async () => new Response('x'.repeat(3 * 2 ** 20), { status: 200 }),
  async () => Response.json([1, 2, 3]),
  async () => Response.json({ __proto__: { Token: 'polluted' } }),
  async (...args: unknown[]) => {
    throw new Error(`network down ${describeArgs(args)}`);
  },
  async () => 5,
  async () => ({ status: 200, ok: true, text: async () => '{"Token":"t"}' }),
];

/** An mqtt.js stand-in: a client that never reaches a network and reports each attempt as closed. */
export function fakeMqtt(): { connect(url: string, options: Record<string, unknown>): unknown } {
  return { connect: (url, options) => new FakeClient(url, options) };
}

class FakeClient extends EventEmitter {
  connected = false;
  constructor(
    readonly url: string,
    readonly options: Record<string, unknown>,
  ) {
    super();
    // An unhandled 'error' would throw out of emit: the fuzzer's clients are not listened to.
    this.on('error', () => undefined);
  }
  connect(): this {
    queueMicrotask(() => this.emit('close'));
    return this;
  }
  end(...args: unknown[]): this {
    const done = args.find((a): a is () => void => typeof a === 'function');
    queueMicrotask(() => {
      this.emit('end');
      done?.();
    });
    return this;
  }
  publish(...args: unknown[]): this {
    (args.find((a) => typeof a === 'function') as ((e: Error) => void) | undefined)?.(new Error('offline'));
    return this;
  }
  subscribe(...args: unknown[]): this {
    return this.publish(...args);
  }
  unsubscribe(...args: unknown[]): this {
    return this.publish(...args);
  }
}
