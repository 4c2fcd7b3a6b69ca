#!/usr/bin/env node
/**
 * A Node service that publishes a telemetry sample to ApsaraMQ for MQTT every second (QoS 1),
 * with Signature or DeviceCredential credentials, over TLS (an instance) or TCP (the local broker).
 * It logs every connection state change, keeps reconnecting when the broker goes away, and stops
 * cleanly on Ctrl-C (SIGINT) or SIGTERM: in-flight messages are acknowledged, the client ends,
 * and the process exits 0 because nothing is left running.
 *
 *   node examples/node-service/service.mjs          # the local broker of `npm start`
 *   APSARAMQ_INSTANCE_ID=mqtt-cn-xxx APSARAMQ_ACCESS_KEY_ID=... APSARAMQ_ACCESS_KEY_SECRET=... \
 *   APSARAMQ_CLIENT_ID=GID_telemetry@@@node-1 node examples/node-service/service.mjs
 *
 * Exit codes: 0 stopped by a signal, 1 refused by the broker, 2 bad settings.
 */
import mqtt from 'mqtt';
import { connect, onSessionEvent, parseClientId } from 'apsaramq-mqtt-auth';
import { readSettings, SettingsError } from './settings.mjs';

const log = (line) => process.stdout.write(`[node-service] ${line}\n`);

let settings;
try {
  settings = readSettings(process.env);
} catch (error) {
  if (!(error instanceof SettingsError) && error?.name !== 'ApsaraMqttAuthError') throw error;
  process.stderr.write(`[node-service] ${error.message}\n`);
  process.exit(2);
}

const { clientId, topic, intervalMs } = settings;
const { deviceId } = parseClientId(clientId);
const where = `${settings.transport === 'tls' ? 'mqtts' : 'mqtt'}://${settings.host}:${settings.port}`;
const modeName = settings.mode === 'device' ? 'DeviceCredential' : 'Signature';

log(`connecting to ${settings.target} at ${where} as ${clientId} (${modeName})`);
const client = connect({
  mqtt,
  instanceId: settings.instanceId,
  clientId,
  credentials: settings.credentials,
  transport: settings.transport,
  host: settings.host,
  port: settings.port,
  connectTimeout: 5000,
  ...(settings.ca ? { ca: settings.ca } : {}),
});

// Connection state, as the log shows it: one line per change, not one per retry timer tick.
let state = 'connecting';
let attempts = 0;
let lastError = '';
client.on('connect', () => {
  log(attempts > 0 ? `connected again after ${attempts} reconnect attempt${attempts === 1 ? '' : 's'}` : 'connected');
  state = 'connected';
  attempts = 0;
  lastError = '';
});
client.on('close', () => {
  if (state === 'connected') log('connection lost; reconnecting (samples are not queued while offline)');
  if (state !== 'stopping') state = 'reconnecting';
});
client.on('reconnect', () => {
  attempts++;
  if (attempts === 1 || attempts % 10 === 0) log(`reconnecting to ${where} (attempt ${attempts})`);
});
client.on('error', (error) => {
  if (error.code === 'ERR_CONNECT_REFUSED') {
    // The SDK already fetched fresh credentials once and was refused again: retrying cannot help.
    log(`refused by the broker: ${error.message}`);
    void stop('refused', 1);
    return;
  }
  const text = error.message || String(error.code ?? error);
  if (text !== lastError) log(`connection error: ${text}`);
  lastError = text;
});
onSessionEvent(client, 'credentialsError', (error) => log(`credentials unavailable: ${error.message}`));

// One sample per interval. While offline a sample is skipped rather than queued: stale telemetry
// delivered in a burst after an outage is worse than a gap.
let seq = 0;
let acknowledged = 0;
let skipped = 0;
const timer = setInterval(() => {
  seq++;
  if (!client.connected) {
    skipped++;
    return;
  }
  const phase = (seq / 60) * Math.PI;
  const sample = {
    deviceId,
    seq,
    time: new Date().toISOString(),
    temperature: Math.round((21 + 3 * Math.sin(phase) + Math.random() * 0.4) * 10) / 10,
    humidity: Math.round((45 + 10 * Math.cos(phase) + Math.random()) * 10) / 10,
  };
  client.publish(topic, JSON.stringify(sample), { qos: 1 }, (error) => {
    if (error) {
      if (state !== 'stopping') log(`sample #${sample.seq} not acknowledged: ${error.message}`);
      return;
    }
    acknowledged++;
    if (acknowledged === 1) log(`publishing to ${topic} every ${intervalMs} ms (QoS 1)`);
    else if (acknowledged % 30 === 0) log(`${acknowledged} samples acknowledged (last #${sample.seq})`);
  });
}, intervalMs);

let stopping;
/** Stops publishing, lets in-flight QoS 1 messages finish (at most 3 s), ends the client. */
function stop(reason, exitCode) {
  if (stopping) {
    client.end(true); // a second Ctrl-C: do not wait any longer
    return stopping;
  }
  state = 'stopping';
  clearInterval(timer);
  if (reason !== 'refused') log(`${reason}: stopping`);
  stopping = new Promise((resolve) => {
    const force = setTimeout(() => client.end(true), 3000);
    client.end(false, {}, () => {
      clearTimeout(force);
      resolve();
    });
  }).then(() => {
    log(`stopped: ${acknowledged} samples acknowledged, ${skipped} skipped while offline`);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    // No process.exit(): the process ends because nothing is left running.
    process.exitCode = exitCode;
  });
  return stopping;
}
const onSigint = () => void stop('SIGINT', 0);
const onSigterm = () => void stop('SIGTERM', 0);
process.on('SIGINT', onSigint);
process.on('SIGTERM', onSigterm);
