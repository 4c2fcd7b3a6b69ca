/**
 * The error an `onsmqtt` OpenAPI call fails with: code `ERR_OPENAPI`, and Alibaba's own error code
 * (`SignatureDoesNotMatch`, `ApplyTokenOverFlow`, …), request id and HTTP status kept for branching and support.
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';

/** Details of an {@link OpenApiError}. */
export interface OpenApiErrorOptions {
  /** Alibaba's error `Code`, e.g. `InvalidAccessKeyId.NotFound`. */
  openApiCode?: string;
  /** The `RequestId` the service answered with (quote it to Alibaba support). */
  requestId?: string;
  /** The HTTP status of the answer, when there was one. */
  status?: number;
  /** The request parameter at fault, when the SDK knows it. */
  field?: string;
  /** The underlying error (a network failure, a malformed body). */
  cause?: unknown;
}

/**
 * An OpenAPI call failed: the service answered with an error, answered something unreadable, or
 * could not be reached. `code` is always `ERR_OPENAPI`; branch on {@link OpenApiError.openApiCode}
 * for Alibaba's reason.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof OpenApiError && isThrottlingCode(e.openApiCode)) retryLater() }
 * ```
 */
export class OpenApiError extends ApsaraMqttAuthError {
  /** Alibaba's error `Code`, when the service sent one. */
  readonly openApiCode?: string;
  /** The service's `RequestId`, when it sent one. */
  readonly requestId?: string;
  /** The HTTP status, when an answer arrived. */
  readonly status?: number;

  constructor(message: string, options: OpenApiErrorOptions = {}) {
    // Lenient like its base class: options that are not an object count as none; own properties only.
    const own = <K extends keyof OpenApiErrorOptions>(key: K) =>
      (options !== null && typeof options === 'object' && Object.hasOwn(options, key) ? options[key] : undefined) as OpenApiErrorOptions[K];
    super('ERR_OPENAPI', message, { cause: own('cause'), ...(own('field') === undefined ? {} : { field: own('field') }) });
    if (own('openApiCode') !== undefined) this.openApiCode = own('openApiCode');
    if (own('requestId') !== undefined) this.requestId = own('requestId');
    if (own('status') !== undefined) this.status = own('status');
  }
}

/**
 * Is `code` a throttling answer, to retry a moment later? The product's own codes
 * (`ApplyTokenOverFlow`, `QueryTokenOverFlow`, `RevokeTokenOverFlow`, `SystemOverFlow`, from the
 * ApsaraMQ for MQTT error-code table) and the gateway's (`Throttling`, `Throttling.User`, …).
 */
export function isThrottlingCode(code: string | undefined): boolean {
  return typeof code === 'string' && (/^Throttling(\.|$)/.test(code) || /OverFlow$/.test(code));
}
