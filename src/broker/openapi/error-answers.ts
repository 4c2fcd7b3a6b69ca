/**
 * The error answers of the `onsmqtt` OpenAPI: the gateway's (signature, time stamp, nonce, action,
 * missing parameters) and the product's, with the HTTP statuses and messages of Alibaba's error-code
 * table ("Error codes", ApsaraMQ for MQTT developer reference) and of each action's API reference
 * (its `errorCodes`). Where a code's message is documented it is used word for word; a detail that
 * helps the caller follows it after a space.
 * @module
 */
import { _repeatedName } from '../../internal/json-keys.js';
import { actionSpec, ONSMQTT_ERRORS, ONSMQTT_RATE_LIMITS, type OnsMqttErrorCode } from '../../openapi/onsmqtt-contract.js';

/** An error answer, thrown by the checks and the actions and written by the service. */
export class ApiFailure {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
  ) {}
}

const withDetail = (message: string, detail: string | undefined) => (detail ? `${message} ${detail}` : message);

// --- gateway (every Alibaba Cloud RPC API) ----------------------------------------------------------

/** `Missing<Name>`: a required parameter is absent (POP gateway). */
export const missing = (name: string) => new ApiFailure(400, `Missing${name}`, `${name} is mandatory for this action.`);
/** A parameter appears twice. */
export const repeated = (name: string) => new ApiFailure(400, 'InvalidParameter', `The parameter ${_repeatedName(name)} is given more than once.`);
/**
 * A request over the service's bounds (its body, or its number of parameters), refused before any
 * signature is computed. Inferred: Alibaba documents no code for this, so the name says what it is.
 */
export const requestTooLarge = (detail: string) => new ApiFailure(413, 'RequestTooLarge', `The request is too large: ${detail}.`);
/** An action name the product does not have. */
export const actionNotFound = () => new ApiFailure(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');

// --- product (ApsaraMQ for MQTT error-code table, held by the contract) -------------------------

/** The product's error answer `code`, with the status and message the contract documents. */
const product = (code: OnsMqttErrorCode, detail?: string) => new ApiFailure(ONSMQTT_ERRORS[code].status, code, withDetail(ONSMQTT_ERRORS[code].message, detail));

/** `404 ApiNotSupport`: an action of the product this instance does not offer. */
export const apiNotSupported = () => product('ApiNotSupport');
/** `400 InvalidParameter.<Name>`. */
export const invalidParameter = (name: string, detail?: string) => {
  const base = product('InvalidParameter', detail);
  return new ApiFailure(base.status, `InvalidParameter.${name}`, base.message);
};
/** `400 ParameterFieldCheckFailed` (the Group ID actions' code for a bad parameter). */
export const parameterFieldCheckFailed = (detail?: string) => product('ParameterFieldCheckFailed', detail);
/** `400 InstancePermissionCheckFailed`: an instance this AccessKey does not reach. */
export const instancePermissionCheckFailed = () => product('InstancePermissionCheckFailed');
/** `400 InstanceNotFound` (the Group ID actions' code for another instance). */
export const instanceNotFound = () => product('InstanceNotFound');
/** `400 GroupIdAlreadyExsited` (sic, as the service spells it). */
export const groupIdAlreadyExists = () => product('GroupIdAlreadyExsited');
/** `400 DeviceCredentialNotFound`. */
export const deviceCredentialNotFound = () => product('DeviceCredentialNotFound');
/** `400 Customauth.over.capacity`. */
export const customAuthOverCapacity = () => product('Customauth.over.capacity');
/** `500 InternalError`. */
export const internalError = () => product('InternalError');

/** The answer to a call over its action's rate limit: its own code where the contract lists one, else `SystemOverFlow`. */
export const overflow = (action: string) => product(actionSpec(action)?.overflow ?? 'SystemOverFlow');

/**
 * Calls per second per account, by action, from the contract (each action's API reference; the local
 * service counts per AccessKey).
 */
export const DOCUMENTED_RATE_LIMITS: Readonly<Record<string, number>> = ONSMQTT_RATE_LIMITS;
