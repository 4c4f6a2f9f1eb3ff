/** Sorted copy of `xs`, ascending. */
function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/**
 * The `q`-quantile of `xs` (0 <= q <= 1) with linear interpolation between closest ranks.
 *
 * @throws Error for an empty sample.
 */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) throw new Error('quantile of an empty sample');
  const s = sorted(xs);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = s[lo] as number;
  const b = s[hi] as number;
  return a + (b - a) * (pos - lo);
}

/** The median of `xs`. */
export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/**
 * The spread of a sample as a fraction of its median: the interquartile range divided by the
 * median (0.04 = the middle half of the rounds lies within a 4 % wide band).
 */
export function relativeIqr(xs: readonly number[]): number {
  const m = median(xs);
  return m === 0 ? 0 : (quantile(xs, 0.75) - quantile(xs, 0.25)) / Math.abs(m);
}

/** Summary of a sample: median, quartiles, extremes, relative spread, and the sample size. */
export interface Summary {
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
  readonly min: number;
  readonly max: number;
  /** Interquartile range / median. */
  readonly spread: number;
  readonly n: number;
}

/** Summarizes a non-empty sample. */
export function summarize(xs: readonly number[]): Summary {
  const s = sorted(xs);
  return {
    median: median(s),
    p25: quantile(s, 0.25),
    p75: quantile(s, 0.75),
    min: s[0] as number,
    max: s[s.length - 1] as number,
    spread: relativeIqr(s),
    n: s.length,
  };
}
