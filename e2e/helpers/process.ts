/**
 * Child processes for e2e tests (brokers, the CLI, `npm start`): output captured, every wait
 * bounded, and a stop that escalates from SIGTERM to SIGKILL. Processes still alive when the test
 * worker exits (a crashed test, a forgotten stop) are killed by an exit hook, so none outlive the run.
 * @module
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { pollUntil, withTimeout, type WaitOptions } from './wait.js';

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A started process and the means to watch and stop it. */
export interface StartedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<Exit>;
  /** Whether the process has exited. */
  hasExited(): boolean;
  /**
   * Waits until stdout or stderr (per `stream`, default both) matches `pattern`, and returns the
   * match. Rejects on timeout or if the process exits first, quoting the end of its output.
   */
  waitForOutput(pattern: RegExp, options?: WaitOptions & { stream?: 'stdout' | 'stderr' | 'both' }): Promise<RegExpMatchArray>;
  /** SIGTERM (or `signal`), then SIGKILL after `timeout` ms (default 5 s). Resolves once it has exited. */
  stop(options?: { signal?: NodeJS.Signals; timeout?: number }): Promise<Exit>;
}

/** Options of {@link startProcess}. */
export interface StartProcessOptions extends Pick<SpawnOptions, 'cwd' | 'env'> {
  /** Name used in error messages (default: the command). */
  name?: string;
  /** Text written to stdin, which is then closed. Default: stdin closed at once. */
  input?: string;
}

const MAX_CAPTURE = 1 << 20;
const live = new Set<ChildProcess>();
const cleanups = new Set<() => void>();
let hooked = false;

function cleanUpNow(): void {
  for (const child of live) child.kill('SIGKILL');
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // best effort: the worker is going away
    }
  }
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // 'exit' handlers must be synchronous: a plain kill is all that can be done there.
  process.once('exit', cleanUpNow);
  // vitest stops its workers with SIGTERM, which skips 'exit' handlers: clean up, then let the
  // signal do what it would have done.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = () => {
      cleanUpNow();
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/**
 * Registers a synchronous cleanup (e.g. removing a temporary directory) that runs if the worker
 * exits or is signalled before the owner cleaned up. Returns the function that unregisters it.
 */
export function atExit(cleanup: () => void): () => void {
  hookExit();
  cleanups.add(cleanup);
  return () => void cleanups.delete(cleanup);
}

/** Starts `command` with `args` (no shell), capturing its output. */
export function startProcess(command: string, args: readonly string[], options: StartProcessOptions = {}): StartedProcess {
  const name = options.name ?? command;
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
  hookExit();
  live.add(child);
  let out = '';
  let err = '';
  const keep = (text: string, chunk: Buffer) => (text + chunk.toString('utf8')).slice(-MAX_CAPTURE);
  child.stdout!.on('data', (chunk: Buffer) => (out = keep(out, chunk)));
  child.stderr!.on('data', (chunk: Buffer) => (err = keep(err, chunk)));
  child.stdin!.on('error', () => {}); // a process that exits early closes its stdin under us
  child.stdin!.end(options.input ?? '');
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) => {
    const done = (value: Exit) => {
      live.delete(child);
      exit ??= value;
      resolve(exit);
    };
    // 'exit' can come before the last output has been read (Node's docs: stdio may still be open):
    // settle on 'close', when the pipes have ended, or a second after 'exit' if a grandchild keeps
    // them open, so that stdout() holds everything a process printed once `exited` resolves.
    child.once('exit', (code, signal) => {
      child.once('close', () => done({ code, signal }));
      setTimeout(() => done({ code, signal }), 1000).unref();
    });
    child.once('error', (error) => {
      err += `\n[spawn error] ${error.message}`;
      done({ code: null, signal: null });
    });
  });
  const tail = () => `${out}\n${err}`.trim().split('\n').slice(-20).join('\n');

  const handle: StartedProcess = {
    name,
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    hasExited: () => exit !== undefined,
    async waitForOutput(pattern, waitOptions = {}) {
      const { stream = 'both', ...rest } = waitOptions;
      const text = () => (stream === 'stdout' ? out : stream === 'stderr' ? err : `${out}\n${err}`);
      return pollUntil(
        () => {
          const match = text().match(pattern);
          if (match) return match;
          if (exit) throw new Error(`${name} exited (${exit.code ?? exit.signal}) before printing ${pattern}:\n${tail()}`);
          return undefined;
        },
        { what: `${name} to print ${pattern}`, ...rest },
      ).catch((error: Error) => {
        throw exit ? error : new Error(`${error.message}\n--- ${name} output ---\n${tail()}`);
      });
    },
    async stop({ signal = 'SIGTERM', timeout = 5000 } = {}) {
      if (exit) return exit;
      child.kill(signal);
      try {
        return await withTimeout(exited, timeout, `${name} to exit after ${signal}`);
      } catch {
        child.kill('SIGKILL');
        return withTimeout(exited, 5000, `${name} to exit after SIGKILL`);
      }
    },
  };
  return handle;
}
