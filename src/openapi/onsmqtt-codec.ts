/**
 * The `onsmqtt` contract (`onsmqtt-contract.ts`) put to work on both sides of the wire:
 * - the client encodes an action's options into its request parameters ({@link encodeRequest}) and
 *   reads the answer's fields into record names ({@link decodeAnswer});
 * - the local service parses a request's parameters into the same option names ({@link parseRequest})
 *   and writes its answer from record names ({@link formatAnswer}), refusing a field the contract lacks.
 * The rules behind each parameter type (client ids, ApplyToken's topics, actions and ExpireTime) are the
 * SDK's own, so the client refuses before sending what the service would refuse.
 * Pure and isomorphic.
 * @module
 */
import { ApsaraMqttAuthError, _invalid } from '../errors.js';
import { _requireClientId, validateClientId } from '../credentials/client-id.js';
import { _own, _requireString } from '../credentials/validate.js';
import { _requireActions, _requireExpireTime, _requireResources } from '../protocol/token-rules.js';
import type { ActionSpec, FieldSpec, ParamSpec } from './onsmqtt-contract.js';

/** The most items of a repeat list the service looks for before it stops (far above any documented limit). */
const MAX_LIST_SCAN = 1000;

// --- the client's side --------------------------------------------------------------------------------

function oneOf(value: unknown, allowed: readonly string[], field: string): string {
  if (typeof value !== 'string' || !allowed.includes(value)) throw _invalid(field, `must be ${allowed.map((a) => JSON.stringify(a)).join(' or ')}`);
  return value;
}

function integer(value: unknown, spec: ParamSpec): string {
  const min = spec.min ?? 0;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) throw _invalid(spec.key, `must be an integer from ${min} to ${max}`);
  return String(value);
}

/**
 * The request parameters of an action (their values the strings the RPC style sends) from the
 * caller's options, keyed as the contract names them (`clientId`, `expireTime`, …). Absent optional
 * options are left out; `clientDefault`s are filled in.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming the option, before anything is sent.
 */
export function encodeRequest(spec: ActionSpec, input: unknown, now: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const param of spec.params) {
    const { key, name } = param;
    let required = param.required === true;
    if (param.onlyWhen) {
      if (_own(input, param.onlyWhen.key) !== param.onlyWhen.equals) continue;
      required = true;
    }
    let value = _own(input, key);
    if (value === undefined && param.clientDefault !== undefined) value = param.clientDefault;
    // An empty optional string reads as "not given" (the service does the same).
    if (value === undefined || (value === '' && !required && param.type !== 'text')) {
      if (required) throw _invalid(key, 'is required');
      continue;
    }
    switch (param.type) {
      case 'string':
        out[name] = _requireString(value, key);
        break;
      case 'text':
        if (typeof value !== 'string') throw _invalid(key, 'must be a string (Base64-encode binary data)');
        out[name] = value;
        break;
      case 'clientId':
        out[name] = _requireClientId(value);
        break;
      case 'enum':
        out[name] = oneOf(value, param.values ?? [], key);
        break;
      case 'integer':
        out[name] = integer(value, param);
        break;
      case 'list': {
        const max = param.max ?? MAX_LIST_SCAN;
        if (!Array.isArray(value) || value.length === 0 || value.length > max) throw _invalid(key, `must be a list of 1 to ${max} client ids`);
        value.forEach((item: unknown, i) => (out[`${name}.${i + 1}`] = _requireClientId(item)));
        break;
      }
      case 'topics':
        out[name] = _requireResources(value, key).join(',');
        break;
      case 'actions':
        out[name] = _requireActions(value, key);
        break;
      case 'time':
        out[name] = String(_requireExpireTime(value, now, key));
        break;
    }
  }
  return out;
}

