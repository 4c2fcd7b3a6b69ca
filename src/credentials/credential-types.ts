/**
 * What every credential builder returns.
 * @module
 */

/**
 * The MQTT CONNECT Username and Password for one client. A plain object: the password is the
 * caller's to send (to mqtt.js, or from a server to a browser); the SDK itself never logs it.
 */
export interface Credentials {
  /** The MQTT Username, e.g. `Signature|<AccessKeyId>|<InstanceId>`. */
  username: string;
  /** The MQTT Password (a signature, tokens or a secret, per mode). Never logged by the SDK. */
  password: string;
}
