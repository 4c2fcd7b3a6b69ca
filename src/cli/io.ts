/**
 * What a command may touch of its process: output streams, the environment, standard input and the
 * signals that stop it. Passed in, so each command reads like a pure function of its arguments and
 * environment, and tests drive the real commands without a subprocess.
 * @module
 */

/** The signals a long-running command (`broker`) stops on. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The process as a command sees it. */
export interface CliIo {
  /** Writes one line (a newline is added) to standard output. */
  out(line: string): void;
  /** Writes one line (a newline is added) to standard error. */
  err(line: string): void;
  /** Environment variables. */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * Reads standard input to its end; `undefined` once more than `maxBytes` arrived (reading stops
   * there, so an endless or huge input costs at most that much memory).
   */
  readStdin(maxBytes: number): Promise<string | undefined>;
  /** True when standard input is a terminal (nothing piped in). */
  stdinIsTTY: boolean;
  /** Emits SIGINT and SIGTERM (the process, or a test's emitter). */
  signals: {
    once(event: StopSignal, listener: () => void): unknown;
    off(event: StopSignal, listener: () => void): unknown;
  };
}

/** The real process. */
export function processIo(): CliIo {
  // `apsaramq-mqtt-auth sign --help | head -1`: a reader that leaves early is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
  return {
    out: (line) => void process.stdout.write(line + '\n'),
    err: (line) => void process.stderr.write(line + '\n'),
    env: process.env,
    stdinIsTTY: process.stdin.isTTY === true,
    signals: process,
    readStdin: async (maxBytes) => {
      const chunks: Buffer[] = [];
      let size = 0;
      // Leaving the loop early destroys the stream: the writer gets EPIPE instead of filling memory here.
      for await (const chunk of process.stdin) {
        size += (chunk as Buffer).byteLength;
        if (size > maxBytes) return undefined;
        chunks.push(chunk as Buffer);
      }
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}
