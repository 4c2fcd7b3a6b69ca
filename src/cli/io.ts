/**
 * What a command may touch of its process: output streams, the environment and standard input.
 * Passed in, so each command reads like a pure function of its arguments and environment.
 * @module
 */

/** The process as a command sees it. */
export interface CliIo {
  /** Writes one line (a newline is added) to standard output. */
  out(line: string): void;
  /** Writes one line (a newline is added) to standard error. */
  err(line: string): void;
  /** Environment variables. */
  env: Readonly<Record<string, string | undefined>>;
  /** Reads standard input to its end. */
  readStdin(): Promise<string>;
  /** True when standard input is a terminal (nothing piped in). */
  stdinIsTTY: boolean;
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
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}
