/*
 * A live telemetry dashboard with no secret in it: the credential server hands this page Token
 * credentials (remoteCredentials), the SDK keeps them fresh (ahead of expiry, after a refusal, on the
 * broker's token notices), and the page shows where the connection stands:
 *   connecting · connected · refreshing credentials · refused (with the reason; the page stops).
 *
 * `/api/config` (served by `npm start`) says which broker, instance, GroupId and topic to use; in
 * your own app these are constants. `?device=<id>` picks the device part of the client id.
 */
import mqtt from 'mqtt';
import { connect, onSessionEvent, refreshCredentials, remoteCredentials } from 'apsaramq-mqtt-auth';

const $ = (id) => document.getElementById(id);
const LABELS = { connecting: 'connecting', connected: 'connected', refreshing: 'refreshing credentials', refused: 'refused' };
const WHY = {
  expiring: 'the token expires soon',
  refused: 'the broker refused the last credentials',
  'token-invalid': 'the broker says the token is invalid',
  manual: 'asked for',
};
const MAX_ITEMS = 50;

/** What the page shows, also readable by tests and the console as `window.dashboard`. */
const view = (window.dashboard = { state: 'connecting', detail: '', history: [], messages: 0, connects: 0, tokenUploads: 0, clientId: '' });

function prependCapped(list, item) {
  list.prepend(item);
  while (list.children.length > MAX_ITEMS) list.lastElementChild.remove();
}

function logLine(text) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  prependCapped($('log'), li);
}

function setState(state, detail = '') {
  if (view.state === 'refused') return; // final: the page does not retry what was refused
  if (view.state === state && view.detail === detail && view.history.length > 0) return; // e.g. each retry of an outage
  view.state = state;
  view.detail = detail;
  view.history.push({ state, detail });
  $('status').dataset.state = state;
  $('state').textContent = LABELS[state];
  $('detail').textContent = detail;
  logLine(detail ? `${LABELS[state]}: ${detail}` : LABELS[state]);
  for (const id of ['refresh', 'rotate', 'revoke']) $(id).disabled = state === 'refused';
}

function showMessage(topic, payload) {
  const text = new TextDecoder().decode(payload);
  view.messages++;
  $('count').textContent = String(view.messages);
  const li = document.createElement('li');
  li.textContent = `${topic}  ${text}`;
  prependCapped($('messages'), li);
  let sample;
  try {
    sample = JSON.parse(text);
  } catch {
    return; // not a telemetry sample: listed above, not tabulated
  }
  if (!sample || typeof sample.deviceId !== 'string') return;
  let row = [...$('devices').rows].find((r) => r.dataset.device === sample.deviceId);
  if (!row) {
    row = $('devices').insertRow();
    row.dataset.device = sample.deviceId;
    for (let i = 0; i < 5; i++) row.insertCell();
    $('no-data').hidden = true;
  }
  const cells = [sample.deviceId, `#${sample.seq}`, `${sample.temperature} °C`, `${sample.humidity} %`, new Date(sample.time).toLocaleTimeString()];
  cells.forEach((value, i) => (row.cells[i].textContent = value));
  row.dataset.seq = String(sample.seq);
}

function showExpiry(expiresAt) {
  if (expiresAt === undefined) return void ($('expires').textContent = 'do not expire');
  const minutes = Math.round((expiresAt - Date.now()) / 60_000);
  $('expires').textContent = `Token, expires ${new Date(expiresAt).toLocaleTimeString()} (in ${minutes} min); renewed ahead of time`;
}

async function start() {
  const response = await fetch('/api/config', { cache: 'no-store' });
  if (!response.ok) throw new Error(`the page configuration could not be loaded (HTTP ${response.status})`);
  const config = await response.json();
  const device = new URLSearchParams(location.search).get('device') ?? `dashboard-${Math.random().toString(36).slice(2, 8)}`;
  const clientId = (view.clientId = `${config.groupId}@@@${device}`);
  $('target').textContent = config.targetName;
  $('client-id').textContent = clientId;
  $('topic').textContent = config.topic;

  // The credential server signs; this page only ever holds a Token password. Each fetch after the
  // first is a refresh, which the page shows while it lasts.
  const fromServer = remoteCredentials(config.credentialsUrl);
  const credentials = (context) => {
    if (context.reason !== 'connect' && view.state !== 'refreshing') setState('refreshing', WHY[context.reason] ?? context.reason);
    return fromServer(context);
  };

  setState('connecting', 'asking the credential server');
  const client = connect({ mqtt, instanceId: config.instanceId, clientId, credentials, ...config.connect, connectTimeout: 5000 });
  window.dashboard.client = client;

  client.on('connect', () => {
    view.connects++;
    setState('connected', view.connects > 1 ? 'reconnected' : `subscribed to ${config.topic}`);
    // mqtt.js subscribes again by itself after a reconnect.
    if (view.connects === 1) client.subscribe(config.topic, { qos: 1 }, (error) => error && logLine(`subscribe failed: ${error.message}`));
  });
  client.on('reconnect', () => view.state !== 'refreshing' && setState('connecting', 'reconnecting'));
  client.on('close', () => view.state === 'connected' && setState('connecting', 'connection lost; retrying'));
  client.on('message', showMessage);
  client.on('error', (error) => {
    // ERR_CONNECT_REFUSED: the SDK refreshed once and the broker refused the fresh credentials too.
    if (error.code === 'ERR_CONNECT_REFUSED') setState('refused', error.message);
    else logLine(`connection error: ${error.message}`);
  });

  onSessionEvent(client, 'credentials', ({ reason, expiresAt }) => {
    showExpiry(expiresAt);
    if (reason === 'connect') setState('connecting', 'credentials received; connecting to the broker');
    else if (client.connected) setState('connected', 'credentials refreshed');
    else setState('connecting', 'reconnecting with fresh credentials');
  });
  onSessionEvent(client, 'tokenUploaded', () => {
    view.tokenUploads++;
    setState('connected', 'new token uploaded in band (no reconnect)');
  });
  onSessionEvent(client, 'tokenExpiring', ({ expireTime }) => logLine(`the broker says the token expires at ${new Date(expireTime).toLocaleTimeString()}`));
  onSessionEvent(client, 'tokenInvalid', ({ reason }) => setState('refreshing', `the broker says the token is ${reason}`));
  onSessionEvent(client, 'credentialsError', (error) => {
    // 4xx: the server decided (not authorized, bad request); asking again would get the same answer.
    if (error.returnCode >= 400 && error.returnCode < 500) {
      client.end(true);
      setState('refused', error.message);
    } else {
      setState('connecting', `${error.message}; retrying`);
    }
  });

  const demoAction = async (url) => {
    const answer = await fetch(url, { method: 'POST' });
    const body = await answer.json().catch(() => ({}));
    if (!answer.ok) throw new Error(body.error?.message ?? `HTTP ${answer.status}`);
  };
  const onClick = (id, action) =>
    $(id).addEventListener('click', () => action().catch((error) => logLine(`${$(id).textContent} failed: ${error.message}`)));
  onClick('refresh', () => refreshCredentials(client));
  onClick('rotate', async () => {
    await demoAction(config.demo.rotate);
    await refreshCredentials(client);
  });
  onClick('revoke', () => demoAction(config.demo.revoke));
}

start().catch((error) => setState('refused', error.message));
