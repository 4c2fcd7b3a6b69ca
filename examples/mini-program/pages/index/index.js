// The page: connects with the SDK's managed connection (mqtt.js underneath), subscribes, shows what
// arrives and each in-band token rotation. Run `node vendor.mjs` first (see README.md).
const { connect, refreshCredentials } = require('../../vendor/apsaramq-mqtt-auth.js');
const mqtt = require('../../vendor/mqtt.js');
const config = require('../../config.js');
const { credentialsFrom } = require('./credentials.js');

/** The SDK's message, and the cause it wraps (the provider's own error, say) when there is one. */
const describe = (error) => (error.cause && error.cause.message ? `${error.message}: ${error.cause.message}` : error.message);

Page({
  data: { state: 'connecting', error: '', messages: [], rotations: 0 },

  onLoad() {
    const client = connect({
      mqtt, // mini-programs have no global mqtt: pass it
      instanceId: config.instanceId,
      clientId: config.clientId,
      host: config.host,
      port: config.port,
      path: config.path,
      transport: config.transport, // wxs/wx in WeChat, alis/ali in Alipay (the default follows the platform)
      credentials: credentialsFrom(config.credentialUrl),
    });
    this.client = client;
    client.on('connect', () => {
      this.setData({ state: 'connected', error: '' });
      client.subscribe(config.topic, { qos: 1 }, (error) => this.setData(error ? { state: 'error', error: describe(error) } : { state: 'subscribed' }));
    });
    client.on('message', (topic, payload) => {
      this.setData({ messages: this.data.messages.concat(`${topic}: ${payload}`).slice(-20) });
    });
    // A new token went to the broker on the open connection: no reconnect, nothing lost.
    client.on('tokenUploaded', () => this.setData({ rotations: this.data.rotations + 1 }));
    client.on('credentialsError', (error) => this.setData({ error: describe(error) }));
    client.on('error', (error) => this.setData({ state: error.code === 'ERR_CONNECT_REFUSED' ? 'refused' : 'error', error: describe(error) }));
    client.on('offline', () => this.setData({ state: 'offline' }));
  },

  /** The refresh button: asks the credential server now; a new token is rotated in band. */
  onRefreshTap() {
    return refreshCredentials(this.client).catch((error) => this.setData({ error: describe(error) }));
  },

  onUnload() {
    // A graceful end (DISCONNECT, then the socket closes): mqtt.js's Alipay transport closes its
    // socket only this way, not on a forced end(true).
    this.client.end();
  },
});
