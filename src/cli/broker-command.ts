/**
 * `apsaramq-mqtt-auth broker`: runs the local ApsaraMQ-compatible broker from a config file until
 * Ctrl-C. The dispatcher (`main.ts`) calls {@link runBrokerCommand} with the arguments after `broker`.
 * @module
 */
import { ApsaraMqttAuthError } from '../errors.js';
import { loadBrokerConfig } from '../broker/config-file.js';
import { startBroker } from '../broker/broker.js';
import type { LocalBroker } from '../broker/broker.js';

/** `--help` of the `broker` command. */
export const BROKER_HELP = `Usage: apsaramq-mqtt-auth broker --config <file> [options]

Runs a local ApsaraMQ-compatible MQTT broker on 127.0.0.1: MQTT over TCP, TLS, WebSocket and
WebSocket over TLS, the onsmqtt OpenAPI (signed with the config's AccessKeys) and a control API.
It checks Signature, Token, DeviceCredential and custom-identity credentials as ApsaraMQ does,
enforces token permissions, and sends the $SYS token notices. The TLS certificate is signed by a
local CA kept in your state folder (its file is printed: trust it in clients). Needs the packages
aedes, ws and mqtt-packet installed.

Options:
  --config <file>     JSON config: instanceId, accessKeys, devices, customIdentities, tokens,
                      ports, tls (see examples/broker.json). Secrets may be { "env": "VARIABLE" }.
  --tcp-port <n>      MQTT over TCP port (overrides the file; 0 = any free port)
  --tls-port <n>      MQTT over TLS port (overrides the file; 0 = any free port)
  --ws-port <n>       MQTT over WebSocket port, path /mqtt (overrides the file; 0 = any free port)
  --wss-port <n>      MQTT over WebSocket over TLS port, path /mqtt (overrides the file)
  --http-port <n>     OpenAPI and control API port: tokens, device credentials, sessions
  --quiet             do not print client connections, refusals and denials
  -h, --help          show this help

Stops cleanly on Ctrl-C (SIGINT) or SIGTERM. Exit codes: 0 stopped, 1 could not start, 2 bad usage.
`;

/** Where the command writes and what stops it; the defaults are the process's own. */
export interface BrokerCommandIO {
  stdout?: { write(text: string): unknown };
  stderr?: { write(text: string): unknown };
  /** Emits `SIGINT` / `SIGTERM`. Default `process`. */
  signals?: { once(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown; off(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown };
  /** Stops the broker when aborted (for embedding and tests). */
  signal?: AbortSignal;
  /** Called once the broker listens. */
  onReady?: (broker: LocalBroker) => void;
}

interface Parsed {
  help: boolean;
  quiet: boolean;
  config?: string;
  ports: { tcpPort?: number; tlsPort?: number; wsPort?: number; wssPort?: number; httpPort?: number };
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Parsed {
  const parsed: Parsed = { help: false, quiet: false, ports: {} };
  const portFlags: Record<string, keyof Parsed['ports']> = { '--tcp-port': 'tcpPort', '--tls-port': 'tlsPort', '--ws-port': 'wsPort', '--wss-port': 'wssPort', '--http-port': 'httpPort' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '-h' || flag === '--help') parsed.help = true;
    else if (flag === '--quiet') parsed.quiet = true;
    else if (flag === '--config') parsed.config = value();
    else if (flag in portFlags) {
      const text = value();
      const port = Number(text);
      if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`${flag} must be a port number from 0 to 65535 (got ${JSON.stringify(text)})`);
      parsed.ports[portFlags[flag]!] = port;
    } else throw new UsageError(`unknown option ${JSON.stringify(flag)} (see --help)`);
  }
  return parsed;
}

const LABELS: Record<string, string> = {
  tcp: 'MQTT over TCP:              ',
  tls: 'MQTT over TLS:              ',
  ws: 'MQTT over WebSocket:        ',
  wss: 'MQTT over WebSocket on TLS: ',
  http: 'onsmqtt OpenAPI:            ',
};

/**
 * Runs `apsaramq-mqtt-auth broker [flags]` until SIGINT/SIGTERM (or `io.signal`), then stops the
 * broker and resolves with the exit code: 0 after a clean stop, 1 if it could not start (a port in
 * use, aedes missing), 2 for bad usage or a bad config (a one-line error naming the flag or setting).
 *
 * @example
 * ```ts
 * process.exitCode = await runBrokerCommand(['--config', 'broker.json', '--tcp-port', '1883'])
 * ```
 */
export async function runBrokerCommand(argv: readonly string[], io: BrokerCommandIO = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  let parsed: Parsed;
  try {
    parsed = parseArgs(argv);
  } catch (error) {
    err.write(`apsaramq-mqtt-auth broker: ${(error as Error).message}\n`);
    return 2;
  }
  if (parsed.help) {
    out.write(BROKER_HELP);
    return 0;
  }
  if (parsed.config === undefined) {
    err.write('apsaramq-mqtt-auth broker: --config <file> is required (see examples/broker.json)\n');
    return 2;
  }
  let broker: LocalBroker;
  try {
    const config = await loadBrokerConfig(parsed.config);
    broker = await startBroker({ ...config, ...parsed.ports });
  } catch (error) {
    const usage = error instanceof ApsaraMqttAuthError && (error.code === 'ERR_INVALID_ARGUMENT' || error.code === 'ERR_INVALID_CLIENT_ID');
    const where = error instanceof ApsaraMqttAuthError && error.field && !error.message.startsWith(error.field) ? `${error.field}: ` : '';
    err.write(`apsaramq-mqtt-auth broker: ${where}${error instanceof ApsaraMqttAuthError ? error.message : 'could not start'}\n`);
    return usage ? 2 : 1;
  }

  if (!parsed.quiet) {
    broker.on('clientConnected', (s) => out.write(`connected    ${s.clientId} (${s.mode}, MQTT ${s.protocolVersion === 5 ? '5' : '3.1.1'})\n`));
    broker.on('clientRefused', (r) => out.write(`refused      ${r.clientId}: ${r.reason} (code ${r.returnCode})\n`));
    broker.on('denied', (d) => out.write(`denied       ${d.clientId}: ${d.action} ${d.topic} (${d.denial})\n`));
    broker.on('discarded', (d) => out.write(`discarded    ${d.clientId}: ${d.topic}, ${d.bytes} bytes (over the message size limit)\n`));
    broker.on('clientDisconnected', (d) => out.write(`disconnected ${d.clientId}\n`));
  }
  out.write(`ApsaraMQ-compatible broker for instance ${broker.instanceId}\n`);
  for (const [transport, url] of Object.entries(broker.urls())) out.write(`  ${LABELS[transport]} ${url}${transport === 'http' ? `/  (control API: ${url}/control)` : ''}\n`);
  if (broker.caFile !== undefined) out.write(`  TLS CA certificate:          ${broker.caFile}  (trust it: mosquitto --cafile, mqtt.js ca)\n`);
  // A CA that could not be stored is only good for this run: print it, so clients can still trust it.
  else if (broker.ca !== undefined) out.write(`  TLS CA certificate (this run only; trust it in clients):\n${broker.ca}`);
  out.write('Press Ctrl-C to stop.\n');
  io.onReady?.(broker);

  const signals = io.signals ?? process;
  await new Promise<void>((resolve) => {
    const stop = () => {
      signals.off('SIGINT', stop);
      signals.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      resolve();
    };
    signals.once('SIGINT', stop);
    signals.once('SIGTERM', stop);
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener('abort', stop, { once: true });
  });
  await broker.close();
  out.write('stopped\n');
  return 0;
}
