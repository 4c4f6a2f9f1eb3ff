import { CommanderError } from 'commander';
import { ExitCode } from './ExitCode.js';
import type { CliIo } from './io/CliIo.js';
import { handleError } from './io/handleError.js';
import { createProgram } from './program.js';

/**
 * Runs one `bypass` command line in-process and resolves with its exit code (also handed to
 * `io.exit`): 0 ok, 1 an expectation failed or the books did not balance (or `doctor` found an
 * error), 2 a usage error or an invalid scenario file, 3 an internal error. Help and version
 * exit 0. Never rejects: errors are printed on `io.stderr`.
 *
 * @param argv - the arguments after the program name (`process.argv.slice(2)`)
 * @example
 * ```ts
 * const out: string[] = [];
 * const code = await runCli(['validate', 'scenarios/virtio-live-migration.yaml'], {
 *   ...nodeIo(),
 *   stdout: { write: (s) => out.push(s) },
 * });
 * console.log(code, out.join('')); // 0 'scenarios/virtio-live-migration.yaml: ok\n'
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = ExitCode.OK;
  const program = createProgram({
    ...io,
    exit: (c) => {
      code = c;
    },
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      code = err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    } else {
      code = handleError(err, io);
    }
  }
  io.exit(code);
  return code;
}
