/**
 * The CLI's flag tables on the sources: the help each command prints is generated from the same
 * table the parser reads, so a flag cannot be accepted without being listed nor listed without
 * being accepted; "did you mean" and the rule for repeating what the user typed.
 * (The binary itself is run in e2e/cli.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { parseFlags } from '../../src/cli/args.js';
import { COMMANDS, topHelp } from '../../src/cli/run.js';
import { helpText, flagLabel } from '../../src/cli/spec.js';
import { closest, editDistance, quoteIfSafe } from '../../src/cli/suggest.js';

describe.each(COMMANDS.map((spec) => [spec.name, spec] as const))('%s: help and parser share one table', (_name, spec) => {
  const help = helpText(spec);

  it('lists every flag of the table, in one of its sections', () => {
    for (const [name, def] of Object.entries(spec.flags)) {
      expect(spec.sections, name).toContain(def.section);
      expect(help, name).toContain(flagLabel(name, def));
    }
  });

  it('mentions no flag the command does not take', () => {
    const mentioned = new Set([...help.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((m) => m[1]!));
    expect([...mentioned].filter((name) => !Object.hasOwn(spec.flags, name))).toEqual([]);
  });

  it('parses every flag of the table, and nothing else', () => {
    for (const [name, def] of Object.entries(spec.flags)) {
      if (name === 'help') continue;
      const flags = parseFlags(def.type === 'string' ? [`--${name}`, 'v'] : [`--${name}`], spec);
      expect(def.type === 'string' ? flags.string(name) : flags.bool(name), name).toBe(def.type === 'string' ? 'v' : true);
    }
    expect(() => parseFlags(['--not-a-flag-of-any-command'], spec)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(parseFlags(['-h'], spec).bool('help')).toBe(true);
  });

  it('keeps help within 100 columns, except examples and unbreakable words', () => {
    const body = help.slice(0, help.search(/\nExamples?:\n/) === -1 ? undefined : help.search(/\nExamples?:\n/));
    for (const line of body.split('\n')) if (line.length > 100) expect(line.trim(), line).not.toContain(' ');
  });
});

describe('top-level help', () => {
  it('lists every command with its summary', () => {
    for (const spec of COMMANDS) expect(topHelp()).toMatch(new RegExp(`^  ${spec.name} +${spec.summary.replace(/[()]/g, '\\$&')}$`, 'm'));
  });
});

describe('parseFlags', () => {
  const sign = COMMANDS.find((spec) => spec.name === 'sign')!;

  it('keeps the strict parser\'s rules: values, switches, stray words, "-" values', () => {
    expect(parseFlags(['--client-id=GID_x@@@1', '--json'], sign).string('client-id')).toBe('GID_x@@@1');
    expect(parseFlags(['--instance-id=-x'], sign).string('instance-id')).toBe('-x');
    expect(() => parseFlags(['--instance-id', '-x'], sign)).toThrow(/--instance-id needs a value \(write --instance-id=<value>/);
    expect(() => parseFlags(['--instance-id'], sign)).toThrow(/--instance-id needs a value/);
    expect(() => parseFlags(['--json=yes'], sign)).toThrow(/--json takes no value/);
    expect(() => parseFlags(['word'], sign)).toThrow(/sign takes no positional arguments/);
    expect(() => parseFlags(['--', 'word'], sign)).toThrow(/sign takes no positional arguments/);
  });

  it('names every unknown flag at once, each with its nearest flag, and points at unsafe ones by position', () => {
    expect(() => parseFlags(['--json', '--acess-key-id', 'x', '--Secret7Value'], sign, COMMANDS)).toThrow(
      '--acess-key-id (did you mean --access-key-id?), the 4th argument after "sign" (not shown: it could be a secret) are not options of "sign"',
    );
  });
});

describe('closest and quoteIfSafe', () => {
  it('edit distance counts a swap as one edit', () => {
    expect(editDistance('sign', 'sigh')).toBe(1);
    expect(editDistance('mdoe', 'mode')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it.each([
    ['--acces-key-id', 'access-key-id'],
    ['--accessKeyId', 'access-key-id'],
    ['--ACCESS_KEY_ID', 'access-key-id'],
    ['--clientid', 'client-id'],
    ['--secret', 'secret-stdin'],
    ['sigh', 'sign'],
  ])('%s → %s', (typed, expected) => {
    expect(closest(typed, ['access-key-id', 'device-access-key-id', 'client-id', 'secret-stdin', 'sign', 'json'])).toBe(expected);
  });

  it('suggests nothing for a far or ambiguous word', () => {
    expect(closest('--verbose', ['access-key-id', 'client-id'])).toBeUndefined();
    expect(closest('--x', ['access-key-id'])).toBeUndefined();
    expect(closest('ab', ['ac', 'ad'])).toBeUndefined();
  });

  it('repeats only short lowercase words and short numbers', () => {
    for (const safe of ['sigh', '--verbose', '--instance_id', 'oauth', '70000', '-x']) expect(quoteIfSafe(safe)).toBe(JSON.stringify(safe));
    for (const unsafe of ['Qz7CANARYaks', '--Secret', 'abc123', 'a'.repeat(30), '1234567', 'dGVzdA==', 'x y']) expect(quoteIfSafe(unsafe)).toBeUndefined();
  });
});
