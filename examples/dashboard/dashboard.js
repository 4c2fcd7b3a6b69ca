/*
 * A live telemetry dashboard with no secret in it: the credential server hands this page Token
 * credentials (remoteCredentials), the SDK keeps them fresh and reconnects with backoff, and the page
 * shows the SDK's own view of the connection (sessionState and its `state` event): idle, connecting,
 * connected, backing off (with the time of the next attempt), refused (with the reason and a retry
 * button), ended. Telemetry is charted per device as plain SVG.
 *
 * `/api/config` (served by `npm start`) says which broker, instance, GroupId and topic to use; in
 * your own app these are constants. `?device=<id>` picks the device part of the client id.
 */
import mqtt from 'mqtt';
import { connect, onSessionEvent, refreshCredentials, remoteCredentials, sessionState } from 'apsaramq-mqtt-auth';

const $ = (id) => document.getElementById(id);
const LABELS = { idle: 'idle', connecting: 'connecting', connected: 'connected', 'backing-off': 'backing off', refused: 'refused', ended: 'ended' };
const NEXT = { connect: 'next reconnect', credentials: 'next credentials request', renew: 'credentials renewed' };
const MAX_ITEMS = 50;
const CHART_POINTS = 60;
const COLORS = ['#2f6fec', '#12a150', '#d99a00', '#d92d20', '#8e44ad', '#0e9aa7'];

/** What the page shows, also readable by tests and the console as `window.dashboard`. */
const view = (window.dashboard = {
  state: 'connecting',
  renewalStopped: '',
  runFrom: 0,
  detail: '',
  refreshing: false,
  history: [],
  messages: 0,
  connects: 0,
  tokenUploads: 0,
  refreshes: 0,
  clientId: '',
  busy: '',
});

let client;
let config;
let snapshot; // the SDK's last SessionState
let note = ''; // what last happened while connected
let networkError = ''; // mqtt.js's last plain error (the broker unreachable, say)
// The current run: attempts counted from where the last connection was lost (or from the start), so
// that a page connected again does not show the failures that came before.
let runFrom = 0;
let wasConnected = false;
const series = new Map(); // deviceId → [temperature, …] (newest last)

const time = (ms) => new Date(ms).toLocaleTimeString();
const inSeconds = (ms) => Math.max(0, Math.ceil((ms - Date.now()) / 1000));

function prependCapped(list, item) {
  list.prepend(item);
  while (list.children.length > MAX_ITEMS) list.lastElementChild.remove();
}

function logLine(text) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  prependCapped($('log'), li);
}

function detailOf(s) {
  switch (s.state) {
    case 'connecting':
      return s.refreshing ? 'asking the credential server' : s.attempts > 1 ? `reconnecting (attempt ${s.attempts})` : 'opening the connection';
    case 'connected':
      return note || `subscribed to ${config.topic}`;
    case 'backing-off':
      return s.lastError?.message ?? (networkError ? `connection lost: ${networkError}` : 'connection lost');
    case 'refused':
      return s.lastError?.message ?? 'refused';
    case 'idle':
      return 'not connecting';
    default:
      return 'the connection was closed';
  }
}

/** Everything below the status line follows the SDK's snapshot; nothing here guesses. */
function render() {
  const s = snapshot;
  if (!s) return;
  const detail = detailOf(s);
  if (view.state !== s.state || view.detail !== detail) {
    view.history.push({ state: s.state, detail });
    logLine(`${LABELS[s.state]}: ${detail}`);
  }
  Object.assign(view, { state: s.state, detail, refreshing: s.refreshing, nextAttempt: s.nextAttempt, credentials: s.credentials, attempts: s.attempts, failures: s.failures });
  $('status').dataset.state = s.state;
  $('state').textContent = LABELS[s.state];
  $('detail').textContent = detail;
  $('refreshing').hidden = !s.refreshing;
  if (wasConnected && s.state !== 'connected') runFrom = view.runFrom = s.attempts - (s.state === 'connecting' ? 1 : 0);
  wasConnected = s.state === 'connected';
  $('attempts').textContent = runText(s);
  // Connected, and the credential server said no to a renewal: it lasts until the credentials expire.
  const stopped = s.state === 'connected' && s.renewalStopped;
  view.renewalStopped = stopped ? s.renewalStopped.message : '';
  $('status').dataset.renewal = stopped ? 'stopped' : '';
  $('renewal-badge').hidden = !stopped;
  renderClock();
  renderButtons();
}

