/**
 * What happened to one flow: every frame sent is received, lost (in exactly one named `drops`
 * counter) or still in flight when the run ended. Durations are strings with units.
 *
 * @example
 * ```ts
 * const f: FlowReport = report.flows['f1']!;
 * console.log(f.sent === f.received - f.duplicated + f.lost + f.inFlight); // true
 * ```
 */
export interface FlowReport {
  readonly from: string;
  readonly to: string;
  readonly cast: 'unicast' | 'multicast' | 'broadcast';
  readonly sent: number;
  /** Frames that reached the flow's destination (duplicates included). */
  readonly received: number;
  /** Frames dropped on the way: the sum of `drops`. */
  readonly lost: number;
  readonly duplicated: number;
  /** Frames that arrived after a frame with a higher sequence number. */
  readonly reordered: number;
  /** Frames still in a ring or on a link when the run ended (not lost). */
  readonly inFlight: number;
  /** The longest time the destination went without a frame of this flow while it was sending. */
  readonly longestGap: string;
  /** Drops by counter name (`vf-ring-flushed`, `vm-paused`, `stale-fdb`, ...); zeros omitted. */
  readonly drops: Readonly<Record<string, number>>;
  /** One-way latency of received frames: minimum, mean and maximum. */
  readonly latency: { readonly min: string; readonly mean: string; readonly max: string };
}

/**
 * Per VM NIC: which path carried its transmissions for how long, and its counters.
 *
 * @example
 * ```ts
 * const n: NicReport = report.nics['vm1/eth0']!;
 * console.log(n.onActive, n.onBackup, n.switches);
 * ```
 */
export interface NicReport {
  readonly model: string;
  /** Time the guest's TX went through the VF (the active slave). */
  readonly onActive: string;
  /** Time it went through the paravirtual device (the backup slave). */
  readonly onBackup: string;
  /** Time with no usable path (TX dropped). */
  readonly onNone: string;
  /** Datapath changes seen. */
  readonly switches: number;
  /** Driver counters at the end (`ethtool -S` style names). */
  readonly stats: Readonly<Record<string, number>>;
}

/**
 * A migration state and when it was entered.
 *
 * @example
 * ```ts
 * const s: MigrationStateRecord = { state: 'wait-unplug', at: '2s' };
 * ```
 */
export interface MigrationStateRecord {
  readonly state: MigrationState;
  readonly at: string;
}

/**
 * QEMU's migration states (`qapi/migration.json` MigrationStatus), the subset the simulator
 * goes through.
 *
 * @example
 * ```ts
 * const s: MigrationState = 'wait-unplug';
 * ```
 */
export type MigrationState =
  | 'setup'
  | 'wait-unplug'
  | 'active'
  | 'device'
  | 'cancelling'
  | 'cancelled'
  | 'completed'
  | 'failed';

/**
 * One migration: from where to where, how it ended and the states it went through.
 *
 * @example
 * ```ts
 * const m: MigrationReport = report.migrations[0]!;
 * console.log(m.result, m.states.map((s) => s.state).join(' -> '));
 * ```
 */
export interface MigrationReport {
  readonly vm: string;
  readonly from: string;
  readonly to: string;
  readonly result: 'completed' | 'cancelled' | 'failed' | 'in-progress';
  /**
   * QEMU's states in order. Empty when QEMU never started: the migration was refused (a plain VF
   * kept with `unplug: none`), or cancelled, or is still in progress, while management waited for
   * a plain VF's eject before `migrate`.
   */
  readonly states: readonly MigrationStateRecord[];
  /** The stop-and-copy pause actually applied ('0s' when the migration never got there). */
  readonly downtime: string;
  /** Why it failed or was cancelled, when it did. */
  readonly reason?: string;
}

