/**
 * What every credential builder returns.
 * @module
 */

/**
 * The MQTT CONNECT Username and Password for one client. A plain object: the password is the
 * caller's to send (to mqtt.js, or from a server to a browser); the SDK itself never logs it.
 */
export interface Credentials {
  username: string;
  password: string;
}
