import { formatDuration } from '@bypass/core';
import type { ReportEvent } from '../report/Report.js';

/**
 * One logged control-plane event (time in ns; `detail` may be updated while an episode of
 * drops is still going on).
 *
 * @example
 * ```ts
 * const e: LoggedEvent = { atNs: 2e9, kind: 'migration-state', vm: 'vm1', detail: 'wait-unplug' };
 * ```
 */
export interface LoggedEvent {
  atNs: number;
  kind: string;
  host?: string;
  vm?: string;
  dev?: string;
  detail?: string;
}

/**
 * The run's event log, in the order things happened. Capped (default 100k events) so a
 * flapping scenario cannot eat the memory; what was left out is counted and reported.
 *
 * @example
 * ```ts
 * const log = new EventLog(() => scheduler.now());
 * log.add('vf-plug', { vm: 'vm1', dev: 'eth0', detail: '0000:3b:02.0' });
 * ```
 */
export class EventLog {
  readonly events: LoggedEvent[] = [];
  /** Events not kept because the cap was reached. */
  omitted = 0;

  constructor(
    private readonly now: () => number,
    private readonly cap = 100_000,
  ) {}

  /** Logs `kind` now; returns the record (null when over the cap). */
  add(kind: string, where: Omit<LoggedEvent, 'atNs' | 'kind'> = {}): LoggedEvent | null {
    if (this.events.length >= this.cap) {
      this.omitted++;
      return null;
    }
    const e: LoggedEvent = { atNs: this.now(), kind, ...where };
    this.events.push(e);
    return e;
  }

  /**
   * The events as the report shows them (times with units, counted from `origin`, so events
   * before it are negative; empty fields left out).
   */
  toReport(origin = 0): ReportEvent[] {
    const out: ReportEvent[] = [];
    for (const e of this.events) {
      const r: { -readonly [K in keyof ReportEvent]: ReportEvent[K] } = {
        at: formatDuration(Math.round(e.atNs - origin)),
        kind: e.kind,
      };
      if (e.host !== undefined) r.host = e.host;
      if (e.vm !== undefined) r.vm = e.vm;
      if (e.dev !== undefined) r.dev = e.dev;
      if (e.detail !== undefined) r.detail = e.detail;
      out.push(r);
    }
    if (this.omitted > 0) {
      out.push({
        at: formatDuration(Math.round(this.now() - origin)),
        kind: 'log-truncated',
        detail: `${this.omitted} events not kept (cap ${this.cap})`,
      });
    }
    return out;
  }
}