/**
 * One control-plane event of the run. `kind` is a stable string: `netdev-register`,
 * `netdev-unregister`, `link-up`, `link-down`, `features-negotiated`, `vf-plug`, `vf-unplug`,
 * `unplug-request`, `datapath-switched`, `migration-state`, `announce`, `drop`, and others.
 *
 * @example
 * ```ts
 * const e: ReportEvent = { at: '2.0001s', host: 'src', vm: 'vm1', dev: 'eth0', kind: 'datapath-switched', detail: 'to backup' };
 * ```
 */
export interface ReportEvent {
  readonly at: string;
  readonly host?: string;
  readonly vm?: string;
  readonly dev?: string;
  readonly kind: string;
  readonly detail?: string;
}

/**
 * The result of one `expect` assertion.
 *
 * @example
 * ```ts
 * const e: ExpectResult = { metric: 'flows.f1.lost', value: 0, ok: true };
 * ```
 */
export interface ExpectResult {
  readonly metric: string;
  /** The metric's value in the report (null when the path names nothing). */
  readonly value: number | string | null;
  readonly ok: boolean;
  readonly min?: number | string;
  readonly max?: number | string;
  readonly equals?: number | string;
  /** Why it failed, in words. */
  readonly message?: string;
}

/**
 * Data for the timeline drawing: per-flow frames received per bucket, the datapath each NIC
 * used over time, and the migration phases.
 *
 * @example
 * ```ts
 * const t: Timeline = report.timeline;
 * const pps = t.flows['f1']!.map((n) => n / (t.bucketNs / 1e9));
 * ```
 */
export interface Timeline {
  /** Bucket width in ns. */
  readonly bucketNs: number;
  /** Number of buckets (covers the whole simulated time). */
  readonly buckets: number;
  /** Frames received per bucket, per flow. */
  readonly flows: Readonly<Record<string, readonly number[]>>;
  /** Per NIC, the datapath segments in time order: `[startNs, endNs, path]`. */
  readonly datapath: Readonly<
    Record<string, readonly (readonly [number, number, DatapathInUse])[]>
  >;
  /** Per migration (same order as `migrations`), the state segments: `[startNs, endNs, state]`. */
  readonly migrations: readonly (readonly (readonly [number, number, MigrationState])[])[];
}

/**
 * Which path a NIC's transmissions take: the VF (`active`), the paravirtual device (`backup`)
 * or nothing usable (`none`).
 *
 * @example
 * ```ts
 * const p: DatapathInUse = 'active';
 * ```
 */
export type DatapathInUse = 'active' | 'backup' | 'none';

/**
 * The conservation check of a run: per flow, sent = received - duplicated + lost + inFlight.
 *
 * @example
 * ```ts
 * if (!report.conservation.ok) console.error(report.conservation.mismatches.join('\n'));
 * ```
 */
export interface ConservationResult {
  readonly ok: boolean;
  /** One sentence per flow whose books do not balance, saying by how much and where. */
  readonly mismatches: readonly string[];
}

/**
 * The report of one simulated scenario (the `--json` output). Same scenario and seed give an
 * identical report.
 *
 * @example
 * ```ts
 * const report: Report = runScenario(scenario);
 * console.log(JSON.stringify(report, null, 2));
 * ```
 */
export interface Report {
  readonly scenario: string;
  readonly file: string;
  readonly seed: number;
  readonly simulated: string;
  readonly flows: Readonly<Record<string, FlowReport>>;
  readonly nics: Readonly<Record<string, NicReport>>;
  readonly migrations: readonly MigrationReport[];
  readonly events: readonly ReportEvent[];
  readonly expect: readonly ExpectResult[];
  readonly conservation: ConservationResult;
  /**
   * Frames that belong to no flow's books and were dropped, by counter: announcements (GARP,
   * RARP) and flooded copies that did not reach the flow's destination.
   */
  readonly otherDrops: Readonly<Record<string, number>>;
  readonly timeline: Timeline;
  /** True when every expectation held and the books balance. */
  readonly ok: boolean;
}
