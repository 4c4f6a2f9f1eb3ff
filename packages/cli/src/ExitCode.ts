/**
 * The exit codes of every `bypass` command (stable; scripts rely on them):
 * - `OK` (0): done, every expectation held;
 * - `FAILED` (1): an expectation failed or the books did not balance (`run`, `compare`), or
 *   `doctor` found an error;
 * - `USAGE` (2): bad command line or invalid scenario file (nothing was simulated);
 * - `INTERNAL` (3): internal error, or the system could not be read (a bug report helps).
 *
 * @example
 * ```ts
 * const code = await runCli(['run', 'migration.yaml'], nodeIo());
 * if (code === ExitCode.FAILED) console.error('an expectation failed');
 * ```
 */
export const ExitCode = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  INTERNAL: 3,
} as const;

/** The exit-code section of `bypass --help`. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  ok: done, every expectation held
  1  an expectation failed or the books did not balance (run, compare);
     doctor found an error
  2  usage error or invalid scenario file (nothing was simulated)
  3  internal error, or the system could not be read`;
