// Where the page connects and where it gets its credentials. The defaults are `npm start`'s demo on
// this machine: its credential server hands `GID_demo@@@page-*` client ids read-only Token
// credentials for `demo/+/telemetry`, and its local broker listens for WebSocket on 8083.
// For an ApsaraMQ instance: your instance id, `<instance>.mqtt.aliyuncs.com`, transport 'wxs'
// (or leave transport out: wxs in WeChat, alis in Alipay), and your own credential server.
module.exports = {
  instanceId: 'mqtt-local-demo',
  clientId: 'GID_demo@@@page-miniprogram',
  host: '127.0.0.1',
  port: 8083,
  path: '/mqtt',
  // ws:// without TLS works in the developer tools with "do not verify domain names" ticked only.
  transport: 'wx',
  credentialUrl: 'http://127.0.0.1:8080/api/mqtt-credentials',
  topic: 'demo/+/telemetry',
};
