import type { Report } from './Report.js';
import { flowTotals, migrationResults, worstGap } from './ReportValues.js';
import { formatTextTable, type Cell } from './TextTable.js';

/**
 * One run for {@link formatSummaryTable}: the file it came from and its report.
 *
 * @example
 * ```ts
 * const entry: SummaryEntry = { file: 'migrate.yaml', report: runScenario(scenario) };
 * ```
 */
export interface SummaryEntry {
  readonly file: string;
  readonly report: Report;
}

/**
 * The summary of several runs (`bypass run A.yaml B.yaml ...`): one row per run with the
 * scenario and file, frames sent/received/lost over every flow, the worst longest gap, the
 * migrations' results, expectations passed/total and OK/FAIL; then one line counting the runs.
 * Pure: the same entries give the same text.
 *
 * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a report whose gaps are not durations.
 * @example
 * ```ts
 * console.log(formatSummaryTable(files.map((file) => ({ file, report: runFile(file) }))));
 * // SCENARIO          FILE          SENT     RECEIVED  LOST   WORST GAP  MIGRATIONS  EXPECT  RESULT
 * // virtio failover   migrate.yaml  1500000  1469990   30010  300.1ms    completed   1/1     OK
 * // 1 run: 1 OK, 0 FAIL
 * ```
 */
export function formatSummaryTable(entries: readonly SummaryEntry[]): string {
  const rows: Cell[][] = entries.map(({ file, report }) => {
    const totals = flowTotals(report);
    const passed = report.expect.filter((e) => e.ok).length;
    return [
      report.scenario,
      file,
      String(totals.flows),
      String(totals.sent),
      String(totals.received),
      totals.lost === 0 ? '0' : { text: String(totals.lost), tone: 'bad' },
      worstGap(report).text,
      migrationResults(report.migrations.map((m) => m.result)),
      report.expect.length === 0
        ? '-'
        : {
            text: `${passed}/${report.expect.length}`,
            tone: passed === report.expect.length ? 'good' : 'bad',
          },
      report.ok ? { text: 'OK', tone: 'good' } : { text: 'FAIL', tone: 'bad' },
    ];
  });
  const table = formatTextTable({
    headers: [
      'SCENARIO',
      'FILE',
      'FLOWS',
      'SENT',
      'RECEIVED',
      'LOST',
      'WORST GAP',
      'MIGRATIONS',
      'EXPECT',
      'RESULT',
    ],
    align: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'left', 'right', 'left'],
    rows,
  });
  const ok = entries.filter((e) => e.report.ok).length;
  const runs = `${entries.length} run${entries.length === 1 ? '' : 's'}`;
  return `${table}\n${runs}: ${ok} OK, ${entries.length - ok} FAIL`;
}