/** The counts of the current run: since the last connection was lost, or since the start. */
function runText(s) {
  const attempts = s.attempts - runFrom;
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (s.state === 'connected') return `connected since ${time(s.since)}, ${attempts > 1 ? `after ${attempts} attempts` : 'at the first attempt'}`;
  const from = runFrom > 0 ? 'since the connection was lost' : 'since the page opened';
  return `${plural(attempts, 'connection attempt')} ${from}; ${plural(s.failures, 'failure')} in a row`;
}

/** The parts that count down: the next attempt, and the credentials' expiry. */
function renderClock() {
  const s = snapshot;
  if (!s) return;
  const next = s.nextAttempt;
  const retrying = next && next.action !== 'renew';
  $('next').hidden = !retrying;
  if (retrying) $('next').textContent = `${NEXT[next.action]} at ${time(next.at)} (in ${inSeconds(next.at)} s)`;
  const c = s.credentials;
  let text = '–';
  if (c?.invalid) {
    const why = c.invalid === 'refused' ? 'the broker refused them' : `the broker says the token is ${c.invalid}`;
    text = `${why}; ${s.refreshing ? 'new credentials are on the way' : s.state === 'refused' ? 'not replaced' : 'new credentials are asked for before the next connection'}`;
  } else if (c && c.expiresAt === undefined) {
    text = 'do not expire';
  } else if (c) {
    const minutes = Math.max(0, Math.round((c.expiresAt - Date.now()) / 60_000));
    text = `Token, expires ${time(c.expiresAt)} (in ${minutes} min)`;
    if (next?.action === 'renew') text += `; renewed at ${time(next.at)}`;
    if (!c.changed) text += '; the server handed out the same token again (it is cached until shortly before it expires)';
  }
  $('expires').textContent = text;
  const stopped = s.state === 'connected' && s.renewalStopped;
  $('renewal').hidden = !stopped;
  if (stopped) {
    const until = c?.expiresAt === undefined ? '' : ` The connection ends when the credentials expire, at ${time(c.expiresAt)} (in ${inSeconds(c.expiresAt)} s).`;
    $('renewal').textContent = `Renewal stopped: ${s.renewalStopped.message}.${until} Retry asks again.`;
  }
}

/** Only what can be done now is enabled; an action in progress disables the buttons. */
function renderButtons() {
  const s = snapshot;
  const idle = !view.busy && !s?.refreshing;
  const live = s?.state === 'connected';
  $('refresh').disabled = !idle || !s || s.state === 'refused' || s.state === 'ended';
  $('rotate').disabled = !idle || !live;
  $('revoke').disabled = !!view.busy || !live;
  const retry = s?.state === 'refused' || s?.state === 'backing-off' || (s?.state === 'connected' && !!s.renewalStopped);
  $('retry').hidden = !retry;
  $('retry').disabled = !idle || !retry;
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
    for (let i = 0; i < 5; i++) row.insertCell().className = i === 1 || i === 4 ? 'opt' : '';
    $('no-data').hidden = true;
  }
  const cells = [sample.deviceId, `#${sample.seq}`, `${sample.temperature} °C`, `${sample.humidity} %`, new Date(sample.time).toLocaleTimeString()];
  cells.forEach((value, i) => (row.cells[i].textContent = value));
  row.dataset.seq = String(sample.seq);
  if (typeof sample.temperature === 'number') {
    const points = series.get(sample.deviceId) ?? [];
    points.push(sample.temperature);
    if (points.length > CHART_POINTS) points.shift();
    series.set(sample.deviceId, points);
    scheduleChart();
  }
}

let chartQueued = false;
function scheduleChart() {
  if (chartQueued) return;
  chartQueued = true;
  requestAnimationFrame(() => {
    chartQueued = false;
    drawChart();
  });
}

/** One polyline per device, newest sample at the right edge, the y range fitted to the data. */
function drawChart() {
  const svg = $('chart');
  const [width, height, pad] = [600, 180, 12];
  const all = [...series.values()].flat();
  if (all.length === 0) return;
  let [lo, hi] = [Math.min(...all), Math.max(...all)];
  if (hi - lo < 1) [lo, hi] = [lo - 0.5, hi + 0.5];
  const y = (v) => pad + ((hi - v) / (hi - lo)) * (height - 2 * pad);
  const x = (i, n) => width - ((n - 1 - i) / (CHART_POINTS - 1)) * width;
  const ns = 'http://www.w3.org/2000/svg';
  svg.replaceChildren();
  for (const v of [lo, (lo + hi) / 2, hi]) {
    const line = document.createElementNS(ns, 'line');
    Object.entries({ x1: 0, x2: width, y1: y(v), y2: y(v), class: 'grid' }).forEach(([k, val]) => line.setAttribute(k, String(val)));
    svg.append(line);
  }
  const legend = [];
  [...series.entries()].forEach(([device, points], index) => {
    const color = COLORS[index % COLORS.length];
    const polyline = document.createElementNS(ns, 'polyline');
    polyline.setAttribute('points', points.map((v, i) => `${x(i, points.length).toFixed(1)},${y(v).toFixed(1)}`).join(' '));
    polyline.setAttribute('stroke', color);
    polyline.dataset.device = device;
    polyline.dataset.points = String(points.length);
    svg.append(polyline);
    const item = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.style.background = color;
    item.append(swatch, `${device}: ${points.at(-1)} °C`);
    legend.push(item);
  });
  const range = document.createElement('li');
  range.className = 'muted';
  range.textContent = `${lo.toFixed(1)}–${hi.toFixed(1)} °C`;
  $('legend').replaceChildren(...legend, range);
}

