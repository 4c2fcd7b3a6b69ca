/**
 * The error answers of the `onsmqtt` OpenAPI: the gateway's (signature, time stamp, nonce, action,
 * missing parameters) and the product's, with the HTTP statuses and messages of Alibaba's error-code
 * table ("Error codes", ApsaraMQ for MQTT developer reference) and of each action's API reference
 * (its `errorCodes`). Where a code's message is documented it is used word for word; a detail that
 * helps the caller follows it after a space.
 * @module
 */
import { _repeatedName } from '../../internal/json-keys.js';

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

// --- product (ApsaraMQ for MQTT error-code table) ---------------------------------------------------

const INVALID_PARAMETER = 'An error occurred while validating the parameter. The parameter may be missing or invalid.';

/** `404 ApiNotSupport`: an action of the product this instance does not offer. */
export const apiNotSupported = () => new ApiFailure(404, 'ApiNotSupport', 'The specified API is not supported.');
/** `400 InvalidParameter.<Name>`. */
export const invalidParameter = (name: string, detail?: string) => new ApiFailure(400, `InvalidParameter.${name}`, withDetail(INVALID_PARAMETER, detail));
/** `400 ParameterFieldCheckFailed` (the Group ID actions' code for a bad parameter). */
export const parameterFieldCheckFailed = (detail?: string) =>
  new ApiFailure(400, 'ParameterFieldCheckFailed', withDetail('Failed to validate the parameters. The parameters may be missing or invalid.', detail));
/** `400 InstancePermissionCheckFailed`: an instance this AccessKey does not reach. */
export const instancePermissionCheckFailed = () =>
  new ApiFailure(
    400,
    'InstancePermissionCheckFailed',
    'An error occurred while validating the permissions of the instance. Please verify the account that created the instance and its permissions settings.',
  );
/** `400 InstanceNotFound` (the Group ID actions' code for another instance). */
export const instanceNotFound = () => new ApiFailure(400, 'InstanceNotFound', 'Failed to find the instance. The instanceId may be invalid.');
/** `400 GroupIdAlreadyExsited` (sic, as the service spells it). */
export const groupIdAlreadyExists = () => new ApiFailure(400, 'GroupIdAlreadyExsited', 'The specified GroupId already exists.');
/** `400 DeviceCredentialNotFound`. */
export const deviceCredentialNotFound = () => new ApiFailure(400, 'DeviceCredentialNotFound', 'Device Credential Not Found. Check if the device certificate is registered.');
/** `400 Customauth.over.capacity`. */
export const customAuthOverCapacity = () => new ApiFailure(400, 'Customauth.over.capacity', 'Over custom auth capacity.');
/** `500 InternalError`. */
export const internalError = () => new ApiFailure(500, 'InternalError', 'An error occurred while processing your request. Try again later.');

/** The throttling answer of each action, as its API reference lists it. */
const OVERFLOW: Readonly<Record<string, ApiFailure>> = {
  ApplyToken: new ApiFailure(400, 'ApplyTokenOverFlow', 'You have applied for tokens too many times. Please try again later.'),
  QueryToken: new ApiFailure(400, 'QueryTokenOverFlow', 'You have queried tokens too many times. Please try again later.'),
  RevokeToken: new ApiFailure(400, 'RevokeTokenOverFlow', 'You have revoked tokens too many times. Please try again later.'),
};
/** The answer to a call over its action's rate limit (`SystemOverFlow` where no own code is listed). */
export const overflow = (action: string) => OVERFLOW[action] ?? new ApiFailure(500, 'SystemOverFlow', 'An error occurred while processing your request. Please try again.');

/**
 * Calls per second per account, by action, from each action's API reference (the local service counts
 * per AccessKey).
 */
export const DOCUMENTED_RATE_LIMITS: Readonly<Record<string, number>> = Object.freeze({
  ApplyToken: 100,
  QueryToken: 100,
  RevokeToken: 5,
  RegisterDeviceCredential: 500,
  GetDeviceCredential: 500,
  RefreshDeviceCredential: 500,
  UnRegisterDeviceCredential: 500,
  QuerySessionByClientId: 500,
  BatchQuerySessionByClientIds: 100,
  SendMessage: 1000,
});
