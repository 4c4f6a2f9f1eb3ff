import type { Command } from 'commander';
import { ExitCode } from '../ExitCode.js';
import type { CliIo } from '../io/CliIo.js';
import { listBundledScenarios, scenariosDirOf } from '../scenarios/BundledScenarios.js';
import type { Settle } from './common.js';

/** `bypass list`: the bundled scenarios with their names and descriptions (or JSON). */
export function listCommand(options: { readonly json: boolean }, io: CliIo): number {
  const dir = scenariosDirOf(io);
  const items = listBundledScenarios(dir);
  if (options.json) {
    io.stdout.write(JSON.stringify(items, null, 2) + '\n');
    return ExitCode.OK;
  }
  if (items.length === 0) {
    io.stderr.write(`no bundled scenarios in ${dir}\n`);
    return ExitCode.OK;
  }
  const width = Math.max(...items.map((s) => s.id.length));
  for (const s of items) {
    io.stdout.write(`${s.id.padEnd(width)}  ${s.name ?? '(no name)'}\n`);
    if (s.description !== null && s.description !== s.name) {
      io.stdout.write(`${' '.repeat(width)}  ${s.description}\n`);
    }
  }
  return ExitCode.OK;
}

/** Adds `list` to the program. */
export function registerList(program: Command, io: CliIo, settle: Settle): void {
  program
    .command('list')
    .description('list the bundled scenarios (run one with: bypass run NAME)')
    .option('--json', 'print [{ id, name, description, file }] as JSON', false)
    .addHelpText(
      'after',
      `
Each line shows the name to give "bypass run", the scenario's name: and, below it, the
file's first comment line.

Examples:
  $ bypass list
  $ bypass run $(bypass list --json | jq -r '.[0].id')`,
    )
    .action((options: { json: boolean }) => settle(() => listCommand(options, io)));
}
