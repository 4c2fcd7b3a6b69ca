/**
 * The second security audit, finding 7: terminal escapes in CLI output. `sign` printed
 * `--access-key-id` and `--instance-id` raw, ESC and OSC sequences included, and `broker` printed a
 * config file's `instanceId` (and client ids in its log lines) raw: text that can retitle the
 * terminal, clear it or hide what follows. Every line the CLI writes now has its control characters
 * escaped. The real commands on the sources, their output captured.
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import type { CliIo, StopSignal } from '../../src/cli/io.js';
import { run } from '../../src/cli/run.js';
import { escapeControls } from '../../src/cli/terminal-escapes.js';

// An OSC title change, a screen clear, a one-byte CSI (C1), a bidi override and backspaces (white space is refused outright).
const HOSTILE = ['\u001b]0;owned\u0007', '\u001b[2J', '\u009b31m', '\u202e', '\u0008\u0008'];
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function captureIo(env: Record<string, string> = {}): { io: CliIo; lines: string[]; signals: EventEmitter } {
  const lines: string[] = [];
  const signals = new EventEmitter();
  const io: CliIo = {
    out: (line) => lines.push(line),
    err: (line) => lines.push(line),
    env,
    readStdin: async () => '',
    stdinIsTTY: true,
    signals: signals as unknown as CliIo['signals'],
  };
  return { io, lines, signals };
}

describe('finding 7: the CLI escapes control characters in everything it prints', () => {
  it.each(HOSTILE)('sign: --access-key-id and --instance-id holding %j are printed escaped (rows and JSON)', async (evil) => {
    for (const format of [[], ['--json']]) {
      const { io, lines } = captureIo({ APSARAMQ_ACCESS_KEY_SECRET: 'cli-secret-DoNotLeak' });
      const code = await run(['sign', '--access-key-id', `LTAI${evil}x`, '--instance-id', `mqtt-${evil}`, '--client-id', 'GID_escape@@@1', ...format], io);
      const text = lines.join('\n');
      expect(code, text).toBe(0);
      // Rows show the escape; JSON escapes on its own (`\b`, `\u001b`) and still parses to the value given.
      if (format.length === 0) expect(text).toContain(escapeControls(evil));
      else expect((JSON.parse(text) as { username: string }).username).toContain(`LTAI${evil}x`);
      expect(text, `exit ${code}`).not.toMatch(RAW_CONTROL);
      expect(text).not.toContain('cli-secret-DoNotLeak');
    }
  });

  it('sign --env refuses a value holding a control character instead of writing it into a .env file', async () => {
    const { io, lines } = captureIo({ APSARAMQ_ACCESS_KEY_SECRET: 'cli-secret-DoNotLeak' });
    const code = await run(['sign', '--access-key-id', 'LTAI\u001b[2Jx', '--instance-id', 'mqtt-1', '--client-id', 'GID_escape@@@1', '--env'], io);
    expect(code).toBe(2);
    expect(lines.join('\n')).toMatch(/control character/);
    expect(lines.join('\n')).not.toMatch(RAW_CONTROL);
  });

  it('broker: a config file’s instanceId and a client id in the log lines are printed escaped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-escapes-'));
    try {
      const config = join(dir, 'broker.json');
      await writeFile(config, JSON.stringify({ instanceId: 'mqtt-\u001b]0;owned\u0007-\u009b2J', accessKeys: [{ accessKeyId: 'LTAI5tCli', accessKeySecret: 'cli-broker-secret-1' }], tls: { stateDir: false } }));
      const { io, lines, signals } = captureIo();
      const running = run(['broker', '--config', config, '--tcp-port', '0', '--http-port', '0', '--ws-port', '0', '--tls-port', '0', '--wss-port', '0'], io);
      const started = Date.now();
      while (!lines.some((l) => l.startsWith('Press Ctrl-C')) && Date.now() - started < 20_000) await new Promise((resolve) => setTimeout(resolve, 50));
      const tcp = lines.map((l) => /mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(l)?.[1]).find(Boolean);
      expect(tcp).toBeDefined();
      // A client id with an escape, refused: its id reaches the log line.
      await new Promise<void>((resolve) => {
        const client = mqtt.connect(`mqtt://127.0.0.1:${tcp}`, { clientId: 'GID_x@@@\u001b[2J', username: 'u', password: 'p', reconnectPeriod: 0, connectTimeout: 5000 });
        client.on('error', () => (client.end(true), resolve()));
        client.on('close', () => resolve());
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      signals.emit('SIGINT' satisfies StopSignal);
      expect(await running).toBe(0);
      const text = lines.join('\n');
      expect(text).toContain('mqtt-\\u001b]0;owned\\u0007-\\u009b2J');
      expect(text).toContain('\\u001b[2J');
      expect(text).not.toMatch(RAW_CONTROL);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
