/*
 * Scales and helpers of the timeline drawing: downsampling, nice axis ticks, coordinate
 * rounding and XML escaping. Pure functions; nothing here depends on the SVG layout.
 */

/** One throughput point: a time span and the frames per second received in it. */
export interface RatePoint {
  readonly startNs: number;
  readonly endNs: number;
  readonly pps: number;
}

/** The most points one throughput line gets; longer timelines are summed down to this. */
export const MAX_POINTS = 1000;

/**
 * Frames per bucket to frames per second, summing `ceil(n / maxPoints)` buckets into one point
 * when there are more than `maxPoints` of them (the last point may cover fewer buckets; its rate
 * uses its own width). Non-finite or negative counts count as 0.
 */
export function ratePoints(
  counts: readonly number[],
  bucketNs: number,
  maxPoints: number = MAX_POINTS,
): RatePoint[] {
  const group = Math.max(1, Math.ceil(counts.length / Math.max(1, maxPoints)));
  const out: RatePoint[] = [];
  for (let i = 0; i < counts.length; i += group) {
    const end = Math.min(counts.length, i + group);
    let sum = 0;
    for (let j = i; j < end; j++) {
      const n = counts[j] ?? 0;
      if (Number.isFinite(n) && n > 0) sum += n;
    }
    const startNs = i * bucketNs;
    const endNs = end * bucketNs;
    const seconds = (endNs - startNs) / 1e9;
    out.push({ startNs, endNs, pps: seconds > 0 ? sum / seconds : 0 });
  }
  return out;
}

function decade(v: number): number {
  let e = Math.pow(10, Math.floor(Math.log10(v)));
  if (e * 10 <= v) e *= 10;
  if (e > v) e /= 10;
  return e;
}

/**
 * The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 x 10^k that is >= v (1 for v <= 0): a y axis
 * maximum that leaves little empty space above the peak.
 */
export function niceCeil(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const e = decade(v);
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * e >= v * (1 - 1e-12)) return m * e;
  return 10 * e;
}

/**
 * Time axis ticks for `[0, endNs]`: multiples of a 1, 2 or 5 x 10^k ns step, about `target`
 * of them, as integer ns (so formatDuration labels them exactly).
 */
export function timeTicks(endNs: number, target = 8): number[] {
  if (!(endNs > 0)) return [0];
  const raw = endNs / target;
  let step = 1;
  if (raw > 1) {
    const e = decade(raw);
    step = [1, 2, 5, 10].map((m) => m * e).find((s) => s >= raw) ?? 10 * e;
    step = Math.max(1, Math.round(step));
  }
  const ticks: number[] = [];
  for (let t = 0; t <= endNs + 1e-6; t += step) ticks.push(Math.round(t));
  return ticks;
}

/** A coordinate rounded to one decimal, printed without `-0` or a trailing `.0`. */
export function num(v: number): string {
  const r = Math.round(v * 10) / 10;
  return String(r === 0 ? 0 : r);
}

/**
 * Text safe inside XML/HTML elements and double- or single-quoted attributes. Control
 * characters XML 1.0 does not allow become U+FFFD.
 */
export function escapeXml(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&#39;')
  );
}

/** Rough width in px of `text` at `fontSize` in a sans-serif font (for layout, not exact). */
export function textWidth(text: string, fontSize: number): number {
  return [...text].length * fontSize * 0.58;
}
