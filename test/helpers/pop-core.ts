/**
 * Alibaba's own RPC client, `@alicloud/pop-core`, as the judge of the local `onsmqtt` OpenAPI: it signs
 * (signature 1.0), sends and reads each call the way it does against a real endpoint. It reads JSON
 * only; for `Format=XML` calls the body it received is taken from its JSON reader (which fails on XML)
 * and parsed with xml2js, the XML parser pop-core itself depends on.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const popPath = require.resolve('@alicloud/pop-core');
const fromPop = createRequire(popPath);

interface RPCClientLike {
  request(action: string, params: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
}
type RPCClientClass = new (config: Record<string, unknown>, verbose?: boolean) => RPCClientLike;

const RPCClient = require('@alicloud/pop-core') as RPCClientClass;
const jsonBigint = fromPop('json-bigint') as { parse: (text: string) => unknown };
const xml2js = fromPop('xml2js') as { parseStringPromise(text: string, options: Record<string, unknown>): Promise<Record<string, unknown>> };

// pop-core parses every answer with json-bigint's `parse`: wrapping it keeps the last text it was given.
let lastText = '';
const parse = jsonBigint.parse;
jsonBigint.parse = (text: string) => {
  lastText = String(text);
  return parse(text);
};

/** A JSON answer as pop-core returned (or threw) it. */
export interface PopJsonAnswer {
  status: number;
  body: Record<string, unknown>;
  /** The Alibaba error code, when pop-core threw. */
  code?: string;
}

/** An XML answer: its root element name and its fields (xml2js, arrays only where an element repeats). */
export interface PopXmlAnswer {
  text: string;
  root: string;
  body: Record<string, unknown>;
}

export interface PopCaller {
  json(action: string, params?: Record<string, unknown>, method?: 'GET' | 'POST'): Promise<PopJsonAnswer>;
  xml(action: string, params?: Record<string, unknown>, method?: 'GET' | 'POST'): Promise<PopXmlAnswer>;
}

/** A pop-core client for `endpoint` (apiVersion 2020-04-20). */
export function popCore(config: { endpoint: string; accessKeyId: string; accessKeySecret: string }): PopCaller {
  const client = new RPCClient({ ...config, endpoint: config.endpoint.replace(/\/$/, ''), apiVersion: '2020-04-20' }, true);
  return {
    async json(action, params = {}, method = 'POST') {
      try {
        const [body, entry] = (await client.request(action, params, { method, timeout: 10_000 })) as [Record<string, unknown>, { response: { statusCode: number } }];
        return { status: entry.response.statusCode, body };
      } catch (error) {
        const e = error as { code?: string; data?: Record<string, unknown>; entry?: { response: { statusCode: number } } };
        if (!e.data || !e.entry) throw error;
        return { status: e.entry.response.statusCode, body: e.data, code: String(e.code) };
      }
    },
    async xml(action, params = {}, method = 'POST') {
      lastText = '';
      try {
        await client.request(action, { ...params, Format: 'XML' }, { method, timeout: 10_000 });
      } catch (error) {
        // json-bigint throws a plain { name: 'SyntaxError' } object on the XML it cannot read.
        if ((error as { name?: unknown } | null)?.name !== 'SyntaxError') throw error;
      }
      const text = lastText;
      const parsed = await xml2js.parseStringPromise(text, { explicitArray: false });
      const [root] = Object.keys(parsed);
      return { text, root: root!, body: (parsed[root!] ?? {}) as Record<string, unknown> };
    },
  };
}
