import { BypassError, formatDuration } from '@bypass/core';
import type { DatapathInUse, FlowReport, MigrationState, Report } from './Report.js';
import { formatPps, simulatedNs } from './ReportValues.js';
import {
  escapeXml,
  niceCeil,
  num,
  ratePoints,
  textWidth,
  timeTicks,
  type RatePoint,
} from './TimelineScale.js';

/**
 * Options of {@link renderTimelineSvg}.
 *
 * @example
 * ```ts
 * const options: TimelineSvgOptions = { width: 1280 };
 * ```
 */
export interface TimelineSvgOptions {
  /** Width of the drawing in px, 400 to 10000 (default 960); the height follows the content. */
  readonly width?: number | undefined;
}

/**
 * The colour of each datapath in the timeline: the VF green, the paravirtual device amber,
 * no usable path red. The SVG's rects carry the class `dp-<path>` too.
 *
 * @example
 * ```ts
 * console.log(DATAPATH_COLORS.backup); // '#e3a21a'
 * ```
 */
export const DATAPATH_COLORS: Readonly<Record<DatapathInUse, string>> = {
  active: '#3a9d5d',
  backup: '#e3a21a',
  none: '#d64541',
};

/**
 * The colour of each migration state in the timeline. The SVG's rects carry the class
 * `mig-<state>` too.
 *
 * @example
 * ```ts
 * console.log(MIGRATION_COLORS.device); // '#8e2a20'
 * ```
 */
export const MIGRATION_COLORS: Readonly<Record<MigrationState, string>> = {
  setup: '#a0a0a0',
  'wait-unplug': '#8e6cc0',
  active: '#4a7fd0',
  device: '#8e2a20',
  cancelling: '#e07b20',
  cancelled: '#6d6d6d',
  completed: '#1f8a8a',
  failed: '#c0392b',
};

const DATAPATH_LABELS: Readonly<Record<DatapathInUse, string>> = {
  active: 'VF (active)',
  backup: 'paravirt (backup)',
  none: 'no path',
};

const MIGRATION_LABELS: Readonly<Record<MigrationState, string>> = {
  setup: 'setup',
  'wait-unplug': 'wait-unplug (VF unplug)',
  active: 'active (pre-copy)',
  device: 'device (stop-and-copy pause)',
  cancelling: 'cancelling',
  cancelled: 'cancelled',
  completed: 'completed',
  failed: 'failed',
};

/** States drawn as translucent spans across every lane (when traffic suffers most). */
const SPAN_STATES: ReadonlySet<MigrationState> = new Set(['wait-unplug', 'device', 'cancelling']);
/** Which labels of short phases win a place below the row when they would overlap. */
const OUTSIDE_ORDER: readonly MigrationState[] = [
  'device',
  'wait-unplug',
  'failed',
  'cancelled',
  'completed',
  'cancelling',
  'active',
  'setup',
];

const FONT = 11;
const PAD = 12;
const LANE_LABEL = 18;
const LANE_H = 64;
const LANE_GAP = 12;
const BAND_H = 14;
const BAND_GAP = 5;
const MIG_H = 18;
const LINE_COLOR = '#1f5fa8';

const STYLE = [
  '.muted{fill:#666}',
  '.lane{fill:#fff;stroke:#ccc}',
  '.grid{stroke:#e4e4e4}',
  `.throughput{fill:none;stroke:${LINE_COLOR};stroke-width:1.5;stroke-linejoin:round}`,
  '.mig-marker{stroke:#555;stroke-dasharray:3 3}',
  '.axis{stroke:#444}',
].join('');

function truncate(text: string, px: number): string {
  if (textWidth(text, FONT) <= px) return text;
  const chars = [...text];
  const keep = Math.max(1, Math.floor(px / (FONT * 0.58)) - 1);
  return `${chars.slice(0, keep).join('')}…`;
}

/** A `<text>` element with escaped content. */
function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${num(x)}" y="${num(y)}"${attrs}>${escapeXml(content)}</text>`;
}

function widthOf(options: TimelineSvgOptions): number {
  const width = options.width ?? 960;
  if (!Number.isFinite(width) || width < 400 || width > 10000) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `timeline width ${String(width)} is out of range; give a width in px from 400 to 10000`,
    );
  }
  return width;
}

/** The NIC whose datapath shades a flow's lane: its destination's, else its source's. */
function laneNic(report: Report, flow: FlowReport): string | undefined {
  const dp = report.timeline.datapath;
  return Object.hasOwn(dp, flow.to)
    ? flow.to
    : Object.hasOwn(dp, flow.from)
      ? flow.from
      : undefined;
}

