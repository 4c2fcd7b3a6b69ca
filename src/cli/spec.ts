/**
 * One declaration per command: its flags (type, value placeholder, help line, the modes it belongs
 * to) and the text around them. The parser reads the same table as the help, so a flag cannot be
 * accepted without being listed, nor listed without being accepted.
 * @module
 */
import type { AuthMode } from '../index.js';
import type { CliIo } from './io.js';
import type { Flags } from './parsed-flags.js';

/** The program's name, as typed. */
export const PROGRAM = 'apsaramq-mqtt-auth';

/** One flag. */
export interface FlagDef {
  type: 'string' | 'boolean';
  /** One-letter alias (`-h`). */
  short?: string;
  /** What a string flag's value is, shown in help: `--client-id <id>`. */
  value?: string;
  /** Help text; lines after the first are indented under it. */
  help: string;
  /** The help section it is listed in. */
  section: string;
  /** The auth modes it belongs to: given in another mode it is refused (sign, explain, check). */
  modes?: readonly AuthMode[];
}

/** A titled block of help text that is not a flag list (what each mode needs, examples). */
export interface HelpBlock {
  title: string;
  lines: readonly string[];
}

/** A subcommand: everything its help says, and what runs it. */
export interface CommandSpec {
  name: string;
  /** One line for the top-level command list. */
  summary: string;
  /** What follows `Usage: apsaramq-mqtt-auth <name> `. */
  usage: string;
  /** The paragraph under the usage line. */
  about: string;
  /** Blocks before the flags. */
  before?: readonly HelpBlock[];
  flags: Readonly<Record<string, FlagDef>>;
  /** Flag sections in the order help lists them; every flag's `section` is one of them. */
  sections: readonly string[];
  /** The auth modes the command takes, when it takes `--mode`; flags list theirs when narrower. */
  modes?: readonly AuthMode[];
  /** Blocks after the flags (examples). */
  after?: readonly HelpBlock[];
  /** The last line: what each exit code means. */
  exitCodes: string;
  /** Runs the command with its parsed flags; resolves to the exit code. */
  run(flags: Flags, io: CliIo): Promise<number>;
}

/** `-h, --help`, in every command's table. */
export const HELP_FLAG: FlagDef = { type: 'boolean', short: 'h', help: 'this help', section: 'Help' };

/** The widest flag column before help text starts on the same line. */
const MAX_COLUMN = 34;

/** `--client-id <id>`, `-h, --help`. */
export function flagLabel(name: string, def: FlagDef): string {
  const long = `--${name}${def.type === 'string' ? ` ${def.value ?? '<value>'}` : ''}`;
  return def.short ? `-${def.short}, ${long}` : long;
}

/** The text column for these labels: two spaces after the widest that fits in {@link MAX_COLUMN}. */
function columnFor(labels: readonly string[]): number {
  return Math.max(0, ...labels.map((label) => label.length).filter((length) => length <= MAX_COLUMN)) + 2;
}

/** Help is laid out for a terminal this wide. */
const WIDTH = 100;

/** Breaks `text` at spaces so no line is longer than `width` (a longer word stays whole). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/**
 * Rows of `label  text`, the text column aligned and wrapped to the help's width; a label too wide
 * for the column gets its text on the next line. `\n` in a text starts a new line.
 */
export function helpRows(entries: readonly (readonly [string, string])[], indent = '  ', column = columnFor(entries.map(([label]) => label))): string[] {
  const pad = ' '.repeat(indent.length + column);
  const lines: string[] = [];
  for (const [label, text] of entries) {
    const [first = '', ...rest] = text.split('\n').flatMap((line) => wrap(line, Math.max(30, WIDTH - pad.length)));
    if (label.length > MAX_COLUMN) lines.push(indent + label, pad + first);
    else lines.push(`${indent}${label.padEnd(column)}${first}`.trimEnd());
    for (const line of rest) lines.push(pad + line);
  }
  return lines;
}

/** `[device]`, `[signature, token]`, `[all but token]`: the modes a flag is for, when not all of the command's. */
function modesNote(def: FlagDef, spec: CommandSpec): string {
  if (!def.modes || !spec.modes) return '';
  const modes = spec.modes.filter((mode) => def.modes!.includes(mode));
  if (modes.length === spec.modes.length) return '';
  const others = spec.modes.filter((mode) => !modes.includes(mode));
  return modes.length > 2 && others.length === 1 ? ` [all but ${others[0]}]` : ` [${modes.join(', ')}]`;
}

/** The command's `--help`, generated from its declaration. */
export function helpText(spec: CommandSpec): string {
  const out = [`Usage: ${PROGRAM} ${spec.name} ${spec.usage}`, '', spec.about];
  const block = ({ title, lines }: HelpBlock) => out.push('', `${title}:`, ...lines);
  for (const b of spec.before ?? []) block(b);
  // One text column for every section, so the whole flag list reads as one table.
  const column = columnFor(Object.entries(spec.flags).map(([name, def]) => flagLabel(name, def)));
  for (const section of spec.sections) {
    const entries = Object.entries(spec.flags)
      .filter(([, def]) => def.section === section)
      .map(([name, def]) => [flagLabel(name, def), def.help + modesNote(def, spec)] as const);
    if (entries.length) block({ title: section, lines: helpRows(entries, '  ', column) });
  }
  for (const b of spec.after ?? []) block(b);
  out.push('', spec.exitCodes);
  return out.join('\n');
}
