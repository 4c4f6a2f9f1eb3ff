import type { Report } from './Report.js';
import {
  durationText,
  flowTotals,
  formatDrops,
  migrationResults,
  nsOf,
  percent,
  simulatedNs,
  sortedDrops,
  totalDrops,
  worstGap,
} from './ReportValues.js';
import { formatTextTable, type Cell } from './TextTable.js';

/**
 * One mechanism's run for {@link compareRows} and {@link formatCompareTable}.
 *
 * @example
 * ```ts
 * const entry: CompareEntry = { model: 'failsafe', report: runScenario(scenario, { model: 'failsafe' }) };
 * ```
 */
export interface CompareEntry {
  readonly model: string;
  readonly report: Report;
}

/**
 * The numbers of one row of `bypass compare`. Durations come twice: as ns (to compute with) and
 * as text with units (like the report's).
 *
 * @example
 * ```ts
 * const [row] = compareRows([{ model: 'virtio-backup', report }]);
 * console.log(row!.lost, row!.worstGap, `${row!.onActivePercent}%`);
 * ```
 */
export interface CompareRow {
  readonly model: string;
  readonly scenario: string;
  /** Frames sent, received and lost over every flow. */
  readonly sent: number;
  readonly received: number;
  readonly lost: number;
  /** The longest gap of any flow, and that flow (null when there are no flows). */
  readonly worstGapNs: number;
  readonly worstGap: string;
  readonly worstGapFlow: string | null;
  /** Time on the VF summed over the VM NICs. */
  readonly onActiveNs: number;
  readonly onActive: string;
  /**
   * `onActiveNs` as a percentage of the NICs' total time (simulated time x number of NICs), so
   * 100 means every NIC was on its VF all the time; 0 when there are no NICs.
   */
  readonly onActivePercent: number;
  /** Datapath changes summed over the NICs. */
  readonly switches: number;
  /** Each migration's result, in order. */
  readonly migrations: readonly string[];
  /** Each migration's applied stop-and-copy pause, in order. */
  readonly downtimes: readonly string[];
  /** Drop counters summed over the flows, highest first; zeros left out. */
  readonly drops: Readonly<Record<string, number>>;
  /** The run's verdict (expectations and conservation). */
  readonly ok: boolean;
}

/**
 * The numbers behind {@link formatCompareTable}, one row per model in the given order (for
 * `bypass compare --json` and for docs).
 *
 * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a report whose durations are not
 * durations.
 * @example
 * ```ts
 * const rows = compareRows(models.map((model) => ({ model, report: runScenario(s, { model }) })));
 * console.log(JSON.stringify(rows, null, 2));
 * ```
 */
export function compareRows(entries: readonly CompareEntry[]): CompareRow[] {
  return entries.map(({ model, report }) => {
    const totals = flowTotals(report);
    const gap = worstGap(report);
    const nics = Object.entries(report.nics);
    let onActiveNs = 0;
    let switches = 0;
    for (const [name, nic] of nics) {
      onActiveNs += nsOf(nic.onActive, `nics.${name}.onActive`);
      switches += nic.switches;
    }
    const nicTime = simulatedNs(report) * nics.length;
    const drops: Record<string, number> = {};
    for (const [name, n] of sortedDrops(totalDrops(report))) drops[name] = n;
    return {
      model,
      scenario: report.scenario,
      sent: totals.sent,
      received: totals.received,
      lost: totals.lost,
      worstGapNs: gap.ns,
      worstGap: gap.text,
      worstGapFlow: gap.flow,
      onActiveNs,
      // One NIC: its own text; several: the exact sum.
      onActive:
        nics.length === 1 && nics[0] !== undefined ? nics[0][1].onActive : durationText(onActiveNs),
      onActivePercent: nicTime > 0 ? Math.round((onActiveNs / nicTime) * 1000) / 10 : 0,
      switches,
      migrations: report.migrations.map((m) => m.result),
      downtimes: report.migrations.map((m) => m.downtime),
      drops,
      ok: report.ok,
    };
  });
}

/**
 * The `bypass compare FILE --models a,b,c` table: the same scenario under each mechanism, one
 * row per model with frames lost, the worst longest gap, time on the VF (and its share of the
 * NICs' time), datapath switches, the migrations' results, OK/FAIL and the top drop counters.
 * Pure: the same entries give the same text.
 *
 * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a report whose durations are not
 * durations.
 * @example
 * ```ts
 * console.log(formatCompareTable(models.map((model) => ({ model, report: runScenario(s, { model }) }))));
 * // MODEL          LOST   WORST GAP  ON VF         SWITCHES  MIGRATION  RESULT  TOP DROPS
 * // virtio-backup  30010  300.1ms    7.7s (77%)           2  completed  OK      vm-paused=30000 vf-ring-flushed=10
 * // netvsc         30002  300ms      7.69s (76.9%)        2  completed  OK      vm-paused=30000 no-vf=2
 * ```
 */
export function formatCompareTable(entries: readonly CompareEntry[]): string {
  const rows: Cell[][] = compareRows(entries).map((r) => [
    r.model,
    r.lost === 0 ? '0' : { text: String(r.lost), tone: 'bad' },
    r.worstGap,
    `${r.onActive} (${percent(r.onActivePercent, 100)})`,
    String(r.switches),
    migrationResults(r.migrations),
    r.ok ? { text: 'OK', tone: 'good' } : { text: 'FAIL', tone: 'bad' },
    formatDrops(r.drops),
  ]);
  return formatTextTable({
    headers: [
      'MODEL',
      'LOST',
      'WORST GAP',
      'ON VF',
      'SWITCHES',
      'MIGRATION',
      'RESULT',
      'TOP DROPS',
    ],
    align: ['left', 'right', 'right', 'right', 'right', 'left', 'left', 'left'],
    rows,
  });
}
