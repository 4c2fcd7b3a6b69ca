// Two managed clients (MQTT 3.1.1 and 5) of the built package on one shifted clock (see
// shift-clock.mjs), both with remoteCredentials against a real credential server, subscribed to the
// test's ticks for SKEW_CONFIG.duration ms. Prints one JSON line per client at the end:
// { protocolVersion, clientId, firstConnectError?, connects, credentials, maxGap, messages, clockOffset, now }.
// Gaps are measured with performance.now(), which the shift does not move.
import { connectAsync, onSessionEvent, remoteCredentials, sessionState } from '../../dist/index.js';

const { url, instanceId, clientIdPrefix, host, port, topic, duration } = JSON.parse(process.env.SKEW_CONFIG ?? '{}');
process.stdout.write(`clock ${Date.now()}\n`);

async function run(protocolVersion) {
  const clientId = `${clientIdPrefix}-v${protocolVersion}`;
  const report = { protocolVersion, clientId, connects: 0, credentials: 0, messages: 0, maxGap: 0 };
  const started = performance.now();
  let last = started;
  let client;
  try {
    client = await connectAsync({ instanceId, clientId, credentials: remoteCredentials(url), transport: 'tcp', host, port, protocolVersion, connectTimeout: 5000 });
  } catch (error) {
    report.firstConnectError = `${error.code}: ${error.message}`;
    return report;
  }
  report.connects = 1; // the first CONNACK came before the listener below
  report.credentials = 1;
  client.on('connect', () => report.connects++);
  onSessionEvent(client, 'credentials', () => report.credentials++);
  client.on('message', () => {
    const now = performance.now();
    report.maxGap = Math.max(report.maxGap, now - last);
    last = now;
    report.messages++;
  });
  await client.subscribeAsync(topic, { qos: 1 });
  await new Promise((resolve) => setTimeout(resolve, duration - (performance.now() - started)));
  report.maxGap = Math.max(report.maxGap, performance.now() - last);
  report.clockOffset = sessionState(client).credentials?.clockOffset;
  report.state = sessionState(client).state;
  await client.endAsync(true);
  return report;
}

const reports = await Promise.all([4, 5].map(run));
for (const report of reports) process.stdout.write(`report ${JSON.stringify(report)}\n`);
