/**
 * `apsaramq-mqtt-auth broker`: runs the local ApsaraMQ-compatible broker from a config file until
 * Ctrl-C (SIGINT) or SIGTERM. Parsed, helped and reported like every other command; the broker
 * itself (and the optional peers aedes, ws and mqtt-packet it needs) loads only when it runs.
 * @module
 */
import type { LocalBroker } from '../broker/broker-entry.js';
import { relabel, usageError, type Flags } from './args.js';
import type { CliIo, StopSignal } from './io.js';
import { flagNeed, requireAll } from './needs.js';
import { quoteIfSafe } from './suggest.js';
import { HELP_FLAG, type CommandSpec, type FlagDef } from './spec.js';

const PORTS = { 'tcp-port': 'tcpPort', 'tls-port': 'tlsPort', 'ws-port': 'wsPort', 'wss-port': 'wssPort', 'http-port': 'httpPort' } as const;

const FLAGS: Record<string, FlagDef> = {
  config: {
    type: 'string',
    value: '<file>',
    help: 'JSON config: instanceId, accessKeys, devices, customIdentities, tokens,\nports, tls (see examples/broker.json). Secrets may be { "env": "VARIABLE" }.',
    section: 'Options',
  },
  'tcp-port': { type: 'string', value: '<n>', help: 'MQTT over TCP port (overrides the file; 0 = any free port)', section: 'Options' },
  'tls-port': { type: 'string', value: '<n>', help: 'MQTT over TLS port (overrides the file; 0 = any free port)', section: 'Options' },
  'ws-port': { type: 'string', value: '<n>', help: 'MQTT over WebSocket port, path /mqtt (overrides the file; 0 = any free port)', section: 'Options' },
  'wss-port': { type: 'string', value: '<n>', help: 'MQTT over WebSocket over TLS port, path /mqtt (overrides the file; 0 = any free port)', section: 'Options' },
  'http-port': { type: 'string', value: '<n>', help: 'control API and onsmqtt OpenAPI port (overrides the file; 0 = any free port)', section: 'Options' },
  quiet: { type: 'boolean', help: 'do not print client connections, refusals and denials', section: 'Options' },
  help: { ...HELP_FLAG, section: 'Options' },
};

/** `--tcp-port 1883` → 1883; anything but a whole number from 0 to 65535 is refused (a number is repeated, nothing else). */
function readPorts(flags: Flags): Partial<Record<(typeof PORTS)[keyof typeof PORTS], number>> {
  const ports: Partial<Record<(typeof PORTS)[keyof typeof PORTS], number>> = {};
  for (const [name, setting] of Object.entries(PORTS)) {
    const text = flags.string(name);
    if (text === undefined) continue;
    if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
      const got = quoteIfSafe(text);
      throw usageError(`--${name}`, `must be a port number from 0 to 65535${got ? ` (got ${got})` : ''}`);
    }
    ports[setting] = Number(text);
  }
  return ports;
}

const LABELS: Record<string, string> = {
  tcp: 'MQTT over TCP:              ',
  tls: 'MQTT over TLS:              ',
  ws: 'MQTT over WebSocket:        ',
  wss: 'MQTT over WebSocket on TLS: ',
  http: 'onsmqtt OpenAPI:            ',
};

/** Resolves on the first SIGINT or SIGTERM, leaving no listener behind. */
function stopped(signals: CliIo['signals']): Promise<StopSignal> {
  return new Promise((resolve) => {
    const listeners = new Map<StopSignal, () => void>();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      listeners.set(signal, () => {
        for (const [other, listener] of listeners) signals.off(other, listener);
        resolve(signal);
      });
      signals.once(signal, listeners.get(signal)!);
    }
  });
}

/**
 * Runs until SIGINT/SIGTERM, then stops the broker: exit 0 after a clean stop. A bad flag or config
 * is a usage error (exit 2, one line naming the flag or setting); a port in use or aedes missing is
 * a failure (exit 1). Both are reported by the dispatcher, as for every command.
 */
