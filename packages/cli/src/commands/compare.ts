import { BypassError } from '@bypass/core';
import {
  NIC_MODELS,
  compareRows,
  formatCompareTable,
  runScenario,
  type NicModelName,
  type Report,
} from '@bypass/hypervisor';
import type { Command } from 'commander';
import { ExitCode } from '../ExitCode.js';
import type { CliIo } from '../io/CliIo.js';
import { RunProgress } from '../progress/RunProgress.js';
import { loadAll, parseModel, type Settle } from './common.js';

/** Options of `bypass compare`. */
export interface CompareCommandOptions {
  readonly json: boolean;
  readonly models?: readonly NicModelName[];
}

/** `a,b,c` -> the models, each checked, repeats removed. */
export function parseModels(text: string): NicModelName[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `--models needs at least one model: ${NIC_MODELS.join(', ')}`,
    );
  }
  return [...new Set(names.map(parseModel))];
}

/**
 * `bypass compare FILE`: runs the scenario once per model and prints one row per model (or
 * JSON). Exit 1 when a run is not ok (an expectation failed for that model, or its books did not
 * balance).
 */
export function compareCommand(file: string, options: CompareCommandOptions, io: CliIo): number {
  const { loaded, code } = loadAll([file], io);
  if (code !== 0) return code;
  const { target, scenario } = loaded[0]!;
  const models = options.models ?? NIC_MODELS;
  const entries: { model: NicModelName; report: Report }[] = [];
  for (const model of models) {
    const progress = RunProgress.create(io, model, { json: options.json, quiet: false });
    try {
      entries.push({
        model,
        report: runScenario(scenario, {
          model,
          ...(progress === null ? {} : { onProgress: progress.update }),
        }),
      });
    } finally {
      progress?.stop();
    }
  }
  if (options.json) {
    const out = {
      scenario: scenario.name,
      file: target.display,
      rows: compareRows(entries),
      reports: Object.fromEntries(entries.map((e) => [e.model, e.report])),
    };
    io.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } else {
    io.stdout.write(`${scenario.name} (${target.display})\n`);
    io.stdout.write(formatCompareTable(entries) + '\n');
  }
  return entries.every((e) => e.report.ok) ? ExitCode.OK : ExitCode.FAILED;
}

/** Adds `compare` to the program. */
export function registerCompare(program: Command, io: CliIo, settle: Settle): void {
  program
    .command('compare')
    .description('run one scenario once per failover model and compare them side by side')
    .argument('<file>', 'a scenario file (YAML or JSON), or a bundled scenario name')
    .option(
      '--models <list>',
      `comma-separated models (default: all: ${NIC_MODELS.join(',')})`,
      parseModels,
    )
    .option('--json', 'print { scenario, file, rows, reports } as JSON', false)
    .addHelpText(
      'after',
      `
Every VM NIC of the scenario runs with each model in turn (same seed, same steps).
Exit code 1 when a run is not ok (an expectation failed for a model, or the books did not
balance).

Examples:
  $ bypass compare virtio-live-migration
  $ bypass compare migration.yaml --models virtio-backup,failsafe,bonding
  $ bypass compare migration.yaml --json | jq '.rows[] | {model, lost, worstGap}'`,
    )
    .action((file: string, options: CompareCommandOptions) =>
      settle(() => compareCommand(file, options, io)),
    );
}
