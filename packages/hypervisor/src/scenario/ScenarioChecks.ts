import { MacAddress, formatDuration, parseDuration, parseRate } from '@bypass/core';
import { closest } from './ScenarioSchemaCheck.js';
import type { PathSegment, RawIssue } from './ScenarioSource.js';

/** Strips the `invalid duration "x": ` style prefix off a core parse error (the path says where). */
function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Collects semantic issues while the normalizer walks the file; the parse helpers return a
 * fallback value after recording a problem so that one pass reports everything.
 */
export class ScenarioChecks {
  readonly issues: RawIssue[] = [];

  /** Records a problem at `segments`. */
  add(segments: readonly PathSegment[], message: string): void {
    this.issues.push({ segments, message });
  }

  /** A duration in ns (`fallback` when absent; NaN after recording a problem). */
  duration(
    value: string | number | undefined,
    segments: readonly PathSegment[],
    fallback: number,
  ): number {
    if (value === undefined) return fallback;
    try {
      return parseDuration(value);
    } catch (err) {
      this.add(segments, reason(err));
      return Number.NaN;
    }
  }

  /** A bandwidth in bits/s (`fallback` when absent; NaN after recording a problem). */
  bandwidth(value: string | undefined, segments: readonly PathSegment[], fallback: number): number {
    if (value === undefined) return fallback;
    try {
      const r = parseRate(value);
      if (r.kind !== 'bps') {
        this.add(
          segments,
          `${JSON.stringify(value)} is a packet rate; a bandwidth is in bits per second such as 10Gbps`,
        );
        return Number.NaN;
      }
      return r.value;
    } catch (err) {
      this.add(segments, reason(err));
      return Number.NaN;
    }
  }

  /** A MAC that must be a unicast station address (recorded problem: undefined). */
  unicastMac(value: string, segments: readonly PathSegment[]): MacAddress | undefined {
    let mac: MacAddress;
    try {
      mac = MacAddress.parse(value);
    } catch (err) {
      this.add(segments, reason(err));
      return undefined;
    }
    if (mac.isMulticast) {
      this.add(
        segments,
        `${mac.toString()} is a group (multicast) address: a station MAC needs the least significant bit of the first octet clear (e.g. 52:54:00:...)`,
      );
      return undefined;
    }
    if (mac.isZero) {
      this.add(segments, '00:00:00:00:00:00 is not a valid station address');
      return undefined;
    }
    return mac;
  }

  /**
   * Records a duplicate when `name` was already seen in `seen` (name -> first path); returns
   * true when the name is new.
   */
  unique(
    seen: Map<string, string>,
    name: string,
    segments: readonly PathSegment[],
    what: string,
    firstPath: string,
  ): boolean {
    const first = seen.get(name);
    if (first !== undefined) {
      this.add(
        segments,
        `duplicate ${what} name "${name}" (already used at ${first}); names must be unique`,
      );
      return false;
    }
    seen.set(name, firstPath);
    return true;
  }

  /** Records an unknown reference with a "did you mean" hint; `known` are the valid names. */
  unknown(
    segments: readonly PathSegment[],
    what: string,
    name: string,
    known: readonly string[],
  ): void {
    const near = closest(name, known);
    const list = known.length === 0 ? `there is none` : `known: ${known.join(', ')}`;
    this.add(
      segments,
      `unknown ${what} "${name}"` +
        (near !== undefined ? ` (did you mean "${near}"?)` : '') +
        `; ${list}`,
    );
  }

  /** Records a time that is not before the end of the scenario. */
  beforeEnd(ns: number, end: number, segments: readonly PathSegment[], what: string): void {
    if (Number.isFinite(ns) && Number.isFinite(end) && ns >= end) {
      this.add(
        segments,
        `${what} ${formatDuration(ns)} is not before the end of the scenario (duration ${formatDuration(end)}); make it earlier or the duration longer`,
      );
    }
  }
}