async function runBroker(flags: Flags, io: CliIo): Promise<number> {
  requireAll([flagNeed('config', ' (see examples/broker.json)')], flags, io, '');
  const ports = readPorts(flags);
  // Loaded here, not at the top: the broker is large and needs the optional peers aedes, ws and mqtt-packet.
  const { loadBrokerConfig, startBroker } = await import('../broker/broker-entry.js');
  const flagOf: Record<string, string> = { config: '--config', ...Object.fromEntries(Object.entries(PORTS).filter(([name]) => flags.has(name)).map(([name, setting]) => [setting, `--${name}`])) };
  let broker: LocalBroker;
  try {
    const config = await loadBrokerConfig(flags.string('config')!);
    // controlSecret is named: a spread leaves out the config's secrets (kept out of enumeration).
    broker = await startBroker({ ...config, controlSecret: config.controlSecret, ...ports });
  } catch (error) {
    throw relabel(error, flagOf);
  }

  if (!flags.bool('quiet')) {
    broker.on('clientConnected', (s) => io.out(`connected    ${s.clientId} (${s.mode}, MQTT ${s.protocolVersion === 5 ? '5' : '3.1.1'})`));
    broker.on('clientRefused', (r) => io.out(`refused      ${r.clientId}: ${r.reason} (code ${r.returnCode})`));
    broker.on('denied', (d) => io.out(`denied       ${d.clientId}: ${d.action} ${d.topic} (${d.denial})`));
    broker.on('discarded', (d) => io.out(`discarded    ${d.clientId}: ${d.topic}, ${d.bytes} bytes (over the message size limit)`));
    broker.on('clientDisconnected', (d) => io.out(`disconnected ${d.clientId}`));
    broker.on('slowConsumer', (s) => io.out(`cut off      ${s.clientId} (it stopped reading; over limits.maxOutboundBytes)`));
  }
  const stop = stopped(io.signals);
  io.out(`ApsaraMQ-compatible broker for instance ${broker.instanceId}`);
  for (const [transport, url] of Object.entries(broker.urls())) io.out(`  ${LABELS[transport]} ${url}${transport === 'http' ? `/  (control API: ${url}/control)` : ''}`);
  // The control API hands out device secrets and tokens: only who reads this may use it.
  if (broker.httpPort !== undefined) io.out(`  control API secret:          ${broker.controlSecret}  (send Authorization: Bearer <secret>)`);
  if (broker.caFile !== undefined) io.out(`  TLS CA certificate:          ${broker.caFile}  (trust it: mosquitto --cafile, mqtt.js ca)`);
  // A CA that could not be stored is only good for this run: print it, so clients can still trust it.
  else if (broker.ca !== undefined) io.out(`  TLS CA certificate (this run only; trust it in clients):\n${broker.ca.trimEnd()}`);
  io.out('Press Ctrl-C to stop.');
  await stop;
  await broker.close();
  io.out('stopped');
  return 0;
}

/** `broker`: its flags, help and run. */
export const BROKER: CommandSpec = {
  name: 'broker',
  summary: 'run a local ApsaraMQ-compatible broker (development and tests)',
  usage: '--config <file> [options]',
  about: `Runs a local ApsaraMQ-compatible MQTT broker on 127.0.0.1: MQTT over TCP, TLS, WebSocket and
WebSocket over TLS, the onsmqtt OpenAPI (signed with the config's AccessKeys) and a control API.
It checks Signature, Token, DeviceCredential and custom-identity credentials as ApsaraMQ does,
enforces token permissions and ApsaraMQ's limits, and sends the $SYS token notices. The TLS
certificate is signed by a local CA kept in your state folder (its file is printed: trust it in
clients). Needs the packages aedes, ws and mqtt-packet installed.`,
  flags: FLAGS,
  sections: ['Options'],
  after: [{ title: 'Stopping', lines: ['  Stops cleanly on Ctrl-C (SIGINT) or SIGTERM.'] }],
  exitCodes: 'Exit codes: 0 stopped, 1 could not start (a port in use, aedes missing), 2 bad usage or config.',
  run: runBroker,
};
