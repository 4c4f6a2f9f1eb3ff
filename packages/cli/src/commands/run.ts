import { relative } from 'node:path';
import {
  PcapCapture,
  formatReportText,
  formatSummaryTable,
  renderTimelineHtml,
  renderTimelineSvg,
  runScenario,
  type NicModelName,
  type Report,
} from '@bypass/hypervisor';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ExitCode } from '../ExitCode.js';
import type { CliIo } from '../io/CliIo.js';
import { planOutputs, writeOutput, type RunOutputs } from '../output/OutputPlan.js';
import { RunProgress } from '../progress/RunProgress.js';
import { loadAll, parseModel, useColor, type LoadedScenario, type Settle } from './common.js';

/** Options of `bypass run`. */
export interface RunCommandOptions {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly color: boolean;
  readonly events: 'none' | 'key' | 'all';
  readonly model?: NicModelName;
  readonly pcap?: string;
  readonly snaplen: number;
  readonly pcapMax: number;
  readonly svg?: string;
  readonly html?: string;
}

function shown(io: CliIo, path: string): string {
  const rel = relative(io.cwd, path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}

/** Runs one scenario with its progress bar; returns the report and what was written. */
function runOne(
  io: CliIo,
  item: LoadedScenario,
  outputs: RunOutputs,
  options: RunCommandOptions,
): { report: Report; notes: string[] } {
  const capture =
    outputs.pcapDir === null
      ? undefined
      : new PcapCapture({
          snaplen: options.snaplen,
          maxBytesPerPoint: options.pcapMax * 1024 * 1024,
        });
  const progress = RunProgress.create(io, item.target.tag, options);
  let report: Report;
  try {
    report = runScenario(item.scenario, {
      ...(options.model === undefined ? {} : { model: options.model }),
      ...(progress === null ? {} : { onProgress: progress.update }),
      ...(capture === undefined ? {} : { capture }),
    });
  } finally {
    progress?.stop();
  }
  const notes: string[] = [];
  if (outputs.svg !== null) {
    writeOutput(outputs.svg, renderTimelineSvg(report), 'SVG timeline');
    notes.push(`timeline: ${shown(io, outputs.svg)}`);
  }
  if (outputs.html !== null) {
    writeOutput(outputs.html, renderTimelineHtml(report), 'HTML timeline');
    notes.push(`timeline: ${shown(io, outputs.html)}`);
  }
  if (capture !== undefined && outputs.pcapDir !== null) {
    const files = capture.write(outputs.pcapDir);
    notes.push(
      `pcap: ${files.length} file${files.length === 1 ? '' : 's'} in ${shown(io, outputs.pcapDir)}`,
    );
    for (const f of files) notes.push(`  ${shown(io, f)}`);
    if (capture.truncated > 0) {
      notes.push(
        `  ${capture.truncated} frames not captured: a point reached --pcap-max ${options.pcapMax} MiB`,
      );
    }
  }
  return { report, notes };
}

/** What `--quiet` prints for a failed run: the failed expectations and unbalanced books. */
function failureLines(file: string, report: Report): string[] {
  const lines = [`${file}: FAIL (${report.scenario})`];
  for (const e of report.expect) {
    if (!e.ok) lines.push(`  expect ${e.metric} = ${String(e.value)}: ${e.message ?? 'failed'}`);
  }
  for (const m of report.conservation.mismatches) lines.push(`  books: ${m}`);
  return lines;
}

/**
 * `bypass run FILE...`: loads every file (nothing runs when one is invalid: exit 2), runs each,
 * prints the text reports (or JSON) and, for several files, a summary table. Exit 1 when a report
 * is not ok.
 */
export function runCommand(
  files: readonly string[],
  options: RunCommandOptions,
  io: CliIo,
): number {
  const { loaded, code } = loadAll(files, io);
  if (code !== 0) return code;
  const plans = planOutputs(
    io.cwd,
    loaded.map((l) => l.target.tag),
    options,
  );
  const color = useColor(io, options.color);
  const entries: { file: string; report: Report }[] = [];
  const text = !options.json && !options.quiet;
  loaded.forEach((item, i) => {
    const { report, notes } = runOne(io, item, plans[i]!, options);
    entries.push({ file: item.target.display, report });
    if (text) {
      io.stdout.write(formatReportText(report, { color, events: options.events }) + '\n');
      for (const n of notes) io.stdout.write(n + '\n');
      if (loaded.length > 1) io.stdout.write('\n');
    } else if (options.json && !options.quiet) {
      for (const n of notes) io.stderr.write(n + '\n');
    }
    if (options.quiet && !options.json && !report.ok) {
      for (const line of failureLines(item.target.display, report)) io.stderr.write(line + '\n');
    }
  });
  if (options.json) {
    const value = entries.length === 1 ? entries[0]!.report : entries.map((e) => e.report);
    io.stdout.write(JSON.stringify(value, null, 2) + '\n');
  } else if (text && entries.length > 1) {
    io.stdout.write(formatSummaryTable(entries) + '\n');
  }
  return entries.every((e) => e.report.ok) ? ExitCode.OK : ExitCode.FAILED;
}

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) {
    throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(text)}`);
  }
  return n;
}

/** Adds `run` to the program. */
export function registerRun(program: Command, io: CliIo, settle: Settle): void {
  program
    .command('run')
    .description('simulate scenario files (or bundled scenarios by name) and print their reports')
    .argument('<file...>', 'scenario files (YAML or JSON), or bundled scenario names')
    .option('--json', 'print the report as JSON (an array for several files)', false)
    .option('--pcap <dir>', 'write one pcap file per capture point into DIR')
    .option('--svg <file>', 'draw the timeline as SVG into FILE')
    .option('--html <file>', 'draw the timeline as a standalone HTML page into FILE')
    .option(
      '--snaplen <bytes>',
      'bytes of each frame kept in the pcaps (headers: 128)',
      positiveInt,
      128,
    )
    .option('--pcap-max <MiB>', 'pcap bytes kept per capture point at most', positiveInt, 16)
    .option('--model <model>', 'run every VM NIC with this failover model', parseModel)
    .addOption(
      new Option('--events <which>', 'events listed in the text report')
        .choices(['none', 'key', 'all'])
        .default('key'),
    )
    .option('-q, --quiet', 'print nothing but failures (the exit code tells)', false)
    .option('--no-color', 'no ANSI colours in the text report')
    .addHelpText(
      'after',
      `
With several files, --svg/--html get the scenario's file name before the extension
(--svg t.svg: t.<name>.svg) and --pcap DIR gets one subdirectory per scenario (DIR/<name>/).
Where timelines and pcaps went is printed after each report (on stderr with --json).
A progress bar is drawn on stderr for runs longer than a second (a terminal only; not with
--json, --quiet or CI set).

Examples:
  $ bypass run virtio-live-migration
  $ bypass run scenarios/virtio-live-migration.yaml --svg timeline.svg --pcap pcaps/
  $ bypass run a.yaml b.yaml --json > reports.json
  $ bypass run migration.yaml --model failsafe --quiet || echo "an expectation failed"`,
    )
    .action((files: string[], options: RunCommandOptions) =>
      settle(() => runCommand(files, options, io)),
    );
}