/** Runs a button's action with the buttons disabled meanwhile, and says so when it fails. */
function action(id, run) {
  $(id).addEventListener('click', async () => {
    view.busy = id;
    renderButtons();
    try {
      await run();
    } catch (error) {
      logLine(`${$(id).textContent} failed: ${error.message}`);
    } finally {
      view.busy = '';
      if (client) snapshot = sessionState(client);
      render();
    }
  });
}

async function demoAction(url) {
  const answer = await fetch(url, { method: 'POST' });
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Error(body.error?.message ?? `HTTP ${answer.status}`);
}

async function start() {
  const response = await fetch('/api/config', { cache: 'no-store' });
  if (!response.ok) throw new Error(`the page configuration could not be loaded (HTTP ${response.status})`);
  config = await response.json();
  const device = new URLSearchParams(location.search).get('device') ?? `dashboard-${Math.random().toString(36).slice(2, 8)}`;
  const clientId = (view.clientId = `${config.groupId}@@@${device}`);
  $('target').textContent = config.targetName;
  $('client-id').textContent = clientId;
  $('topic').textContent = config.topic;

  // The credential server signs; this page only ever holds a Token password.
  client = connect({ mqtt, instanceId: config.instanceId, clientId, credentials: remoteCredentials(config.credentialsUrl), ...config.connect, connectTimeout: 5000 });
  window.dashboard.client = client;
  const update = (s) => {
    snapshot = s;
    render();
  };
  onSessionEvent(client, 'state', update);
  update(sessionState(client));

  client.on('connect', () => {
    view.connects++;
    networkError = '';
    note = view.connects > 1 ? 'reconnected' : `subscribed to ${config.topic}`;
    // mqtt.js subscribes again by itself after a reconnect.
    if (view.connects === 1) client.subscribe(config.topic, { qos: 1 }, (error) => error && logLine(`subscribe failed: ${error.message}`));
    update(sessionState(client));
  });
  client.on('message', showMessage);
  client.on('error', (error) => {
    // The SDK's own errors (a refusal it gave up on) are in the state; the rest are mqtt.js's.
    if (error.name !== 'ApsaraMqttAuthError') networkError = error.message;
    logLine(`connection error: ${error.message}`);
  });
  onSessionEvent(client, 'credentials', ({ reason, changed }) => {
    if (reason !== 'connect') {
      view.refreshes++;
      note = changed ? 'credentials refreshed' : 'credentials refreshed: the server handed out the same token';
    }
    logLine(`credentials (${reason})${changed ? '' : ': the same token as before'}`);
    update(sessionState(client));
  });
  onSessionEvent(client, 'credentialsError', (error) => logLine(`credentials request failed: ${error.message}`));
  onSessionEvent(client, 'tokenUploaded', () => {
    view.tokenUploads++;
    note = 'new token uploaded in band (no reconnect)';
    update(sessionState(client));
  });
  onSessionEvent(client, 'tokenExpiring', ({ expireTime }) => logLine(`the broker says the token expires at ${time(expireTime)}`));
  onSessionEvent(client, 'tokenInvalid', ({ reason, action: refused, topic }) => {
    note = topic ? `the broker refused ${refused} ${topic}` : `the broker says the token is ${reason}`;
    update(sessionState(client));
  });

  action('refresh', () => refreshCredentials(client));
  action('retry', () => refreshCredentials(client));
  action('rotate', async () => {
    await demoAction(config.demo.rotate);
    await refreshCredentials(client);
  });
  action('revoke', () => demoAction(config.demo.revoke));
  // The countdowns move by themselves.
  setInterval(renderClock, 1000);
}

start().catch((error) => {
  snapshot = { state: 'refused', since: Date.now(), refreshing: false, failures: 0, attempts: 0, lastError: error };
  config ??= { topic: '' };
  render();
});
