/**
 * Where a command writes: anything with `write` (a Node stream, or an array collector in tests).
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const out: CliOutput = { write: (s) => lines.push(s) };
 * ```
 */
export interface CliOutput {
  write(chunk: string): unknown;
  /** Terminal width when known (the progress bar uses it). */
  readonly columns?: number;
}

/**
 * Everything a `bypass` command touches outside the library, injectable so tests run commands
 * in-process with captured output. {@link nodeIo} is the real one.
 *
 * @example
 * ```ts
 * const out: string[] = [];
 * const io: CliIo = {
 *   stdout: { write: (s) => out.push(s) },
 *   stderr: { write: (s) => out.push(s) },
 *   isTTY: { stdout: false, stderr: false },
 *   env: {},
 *   cwd: process.cwd(),
 *   exit: (code) => console.log('exit code', code),
 * };
 * await runCli(['schema'], io);
 * ```
 */
export interface CliIo {
  readonly stdout: CliOutput;
  readonly stderr: CliOutput;
  /** Whether stdout and stderr are terminals (colors, redraws, progress bar). */
  readonly isTTY: { readonly stdout: boolean; readonly stderr: boolean };
  /** Environment variables (`CI`, `NO_COLOR`, `FORCE_COLOR` are read). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative paths on the command line are relative to this directory. */
  readonly cwd: string;
  /**
   * Called once with the command's exit code when it has finished (the real one sets
   * `process.exitCode`; it must not end the process: output may still be flushing).
   */
  readonly exit: (code: number) => void;
  /** Monotonic wall clock in ns (only the progress bar reads it); default `process.hrtime`. */
  readonly now?: () => number;
  /** Registers a Ctrl-C handler and returns its removal; default: none (nothing to stop). */
  readonly onInterrupt?: (handler: () => void) => () => void;
  /** The bundled scenarios' directory; default the repository's top-level `scenarios/`. */
  readonly scenariosDir?: string;
}

/**
 * The real {@link CliIo}: `process.stdout`/`stderr`, the process environment and working
 * directory, `process.hrtime` and SIGINT; `exit` sets `process.exitCode`.
 *
 * @example
 * ```ts
 * await runCli(process.argv.slice(2), nodeIo());
 * ```
 */
export function nodeIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true },
    env: process.env,
    cwd: process.cwd(),
    exit: (code) => {
      process.exitCode = code;
    },
    now: () => Number(process.hrtime.bigint()),
    onInterrupt: (handler) => {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  };
}
