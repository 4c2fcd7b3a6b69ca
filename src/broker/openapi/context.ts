/**
 * What every action handler of the OpenAPI service gets, and the checks they share: the instance
 * check (two documented codes, depending on the action), SDK rule violations turned into
 * `InvalidParameter.<Name>`, and the `NextToken` paging of the Query actions.
 * @module
 */
import { ApsaraMqttAuthError } from '../../errors.js';
import { instanceNotFound, instancePermissionCheckFailed, invalidParameter, type ApiFailure } from './errors.js';
import type { Params } from './params.js';

/** One call, as an action sees it (signature, nonce and rate limit already checked). */
export interface ActionContext {
  readonly params: Params;
  /** The AccessKey that signed the call. */
  readonly accessKeyId: string;
  /** The instance the service plays. */
  readonly instanceId: string;
  /** The service's clock, UNIX ms. */
  now(): number;
}

/** An action: its answer's fields (besides `RequestId`), or a thrown {@link ApiFailure}. */
export type ActionHandler = (context: ActionContext) => Promise<Record<string, unknown>>;

/**
 * The instance a call names. Another instance answers `InstancePermissionCheckFailed` (what the token,
 * session, device and custom-auth actions list) or, for the Group ID actions, `InstanceNotFound`.
 */
export function requireInstance(context: ActionContext, otherInstance: 'permission' | 'not-found' = 'permission'): string {
  const id = context.params.required('InstanceId');
  if (id !== context.instanceId) throw otherInstance === 'permission' ? instancePermissionCheckFailed() : instanceNotFound();
  return id;
}

/** The field of an SDK rule error → the OpenAPI parameter it came from (`clientId` → `ClientId`). */
function parameterName(field: string | undefined, fallback: string): string {
  if (!field) return fallback;
  const base = field.split(/[.[]/)[0]!;
  return base ? base[0]!.toUpperCase() + base.slice(1) : fallback;
}

/**
 * Runs a store call; an SDK rule violation (`ApsaraMqttAuthError`) becomes `InvalidParameter.<Name>`,
 * the name taken from the error's field (or `fallback`), the rule kept as the detail.
 */
export async function asParameterError<T>(fallback: string, run: () => T | Promise<T>, names: Readonly<Record<string, string>> = {}): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ApsaraMqttAuthError) {
      const name = names[error.field ?? ''] ?? parameterName(error.field, fallback);
      throw invalidParameter(name, error.message.endsWith('.') ? error.message : `${error.message}.`);
    }
    throw error;
  }
}

/** The success envelope of the custom-auth actions: `{ Code: 200, Success: true, Message }`. */
export const operationSuccess = (extra: Record<string, unknown> = {}) => ({ Code: 200, Success: true, Message: 'operation success.', ...extra });

/**
 * The success answer of a query action: one page of `items` after `NextToken`, `Size` at most, as
 * `Data.Results`; `Data.NextToken` when more follow.
 */
export function pagedSuccess<T>(items: readonly T[], params: Params, toResult: (item: T) => Record<string, unknown>) {
  const size = params.integer('Size', { min: 1, max: 100 }, true);
  const token = params.optional('NextToken');
  let start = 0;
  if (token !== undefined) {
    const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(token) ? atob(token) : '';
    const match = /^offset:(\d{1,9})$/.exec(decoded);
    if (!match) throw invalidParameter('NextToken', 'NextToken must be a value a previous answer returned.');
    start = Number(match[1]);
  }
  const Results = items.slice(start, start + size).map(toResult);
  const more = start + size < items.length;
  return operationSuccess({ Data: { Results, ...(more ? { NextToken: btoa(`offset:${start + size}`) } : {}) } });
}
