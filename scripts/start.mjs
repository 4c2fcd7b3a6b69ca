#!/usr/bin/env node
/**
 * `npm start`: the whole demo on 127.0.0.1 in one command, after `npm install` on a fresh clone.
 *
 * 1. Builds `dist/` if it is missing or older than `src/` (see start/build.mjs).
 * 2. Without APSARAMQ_* variables: starts the local ApsaraMQ-compatible broker (TCP 1883, WebSocket
 *    8083, control API and onsmqtt OpenAPI 8088) with the identities of examples/broker.json.
 *    With APSARAMQ_INSTANCE_ID, APSARAMQ_ACCESS_KEY_ID, APSARAMQ_ACCESS_KEY_SECRET (and
 *    APSARAMQ_REGION_ID or APSARAMQ_OPENAPI_ENDPOINT): no local broker, that instance instead.
 * 3. Serves the examples and a credential server on http://127.0.0.1:8080 (pages get Token
 *    credentials from it, never a secret), and starts examples/node-service, which publishes
 *    telemetry every second.
 * 4. Prints the URLs to open. Ctrl-C (SIGINT) or SIGTERM stops everything and exits 0.
 *
 * Ports: DEMO_WEB_PORT, DEMO_TCP_PORT, DEMO_TLS_PORT, DEMO_WS_PORT, DEMO_WSS_PORT, DEMO_HTTP_PORT (0: any free port; the printed
 * URLs are the real ones). DEMO_TOKEN_TTL_MS sets the tokens' lifetime (default 1 hour, at least 70 s).
 * Exit codes: 0 stopped, 1 could not start, 2 bad settings.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from './start/build.mjs';
import { readStartSettings, StartSettingsError } from './start/settings.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line) => process.stdout.write(`${line}\n`);
const fail = (line) => process.stderr.write(`npm start: ${line}\n`);

let settings;
try {
  settings = readStartSettings(process.env, { brokerConfigFile: join(ROOT, 'examples/broker.json') });
} catch (error) {
  if (!(error instanceof StartSettingsError)) throw error;
  fail(error.message);
  process.exit(2);
}

// A signal may arrive while things are still starting: remember it and stop once they have.
let running;
let signalled;
let stopped;
const onSignal = (signal) => {
  signalled ??= signal;
  if (running) void shutdown(signal);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

function shutdown(signal) {
  stopped ??= (async () => {
    log(`\n${signal}: stopping the node-service, the web server${settings.target === 'local' ? ' and the local broker' : ''}...`);
    await running.stop();
    log('stopped');
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // No process.exit(): the process ends by itself once nothing is left running.
    process.exitCode = 0;
  })();
  return stopped;
}

try {
  await ensureBuilt(ROOT, log);
  if (signalled) process.exit(0);
  const { startDemo } = await import('./start/demo.mjs');
  running = await startDemo(settings, { root: ROOT, env: process.env, log });
} catch (error) {
  fail(error?.message ?? String(error));
  process.exitCode = 1;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

if (running) {
  const width = Math.max(...running.pages.map(([name]) => name.length));
  log(['', ...running.summary, '', 'Open in a browser:', ...running.pages.map(([name, url]) => `  ${name.padEnd(width)}  ${url}`), '', 'Press Ctrl-C to stop.', ''].join('\n'));
  if (signalled) void shutdown(signalled);
}
