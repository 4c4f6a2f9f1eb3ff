import { doctor, formatDoctorReport } from '@bypass/linux';
import type { Command } from 'commander';
import { ExitCode } from '../ExitCode.js';
import type { CliIo } from '../io/CliIo.js';
import type { Settle } from './common.js';

/** Options of `bypass doctor`. */
export interface DoctorCommandOptions {
  readonly json: boolean;
  readonly force: boolean;
}

/**
 * `bypass doctor`: read-only checks of this machine's failover pairs. Exit 0 when no finding has
 * severity `error` (warnings do not fail), 1 otherwise.
 */
export async function doctorCommand(options: DoctorCommandOptions, io: CliIo): Promise<number> {
  const report = await doctor({ force: options.force });
  if (options.json) {
    io.stdout.write(
      JSON.stringify({ pairs: report.pairs, findings: report.findings }, null, 2) + '\n',
    );
  } else {
    io.stdout.write(formatDoctorReport(report) + '\n');
  }
  return report.findings.some((f) => f.severity === 'error') ? ExitCode.FAILED : ExitCode.OK;
}

/** Adds `doctor` to the program. */
export function registerDoctor(program: Command, io: CliIo, settle: Settle): void {
  program
    .command('doctor')
    .description("check this machine's failover pairs for common misconfigurations (read-only)")
    .option('--json', 'print { pairs, findings } as JSON', false)
    .option('--force', 'also treat interfaces sharing a MAC without a master as pairs', false)
    .addHelpText(
      'after',
      `
Needs Linux; no root (files it cannot read are skipped). Each finding has a stable id
(vf-has-address, vf-dhcp-client, config-matches-vf, mtu-mismatch, vf-not-enslaved, vf-down,
qdisc-on-both, same-mac-no-master), a severity (error or warning) and advice.
Exit code 1 when a finding has severity error; warnings alone exit 0.

Examples:
  $ bypass doctor
  $ bypass doctor --json | jq '.findings[] | select(.severity == "error")'`,
    )
    .action((options: DoctorCommandOptions) => settle(() => doctorCommand(options, io)));
}
