import { parseDuration } from '@bypass/core';
import type { ExpectResult } from '../report/Report.js';
import type { ScenarioExpect } from '../scenario/Scenario.js';

/**
 * Looks up a metric path in a report: dot-separated keys with optional `[i]` indices
 * (`flows.f1.lost`, `nics.vm1/eth0.onActive`, `migrations[0].result`). Returns undefined when
 * the path names nothing or something that is not a number or a string.
 *
 * @example
 * ```ts
 * metricValue(report, 'flows.f1.drops.vm-paused'); // 3000
 * ```
 */
export function metricValue(report: object, metric: string): number | string | undefined {
  let cur: unknown = report;
  for (const part of metric.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (part === '') continue;
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return typeof cur === 'number' || typeof cur === 'string' ? cur : undefined;
}

/**
 * Evaluates a scenario's `expect` list against a report. Numbers compare as numbers; a
 * duration value (`'250ms'`) compares in ns against a duration bound (`max: 250ms`) and in
 * milliseconds against a plain number bound; `equals` compares strings or numbers exactly. A
 * drop counter a run never incremented is 0 (it is left out of the report's `drops`).
 *
 * @example
 * ```ts
 * const results = evaluateExpectations(scenario.expect, report);
 * const ok = results.every((r) => r.ok);
 * ```
 */
export function evaluateExpectations(
  list: readonly ScenarioExpect[],
  report: object,
): ExpectResult[] {
  return list.map((e) => {
    let value = metricValue(report, e.metric);
    if (value === undefined && /^flows\.[^.]+\.drops\.[^.]+$/.test(e.metric)) {
      const flow = e.metric.split('.')[1] as string;
      if (metricValue(report, `flows.${flow}.sent`) !== undefined) value = 0;
    }
    const base: { -readonly [K in keyof ExpectResult]: ExpectResult[K] } = {
      metric: e.metric,
      value: value ?? null,
      ok: true,
    };
    if (e.min !== undefined) base.min = e.min;
    if (e.max !== undefined) base.max = e.max;
    if (e.equals !== undefined) base.equals = e.equals;
    if (value === undefined) {
      base.ok = false;
      base.message = `${e.metric} names nothing in the report (${e.path})`;
      return base;
    }
    const problems: string[] = [];
    if (e.equals !== undefined && value !== e.equals)
      problems.push(`is ${String(value)}, expected ${String(e.equals)}`);
    const check = (bound: number | string, isMin: boolean): void => {
      const [v, b] = comparable(value, bound);
      if (Number.isNaN(v) || Number.isNaN(b)) {
        problems.push(`${String(value)} cannot be compared with ${String(bound)}`);
      } else if (isMin ? v < b : v > b) {
        problems.push(
          `is ${String(value)}, ${isMin ? 'below the minimum' : 'above the maximum'} ${String(bound)}`,
        );
      }
    };
    if (e.min !== undefined) check(e.min, true);
    if (e.max !== undefined) check(e.max, false);
    if (problems.length > 0) {
      base.ok = false;
      base.message = `${e.metric} ${problems.join('; ')}`;
    }
    return base;
  });
}

/** ns of a duration string, or NaN for anything else. */
function durationNs(x: number | string): number {
  if (typeof x !== 'string') return Number.NaN;
  try {
    return parseDuration(x);
  } catch {
    return Number.NaN;
  }
}

function comparable(value: number | string, bound: number | string): [number, number] {
  if (typeof value === 'number' && typeof bound === 'number') return [value, bound];
  const v = durationNs(value);
  const b = durationNs(bound);
  if (!Number.isNaN(v) && !Number.isNaN(b)) return [v, b];
  if (!Number.isNaN(v) && typeof bound === 'number') return [v / 1e6, bound];
  if (typeof value === 'number' && !Number.isNaN(b)) return [Number.NaN, b];
  return [Number(value), Number(bound)];
}
