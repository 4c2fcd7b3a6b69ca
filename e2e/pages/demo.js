/*
 * The page logic shared by script-tag.html (UMD global) and esm.html (ESM import): compute the
 * credentials in the page, connect over WebSocket, subscribe, and show what arrives. A refusal is
 * shown as a readable message and the page stops: it does not retry a credential the broker said
 * no to. Everything comes from the query string (these pages serve tests, not users):
 *   host, port, path       where the broker's WebSocket listener is (default path /mqtt)
 *   instanceId, clientId   the ApsaraMQ instance and client id
 *   mode                   signature | device | custom (SIGNED) | token
 *   accessKeyId, secret    key id (or custom username) and the secret to sign with (token: the token)
 *   tokenType              token mode: R | W | RW (default RW)
 *   topic                  what to subscribe to
 *   via                    connectAsync (default) | connect
 *   protocolVersion        4 (default) | 5
 */
'use strict';

// `mqtt` is needed only by the synchronous connect() on an ESM page, where there is no global to
// find; connectAsync loads mqtt.js by itself (the import map resolves the bare name).
window.runDemo = async function runDemo(api, mqtt) {
  const q = new URLSearchParams(location.search);
  const $ = (id) => document.getElementById(id);
  // The same view on both pages (static markup; message text goes in with textContent only).
  document.body.insertAdjacentHTML(
    'beforeend',
    `<p>State: <output id="state">loading</output></p>
     <p id="secure"></p>
     <p>Username: <code id="username"></code></p>
     <p id="error" role="alert"></p>
     <h2>Messages</h2>
     <ul id="messages"></ul>`,
  );
  const demo = (window.demo = { state: 'idle', backend: api.hmacBackend(), error: null, messages: [], client: null, api });
  const setState = (state, detail) => {
    demo.state = state;
    $('state').textContent = detail ? `${state}: ${detail}` : state;
    $('state').dataset.state = state;
  };
  const showError = (prefix, error) => {
    demo.error = { name: error.name, code: error.code, returnCode: error.returnCode, message: error.message };
    const code = error.code !== undefined ? ` [${error.code}${error.returnCode !== undefined ? ` ${error.returnCode}` : ''}]` : '';
    $('error').textContent = `${prefix}: ${error.message}${code}`;
  };
  $('secure').textContent = `isSecureContext=${window.isSecureContext}, crypto.subtle=${typeof globalThis.crypto?.subtle}, HMAC backend=${demo.backend}`;

  const instanceId = q.get('instanceId');
  const clientId = q.get('clientId');
  const mode = q.get('mode') ?? 'signature';
  const accessKeyId = q.get('accessKeyId');
  const secret = q.get('secret');
  const topic = q.get('topic') ?? 'demo/#';

  let credentials;
  try {
    setState('signing');
    if (mode === 'signature') credentials = await api.signatureCredentials({ accessKeyId, accessKeySecret: secret, instanceId, clientId });
    else if (mode === 'device') credentials = await api.deviceCredentials({ deviceAccessKeyId: accessKeyId, deviceAccessKeySecret: secret, instanceId, clientId });
    else if (mode === 'custom') credentials = await api.customCredentials({ username: accessKeyId, secret, clientId, signMode: 'SIGNED' });
    else credentials = api.tokenCredentials({ accessKeyId, instanceId, tokens: { [q.get('tokenType') ?? 'RW']: secret } });
  } catch (error) {
    setState('invalid');
    return showError('Cannot sign', error);
  }
  $('username').textContent = credentials.username;

  const input = {
    instanceId,
    clientId,
    credentials,
    transport: 'ws',
    host: q.get('host') ?? '127.0.0.1',
    port: Number(q.get('port')),
    path: q.get('path') ?? '/mqtt',
    protocolVersion: Number(q.get('protocolVersion') ?? 4),
  };
  const onMessage = (t, payload) => {
    const text = new TextDecoder().decode(payload);
    demo.messages.push({ topic: t, text });
    const li = document.createElement('li');
    li.textContent = `${t}: ${text}`;
    $('messages').append(li);
  };

  setState('connecting');
  let client;
  if (q.get('via') === 'connect') {
    // The event-style API: a refusal arrives as one ERR_CONNECT_REFUSED error event and the SDK
    // ends the client (retrying credentials the broker said no to would only loop).
    try {
      client = demo.client = api.connect(mqtt ? { ...input, mqtt } : input);
    } catch (error) {
      setState('failed');
      return showError('Cannot connect', error);
    }
    client.on('error', (error) => {
      const refused = error.code === 'ERR_CONNECT_REFUSED';
      if (refused) setState('refused');
      showError(refused ? 'Refused by the broker' : 'Connection error', error);
    });
    // A broker that cannot be reached is no refusal: the SDK keeps retrying with backoff, and the page says so.
    const { url } = api.createConnectOptions(input);
    client.on('offline', () => {
      setState('offline');
      $('error').textContent = `Cannot reach the broker at ${url}; retrying with backoff`;
    });
    client.on('reconnect', () => setState('reconnecting'));
    client.on('message', onMessage);
    await new Promise((resolve) => client.once('connect', resolve));
    $('error').textContent = '';
  } else {
    try {
      client = demo.client = await api.connectAsync(input);
    } catch (error) {
      setState(error.code === 'ERR_CONNECT_REFUSED' ? 'refused' : 'failed');
      return showError(error.code === 'ERR_CONNECT_REFUSED' ? 'Refused by the broker' : 'Cannot connect', error);
    }
    client.on('message', onMessage);
    client.on('reconnect', () => setState('reconnecting'));
    client.on('error', (error) => showError('Connection error', error));
  }
  await client.subscribeAsync(topic, { qos: 1 });
  setState('subscribed', topic);
};
