import type { ExpectResult, Report, ReportEvent } from './Report.js';
import { flowTotals, formatDrops, nsOf, percent, simulatedNs } from './ReportValues.js';
import type { Cell, TableSpec } from './TextTable.js';

/*
 * The tables of one report, as data: the text report lays them out with formatTextTable, the
 * HTML page as <table>s, so both show the same columns.
 */

const count = (n: number, tone: 'bad' | 'warn'): Cell =>
  n === 0 ? String(n) : { text: String(n), tone };

/** One row per flow: endpoints, frame counts, longest gap and the top drop counters. */
export function flowTable(report: Report): TableSpec {
  const rows: Cell[][] = Object.entries(report.flows).map(([name, f]) => [
    name,
    `${f.from} -> ${f.to}`,
    f.cast,
    String(f.sent),
    String(f.received),
    count(f.lost, 'bad'),
    count(f.duplicated, 'warn'),
    count(f.reordered, 'warn'),
    String(f.inFlight),
    f.longestGap,
    f.lost === 0 ? '-' : { text: formatDrops(f.drops), tone: 'bad' },
  ]);
  if (rows.length > 1) {
    const t = flowTotals(report);
    rows.push([
      { text: 'total', tone: 'dim' },
      '',
      '',
      String(t.sent),
      String(t.received),
      count(t.lost, 'bad'),
      '',
      '',
      String(t.inFlight),
      '',
      '',
    ]);
  }
  return {
    headers: [
      'FLOW',
      'FROM -> TO',
      'CAST',
      'SENT',
      'RECEIVED',
      'LOST',
      'DUP',
      'REORD',
      'IN-FLIGHT',
      'LONGEST GAP',
      'DROPS',
    ],
    align: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    rows,
  };
}

/** One row per VM NIC: time on the VF, on the paravirtual device and on nothing, switches. */
export function nicTable(report: Report): TableSpec {
  const total = simulatedNs(report);
  const timeCell = (text: string, where: string, tone: 'good' | 'warn' | 'bad'): Cell => {
    const ns = nsOf(text, where);
    const cell = `${text} (${percent(ns, total)})`;
    return ns === 0 ? cell : { text: cell, tone };
  };
  return {
    headers: ['NIC', 'MODEL', 'ON VF', 'ON BACKUP', 'NONE', 'SWITCHES'],
    align: ['left', 'left', 'right', 'right', 'right', 'right'],
    rows: Object.entries(report.nics).map(([name, n]) => [
      name,
      n.model,
      timeCell(n.onActive, `nics.${name}.onActive`, 'good'),
      timeCell(n.onBackup, `nics.${name}.onBackup`, 'warn'),
      timeCell(n.onNone, `nics.${name}.onNone`, 'bad'),
      String(n.switches),
    ]),
  };
}

/** One row per migration: where, how it ended, the pause and the states with their times. */
export function migrationTable(report: Report): TableSpec {
  return {
    headers: ['VM', 'FROM -> TO', 'RESULT', 'DOWNTIME', 'STATES'],
    align: ['left', 'left', 'left', 'right', 'left'],
    rows: report.migrations.map((m) => [
      m.vm,
      `${m.from} -> ${m.to}`,
      {
        text: m.reason === undefined ? m.result : `${m.result} (${m.reason})`,
        tone: m.result === 'completed' ? 'good' : m.result === 'in-progress' ? 'warn' : 'bad',
      },
      m.downtime,
      m.states.map((s) => `${s.state}@${s.at}`).join(' '),
    ]),
  };
}

/** Where an event happened: `host vm/dev`, with the parts it has. */
export function eventPlace(e: ReportEvent): string {
  const device = [e.vm, e.dev].filter((p) => p !== undefined).join('/');
  return [e.host, device === '' ? undefined : device].filter((p) => p !== undefined).join(' ');
}

/** One row per event: time, place, kind and detail. */
export function eventTable(events: readonly ReportEvent[]): TableSpec {
  return {
    headers: ['AT', 'WHERE', 'KIND', 'DETAIL'],
    align: ['right', 'left', 'left', 'left'],
    rows: events.map((e) => [
      e.at,
      eventPlace(e),
      e.kind === 'drop' ? { text: e.kind, tone: 'bad' } : e.kind,
      e.detail ?? '',
    ]),
  };
}

/** What an expectation asked for: `max 40000`, `min 1, max 5`, `= completed`. */
export function expectBounds(e: ExpectResult): string {
  const parts: string[] = [];
  if (e.equals !== undefined) parts.push(`= ${String(e.equals)}`);
  if (e.min !== undefined) parts.push(`min ${e.min}`);
  if (e.max !== undefined) parts.push(`max ${e.max}`);
  return parts.join(', ');
}

/** One row per expectation: PASS/FAIL, metric, its value, the bound and why it failed. */
export function expectTable(report: Report): TableSpec {
  return {
    headers: ['', 'METRIC', 'VALUE', 'EXPECTED', 'WHY'],
    align: ['left', 'left', 'right', 'left', 'left'],
    rows: report.expect.map((e) => [
      e.ok ? { text: 'PASS', tone: 'good' } : { text: 'FAIL', tone: 'bad' },
      e.metric,
      e.value === null ? '(none)' : String(e.value),
      expectBounds(e),
      e.ok ? '' : (e.message ?? ''),
    ]),
  };
}

/** The non-`drop` events (what `events: 'key'` shows). */
export function keyEvents(events: readonly ReportEvent[]): ReportEvent[] {
  return events.filter((e) => e.kind !== 'drop');
}
