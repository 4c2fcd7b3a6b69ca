/**
 * The real `apsaramq-mqtt-auth` binary (`dist/cli.js`), run as a subprocess with a clean
 * environment: every mode against the documentation vector, every output format, every secret
 * source, explain's facts, check's verdict per part, bad input (exit 2, one line naming the flag),
 * and no secret in any output the user did not ask for.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { DOC_VECTOR, hexOf } from '../test/helpers/vectors.js';
import { endAll, nextError, nextMessage } from './helpers/mqtt.js';
import { ROOT } from './helpers/paths.js';
import { startProcess, type StartedProcess } from './helpers/process.js';

/** Built by scripts/check.sh (or `npm run test:e2e`) before vitest runs. */
const CLI = join(ROOT, 'dist/cli.js');
const { accessKeyId, accessKeySecret, instanceId, clientId, username, password } = DOC_VECTOR;
/** A distinctive secret: any output holding it is a leak. */
const SECRET = 'S3cr3t-DoNotLeak-7f1e';
const base64Hmac = (key: string, message: string) => createHmac('sha1', key).update(message).digest('base64');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the binary with only PATH, HOME and `env` set (no APSARAMQ_* leaks in from the test's own environment). */
function cli(args: readonly string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<Run> {
  return spawnAsync(process.execPath, [CLI, ...args], { cwd: ROOT, ...options });
}

/** Runs a command to its end (killed after 60 s) with PATH, HOME and `env` only; `stdin` is written and closed. */
function spawnAsync(command: string, args: readonly string[], options: { cwd: string; env?: Record<string, string>; stdin?: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A command that needs no input may exit before reading it: that EPIPE is expected.
    child.stdin.on('error', () => {});
    child.stdin.end(options.stdin ?? '');
  });
}

const SIG = ['--access-key-id', accessKeyId, '--instance-id', instanceId, '--client-id', clientId];
const SIG_ENV = { APSARAMQ_ACCESS_KEY_SECRET: accessKeySecret };

describe.concurrent('the binary', () => {
  it('is an executable ESM file with a node shebang', async () => {
    expect(readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(statSync(CLI).mode & 0o111).not.toBe(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; version: string };
    expect(pkg.bin['apsaramq-mqtt-auth']).toBe('./dist/cli.js');
  });

  it('runs through its shebang too', async () => {
    const result = spawnSync(CLI, ['--version'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 15_000 });
    expect(result.status).toBe(0);
  });

  it('a reader that closes the pipe early is not an error (`| head -1`)', async () => {
    const child = spawn(process.execPath, [CLI, 'sign', '--help'], { env: { PATH: process.env.PATH ?? '' } });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect((await cli(['-v'])).stdout).toBe(`${version}\n`);
  });

  it('--help lists the commands and the secret variables; no command prints it to stderr with exit 2', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const word of ['sign', 'explain', 'check', 'APSARAMQ_ACCESS_KEY_SECRET', 'APSARAMQ_DEVICE_ACCESS_KEY_SECRET', 'APSARAMQ_CUSTOM_SECRET']) {
      expect(help.stdout).toContain(word);
    }
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('Usage: apsaramq-mqtt-auth <command>');
  });

  it.each([
    ['sign', ['--mode signature|token|device|custom', '--secret-stdin', '--json', '--env', 'APSARAMQ_PASSWORD']],
    ['explain', ['UTF-8 bytes in hex', "secret's length in bytes", 'Base64']],
    ['check', ['--json-stdin', '--password-stdin', 'mode, AccessKey ID, instance id, Password']],
  ])('%s --help (and "help %s") describes its flags', async (command, words) => {
    const help = await cli([command, '--help']);
    expect(help.code).toBe(0);
    for (const word of words) expect(help.stdout).toContain(word);
    expect((await cli(['help', command])).stdout).toBe(help.stdout);
    expect((await cli([command, '-h'])).stdout).toBe(help.stdout);
  });
});

describe.concurrent('sign: every mode against the documentation vector', () => {
  it('signature mode, secret from APSARAMQ_ACCESS_KEY_SECRET', async () => {
    const run = await cli(['sign', ...SIG], { env: SIG_ENV });
    expect(run).toEqual({ code: 0, stdout: `Username   ${username}\nPassword   ${password}\nClient ID  ${clientId}\n`, stderr: '' });
  });

  it('signature mode is the default and --group-id/--device-id make the same client id', async () => {
    const run = await cli(['sign', '--mode', 'signature', '--access-key-id', accessKeyId, '--instance-id', instanceId, '--group-id', 'GID_Test', '--device-id', '0001', '--json'], { env: SIG_ENV });
    expect(JSON.parse(run.stdout)).toEqual({ username, password });
  });

  it('device mode, secret from APSARAMQ_DEVICE_ACCESS_KEY_SECRET', async () => {
    const run = await cli(['sign', '--mode', 'device', '--device-access-key-id', 'dak-1', '--instance-id', instanceId, '--client-id', clientId, '--json'], {
      env: { APSARAMQ_DEVICE_ACCESS_KEY_SECRET: accessKeySecret },
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ username: `DeviceCredential|dak-1|${instanceId}`, password });
  });

  it('custom mode, SIGNED and ORIGIN, secret from APSARAMQ_CUSTOM_SECRET', async () => {
    const env = { APSARAMQ_CUSTOM_SECRET: accessKeySecret };
    const signed = await cli(['sign', '--mode', 'custom', '--username', 'dash', '--sign-mode', 'SIGNED', '--client-id', clientId, '--json'], { env });
    expect(JSON.parse(signed.stdout)).toEqual({ username: 'dash', password });
    const origin = await cli(['sign', '--mode', 'custom', '--username', 'dash', '--sign-mode', 'origin', '--client-id', clientId, '--json'], { env });
    expect(JSON.parse(origin.stdout)).toEqual({ username: 'dash', password: accessKeySecret });
  });

  it('token mode, tokens from APSARAMQ_TOKEN_*, in the order R, W, RW', async () => {
    const run = await cli(['sign', '--mode', 'token', '--access-key-id', accessKeyId, '--instance-id', instanceId, '--json'], {
      env: { APSARAMQ_TOKEN_RW: 'tok-rw', APSARAMQ_TOKEN_R: 'tok-r' },
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ username: `Token|${accessKeyId}|${instanceId}`, password: 'R|tok-r|RW|tok-rw' });
    expect(run.stderr).toBe('');
  });

  it('agrees with node:crypto on a non-ASCII secret', async () => {
    const run = await cli(['sign', ...SIG, '--json'], { env: { APSARAMQ_ACCESS_KEY_SECRET: 'ключ-密钥' } });
    expect(JSON.parse(run.stdout).password).toBe(base64Hmac('ключ-密钥', clientId));
  });
});