/** A step line through the rate points (flat at `base` when there are none). */
function stepPath(
  points: readonly RatePoint[],
  x: (ns: number) => number,
  y: (pps: number) => number,
  base: number,
  fallback: readonly [number, number],
): string {
  const first = points[0];
  if (first === undefined) return `M${num(fallback[0])} ${num(base)}H${num(fallback[1])}`;
  let lastY = num(y(first.pps));
  let d = `M${num(x(first.startNs))} ${lastY}`;
  let pendingX = '';
  for (const p of points) {
    const py = num(y(p.pps));
    if (py !== lastY) {
      if (pendingX !== '') d += `H${pendingX}`;
      d += `V${py}`;
      lastY = py;
    }
    pendingX = num(x(p.endNs));
  }
  return `${d}H${pendingX}`;
}

/**
 * Draws the timeline of a run as a self-contained SVG (no scripts, no external fonts or
 * images): per flow, a lane with its throughput over simulated time (received frames per
 * bucket as pps, summed down to at most 1000 points on long runs) on the datapath of its VM NIC
 * (shaded); per NIC, a band coloured by the datapath in use (`dp-active` VF green, `dp-backup`
 * paravirt amber, `dp-none` red); per migration, its phases as labelled segments, with the VF
 * unplug wait, the stop-and-copy pause and a cancel shaded across every lane and each phase
 * change marked by a dashed line; a time axis, a title and a legend. All text is escaped;
 * coordinates are rounded to 0.1 px; the same report gives the same bytes.
 *
 * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a width out of range or a report whose
 * timeline cannot be placed in time (a bucket width that is not positive, durations that are not
 * durations).
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * writeFileSync('timeline.svg', renderTimelineSvg(runScenario(scenario), { width: 1200 }));
 * ```
 */