/** The values of the request's secret parameters (a token, an identity's secret), to mask in errors. */
export function sensitiveValues(spec: ActionSpec, params: Readonly<Record<string, string>>): string[] {
  return spec.params.filter((p) => p.sensitive && typeof params[p.name] === 'string').map((p) => params[p.name]!);
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function typed(field: FieldSpec, value: unknown): boolean {
  switch (field.type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    default:
      return typeof value === field.type;
  }
}

/** A decoded answer, or the path of the first required field it lacks. */
export type Decoded = { readonly ok: true; readonly value: Record<string, unknown> } | { readonly ok: false; readonly missing: string };

function readFields(fields: readonly FieldSpec[], source: Record<string, unknown>, path: string): Decoded {
  const value: Record<string, unknown> = {};
  for (const field of fields) {
    const raw = _own(source, field.name);
    const at = path ? `${path}.${field.name}` : field.name;
    if (!typed(field, raw)) {
      if (field.required) return { ok: false, missing: at };
      continue;
    }
    if (field.type === 'object' && field.fields) {
      const inner = readFields(field.fields, raw as Record<string, unknown>, at);
      if (!inner.ok) return inner;
      value[field.key] = inner.value;
    } else if (field.type === 'array') {
      const items = raw as unknown[];
      const { fields: itemFields } = field;
      // Items of the wrong shape are skipped: one odd entry does not lose a page.
      value[field.key] = itemFields
        ? items.filter(isObject).flatMap((item) => {
            const read = readFields(itemFields, item, at);
            return read.ok ? [read.value] : [];
          })
        : items.filter((item) => typeof item === 'string');
    } else {
      value[field.key] = raw;
    }
  }
  return { ok: true, value };
}

/** The answer's fields under their record names (`Token` → `token`), checked against the contract. */
export function decodeAnswer(spec: ActionSpec, body: unknown): Decoded {
  return readFields(spec.answer, isObject(body) ? body : {}, '');
}

// --- the service's side ---------------------------------------------------------------------------------

/** How {@link parseRequest} reports: each throws the service's error answer. */
export interface ParseHooks {
  /** The service's clock, UNIX ms (ExpireTime is judged against it). */
  readonly now: number;
  /** A required parameter is absent or empty (`Missing<Name>`). */
  missing(name: string): never;
  /** A parameter breaks its rule (`InvalidParameter.<Name>`, or the action's own code). */
  invalid(name: string, detail: string): never;
  /** The instance parameter, as soon as it is read (another instance is refused before the rest is checked). */
  instance(id: string): void;
}

/** The sentence of an SDK rule error, ending with a period. */
const sentence = (error: ApsaraMqttAuthError) => (error.message.endsWith('.') ? error.message : `${error.message}.`);

function ruled<T>(name: string, hooks: ParseHooks, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ApsaraMqttAuthError) return hooks.invalid(name, sentence(error));
    throw error;
  }
}

function readList(param: ParamSpec, params: Readonly<Record<string, string>>, hooks: ParseHooks): string[] | undefined {
  const { name } = param;
  const items: string[] = [];
  for (let i = 1; i <= MAX_LIST_SCAN; i++) {
    const value = _own(params, `${name}.${i}`);
    if (typeof value !== 'string') break;
    items.push(value);
  }
  const numbered = Object.keys(params).filter((key) => key.startsWith(`${name}.`));
  const stray = numbered.find((key) => !/^\d+$/.test(key.slice(name.length + 1)));
  if (stray !== undefined) hooks.invalid(name, `${stray} is not an item of the list (use ${name}.1, ${name}.2, …).`);
  if (numbered.length !== items.length) hooks.invalid(name, `the items must be numbered ${name}.1, ${name}.2, … without gaps.`);
  if (items.length === 0) return param.required ? hooks.missing(name) : undefined;
  const max = param.max ?? MAX_LIST_SCAN;
  if (items.length > max) hooks.invalid(name, `${name} may name at most ${max} client ids (it names ${items.length}).`);
  for (const item of items) {
    const [problem] = validateClientId(item).problems;
    if (problem) hooks.invalid(name, `${problem.message}.`);
  }
  return items;
}

