import { scenarioJsonSchema } from '@bypass/hypervisor';
import type { Command } from 'commander';
import { ExitCode } from '../ExitCode.js';
import type { CliIo } from '../io/CliIo.js';
import type { Settle } from './common.js';

/** `bypass schema`: the scenario file's JSON Schema, pretty-printed on stdout. */
export function schemaCommand(io: CliIo): number {
  io.stdout.write(JSON.stringify(scenarioJsonSchema(), null, 2) + '\n');
  return ExitCode.OK;
}

/** Adds `schema` to the program. */
export function registerSchema(program: Command, io: CliIo, settle: Settle): void {
  program
    .command('schema')
    .description('print the JSON Schema of scenario files (for editors and linters)')
    .addHelpText(
      'after',
      `
The schema is generated from the same definition the runner validates with.

Examples:
  $ bypass schema > bypass-scenario.schema.json
  # then, at the top of a YAML scenario (yaml-language-server, e.g. in VS Code):
  # yaml-language-server: $schema=./bypass-scenario.schema.json`,
    )
    .action(() => settle(() => schemaCommand(io)));
}
