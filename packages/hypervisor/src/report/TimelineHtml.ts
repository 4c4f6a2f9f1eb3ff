import type { Report } from './Report.js';
import {
  eventTable,
  expectTable,
  flowTable,
  keyEvents,
  migrationTable,
  nicTable,
} from './ReportTables.js';
import { escapeXml } from './TimelineScale.js';
import { renderTimelineSvg, type TimelineSvgOptions } from './TimelineSvg.js';
import { cellText, cellTone, type TableSpec } from './TextTable.js';

/**
 * How many `drop` events the HTML page lists (in a collapsed section) before it says how many
 * more there are; the other events are all listed.
 *
 * @example
 * ```ts
 * console.log(`the HTML page lists at most ${HTML_DROP_EVENTS} drop events`);
 * ```
 */
export const HTML_DROP_EVENTS = 500;

const CSS = [
  'body{font-family:sans-serif;margin:1.5em;color:#222;background:#fff}',
  'h1{font-size:1.4em;margin:0 0 .2em}',
  'h2{font-size:1.1em;margin:1.4em 0 .4em}',
  '.meta{color:#666;margin:0 0 1em}',
  'figure{margin:0;overflow-x:auto}',
  'table{border-collapse:collapse;font-size:.9em}',
  'th,td{padding:.2em .7em;border-bottom:1px solid #e4e4e4;text-align:left;white-space:nowrap}',
  'th{background:#f4f4f4}',
  'td.num{text-align:right;font-variant-numeric:tabular-nums}',
  '.good{color:#1e7b3c}',
  '.bad{color:#b3261e;font-weight:bold}',
  '.warn{color:#a86a00}',
  '.dim{color:#777}',
  '.badge{display:inline-block;padding:.1em .6em;border-radius:.3em;color:#fff}',
  '.badge.good{background:#1e7b3c;color:#fff}',
  '.badge.bad{background:#b3261e;color:#fff}',
  'details{margin-top:.6em}',
  'ul.mismatch{color:#b3261e}',
].join('\n');

function htmlTable(spec: TableSpec, empty: string): string {
  if (spec.rows.length === 0) return `<p class="dim">${escapeXml(empty)}</p>`;
  const right = (i: number): boolean => spec.align?.[i] === 'right';
  const head = spec.headers
    .map((h, i) => `<th${right(i) ? ' class="num"' : ''}>${escapeXml(h)}</th>`)
    .join('');
  const rows = spec.rows.map((row) => {
    const cells = row.map((cell, i) => {
      const classes = [right(i) ? 'num' : '', cellTone(cell) === 'plain' ? '' : cellTone(cell)]
        .filter((c) => c !== '')
        .join(' ');
      return `<td${classes === '' ? '' : ` class="${classes}"`}>${escapeXml(cellText(cell))}</td>`;
    });
    return `<tr>${cells.join('')}</tr>`;
  });
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
}

/**
 * The report of one run as a standalone HTML page (inline CSS, no scripts, nothing fetched):
 * the title and verdict, the timeline SVG of {@link renderTimelineSvg}, the flows, NICs,
 * migrations and expectations tables, the conservation check and the events (the `drop` events
 * in a collapsed section, at most {@link HTML_DROP_EVENTS}). All text is escaped; the same
 * report gives the same bytes.
 *
 * @throws `BypassError` `ERR_INVALID_ARGUMENT` as {@link renderTimelineSvg} does.
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * writeFileSync('report.html', renderTimelineHtml(runScenario(scenario)));
 * ```
 */
export function renderTimelineHtml(report: Report, options: TimelineSvgOptions = {}): string {
  const svg = renderTimelineSvg(report, options);
  const key = keyEvents(report.events);
  const drops = report.events.filter((e) => e.kind === 'drop');
  const shownDrops = drops.slice(0, HTML_DROP_EVENTS);
  const verdict = report.ok
    ? '<span class="badge good">OK</span>'
    : '<span class="badge bad">FAIL</span>';
  const parts: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(`${report.scenario}: bypass report`)}</title>`,
    `<style>\n${CSS}\n</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeXml(report.scenario)} ${verdict}</h1>`,
    `<p class="meta">${escapeXml(
      `${report.file} · seed ${report.seed} · ${report.simulated} simulated`,
    )}</p>`,
    `<figure>\n${svg}\n</figure>`,
    '<h2>Flows</h2>',
    htmlTable(flowTable(report), 'no flows'),
    '<h2>NICs</h2>',
    htmlTable(nicTable(report), 'no VM NICs'),
  ];
  if (report.migrations.length > 0) {
    parts.push('<h2>Migrations</h2>', htmlTable(migrationTable(report), 'no migrations'));
  }
  if (report.expect.length > 0) {
    const passed = report.expect.filter((e) => e.ok).length;
    parts.push(
      `<h2>Expectations (${passed}/${report.expect.length} passed)</h2>`,
      htmlTable(expectTable(report), 'no expectations'),
    );
  }
  parts.push('<h2>Conservation</h2>');
  if (report.conservation.ok) {
    parts.push(
      '<p><span class="good">ok</span>: every frame sent was received, lost or in flight</p>',
    );
  } else {
    const items = report.conservation.mismatches.map((m) => `<li>${escapeXml(m)}</li>`);
    parts.push('<p class="bad">mismatch</p>', `<ul class="mismatch">\n${items.join('\n')}\n</ul>`);
  }
  parts.push(`<h2>Events (${key.length})</h2>`, htmlTable(eventTable(key), 'no events'));
  if (drops.length > 0) {
    const more = drops.length - shownDrops.length;
    parts.push(
      `<details>\n<summary>${drops.length} drop events</summary>`,
      htmlTable(eventTable(shownDrops), 'no drop events'),
    );
    if (more > 0) parts.push(`<p class="dim">... ${more} more</p>`);
    parts.push('</details>');
  }
  parts.push('</body>', '</html>');
  return `${parts.join('\n')}\n`;
}
