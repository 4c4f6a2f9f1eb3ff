import { BypassError, formatDuration, parseDuration } from '@bypass/core';
import type { Report } from './Report.js';

/**
 * A report duration (`'2.0001s'`) in ns. `where` names the field for the error message.
 *
 * @throws `BypassError` `ERR_INVALID_ARGUMENT` when the text is not a duration.
 */
export function nsOf(text: string, where: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `report field ${where} is ${JSON.stringify(text)}, not a duration (${why}); ` +
        'pass a report produced by runScenario, or fix the JSON file it came from',
    );
  }
}

/** The simulated time of a report in ns. */
export function simulatedNs(report: Report): number {
  return nsOf(report.simulated, 'simulated');
}

/** Drop counters sorted by count (highest first), then name; zeros left out. */
export function sortedDrops(drops: Readonly<Record<string, number>>): [string, number][] {
  return Object.entries(drops)
    .filter(([, n]) => n !== 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The `top` largest drop counters as `name=n name=n`, and `+k more` when there are more. */
export function formatDrops(drops: Readonly<Record<string, number>>, top = 3): string {
  const sorted = sortedDrops(drops);
  if (sorted.length === 0) return '-';
  const shown = sorted
    .slice(0, top)
    .map(([name, n]) => `${name}=${n}`)
    .join(' ');
  return sorted.length > top ? `${shown} +${sorted.length - top} more` : shown;
}

/** Drop counters summed over every flow of a report. */
export function totalDrops(report: Report): Record<string, number> {
  const out: Record<string, number> = {};
  for (const flow of Object.values(report.flows)) {
    for (const [name, n] of Object.entries(flow.drops)) out[name] = (out[name] ?? 0) + n;
  }
  return out;
}

/** Frames sent, received and lost, summed over the flows of a report. */
export interface FlowTotals {
  readonly flows: number;
  readonly sent: number;
  readonly received: number;
  readonly lost: number;
  readonly inFlight: number;
}

/** Sums the flows of a report. */
export function flowTotals(report: Report): FlowTotals {
  let sent = 0;
  let received = 0;
  let lost = 0;
  let inFlight = 0;
  const flows = Object.values(report.flows);
  for (const f of flows) {
    sent += f.sent;
    received += f.received;
    lost += f.lost;
    inFlight += f.inFlight;
  }
  return { flows: flows.length, sent, received, lost, inFlight };
}

/** The longest gap over every flow: its ns, the report's own text and the flow's name. */
export interface WorstGap {
  readonly ns: number;
  readonly text: string;
  readonly flow: string | null;
}

/** The longest `longestGap` over the flows (`0s` and no flow when there are none). */
export function worstGap(report: Report): WorstGap {
  let worst: WorstGap = { ns: 0, text: '0s', flow: null };
  for (const [name, f] of Object.entries(report.flows)) {
    const ns = nsOf(f.longestGap, `flows.${name}.longestGap`);
    if (worst.flow === null || ns > worst.ns) worst = { ns, text: f.longestGap, flow: name };
  }
  return worst;
}

/**
 * The migrations' results in one short cell: `-` for none, `completed`, `completed cancelled`,
 * or `completed x3` when they all ended alike.
 */
export function migrationResults(results: readonly string[]): string {
  if (results.length === 0) return '-';
  const first = results[0] as string;
  if (results.length > 1 && results.every((r) => r === first)) return `${first} x${results.length}`;
  return results.join(' ');
}

/** `part / whole` as a percentage with at most one decimal (`97.5%`, `100%`, `0%`). */
export function percent(part: number, whole: number): string {
  if (whole <= 0 || !Number.isFinite(part)) return '0%';
  const p = Math.round((part / whole) * 1000) / 10;
  return `${p}%`;
}

/** Frames per second as `950pps`, `99.5kpps` or `1.25Mpps` (three significant digits at most). */
export function formatPps(pps: number): string {
  const v = Number.isFinite(pps) && pps > 0 ? pps : 0;
  const short = (x: number): string => String(Number(x.toPrecision(3)));
  if (v >= 1e6) return `${short(v / 1e6)}Mpps`;
  if (v >= 1e3) return `${short(v / 1e3)}kpps`;
  return `${short(v)}pps`;
}

/** A sum of durations as text (exact, like the report's own durations). */
export function durationText(ns: number): string {
  return formatDuration(Math.round(ns));
}
