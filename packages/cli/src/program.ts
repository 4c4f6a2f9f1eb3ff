import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { EXIT_CODES_HELP } from './ExitCode.js';
import type { CliIo } from './io/CliIo.js';
import { settleWith } from './commands/common.js';
import { registerCompare } from './commands/compare.js';
import { registerDoctor } from './commands/doctor.js';
import { registerList } from './commands/list.js';
import { registerRun } from './commands/run.js';
import { registerSchema } from './commands/schema.js';
import { registerValidate } from './commands/validate.js';
import { registerWatch } from './commands/watch.js';

/** The package's version (package.json sits one level above both src/ and dist/). */
function version(): string {
  const pkg: unknown = JSON.parse(
    readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  );
  const v = (pkg as { version?: unknown }).version;
  return typeof v === 'string' ? v : '0.0.0';
}

/**
 * Builds the `bypass` command line program on `io`: commands `run`, `compare`, `validate`,
 * `schema`, `list`, `watch` and `doctor`. Each command hands its exit code to `io.exit` when it
 * has finished (errors are printed on `io.stderr` and mapped to their exit code first).
 * Commander's own exits (help, version, usage errors) are not taken: `parseAsync` throws a
 * `CommanderError` for them, whose `exitCode` is 0 for help and version. {@link runCli} does all
 * that and returns the code.
 *
 * @example
 * ```ts
 * const program = createProgram({ ...nodeIo(), exit: (code) => (process.exitCode = code) });
 * await program.parseAsync(['validate', 'migration.yaml'], { from: 'user' });
 * ```
 */
export function createProgram(io: CliIo): Command {
  const settle = settleWith(io);
  const program = new Command('bypass')
    .description(
      'Simulate NIC failover in virtual machines (virtio-net / NetVSC with an SR-IOV VF),\n' +
        'and watch and diagnose real failover pairs on Linux.',
    )
    .version(version(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      getOutHelpWidth: () => io.stdout.columns ?? 100,
      getErrHelpWidth: () => io.stderr.columns ?? 100,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  $ bypass list
  $ bypass run virtio-live-migration --svg timeline.svg
  $ bypass compare virtio-live-migration --models virtio-backup,failsafe,bonding
  $ bypass validate my-scenario.yaml
  $ bypass watch --json
  $ bypass doctor
${EXIT_CODES_HELP}

Docs: docs/cli.md (commands), the scenario format: bypass schema.`,
    );
  registerRun(program, io, settle);
  registerCompare(program, io, settle);
  registerValidate(program, io, settle);
  registerSchema(program, io, settle);
  registerList(program, io, settle);
  registerWatch(program, io, settle);
  registerDoctor(program, io, settle);
  return program;
}
