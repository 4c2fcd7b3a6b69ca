/**
 * The two answer formats of an RPC API, chosen by the request's `Format` parameter: JSON (the default)
 * and XML. XML answers follow the examples of the API reference: the body's root is `<ActionResponse>`
 * (`<Error>` for an error), each field an element, each array item the array's element repeated
 * (`<Data>…</Data><Data>…</Data>` in ListGroupId), `text/xml;charset=utf-8` (the content type Alibaba's
 * Tea SDK looks for on XML errors).
 * @module
 */

/** The answer formats. */
export type AnswerFormat = 'JSON' | 'XML';

const XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>";

/** `Format` as sent (SDKs send `JSON`, `json` or `XML`) → the format, or `undefined` when it is neither. */
export function answerFormat(format: string | undefined): AnswerFormat | undefined {
  if (format === undefined) return 'JSON';
  const upper = format.toUpperCase();
  return upper === 'JSON' || upper === 'XML' ? upper : undefined;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function element(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((item) => element(name, item)).join('');
  if (typeof value === 'object') return `<${name}>${elements(value as Record<string, unknown>)}</${name}>`;
  return `<${name}>${escape(String(value))}</${name}>`;
}

function elements(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([name, value]) => element(name, value))
    .join('');
}

/** A body as XML under `root`. */
export function toXml(root: string, body: Record<string, unknown>): string {
  return `${XML_DECLARATION}<${root}>${elements(body)}</${root}>`;
}

/** The answer: `body` in `format`, the root named after the action (or `Error`). */
export function answer(status: number, format: AnswerFormat, root: string, body: Record<string, unknown>): Response {
  const headers = { 'cache-control': 'no-store' };
  if (format === 'XML') return new Response(toXml(root, body), { status, headers: { ...headers, 'content-type': 'text/xml;charset=utf-8' } });
  return new Response(JSON.stringify(body), { status, headers: { ...headers, 'content-type': 'application/json;charset=utf-8' } });
}
