/**
 * What every action handler of the OpenAPI service gets, and what they share: {@link contractAction},
 * which parses a request and formats its answer by the `onsmqtt` contract (`openapi/onsmqtt-contract.ts`:
 * parameters, their codes, the instance check, the answer's fields), store rule violations turned into
 * `InvalidParameter.<Name>`, and the `NextToken` paging of the Query actions.
 * @module
 */
import { ApsaraMqttAuthError } from '../../errors.js';
import { ONSMQTT_CONTRACT, type ActionSpec, type OnsMqttAction, type OnsMqttInput } from '../../openapi/onsmqtt-contract.js';
import { formatAnswer, parseRequest } from '../../openapi/onsmqtt-codec.js';
import { instanceNotFound, instancePermissionCheckFailed, internalError, invalidParameter, missing, parameterFieldCheckFailed, type ApiFailure } from './error-answers.js';
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

/** An action written against the contract: its parsed parameters in, its answer's fields (record names) out. */
export type ContractHandler<A extends OnsMqttAction> = (input: OnsMqttInput<A>, context: ActionContext) => Promise<Record<string, unknown>>;

/**
 * The handler of `action`: the request's parameters parsed and checked by the contract (`Missing<Name>`,
 * `InvalidParameter.<Name>` or the action's own code, another instance refused first), `run` called with
 * them, its answer written under the contract's wire names (a field the contract lacks is the service's
 * fault: `InternalError`).
 */
export function contractAction<A extends OnsMqttAction>(action: A, run: ContractHandler<A>): ActionHandler {
  const spec: ActionSpec = ONSMQTT_CONTRACT[action];
  return async (context) => {
    const input = parseRequest(spec, context.params.all, {
      now: context.now(),
      missing: (name) => {
        throw missing(name);
      },
      invalid: (name, detail) => {
        throw spec.invalid === 'ParameterFieldCheckFailed' ? parameterFieldCheckFailed(detail) : invalidParameter(name, detail);
      },
      instance: (id) => {
        if (id !== context.instanceId) throw spec.otherInstance === 'InstanceNotFound' ? instanceNotFound() : instancePermissionCheckFailed();
      },
    }) as OnsMqttInput<A>;
    const values = await run(input, context);
    try {
      return formatAnswer(spec, values);
    } catch {
      throw internalError();
    }
  };
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

/**
 * The answer of a query action: one page of `items` after `nextToken`, `size` at most, as
 * `data.results`; `data.nextToken` when more follow (the envelope's constants come from the contract).
 */
export function pagedAnswer<T>(items: readonly T[], input: { readonly size: number; readonly nextToken: string | undefined }, toResult: (item: T) => Record<string, unknown>) {
  const { size, nextToken: token } = input;
  let start = 0;
  if (token !== undefined) {
    const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(token) ? atob(token) : '';
    const match = /^offset:(\d{1,9})$/.exec(decoded);
    if (!match) throw invalidParameter('NextToken', 'NextToken must be a value a previous answer returned.');
    start = Number(match[1]);
  }
  const results = items.slice(start, start + size).map(toResult);
  const more = start + size < items.length;
  return { data: { results, ...(more ? { nextToken: btoa(`offset:${start + size}`) } : {}) } };
}
