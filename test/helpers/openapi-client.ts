/**
 * Alibaba's OpenAPI core, `@alicloud/openapi-client` (what the generated SDKs such as
 * onsmqtt-20200420 and sts-20150401 use), as an independent caller of the local OpenAPI: signature V3
 * (`ACS3-HMAC-SHA256`) by default, V2 with `signatureAlgorithm: 'v2'`, STS credentials with `securityToken`.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const core = require('@alicloud/openapi-client') as {
  default: new (config: unknown) => { callApi(params: unknown, request: unknown, runtime: unknown): Promise<{ statusCode: number; body: Record<string, unknown> }> };
  Config: new (map: Record<string, unknown>) => unknown;
  Params: new (map: Record<string, unknown>) => unknown;
  OpenApiRequest: new (map: Record<string, unknown>) => unknown;
};
const util = require('@alicloud/tea-util') as { RuntimeOptions: new (map: Record<string, unknown>) => unknown };

/** An answer, or the error the client threw (its `code` is Alibaba's, `statusCode` the HTTP status). */
export interface CoreAnswer {
  status: number;
  body: Record<string, unknown>;
  code?: string;
  message?: string;
}

export interface CoreCallerOptions {
  /** `http://127.0.0.1:PORT/` (the scheme and the slash are dropped: the Config takes a host). */
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  /** `v2`, or absent for the default (V3). */
  signatureAlgorithm?: 'v2';
  /** The API version (default the onsmqtt one). */
  version?: string;
}

/** A caller through `callApi` (RPC style, POST, form body, JSON answers). */
export function openApiCore(options: CoreCallerOptions) {
  const host = new URL(options.endpoint).host;
  const client = new core.default(
    new core.Config({
      accessKeyId: options.accessKeyId,
      accessKeySecret: options.accessKeySecret,
      ...(options.securityToken ? { securityToken: options.securityToken } : {}),
      ...(options.signatureAlgorithm ? { signatureAlgorithm: options.signatureAlgorithm } : {}),
      endpoint: host,
      protocol: 'http',
    }),
  );
  return async (action: string, body: Record<string, string> = {}, where: 'body' | 'query' = 'body'): Promise<CoreAnswer> => {
    const params = new core.Params({ action, version: options.version ?? '2020-04-20', protocol: 'HTTP', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' });
    try {
      const answer = await client.callApi(params, new core.OpenApiRequest({ [where]: body }), new util.RuntimeOptions({ autoretry: false, maxAttempts: 1 }));
      return { status: answer.statusCode, body: answer.body };
    } catch (error) {
      const e = error as { code?: string; statusCode?: number; data?: Record<string, unknown>; message?: string };
      return { status: e.statusCode ?? e.data?.['statusCode'] as number ?? 0, body: e.data ?? {}, ...(e.code ? { code: e.code } : {}), ...(e.message ? { message: e.message } : {}) };
    }
  };
}
