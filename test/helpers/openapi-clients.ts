/**
 * Four independent callers of an RPC-style OpenAPI, behind one shape, so that one suite judges the
 * local `onsmqtt` service with each: the SDK's own client (`createOnsMqttClient(...).call`), Alibaba's
 * `@alicloud/pop-core` (signature 1.0), and Alibaba's `@alicloud/openapi-client` (what the generated
 * SDKs such as onsmqtt-20200420 are built on) with its defaults (ACS3-HMAC-SHA256, V3) and with
 * `signatureAlgorithm: 'v2'` (signature 1.0). Each answers the parsed body, or throws a
 * {@link CallerError} carrying Alibaba's error code and the HTTP status.
 */
import { createRequire } from 'node:module';
import { createOnsMqttClient, OpenApiError } from '../../src/server/server-entry.js';
import type { Clock } from '../../src/clock.js';

const require = createRequire(import.meta.url);

/** A failed call: Alibaba's `Code` and the HTTP status, whichever client made it. */
export class CallerError extends Error {
  constructor(
    readonly code: string,
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** One client of the suite. */
export interface OpenApiCaller {
  /** Calls `action` with its parameters (strings, RPC style); the body, or a thrown {@link CallerError}. */
  request(action: string, params: Record<string, string>): Promise<Record<string, unknown>>;
}

/** What every caller needs. */
export interface CallerOptions {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** The SDK's own client only: the clock its `Timestamp` is read from. */
  clock?: Clock;
}

/** The callers by name; a row of the suite is one of them. */
export type CallerName = 'sdk' | 'pop-core' | 'openapi-client v3 (default)' | 'openapi-client v2';

function sdkCaller(options: CallerOptions): OpenApiCaller {
  const api = createOnsMqttClient({ accessKeyId: options.accessKeyId, accessKeySecret: options.accessKeySecret, endpoint: options.url, ...(options.clock ? { clock: options.clock } : {}) });
  return {
    async request(action, params) {
      try {
        return await api.call(action, params);
      } catch (error) {
        if (error instanceof OpenApiError) throw new CallerError(error.openApiCode ?? 'none', error.status, error.message);
        throw error;
      }
    },
  };
}

interface PopClient {
  request(action: string, params: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
}

function popCoreCaller(options: CallerOptions): OpenApiCaller {
  const RPCClient = require('@alicloud/pop-core') as new (config: Record<string, unknown>, verbose?: boolean) => PopClient;
  // Verbose: pop-core then hands back the HTTP exchange with the body (and with its errors).
  const client = new RPCClient({ accessKeyId: options.accessKeyId, accessKeySecret: options.accessKeySecret, endpoint: options.url.replace(/\/$/, ''), apiVersion: '2020-04-20' }, true);
  return {
    async request(action, params) {
      try {
        const [body] = (await client.request(action, params, { method: 'POST', timeout: 10_000 })) as [Record<string, unknown>];
        return body;
      } catch (error) {
        const e = error as { code?: string; entry?: { response?: { statusCode?: number } }; message?: string };
        if (typeof e?.code === 'string') throw new CallerError(e.code, e.entry?.response?.statusCode, String(e.message));
        throw error;
      }
    },
  };
}

interface TeaModule {
  default: new (config: unknown) => { callApi(params: unknown, request: unknown, runtime: unknown): Promise<{ statusCode: number; body: Record<string, unknown> }> };
  Config: new (map: Record<string, unknown>) => unknown;
  Params: new (map: Record<string, unknown>) => unknown;
  OpenApiRequest: new (map: Record<string, unknown>) => unknown;
}

function openApiClientCaller(options: CallerOptions, algorithm: 'v3' | 'v2'): OpenApiCaller {
  const OpenApi = require('@alicloud/openapi-client') as TeaModule;
  const { RuntimeOptions } = require('@alicloud/tea-util') as { RuntimeOptions: new (map: Record<string, unknown>) => unknown };
  const host = new URL(options.url).host;
  const client = new OpenApi.default(
    new OpenApi.Config({
      accessKeyId: options.accessKeyId,
      accessKeySecret: options.accessKeySecret,
      endpoint: host,
      protocol: 'http',
      ...(algorithm === 'v2' ? { signatureAlgorithm: 'v2' } : {}),
    }),
  );
  return {
    async request(action, params) {
      // As the generated onsmqtt-20200420 client calls it: RPC, POST, the action's parameters in the query.
      const spec = new OpenApi.Params({ action, version: '2020-04-20', protocol: 'HTTP', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' });
      try {
        const answer = await client.callApi(spec, new OpenApi.OpenApiRequest({ query: params }), new RuntimeOptions({ autoretry: false, readTimeout: 10_000, connectTimeout: 5_000 }));
        return answer.body;
      } catch (error) {
        const e = error as { code?: string; statusCode?: number; data?: { statusCode?: number }; message?: string };
        if (typeof e?.code === 'string') throw new CallerError(e.code, e.statusCode ?? e.data?.statusCode, String(e.message));
        throw error;
      }
    },
  };
}

/** The caller named `name`. */
export function openApiCaller(name: CallerName, options: CallerOptions): OpenApiCaller {
  switch (name) {
    case 'sdk':
      return sdkCaller(options);
    case 'pop-core':
      return popCoreCaller(options);
    case 'openapi-client v3 (default)':
      return openApiClientCaller(options, 'v3');
    case 'openapi-client v2':
      return openApiClientCaller(options, 'v2');
  }
}

/** Every caller, in the order the suite's rows run. */
export const CALLERS: readonly CallerName[] = ['sdk', 'pop-core', 'openapi-client v2', 'openapi-client v3 (default)'];
