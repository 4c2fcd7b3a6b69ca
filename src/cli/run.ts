/**
 * The command table, top-level help and version, and the one place that parses a command line,
 * prints help, and turns errors into exit codes: 0 done, 1 a negative verdict or a failure, 2 bad
 * input (one line naming the flag and the rule).
 * @module
 */
import { readFileSync } from 'node:fs';
import { ApsaraMqttAuthError } from '../index.js';
import { isUsageError, parseFlags } from './args.js';
import { BROKER } from './broker-command.js';
import { CHECK } from './check-command.js';
import { MODES, secretVariablesBlock } from './credential-flags.js';
import { EXPLAIN } from './explain-command.js';
import type { CliIo } from './io.js';
import { escapeControls } from './terminal-escapes.js';
import { SIGN } from './sign-command.js';
import { PROGRAM, helpRows, helpText, type CommandSpec } from './spec.js';
import { closest, quoteIfSafe } from './suggest.js';

/** The subcommands, in the order help lists them. */
export const COMMANDS: readonly CommandSpec[] = [SIGN, EXPLAIN, CHECK, BROKER];

/** Top-level `--help`, from the command table. */
export function topHelp(): string {
  const secrets = secretVariablesBlock(MODES);
  return [
    `${PROGRAM}: MQTT Username/Password for Alibaba Cloud ApsaraMQ for MQTT, computed on this machine`,
    '',
    `Usage: ${PROGRAM} <command> [flags]`,
    `       ${PROGRAM} <command> --help`,
    '',
    'Commands:',
    ...helpRows(COMMANDS.map((command) => [command.name, command.summary])),
    '',
    'Flags:',
    ...helpRows([
      ['-h, --help', `this help (and "${PROGRAM} help <command>")`],
      ['-v, --version', 'the version'],
    ]),
    '',
    'Secrets are read from the environment or standard input (--secret-stdin), never needed on the',
    'command line (given there they work, with a warning: the shell history keeps them):',
    ...secrets.lines,
    '',
    'sign, explain and check compute on this machine: nothing is sent anywhere.',
    'Exit codes: 0 done (check: match), 1 check mismatch / explain found a broken rule / failure, 2 bad input.',
  ].join('\n');
}

/** The package version, read from the package.json beside `dist/`. */
export function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Runs the command line `argv` (without node and script); resolves to the exit code. Every line goes
 * out with its terminal control characters escaped, whatever command wrote it and wherever the text
 * came from (flags, a config file, a client id in the broker's log).
 */
export async function run(argv: readonly string[], given: CliIo): Promise<number> {
  const io: CliIo = { ...given, out: (line) => given.out(escapeControls(line)), err: (line) => given.err(escapeControls(line)) };
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
  const command = COMMANDS.find((spec) => spec.name === name);
  if (!command) {
    // What was typed is repeated only when it cannot be a secret typed in the wrong place.
    const shown = quoteIfSafe(name) ?? 'the first argument (not shown: it could be a secret)';
    const near = closest(name, COMMANDS.map((spec) => spec.name));
    const names = COMMANDS.map((spec) => spec.name).join(', ');
    io.err(`${PROGRAM}: ${shown} is not a command${near ? ` (did you mean "${near}"?)` : ''}; commands: ${names} (${PROGRAM} --help)`);
    return 2;
  }
  try {
    const flags = parseFlags(argv, command, COMMANDS);
    if (flags.bool('help')) {
      io.out(helpText(command));
      return 0;
    }
    return await command.run(flags, io);
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