function readOne(param: ParamSpec, text: string, hooks: ParseHooks): unknown {
  const { name } = param;
  switch (param.type) {
    case 'string':
    case 'text':
      return text;
    case 'clientId': {
      const [problem] = validateClientId(text).problems;
      return problem ? hooks.invalid(name, `${problem.message}.`) : text;
    }
    case 'enum':
      return param.values?.includes(text) ? text : hooks.invalid(name, `${name} must be ${param.values?.join(' or ')}.`);
    case 'integer': {
      const min = param.min ?? 0;
      const max = param.max ?? Number.MAX_SAFE_INTEGER;
      const value = Number(text);
      if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) hooks.invalid(name, `${name} must be an integer from ${min} to ${max}.`);
      return value;
    }
    case 'topics':
      return ruled(name, hooks, () => _requireResources(text, name));
    case 'actions':
      return ruled(name, hooks, () => _requireActions(text, name));
    case 'time': {
      const value = Number(text);
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) hooks.invalid(name, `${name} must be a UNIX time in milliseconds.`);
      const min = param.min ?? 0;
      if (value < hooks.now + min) hooks.invalid(name, `${name} must be at least ${min / 1000} seconds in the future.`);
      // The service cuts a longer lifetime to its maximum without saying so; so does this one.
      return param.max === undefined ? value : Math.min(value, hooks.now + param.max);
    }
    case 'list':
      throw new Error('lists are read by readList');
  }
}

/**
 * An action's parameters, read from a request's (string) parameters and checked, keyed by option name
 * (`clientId`, `expireTime` as a number, `resources` as a sorted list, …). Optional parameters the
 * request leaves out (or sends empty) are absent. Parameters the action does not have are ignored.
 */
export function parseRequest(spec: ActionSpec, params: Readonly<Record<string, string>>, hooks: ParseHooks): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const param of spec.params) {
    let value: unknown;
    if (param.type === 'list') {
      value = readList(param, params, hooks);
    } else {
      const text = _own(params, param.name);
      if (typeof text !== 'string' || text === '') {
        if (param.required) hooks.missing(param.name);
        continue;
      }
      value = readOne(param, text, hooks);
      if (param.instance) hooks.instance(text);
    }
    if (value !== undefined) input[param.key] = value;
  }
  return input;
}

function writeFields(fields: readonly FieldSpec[], values: Record<string, unknown>, path: string): Record<string, unknown> {
  const known = new Set(fields.map((f) => f.key));
  const extra = Object.keys(values).find((key) => !known.has(key));
  if (extra !== undefined) throw new Error(`the answer's ${path || 'body'} has "${extra}", which the onsmqtt contract does not describe`);
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const at = path ? `${path}.${field.key}` : field.key;
    if (field.value !== undefined) {
      out[field.name] = field.value;
      continue;
    }
    const value = values[field.key];
    if (value === undefined) {
      if (field.required) throw new Error(`the answer lacks ${at}, which the onsmqtt contract requires`);
      continue;
    }
    if (!typed(field, value)) throw new Error(`the answer's ${at} is not a ${field.type}`);
    const { fields: inner } = field;
    if (field.type === 'object' && inner) out[field.name] = writeFields(inner, value as Record<string, unknown>, at);
    else if (field.type === 'array' && inner) out[field.name] = (value as Record<string, unknown>[]).map((item) => writeFields(inner, item, at));
    else out[field.name] = value;
  }
  return out;
}

/**
 * The answer's fields (besides `RequestId`) under their wire names, in the contract's order, from
 * record names; constants (the custom-auth envelope) filled in.
 * @throws Error when a value is missing, of the wrong type, or not in the contract: the service's
 * fault, answered as `InternalError`.
 */
export function formatAnswer(spec: ActionSpec, values: Record<string, unknown>): Record<string, unknown> {
  return writeFields(spec.answer, values, '');
}
