import { BypassError } from '@bypass/core';
import type { Report } from './Report.js';
import {
  eventTable,
  expectTable,
  flowTable,
  keyEvents,
  migrationTable,
  nicTable,
} from './ReportTables.js';
import { formatTextTable, oneLine, paint, type TableSpec } from './TextTable.js';

/**
 * Options of {@link formatReportText}.
 *
 * @example
 * ```ts
 * const options: ReportTextOptions = { events: 'all', color: process.stdout.isTTY };
 * ```
 */
export interface ReportTextOptions {
  /**
   * Which events to list: `none`, `key` (default: every event but `drop`, at most
   * {@link KEY_EVENT_LINES} lines) or `all` (every event, uncapped).
   */
  readonly events?: 'none' | 'key' | 'all' | undefined;
  /** ANSI colours (the caller decides: a TTY and no `NO_COLOR`). Default off. */
  readonly color?: boolean | undefined;
}

/**
 * How many events `events: 'key'` lists before it says how many more there are.
 *
 * @example
 * ```ts
 * console.log(`the text report lists at most ${KEY_EVENT_LINES} key events`);
 * ```
 */
export const KEY_EVENT_LINES = 40;

const EVENT_MODES = ['none', 'key', 'all'] as const;

function section(title: string, body: string, color: boolean): string {
  return `${paint(title, 'header', color)}\n${body}`;
}

function table(spec: TableSpec, empty: string, color: boolean): string {
  return spec.rows.length === 0 ? `  ${empty}` : formatTextTable(spec, { color, indent: 2 });
}

function eventsSection(report: Report, mode: 'key' | 'all', color: boolean): string {
  const chosen = mode === 'all' ? report.events : keyEvents(report.events);
  const hiddenDrops = report.events.length - keyEvents(report.events).length;
  const shown = mode === 'all' ? chosen : chosen.slice(0, KEY_EVENT_LINES);
  const notes: string[] = [];
  if (shown.length < chosen.length) notes.push(`... ${chosen.length - shown.length} more`);
  if (mode === 'key' && hiddenDrops > 0)
    notes.push(`(${hiddenDrops} drop event${hiddenDrops === 1 ? '' : 's'} not shown)`);
  const body = table(eventTable(shown), '(no events)', color);
  const title = mode === 'all' ? 'Events' : 'Key events';
  return section(
    title,
    notes.length === 0 ? body : `${body}\n  ${paint(notes.join(' '), 'dim', color)}`,
    color,
  );
}

/**
 * The human-readable report of one run: a header (scenario, file, seed, simulated time), the
 * flows table (sent, received, lost, duplicated, reordered, in flight, longest gap, top drop
 * counters), the NICs table (time on the VF, on the backup, on nothing, switches), the
 * migrations (result, downtime, states with their times), the key events, the expectations
 * with PASS/FAIL, the conservation check and the overall result. Column widths follow the
 * content; ANSI colours only with `color: true`. Pure: the same report gives the same text.
 *
 * @throws `BypassError` `ERR_INVALID_ARGUMENT` for an unknown `events` mode or a report
 * whose durations are not durations.
 * @example
 * ```ts
 * const report = runScenario(scenario);
 * process.stdout.write(formatReportText(report, { color: process.stdout.isTTY }) + '\n');
 * // virtio VF failover across a live migration
 * //   file: migrate.yaml  seed: 1  simulated: 10s
 * //
 * // Flows
 * //   FLOW  FROM -> TO          CAST     SENT     RECEIVED  LOST   ...  DROPS
 * //   f1    client -> vm1/eth0  unicast  1000000  969990    30010  ...  vm-paused=30000 vf-ring-flushed=10
 * ```
 */
export function formatReportText(report: Report, options: ReportTextOptions = {}): string {
  const color = options.color === true;
  const mode = options.events ?? 'key';
  if (!(EVENT_MODES as readonly string[]).includes(mode)) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `events mode ${JSON.stringify(mode)} is not one of ${EVENT_MODES.join(', ')}`,
    );
  }
  const parts: string[] = [];
  parts.push(
    `${paint(oneLine(report.scenario), 'header', color)}\n` +
      oneLine(`  file: ${report.file}  seed: ${report.seed}  simulated: ${report.simulated}`),
  );
  parts.push(section('Flows', table(flowTable(report), '(no flows)', color), color));
  parts.push(section('NICs', table(nicTable(report), '(no VM NICs)', color), color));
  if (report.migrations.length > 0) {
    parts.push(section('Migrations', table(migrationTable(report), '', color), color));
  }
  if (mode !== 'none') parts.push(eventsSection(report, mode, color));
  if (report.expect.length > 0) {
    const passed = report.expect.filter((e) => e.ok).length;
    parts.push(
      section(
        `Expectations (${passed}/${report.expect.length} passed)`,
        table(expectTable(report), '', color),
        color,
      ),
    );
  }
  const c = report.conservation;
  parts.push(
    c.ok
      ? `Conservation: ${paint('ok', 'good', color)} (every frame sent was received, lost or in flight)`
      : `Conservation: ${paint('MISMATCH', 'bad', color)}\n` +
          c.mismatches.map((m) => `  ${oneLine(m)}`).join('\n'),
  );
  const failed = report.expect.filter((e) => !e.ok).length;
  const why = [
    failed > 0 ? `${failed} expectation${failed === 1 ? '' : 's'} failed` : '',
    c.ok ? '' : 'conservation mismatch',
  ].filter((w) => w !== '');
  parts.push(
    report.ok
      ? `Result: ${paint('OK', 'good', color)}`
      : `Result: ${paint('FAIL', 'bad', color)}${why.length > 0 ? ` (${why.join(', ')})` : ''}`,
  );
  return parts.join('\n\n');
}