export function renderTimelineSvg(report: Report, options: TimelineSvgOptions = {}): string {
  const width = widthOf(options);
  const tl = report.timeline;
  const flows = Object.entries(report.flows);
  const series = flows.map(
    ([name]) => (Object.hasOwn(tl.flows, name) ? tl.flows[name] : undefined) ?? [],
  );
  const hasData = series.some((s) => s.length > 0);
  if (hasData && !(Number.isFinite(tl.bucketNs) && tl.bucketNs > 0)) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `report timeline.bucketNs is ${String(tl.bucketNs)}; it must be a positive number of ns ` +
        'to place the throughput buckets in time',
    );
  }
  const nics = Object.entries(tl.datapath);
  const migs = report.migrations.map((m, i) => ({ m, segs: tl.migrations[i] ?? [] }));
  let dataEnd = hasData ? Math.max(...series.map((s) => s.length)) * tl.bucketNs : 0;
  for (const [, segs] of nics) for (const s of segs) dataEnd = Math.max(dataEnd, s[1]);
  for (const { segs } of migs) for (const s of segs) dataEnd = Math.max(dataEnd, s[1]);
  const sim = simulatedNs(report);
  const endNs = sim > 0 ? sim : dataEnd > 0 ? dataEnd : 1;

  const leftLabels = ['00.0Mpps', ...nics.map(([n]) => n), ...migs.map(({ m }) => m.vm)].map((l) =>
    textWidth(l, FONT),
  );
  const left = Math.round(Math.min(220, Math.max(70, ...leftLabels) + 2 * PAD));
  const right = width - PAD - 8;
  const plotW = right - left;
  const x = (ns: number): number => left + (Math.min(Math.max(ns, 0), endNs) / endNs) * plotW;

  const body: string[] = [];
  let y = PAD + 16;
  body.push(text(PAD, y, report.scenario, ' font-size="16" font-weight="bold"'));
  y += 18;
  const verdict = report.ok ? 'OK' : 'FAIL';
  body.push(
    text(
      PAD,
      y,
      `${report.file} · seed ${report.seed} · ${report.simulated} simulated · ${verdict}`,
      ' class="muted"',
    ),
  );

  // Legend: throughput, the datapaths, and the migration states that occur.
  y += 20;
  const items: { label: string; swatch: string }[] = [
    {
      label: 'throughput',
      swatch: `<line x1="0" y1="5" x2="14" y2="5" stroke="${LINE_COLOR}" stroke-width="2"/>`,
    },
  ];
  for (const path of ['active', 'backup', 'none'] as const) {
    const fill = DATAPATH_COLORS[path];
    items.push({
      label: DATAPATH_LABELS[path],
      swatch: `<rect class="dp-${path}" width="14" height="10" fill="${fill}"/>`,
    });
  }
  const present = new Set<MigrationState>();
  for (const { segs } of migs) for (const s of segs) present.add(s[2]);
  for (const state of Object.keys(MIGRATION_COLORS) as MigrationState[]) {
    if (!present.has(state)) continue;
    const fill = MIGRATION_COLORS[state];
    items.push({
      label: MIGRATION_LABELS[state],
      swatch: `<rect class="mig-${state}" width="14" height="10" fill="${fill}"/>`,
    });
  }
  const legend: string[] = [];
  let lx = PAD;
  for (const item of items) {
    const w = 20 + textWidth(item.label, FONT) + 14;
    if (lx + w > width - PAD && lx > PAD) {
      lx = PAD;
      y += 16;
    }
    legend.push(
      `<g transform="translate(${num(lx)} ${num(y - 9)})">${item.swatch}` +
        `${text(20, 9, item.label)}</g>`,
    );
    lx += w;
  }
  body.push(`<g class="legend">${legend.join('')}</g>`);
  y += 14;

  const plotTop = y;
  const back: string[] = [];
  const front: string[] = [];

  // Flow lanes.
  if (flows.length === 0) {
    y += 6;
    front.push(text(left, y + 12, 'no flows in this scenario', ' class="muted"'));
    y += 24;
  }
  flows.forEach(([name, flow], i) => {
    const label = `${name}: ${flow.from} -> ${flow.to}  (sent ${flow.sent}, lost ${flow.lost}, longest gap ${flow.longestGap})`;
    front.push(text(left, y + 13, truncate(label, plotW), ' font-weight="bold"'));
    const top = y + LANE_LABEL;
    const base = top + LANE_H;
    back.push(
      `<rect class="lane" x="${num(left)}" y="${num(top)}" width="${num(plotW)}" height="${LANE_H}"/>`,
    );
    const nic = laneNic(report, flow);
    for (const [s, e, path] of nic === undefined ? [] : (tl.datapath[nic] ?? [])) {
      back.push(
        `<rect class="lane-dp lane-dp-${path}" x="${num(x(s))}" y="${num(top)}" ` +
          `width="${num(Math.max(0, x(e) - x(s)))}" height="${LANE_H}" ` +
          `fill="${DATAPATH_COLORS[path]}" fill-opacity="0.12"/>`,
      );
    }
    const points = ratePoints(series[i] ?? [], tl.bucketNs > 0 ? tl.bucketNs : 1);
    const peak = Math.max(0, ...points.map((p) => p.pps));
    const yMax = niceCeil(peak);
    const yOf = (pps: number): number => base - (Math.min(pps, yMax) / yMax) * (LANE_H - 10);
    const mid = yOf(yMax / 2);
    const high = yOf(yMax);
    front.push(
      `<line class="grid" x1="${num(left)}" y1="${num(mid)}" x2="${num(right)}" y2="${num(mid)}"/>`,
    );
    const d = stepPath(points, x, yOf, base, [left, right]);
    front.push(`<path class="throughput" data-flow="${escapeXml(name)}" d="${d}"/>`);
    front.push(text(left - 5, high + 4, formatPps(yMax), ' text-anchor="end" class="muted"'));
    if (peak > 0) {
      front.push(text(left - 5, mid + 4, formatPps(yMax / 2), ' text-anchor="end" class="muted"'));
    } else {
      front.push(text(left + 6, mid + 4, 'no frames received', ' class="muted"'));
    }
    front.push(text(left - 5, base, '0', ' text-anchor="end" class="muted"'));
    y = base + LANE_GAP;
  });

  // Datapath bands, one per NIC.
  if (nics.length > 0) {
    front.push(text(left, y + 11, 'datapath in use', ' class="muted"'));
    y += 16;
  }
  for (const [nic, segs] of nics) {
    front.push(text(left - 5, y + 11, truncate(nic, left - PAD - 5), ' text-anchor="end"'));
    front.push(
      `<rect x="${num(left)}" y="${num(y)}" width="${num(plotW)}" height="${BAND_H}" fill="#f4f4f4"/>`,
    );
    for (const [s, e, path] of segs) {
      const tip = `${nic}: ${DATAPATH_LABELS[path]} ${formatDuration(s)} - ${formatDuration(e)}`;
      front.push(
        `<rect class="dp dp-${path}" x="${num(x(s))}" y="${num(y)}" ` +
          `width="${num(Math.max(0, x(e) - x(s)))}" height="${BAND_H}" ` +
          `fill="${DATAPATH_COLORS[path]}"><title>${escapeXml(tip)}</title></rect>`,
      );
    }
    y += BAND_H + BAND_GAP;
  }

  // Migration rows, spans across the lanes and phase markers.
  if (migs.length > 0) {
    front.push(text(left, y + 11, 'migrations', ' class="muted"'));
    y += 16;
  }
  const markers: number[] = [];
  const spans: string[] = [];
  for (const { m, segs } of migs) {
    const outside: { x0: number; state: MigrationState }[] = [];
    front.push(text(left - 5, y + 13, truncate(m.vm, left - PAD - 5), ' text-anchor="end"'));
    for (const [s, e, state] of segs) {
      const x0 = x(s);
      const w = Math.max(0, x(e) - x0);
      const color = MIGRATION_COLORS[state];
      const tip = `${m.vm} ${m.from} -> ${m.to}: ${state} ${formatDuration(s)} - ${formatDuration(e)}`;
      front.push(
        `<rect class="mig mig-${state}" x="${num(x0)}" y="${num(y)}" width="${num(w)}" ` +
          `height="${MIG_H}" fill="${color}"><title>${escapeXml(tip)}</title></rect>`,
      );
      if (textWidth(state, FONT) + 6 <= w) {
        const attrs = ' text-anchor="middle" fill="#fff" class="mig-label"';
        front.push(text(x0 + w / 2, y + 13, state, attrs));
      } else {
        outside.push({ x0, state });
      }
      if (SPAN_STATES.has(state) && w > 0) spans.push(`${num(x0)}:${num(w)}:${state}`);
      markers.push(x0);
    }
    // Phases too short for their label get it on a line below, the important ones first,
    // leaving out any that would overlap one already placed.
    outside.sort(
      (a, b) => OUTSIDE_ORDER.indexOf(a.state) - OUTSIDE_ORDER.indexOf(b.state) || a.x0 - b.x0,
    );
    const placed: [number, number][] = [];
    for (const o of outside) {
      const w = textWidth(o.state, FONT);
      const lx = o.x0 + 2 + w <= right ? o.x0 + 2 : o.x0 - 2 - w;
      if (placed.some(([a, b]) => a < lx + w + 4 && lx - 4 < b)) continue;
      placed.push([lx, lx + w]);
      front.push(text(lx, y + MIG_H + 11, o.state, ' class="mig-label"'));
    }
    if (outside.length > 0) y += 14;
    y += MIG_H + BAND_GAP;
  }
  const plotBottom = y;
  for (const span of [...new Set(spans)]) {
    const [sx, sw, state] = span.split(':') as [string, string, MigrationState];
    back.push(
      `<rect class="mig-span mig-span-${state}" x="${sx}" y="${num(plotTop)}" width="${sw}" ` +
        `height="${num(plotBottom - plotTop)}" fill="${MIGRATION_COLORS[state]}" fill-opacity="0.1"/>`,
    );
  }
  for (const mx of [...new Set(markers.map(num))]) {
    back.push(
      `<line class="mig-marker" x1="${mx}" y1="${num(plotTop)}" x2="${mx}" y2="${num(plotBottom)}"/>`,
    );
  }

  // Time axis.
  const axisY = y + 2;
  const axis: string[] = [
    `<line class="axis" x1="${num(left)}" y1="${num(axisY)}" x2="${num(right)}" y2="${num(axisY)}"/>`,
  ];
  for (const tick of timeTicks(endNs)) {
    const tx = num(x(tick));
    axis.push(
      `<line class="axis" x1="${tx}" y1="${num(axisY)}" x2="${tx}" y2="${num(axisY + 4)}"/>`,
    );
    axis.push(text(x(tick), axisY + 16, formatDuration(tick), ' text-anchor="middle"'));
  }
  axis.push(text(right, axisY + 30, 'simulated time', ' text-anchor="end" class="muted"'));
  const height = Math.ceil(axisY + 30 + PAD);

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="${FONT}" role="img">`,
    `<title>${escapeXml(`${report.scenario}: timeline`)}</title>`,
    `<style>${STYLE}</style>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...body,
    `<g class="back">${back.join('')}</g>`,
    `<g class="front">${front.join('')}</g>`,
    `<g class="x-axis">${axis.join('')}</g>`,
    '</svg>',
  ].join('\n');
}
