import { formatScenarioIssue, validateScenarioText } from '@bypass/hypervisor';
import type { Command } from 'commander';
import { ExitCode } from '../ExitCode.js';
import type { CliIo } from '../io/CliIo.js';
import { handleError } from '../io/handleError.js';
import { readScenarioText, resolveScenarioArg } from '../scenarios/BundledScenarios.js';
import type { Settle } from './common.js';

/**
 * `bypass validate FILE...`: validation only. Prints `FILE: ok` or one
 * `file:line:col: path: message` line per issue; exit 2 when any file is invalid or missing.
 */
export function validateCommand(files: readonly string[], io: CliIo): number {
  let code: number = ExitCode.OK;
  for (const arg of files) {
    try {
      const target = resolveScenarioArg(arg, io);
      const issues = validateScenarioText(readScenarioText(target), target.display);
      if (issues.length === 0) {
        io.stdout.write(`${target.display}: ok\n`);
      } else {
        for (const issue of issues)
          io.stdout.write(formatScenarioIssue(target.display, issue) + '\n');
        code = Math.max(code, ExitCode.USAGE);
      }
    } catch (err) {
      code = Math.max(code, handleError(err, io));
    }
  }
  return code;
}

/** Adds `validate` to the program. */
export function registerValidate(program: Command, io: CliIo, settle: Settle): void {
  program
    .command('validate')
    .description('check scenario files against the schema and their references; simulate nothing')
    .argument('<file...>', 'scenario files (YAML or JSON), or bundled scenario names')
    .addHelpText(
      'after',
      `
Prints "FILE: ok", or one line per problem: file:line:col: path: message
(path is the place inside the file, e.g. vms[0].nics[0].mac). Exit code 2 when a file is
invalid.

Examples:
  $ bypass validate scenarios/*.yaml
  $ bypass validate my-migration.yaml && bypass run my-migration.yaml`,
    )
    .action((files: string[]) => settle(() => validateCommand(files, io)));
}