describe.concurrent('sign: output formats', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'apsaramq-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--json is exactly {"username","password"}', async () => {
    const run = await cli(['sign', ...SIG, '--json'], { env: SIG_ENV });
    expect(run.stdout).toBe(`${JSON.stringify({ username, password })}\n`);
  });

  it('--env lines parse the same with Node and with a POSIX shell', async () => {
    const run = await cli(['sign', ...SIG, '--env'], { env: SIG_ENV });
    expect(run.code).toBe(0);
    const expected = { APSARAMQ_USERNAME: username, APSARAMQ_PASSWORD: password, APSARAMQ_CLIENT_ID: clientId, APSARAMQ_INSTANCE_ID: instanceId };
    expect(parseEnv(run.stdout)).toEqual(expected);
    const file = join(dir, '.env');
    writeFileSync(file, run.stdout);
    const shell = spawnSync('sh', ['-c', `set -a; . "${file}"; printf '%s\\n' "$APSARAMQ_USERNAME" "$APSARAMQ_PASSWORD" "$APSARAMQ_CLIENT_ID"`], { encoding: 'utf8' });
    expect(shell.stdout).toBe(`${username}\n${password}\n${clientId}\n`);
  });

  it('--env-prefix renames the variables; token mode has no client id line', async () => {
    const run = await cli(['sign', '--mode', 'token', '--access-key-id', accessKeyId, '--instance-id', instanceId, '--env', '--env-prefix', 'MQTT_'], {
      env: { APSARAMQ_TOKEN_RW: 'tok' },
    });
    expect(parseEnv(run.stdout)).toEqual({ MQTT_USERNAME: `Token|${accessKeyId}|${instanceId}`, MQTT_PASSWORD: 'RW|tok', MQTT_INSTANCE_ID: instanceId });
  });

  it('--env refuses a value it cannot quote for both readers', async () => {
    const run = await cli(['sign', '--mode', 'custom', '--username', "o'brien", '--sign-mode', 'SIGNED', '--client-id', clientId, '--env'], {
      env: { APSARAMQ_CUSTOM_SECRET: accessKeySecret },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--env cannot write APSARAMQ_USERNAME.*--json/);
    expect(run.stdout).toBe('');
  });
});

