/**
 * The command table, top-level help and version, and the one place that turns errors into exit codes:
 * 0 done, 1 a negative verdict or a failure, 2 bad input (one line naming the flag and the rule).
 * @module
 */
import { readFileSync } from 'node:fs';
import { ApsaraMqttAuthError } from '../index.js';
import { PROGRAM, isUsageError } from './args.js';
import { runCheck } from './check.js';
import { runExplain } from './explain.js';
import type { CliIo } from './io.js';
import { runSign } from './sign.js';

/** One subcommand. */
export interface Command {
  summary: string;
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

/** The subcommands, in the order help lists them. */
export const COMMANDS: Record<string, Command> = {
  sign: { summary: 'compute the Username and Password for a client (every auth mode)', run: runSign },
  explain: { summary: 'show exactly what is signed: bytes in hex, secret length, HMAC, checks per part', run: runExplain },
  check: { summary: 'tell whether a Username/Password pair fits a secret, and which part differs', run: runCheck },
  // Loaded on use: the broker code is large and needs the optional peers aedes, ws and mqtt-packet.
  broker: { summary: 'run a local ApsaraMQ-compatible broker (development and tests)', run: async (argv) => (await import('./broker-command.js')).runBrokerCommand(argv) },
};

/** Top-level `--help`. */
export function topHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const list = Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`);
  return `${PROGRAM}: MQTT Username/Password for Alibaba Cloud ApsaraMQ for MQTT, computed on this machine

Usage: ${PROGRAM} <command> [flags]
       ${PROGRAM} <command> --help

Commands:
${list.join('\n')}

Flags:
  -h, --help      this help (and "${PROGRAM} help <command>")
  -v, --version   the version

Secrets are read from the environment or standard input (--secret-stdin), never needed on the
command line (given there they work, with a warning: the shell history keeps them):
  APSARAMQ_ACCESS_KEY_SECRET          Signature mode
  APSARAMQ_DEVICE_ACCESS_KEY_SECRET   DeviceCredential mode
  APSARAMQ_CUSTOM_SECRET              custom identities
  APSARAMQ_TOKEN_R, _W, _RW           Token mode (tokens from ApplyToken)

sign, explain and check compute on this machine: nothing is sent anywhere.
Exit codes: 0 done (check: match), 1 check mismatch / explain found a broken rule / failure, 2 bad input.`;
}

/** The package version, read from the package.json beside `dist/`. */
export function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Runs the command line `argv` (without node and script); resolves to the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.err(topHelp());
    return 2;
  }
  if (first === '-h' || first === '--help') {
    io.out(topHelp());
    return 0;
  }
  if (first === '-v' || first === '--version') {
    io.out(version());
    return 0;
  }
  if (first === 'help') {
    const command = rest[0];
    if (command === undefined) {
      io.out(topHelp());
      return 0;
    }
    return dispatch(command, ['--help'], io);
  }
  return dispatch(first, rest, io);
}

async function dispatch(name: string, argv: readonly string[], io: CliIo): Promise<number> {
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    // A stray word is not echoed in full: it could be a secret typed in the wrong place.
    const shown = name.startsWith('-') ? name.replace(/=.*$/, '') : `"${name.slice(0, 12)}${name.length > 12 ? '…' : ''}"`;
    io.err(`${PROGRAM}: ${shown} is not a command; commands: ${Object.keys(COMMANDS).join(', ')} (${PROGRAM} --help)`);
    return 2;
  }
  try {
    return await command.run(argv, io);
  } catch (error) {
    if (isUsageError(error)) {
      io.err(`${PROGRAM} ${name}: ${error.message}`);
      return 2;
    }
    // The SDK's messages never hold secrets; anything else is reported by type and message only.
    const message = error instanceof ApsaraMqttAuthError || error instanceof Error ? error.message.split('\n')[0] : String(error);
    io.err(`${PROGRAM} ${name}: failed: ${message}`);
    return 1;
  }
}
