/**
 * The node-service example as a child process of `npm start`: its output passed through line by
 * line, and a stop that sends SIGTERM and waits (SIGKILL after a bounded wait).
 */
import { spawn } from 'node:child_process';

/**
 * @param {{ script: string, env: Record<string, string | undefined>, log: (line: string) => void }} options
 * @returns {{ stop: () => Promise<void> }}
 */
export function startChild(options) {
  const { log } = options;
  // Its own process group: Ctrl-C in the terminal reaches only `npm start`, which then stops the
  // service with one SIGTERM (a second signal would make the service give up waiting for acks).
  const child = spawn(process.execPath, [options.script], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stopping = false;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      if (!stopping) log(`[node-service] exited unexpectedly (${signal ?? `code ${code}`}); the rest keeps running`);
      resolve();
    });
    child.once('error', (error) => {
      log(`[node-service] could not start: ${error.message}`);
      resolve();
    });
  });
  for (const [stream, write] of [
    [child.stdout, (text) => process.stdout.write(text)],
    [child.stderr, (text) => process.stderr.write(text)],
  ]) {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop();
      for (const line of lines) write(`${line}\n`);
    });
    stream.on('end', () => pending && write(`${pending}\n`));
  }
  return {
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