describe.concurrent('sign: where secrets come from', () => {
  it('--secret-stdin reads standard input, dropping one trailing newline (LF or CR LF)', async () => {
    for (const stdin of [accessKeySecret, `${accessKeySecret}\n`, `${accessKeySecret}\r\n`]) {
      const run = await cli(['sign', ...SIG, '--secret-stdin', '--json'], { stdin });
      expect(JSON.parse(run.stdout).password).toBe(password);
    }
  });

  it('--secret-stdin keeps any other white space: it is part of the secret', async () => {
    const run = await cli(['sign', ...SIG, '--secret-stdin', '--json'], { stdin: `${accessKeySecret}\n\n` });
    expect(JSON.parse(run.stdout).password).toBe(base64Hmac(`${accessKeySecret}\n`, clientId));
  });

  it('--secret-stdin wins over the variable', async () => {
    const run = await cli(['sign', ...SIG, '--secret-stdin', '--json'], { stdin: accessKeySecret, env: { APSARAMQ_ACCESS_KEY_SECRET: 'other' } });
    expect(JSON.parse(run.stdout).password).toBe(password);
  });

  it.each([
    ['signature', '--access-key-secret', ['--access-key-id', accessKeyId, '--instance-id', instanceId, '--client-id', clientId], /APSARAMQ_ACCESS_KEY_SECRET or --secret-stdin/],
    ['device', '--device-access-key-secret', ['--device-access-key-id', 'dak', '--instance-id', instanceId, '--client-id', clientId], /APSARAMQ_DEVICE_ACCESS_KEY_SECRET/],
    ['custom', '--custom-secret', ['--username', 'u', '--sign-mode', 'SIGNED', '--client-id', clientId], /APSARAMQ_CUSTOM_SECRET/],
    ['token', '--token-rw', ['--access-key-id', accessKeyId, '--instance-id', instanceId], /APSARAMQ_TOKEN_RW/],
  ])('%s mode: %s on the command line works but warns on stderr that shell history keeps it', async (mode, flag, args, better) => {
    const run = await cli(['sign', '--mode', mode, ...args, flag, SECRET, '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).password).toBe(mode === 'token' ? `RW|${SECRET}` : base64Hmac(SECRET, clientId));
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(`warning: ${flag} puts a secret in your shell history`);
    expect(run.stderr).toMatch(better);
    expect(run.stderr).not.toContain(SECRET);
  });

  it('a missing or empty secret variable is bad input naming the variable', async () => {
    const missing = await cli(['sign', ...SIG]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^apsaramq-mqtt-auth sign: APSARAMQ_ACCESS_KEY_SECRET is not set.*--secret-stdin\n$/);
    const empty = await cli(['sign', ...SIG], { env: { APSARAMQ_ACCESS_KEY_SECRET: '' } });
    expect(empty.stderr).toMatch(/APSARAMQ_ACCESS_KEY_SECRET is empty/);
    const noStdin = await cli(['sign', ...SIG, '--secret-stdin'], { stdin: '' });
    expect(noStdin.stderr).toMatch(/--secret-stdin found nothing on standard input/);
  });
});

describe.concurrent('explain', () => {
  it('prints the client id bytes in hex, the secret length (not the secret), the HMAC in hex and Base64, and each part passing', async () => {
    const run = await cli(['explain', ...SIG], { env: { APSARAMQ_ACCESS_KEY_SECRET: SECRET } });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const out = run.stdout;
    const digest = createHmac('sha1', SECRET).update(clientId).digest();
    expect(out).toContain(hexOf(clientId));
    expect(out).toContain('4749445f5465737440404030303031');
    expect(out).toMatch(/the client id "GID_Test@@@0001": 15 bytes as UTF-8/);
    expect(out).toMatch(new RegExp(`from APSARAMQ_ACCESS_KEY_SECRET: ${SECRET.length} bytes as UTF-8 \\(value not shown\\)`));
    expect(out).toContain(digest.toString('hex'));
    expect(out).toContain(`${digest.toString('base64')}   <- the Password`);
    expect(out).toContain(`Username            ${username}`);
    expect(out).toContain('Computed with       node');
    for (const label of ['--access-key-id', '--instance-id', '--client-id', 'GroupId', 'DeviceId', 'APSARAMQ_ACCESS_KEY_SECRET']) {
      expect(out).toMatch(new RegExp(`ok +${label}`));
    }
    expect(out).toContain('every part passes');
    expect(out).not.toContain(SECRET);
  });

  it('the doc vector in --json: every fact, machine-readable', async () => {
    const run = await cli(['explain', ...SIG, '--json'], { env: SIG_ENV });
    const e = JSON.parse(run.stdout);
    expect(e).toMatchObject({
      mode: 'signature',
      username,
      message: { text: clientId, utf8Hex: '4749445f5465737440404030303031', byteLength: 15 },
      key: { byteLength: 5, characters: 5 },
      hmacHex: 'bc8d34f48649655191c01c19be76f08dfb97c553',
      hmacBase64: password,
      valid: true,
    });
  });

  it('signs a client id that breaks rules anyway, lists every rule per part, and exits 1', async () => {
    const run = await cli(['explain', '--group-id', 'GID', '--device-id', 'dev/1 '], { env: SIG_ENV });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(hexOf('GID@@@dev/1 '));
    expect(run.stdout).toContain(base64Hmac(accessKeySecret, 'GID@@@dev/1 '));
    expect(run.stdout).toMatch(/FAIL +GroupId +"GID"\n +- groupId must start with "GID_" or "GID-"\n +- groupId has 3 characters: use 7 to 64/);
    expect(run.stdout).toMatch(/FAIL +DeviceId +"dev\/1 "\n +- deviceId has "\/" at 3/);
    expect(run.stdout).toContain('2 parts break a rule');
  });

  it('counts the secret in UTF-8 bytes and flags a trailing newline without showing the secret', async () => {
    const secret = `${SECRET}é\n`;
    const run = await cli(['explain', '--mode', 'device', '--client-id', clientId, '--json'], { env: { APSARAMQ_DEVICE_ACCESS_KEY_SECRET: secret } });
    const e = JSON.parse(run.stdout);
    expect(e.key).toEqual({ byteLength: SECRET.length + 3, characters: SECRET.length + 2 });
    expect(e.parts.at(-1).problems.join(' ')).toMatch(/ends with white space.*non-ASCII/);
    expect(run.stdout).not.toContain(SECRET);
    expect(run.code).toBe(1);
  });

  it('custom SIGNED identities are explained; ORIGIN and token mode sign nothing (exit 2)', async () => {
    const custom = await cli(['explain', '--mode', 'custom', '--username', 'dash', '--client-id', clientId, '--json'], { env: { APSARAMQ_CUSTOM_SECRET: accessKeySecret } });
    expect(JSON.parse(custom.stdout)).toMatchObject({ mode: 'custom', username: 'dash', hmacBase64: password });
    expect((await cli(['explain', '--mode', 'token', '--client-id', clientId])).stderr).toMatch(/--mode token signs nothing/);
    expect((await cli(['explain', '--mode', 'custom', '--sign-mode', 'ORIGIN', '--client-id', clientId], { env: { APSARAMQ_CUSTOM_SECRET: 'x' } })).code).toBe(2);
  });
});

describe.concurrent('check', () => {
  const expectations = ['--mode', 'signature', '--access-key-id', accessKeyId, '--instance-id', instanceId, '--client-id', clientId];
  const pairEnv = (u: string, p: string) => ({ ...SIG_ENV, APSARAMQ_USERNAME: u, APSARAMQ_PASSWORD: p });
  const statusLines = (out: string) => out.split('\n').filter((l) => /^ {2}(ok|differs|unchecked) /.test(l)).map((l) => l.trim().split(/ {2,}/).slice(0, 2).join(' '));

  it('a matching pair: exit 0, every part ok', async () => {
    const run = await cli(['check', ...expectations], { env: pairEnv(username, password) });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^match: the pair fits the secret from APSARAMQ_ACCESS_KEY_SECRET and client id "GID_Test@@@0001"/);
    expect(statusLines(run.stdout)).toEqual(['ok mode', 'ok AccessKey ID', 'ok instance id', 'ok Password']);
  });

  it('reads the pair from sign --json through --json-stdin', async () => {
    const signed = await cli(['sign', ...SIG, '--json'], { env: SIG_ENV });
    const run = await cli(['check', '--json-stdin', ...expectations], { env: SIG_ENV, stdin: signed.stdout });
    expect(run.code).toBe(0);
  });

  it('reads the Password from --password-stdin, or --password with a warning', async () => {
    expect((await cli(['check', '--username', username, '--password-stdin', '--client-id', clientId], { env: SIG_ENV, stdin: `${password}\n` })).code).toBe(0);
    const flag = await cli(['check', '--username', username, '--password', password, '--client-id', clientId], { env: SIG_ENV });
    expect(flag.code).toBe(0);
    expect(flag.stderr).toMatch(/warning: --password puts a secret in your shell history/);
  });

  it.each([
    ['mode', `Token|${accessKeyId}|${instanceId}`, password, 'differs mode', /the Username names Token mode; Signature mode expects Signature\|<AccessKeyId>\|<InstanceId>/],
    ['AccessKey ID', `Signature|ZZZZZ|${instanceId}`, password, 'differs AccessKey ID', /the Username has "ZZZZZ", expected "YYYYY"/],
    ['instance id', `Signature|${accessKeyId}|mqtt-other`, password, 'differs instance id', /the Username has "mqtt-other", expected "mqtt-xxxxx"/],
    ['Password', username, base64Hmac(accessKeySecret, 'GID_Test@@@0002'), 'differs Password', /hint: signed a different client id/],
  ])('names the %s when only it differs (exit 1)', async (part, u, p, line, detail) => {
    const run = await cli(['check', ...expectations], { env: pairEnv(u, p) });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^MISMATCH: ${part} differs\n`));
    expect(statusLines(run.stdout).filter((l) => l.startsWith('differs'))).toEqual([line]);
    expect(run.stdout).toMatch(detail);
  });

  it.each([
    ['a trailing newline in the secret that signed', base64Hmac(`${accessKeySecret}\n`, clientId), SIG_ENV, /newline after the secret/],
    ['a trailing newline in the secret given here', password, { APSARAMQ_ACCESS_KEY_SECRET: `${accessKeySecret}\n` }, /without white space at its ends.*trailing newline/],
    ['the hex digest', 'bc8d34f48649655191c01c19be76f08dfb97c553', SIG_ENV, /hex digest; ApsaraMQ expects the digest in standard Base64/],
    ['key and message swapped', base64Hmac(clientId, accessKeySecret), SIG_ENV, /key and message are swapped/],
  ])('hints at %s', async (_name, p, env, hint) => {
    const run = await cli(['check', ...expectations], { env: { ...env, APSARAMQ_USERNAME: username, APSARAMQ_PASSWORD: p } });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(hint);
  });

  it('token mode: compares the tokens when given, else checks the layout', async () => {
    const u = `Token|${accessKeyId}|${instanceId}`;
    expect((await cli(['check', '--username', u], { env: { APSARAMQ_PASSWORD: `R|${SECRET}`, APSARAMQ_TOKEN_R: SECRET } })).code).toBe(0);
    const other = await cli(['check', '--username', u], { env: { APSARAMQ_PASSWORD: `R|${SECRET}`, APSARAMQ_TOKEN_R: 'other' } });
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/differs +Password +the tokens differ/);
    const layoutOnly = await cli(['check', '--username', u], { env: { APSARAMQ_PASSWORD: `RW|${SECRET}` } });
    expect(layoutOnly.stdout).toMatch(/^match: nothing differs \(no tokens given/);
    expect(layoutOnly.stdout).toMatch(/unchecked +Password +carries RW token/);
    expect((await cli(['check', '--username', u], { env: { APSARAMQ_PASSWORD: `X|${SECRET}` } })).code).toBe(1);
  });

  it('--json gives the verdict per part', async () => {
    const run = await cli(['check', ...expectations, '--json'], { env: pairEnv(username, base64Hmac(accessKeySecret, 'GID_Test@@@0002')) });
    const verdict = JSON.parse(run.stdout);
    expect(verdict.match).toBe(false);
    expect(verdict.parts.map((p: { part: string; status: string }) => `${p.part}:${p.status}`)).toEqual(['mode:ok', 'accessKeyId:ok', 'instanceId:ok', 'password:differs']);
  });
});

describe.concurrent('bad input: exit 2, one line on stderr naming the flag and the rule, nothing on stdout', () => {
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ['missing --access-key-id', ['sign', '--instance-id', instanceId, '--client-id', clientId], SIG_ENV, /--access-key-id is required in signature mode/],
    ['"|" in --instance-id', ['sign', '--access-key-id', accessKeyId, '--instance-id', 'a|b', '--client-id', clientId], SIG_ENV, /--instance-id must not contain "\|"/],
    ['white space in --access-key-id', ['sign', '--access-key-id', 'YY YY', '--instance-id', instanceId, '--client-id', clientId], SIG_ENV, /--access-key-id must not contain "\|" or white space/],
    ['a short GroupId in --client-id', ['sign', ...SIG.slice(0, 4), '--client-id', 'GID_T@@@1'], SIG_ENV, /--client-id: groupId has 5 characters: use 7 to 64/],
    ['no "@@@" in --client-id', ['sign', ...SIG.slice(0, 4), '--client-id', 'GID_Test0001'], SIG_ENV, /--client-id must be <GroupId>@@@<DeviceId>/],
    ['a bad --group-id', ['sign', ...SIG.slice(0, 4), '--group-id', 'XID_Test', '--device-id', '1'], SIG_ENV, /--group-id must start with "GID_"/],
    ['a bad --device-id', ['sign', ...SIG.slice(0, 4), '--group-id', 'GID_Test', '--device-id', 'a/b'], SIG_ENV, /--device-id has "\/" at 1: use only A-Z a-z 0-9 - _/],
    ['--group-id without --device-id', ['sign', ...SIG.slice(0, 4), '--group-id', 'GID_Test'], SIG_ENV, /--device-id is required with --group-id/],
    ['--client-id with --group-id', ['sign', ...SIG, '--group-id', 'GID_Test'], SIG_ENV, /--client-id cannot be combined with --group-id/],
    ['an unknown --mode', ['sign', '--mode', 'oauth'], {}, /--mode must be signature, token, device or custom \(got "oauth"\)/],
    ['--mode without a value', ['sign', '--mode'], {}, /--mode needs a value/],
    ['an unknown flag', ['sign', '--secret=abc'], {}, /--secret is not an option of "sign"/],
    ['a value for a boolean flag', ['sign', '--json=yes'], {}, /--json takes no value/],
    ['a stray word', ['sign', 'XXXXX'], {}, /sign takes no positional arguments/],
    ['a flag of another mode', ['sign', ...SIG, '--token-r', 'x'], SIG_ENV, /--token-r is for --mode token, not --mode signature/],
    ['--device-access-key-id in signature mode', ['sign', ...SIG, '--device-access-key-id', 'd'], SIG_ENV, /--device-access-key-id is for --mode device/],
    ['no token at all', ['sign', '--mode', 'token', '--access-key-id', accessKeyId, '--instance-id', instanceId], {}, /--token-r\/--token-w\/--token-rw are all missing/],
    ['"|" in a token', ['sign', '--mode', 'token', '--access-key-id', accessKeyId, '--instance-id', instanceId], { APSARAMQ_TOKEN_W: 'a|b' }, /APSARAMQ_TOKEN_W must not contain "\|"/],
    ['custom without --sign-mode', ['sign', '--mode', 'custom', '--username', 'u', '--client-id', clientId], { APSARAMQ_CUSTOM_SECRET: 'x' }, /--sign-mode is required in custom mode: ORIGIN/],
    ['custom without --sign-mode nor secret', ['sign', '--mode', 'custom', '--username', 'u', '--client-id', clientId], {}, /--sign-mode and the custom identity secret \(APSARAMQ_CUSTOM_SECRET or --secret-stdin\) are required in custom mode/],
    ['a bad --sign-mode', ['sign', '--mode', 'custom', '--username', 'u', '--sign-mode', 'hashed', '--client-id', clientId], {}, /--sign-mode must be ORIGIN or SIGNED/],
    ['--json with --env', ['sign', ...SIG, '--json', '--env'], SIG_ENV, /--json cannot be combined with --env/],
    ['a bad --env-prefix', ['sign', ...SIG, '--env', '--env-prefix', '1X'], SIG_ENV, /--env-prefix must be letters, digits and "_"/],
    ['the secret twice', ['sign', ...SIG, '--access-key-secret', SECRET, '--secret-stdin'], {}, /--access-key-secret cannot be combined with --secret-stdin/],
    ['explain without a client id', ['explain'], SIG_ENV, /--client-id \(or --group-id with --device-id\) is required to explain a signature/],
    ['check without a Username', ['check', '--client-id', clientId], { ...SIG_ENV, APSARAMQ_PASSWORD: password }, /--username is required \(or set APSARAMQ_USERNAME/],
    ['check without a Username nor a Password', ['check', '--client-id', clientId], SIG_ENV, /--username \(or APSARAMQ_USERNAME\) and the Password \(APSARAMQ_PASSWORD or --password-stdin\) are required/],
    ['check without a Password', ['check', '--username', username, '--client-id', clientId], SIG_ENV, /APSARAMQ_PASSWORD is not set/],
    ['check with two stdin readers', ['check', '--json-stdin', '--secret-stdin'], {}, /--secret-stdin cannot be combined with --json-stdin/],
    ['check with non-JSON on stdin', ['check', '--json-stdin', '--client-id', clientId], SIG_ENV, /--json-stdin needs a JSON object on standard input/],
    ['an unknown command', ['sigh'], {}, /"sigh" is not a command \(did you mean "sign"\?\); commands: sign, explain, check, broker/],
  ];

  it.each(cases)('%s', async (_name, args, env, message) => {
    const run = await cli(args, { env, stdin: 'not json' });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.split('\n').filter((line) => line && !line.includes('warning:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(run.stderr).not.toContain(SECRET);
  });
});

describe.concurrent('the first hour: every missing input at once, "did you mean", and warnings about the secret', () => {
  it.each([
    ['sign with nothing', ['sign'], {}, '--access-key-id, --instance-id, --client-id (or --group-id with --device-id) and the AccessKey secret (APSARAMQ_ACCESS_KEY_SECRET or --secret-stdin) are required in signature mode'],
    ['sign --mode device with only a client id', ['sign', '--mode', 'device', '--client-id', clientId], {}, '--device-access-key-id, --instance-id and the DeviceAccessKeySecret (APSARAMQ_DEVICE_ACCESS_KEY_SECRET or --secret-stdin) are required in device mode'],
    ['sign --mode token', ['sign', '--mode', 'token'], {}, '--access-key-id, --instance-id and tokens (APSARAMQ_TOKEN_R, APSARAMQ_TOKEN_W, APSARAMQ_TOKEN_RW) are required in token mode'],
    ['explain with nothing', ['explain'], {}, '--client-id (or --group-id with --device-id) and the AccessKey secret (APSARAMQ_ACCESS_KEY_SECRET or --secret-stdin) are required to explain a signature'],
    ['check with a Username only', ['check', '--username', username], {}, 'the Password (APSARAMQ_PASSWORD or --password-stdin), --client-id (or --group-id with --device-id) and the AccessKey secret (APSARAMQ_ACCESS_KEY_SECRET or --secret-stdin) are required to check a signature Password'],
  ])('%s: all missing inputs named in one line', async (_name, args, env, message) => {
    const run = await cli(args, { env });
    expect(run).toEqual({ code: 2, stdout: '', stderr: `apsaramq-mqtt-auth ${args[0]}: ${message}\n` });
  });

  it.each([
    ['a typo', ['sign', '--acess-key-id', 'x'], '--acess-key-id is not an option of "sign": did you mean --access-key-id?'],
    ['camelCase (not repeated: it has capitals)', ['sign', '--clientId', 'x'], 'is not an option of "sign": did you mean --client-id?'],
    ['snake_case', ['sign', '--instance_id', 'x'], '--instance_id is not an option of "sign": did you mean --instance-id?'],
    ['several at once', ['sign', '--acess-key-id', 'x', '--clientid', 'y', '--verbose'], '--acess-key-id (did you mean --access-key-id?), --clientid (did you mean --client-id?), --verbose are not options of "sign"'],
    ["another command's flag", ['sign', '--password-stdin'], '--password-stdin is not an option of "sign": --password-stdin is an option of "check"'],
    ['a command typo', ['chekc'], '"chekc" is not a command (did you mean "check"?)'],
    ['a --mode typo', ['sign', '--mode', 'sigature'], '--mode must be signature, token, device or custom (got "sigature"; did you mean signature?)'],
    ['a --sign-mode typo', ['sign', '--mode', 'custom', '--sign-mode', 'SINGED'], '--sign-mode must be ORIGIN or SIGNED (did you mean SIGNED?)'],
  ])('unknown names get a "did you mean": %s', async (_name, args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(message);
  });

  it('--help wins over a mistake on the same line', async () => {
    const run = await cli(['sign', '--acess-key-id', 'x', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe((await cli(['sign', '--help'])).stdout);
  });

  it.each([
    ['from the environment, with a trailing newline', { APSARAMQ_ACCESS_KEY_SECRET: `${SECRET}\n` }, undefined, /warning: the AccessKey secret from APSARAMQ_ACCESS_KEY_SECRET ends with white space \(a newline from a file or from echo\?\); it is signed as is/],
    ['from the environment, with a leading space', { APSARAMQ_ACCESS_KEY_SECRET: ` ${SECRET}` }, undefined, /warning: the AccessKey secret from APSARAMQ_ACCESS_KEY_SECRET starts with white space/],
    ['from standard input, with a second trailing newline', {}, `${SECRET}\n\n`, /warning: the AccessKey secret from --secret-stdin ends with white space .*\(the input ended with two newlines: --secret-stdin drops only one\)/],
  ])('sign warns about a secret %s, as explain does, and still signs it as given', async (_name, env, stdin, warning) => {
    const args = ['sign', ...SIG, '--json', ...(stdin === undefined ? [] : ['--secret-stdin'])];
    const run = await cli(args, { env, ...(stdin === undefined ? {} : { stdin }) });
    expect(run.code).toBe(0);
    const given = stdin === undefined ? env.APSARAMQ_ACCESS_KEY_SECRET! : stdin.replace(/\n$/, '');
    expect(JSON.parse(run.stdout).password).toBe(base64Hmac(given, clientId));
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(warning);
    expect(run.stderr).not.toContain(SECRET);
  });

  it('sign warns about a token, or an ORIGIN secret, with white space at an end: both go into the Password as given', async () => {
    const token = await cli(['sign', '--mode', 'token', '--access-key-id', accessKeyId, '--instance-id', instanceId, '--json'], { env: { APSARAMQ_TOKEN_RW: `${SECRET}\n` } });
    expect(token.code).toBe(0);
    expect(JSON.parse(token.stdout).password).toBe(`RW|${SECRET}\n`);
    expect(token.stderr).toBe('apsaramq-mqtt-auth: warning: the RW token from APSARAMQ_TOKEN_RW ends with white space (a newline from a file or from echo?); it is sent as is\n');
    const origin = await cli(['sign', '--mode', 'custom', '--username', 'u', '--sign-mode', 'ORIGIN', '--client-id', clientId, '--json'], { env: { APSARAMQ_CUSTOM_SECRET: ` ${SECRET}` } });
    expect(origin.code).toBe(0);
    expect(origin.stderr).toBe('apsaramq-mqtt-auth: warning: the custom identity secret from APSARAMQ_CUSTOM_SECRET starts with white space (a copy-paste slip?); it is sent as is\n');
  });

  it('sign says nothing about a clean secret (one newline from stdin is expected)', async () => {
    expect((await cli(['sign', ...SIG], { env: SIG_ENV })).stderr).toBe('');
    expect((await cli(['sign', ...SIG, '--secret-stdin'], { stdin: `${accessKeySecret}\n` })).stderr).toBe('');
  });

  it.each([
    ['in the wrong case', `signature|${accessKeyId}|${instanceId}`, /starts with "signature"; ApsaraMQ expects exactly "Signature"/],
    ['misspelt', `Signatrue|${accessKeyId}|${instanceId}`, /starts with "Signatrue"; ApsaraMQ expects exactly "Signature"/],
    ['with ":" between its parts', `Signature:${accessKeyId}:${instanceId}`, /separates its parts with ":"; ApsaraMQ expects "\|"/],
  ])('check infers the mode of a Username %s, reads that mode\'s secret, and names the slip', async (_name, u, detail) => {
    const run = await cli(['check', '--client-id', clientId], { env: { ...SIG_ENV, APSARAMQ_USERNAME: u, APSARAMQ_PASSWORD: password } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^MISMATCH: Username differs\n/);
    expect(run.stdout).toMatch(/unchecked +mode +the Username seems meant for Signature mode/);
    expect(run.stdout).toMatch(detail);
    expect(run.stdout).toContain(`hint: write it as "${username}"`);
    expect(run.stdout).toMatch(/ok +Password/);
  });

  it('check on a Username with no mode label says why it wants the custom secret', async () => {
    const run = await cli(['check', '--username', `${accessKeyId}|${instanceId}`, '--client-id', clientId], { env: { ...SIG_ENV, APSARAMQ_PASSWORD: password } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/APSARAMQ_CUSTOM_SECRET is not set.*the Username names no mode.*give --mode if it is not one/);
  });

  it.each([
    ['a character outside the alphabet', 'vI009IZJZVGRwBwZvnbw!fuXxVM=', /28 characters, as an HMAC-SHA1 in Base64 does, but is not Base64: it has a character at position 21, outside the Base64 alphabet/],
    ['a misplaced "="', 'vI009IZJZVGRwBwZ=nbwjfuXxVM=', /28 characters, as an HMAC-SHA1 in Base64 does, but is not Base64: it has "=" at position 17/],
    ['non-zero spare bits', 'vI009IZJZVGRwBwZvnbwjfuXxVN=', /28 characters, as an HMAC-SHA1 in Base64 does, but is not Base64: it ends in a character whose spare bits are not zero/],
  ])('check says exactly why a 28-character Password is not Base64: %s', async (_name, p, hint) => {
    const run = await cli(['check', ...SIG], { env: { ...SIG_ENV, APSARAMQ_USERNAME: username, APSARAMQ_PASSWORD: p } });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(hint);
    expect(run.stdout).not.toMatch(/is not Base64 \(an HMAC-SHA1 in Base64 is 28 characters/);
  });
});

describe.concurrent('security: nothing that could be a secret is repeated; standard input is capped', () => {
  /** A secret typed in the wrong place: none of it may come back. */
  const CANARY = 'Qz7CANARYaksLm2vPq9';
  const pieces = (text: string) => Array.from({ length: text.length - 3 }, (_, i) => text.slice(i, i + 4));

  it.each([
    ['as the command', [CANARY]],
    ['after "help"', ['help', CANARY]],
    ['as a stray word', ['sign', CANARY]],
    ['as a flag name', ['sign', `--${CANARY}`]],
    ['as a flag name with a value', ['sign', `--${CANARY}=x`]],
    ['after one dash (letters read as short flags)', ['sign', `-${CANARY}`]],
    ['as the value of --mode', ['sign', '--mode', CANARY]],
    ['as the value of --mode, inline', ['explain', `--mode=${CANARY}`]],
    ['as the value of --sign-mode', ['sign', '--mode', 'custom', '--username', 'u', '--client-id', clientId, '--sign-mode', CANARY]],
    ['as a switch value', ['check', `--json=${CANARY}`]],
    ['as a broker port', ['broker', '--config', 'x.json', '--tcp-port', CANARY]],
    ['as a broker flag', ['broker', `--${CANARY}`]],
  ])('a secret typed %s is not echoed, not even in part', async (_name, args) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    for (const piece of pieces(CANARY)) expect(run.stdout + run.stderr, piece).not.toContain(piece);
  });

  it('--secret-stdin stops reading after 64 KiB and refuses the input, naming the flag', async () => {
    const run = await cli(['sign', ...SIG, '--secret-stdin', '--json'], { stdin: 'A'.repeat(1024 * 1024) });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^apsaramq-mqtt-auth sign: --secret-stdin read more than 64 KiB on standard input and stopped/);
  });

  it('an endless standard input is cut off: the writer is refused after a bounded amount', async () => {
    const child = spawn(process.execPath, [CLI, 'check', '--json-stdin', '--client-id', clientId], { env: { PATH: process.env.PATH ?? '', ...SIG_ENV } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    // Writes until the reader goes away, but never more than 64 MB (the old CLI read everything).
    let written = 0;
    await new Promise<void>((resolve) => {
      const pump = () => {
        while (written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!child.stdin.write(chunk)) return void child.stdin.once('drain', pump);
        }
        child.stdin.end();
        resolve();
      };
      child.stdin.on('error', () => resolve());
      child.on('close', () => resolve());
      pump();
    });
    expect(await exited).toBe(2);
    expect(stderr).toMatch(/--json-stdin read more than 64 KiB/);
    expect(written).toBeLessThan(8 * 1024 * 1024);
  });
});

describe('broker: the local broker from the same binary, and sign output that it accepts', () => {
  // examples/broker.json's demo identities (not secrets of any real account).
  const demo = { accessKeyId: 'LTAI-demo-access-key-id', accessKeySecret: 'demo-access-key-secret-not-real', instanceId: 'mqtt-local-demo' };
  const device = { clientId: 'GID_demo@@@sensor-1', deviceAccessKeyId: 'DeviceKey-demo-sensor-1', secret: 'demo-device-secret-not-real' };
  let broker: StartedProcess;
  let tcpUrl: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    broker = startProcess(process.execPath, [CLI, 'broker', '--config', join(ROOT, 'examples/broker.json'), '--tcp-port', '0', '--tls-port', '0', '--ws-port', '0', '--wss-port', '0', '--http-port', '0'], {
      name: 'apsaramq-mqtt-auth broker',
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '' },
    });
    tcpUrl = (await broker.waitForOutput(/MQTT over TCP: +(mqtt:\/\/127\.0\.0\.1:\d+)/, { stream: 'stdout', timeout: 20_000 }))[1]!;
  });

  afterAll(async () => {
    await endAll(clients);
    await broker?.stop();
  });

  const connect = (clientId: string, credentials: { username: string; password: string }) => {
    const client = mqtt.connect(tcpUrl, { clientId, ...credentials, reconnectPeriod: 0, connectTimeout: 10_000 });
    clients.push(client);
    return client;
  };

  it('broker --help and a missing --config (exit 2, one line)', async () => {
    const help = await cli(['broker', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: apsaramq-mqtt-auth broker --config <file>');
    expect((await cli(['help', 'broker'])).stdout).toBe(help.stdout);
    const bad = await cli(['broker']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^apsaramq-mqtt-auth broker: --config is required.*\n$/);
  });

  it('accepts what sign makes in Signature and DeviceCredential mode, and carries a message', async () => {
    const clientId = 'GID_demo@@@cli-e2e';
    const signed = await cli(['sign', '--access-key-id', demo.accessKeyId, '--instance-id', demo.instanceId, '--client-id', clientId, '--json'], {
      env: { APSARAMQ_ACCESS_KEY_SECRET: demo.accessKeySecret },
    });
    const subscriber = connect(clientId, JSON.parse(signed.stdout));
    await subscriber.subscribeAsync('demo/cli/telemetry', { qos: 1 });
    const deviceSigned = await cli(['sign', '--mode', 'device', '--device-access-key-id', device.deviceAccessKeyId, '--instance-id', demo.instanceId, '--client-id', device.clientId, '--json'], {
      env: { APSARAMQ_DEVICE_ACCESS_KEY_SECRET: device.secret },
    });
    const publisher = connect(device.clientId, JSON.parse(deviceSigned.stdout));
    const arrived = nextMessage(subscriber, 'demo/cli/telemetry');
    await publisher.publishAsync('demo/cli/telemetry', 'from the CLI', { qos: 1 });
    expect(await arrived).toBe('from the CLI');
    expect(broker.stdout()).toMatch(/connected +GID_demo@@@cli-e2e \(Signature, MQTT 3\.1\.1\)\nconnected +GID_demo@@@sensor-1 \(DeviceCredential/);
  });

  it('refuses a Password signed with another secret (CONNACK 5)', async () => {
    const signed = await cli(['sign', '--access-key-id', demo.accessKeyId, '--instance-id', demo.instanceId, '--client-id', 'GID_demo@@@cli-wrong', '--json'], {
      env: { APSARAMQ_ACCESS_KEY_SECRET: 'not-the-secret' },
    });
    const refused = await nextError(connect('GID_demo@@@cli-wrong', JSON.parse(signed.stdout)));
    expect(refused.code).toBe(5);
  });

  it('stops cleanly on SIGINT (exit 0)', async () => {
    await endAll(clients.splice(0));
    expect(await broker.stop({ signal: 'SIGINT' })).toEqual({ code: 0, signal: null });
    expect(broker.stdout()).toMatch(/stopped\n$/);
  });
});

describe.concurrent('no secret in any output the user did not ask for', () => {
  const env = {
    APSARAMQ_ACCESS_KEY_SECRET: SECRET,
    APSARAMQ_DEVICE_ACCESS_KEY_SECRET: SECRET,
    APSARAMQ_CUSTOM_SECRET: SECRET,
    APSARAMQ_TOKEN_RW: SECRET,
    APSARAMQ_USERNAME: username,
  };
  const signed = base64Hmac(SECRET, clientId);
  const runs: [string, string[], Record<string, string>][] = [
    ['sign (human)', ['sign', ...SIG], env],
    ['sign --json', ['sign', ...SIG, '--json'], env],
    ['sign --env (device)', ['sign', '--mode', 'device', '--device-access-key-id', 'd', '--instance-id', instanceId, '--client-id', clientId, '--env'], env],
    ['explain', ['explain', ...SIG], env],
    ['explain --json', ['explain', ...SIG, '--json'], env],
    ['check (match)', ['check', ...SIG], { ...env, APSARAMQ_PASSWORD: signed }],
    ['check (mismatch)', ['check', ...SIG], { ...env, APSARAMQ_PASSWORD: base64Hmac(SECRET, 'GID_Test@@@0002') }],
    ['check (Password is the secret)', ['check', ...SIG], { ...env, APSARAMQ_PASSWORD: SECRET }],
    ['check --json (token)', ['check', '--username', `Token|${accessKeyId}|${instanceId}`, '--json'], { ...env, APSARAMQ_PASSWORD: `R|${SECRET}` }],
    ['bad input', ['sign', ...SIG.slice(0, 4), '--client-id', 'nope'], env],
  ];

  it.each(runs)('%s', async (_name, args, runEnv) => {
    const run = await cli(args, { env: runEnv });
    // The user asked for the Password from sign and explain: it may appear there, the secret never.
    expect(run.stdout + run.stderr).not.toContain(SECRET);
    if (args[0] === 'check') expect(run.stdout + run.stderr).not.toContain(signed);
  });
});
