import { NS_PER_MS, NS_PER_S, type Scheduler } from '@bypass/core';

/**
 * How long a learned entry lives without a frame from its MAC by default: 300 s
 * (`net/bridge/br_private.h` `BR_DEFAULT_AGEING_TIME`, used by `net/bridge/br_fdb.c`).
 *
 * @example
 * ```ts
 * const sw = new VirtualSwitch('src', pool, { ageing: DEFAULT_FDB_AGEING_NS, scheduler });
 * ```
 */
export const DEFAULT_FDB_AGEING_NS = 300 * NS_PER_S;

/**
 * Two runs of the ageing sweep are at least this far apart: 10 ms (`net/bridge/br_fdb.c`
 * `br_fdb_cleanup`), so an entry that expires just after a run goes at the next one.
 *
 * @example
 * ```ts
 * scheduler.runAfter(Math.max(untilNextExpiry, FDB_SWEEP_MIN_GAP_NS), sweep);
 * ```
 */
export const FDB_SWEEP_MIN_GAP_NS = 10 * NS_PER_MS;

/**
 * The first sweep runs this long after the switch comes up: 100 ms (`net/bridge/br_stp_if.c`
 * `br_stp_enable_bridge` queues the bridge's gc work HZ / 10 after it is enabled).
 *
 * @example
 * ```ts
 * scheduler.runAfter(FDB_FIRST_SWEEP_NS, sweep);
 * ```
 */
export const FDB_FIRST_SWEEP_NS = 100 * NS_PER_MS;

/**
 * A learned (dynamic) forwarding entry: the port its MAC was last seen on and when a frame from
 * it last entered (`updated` of `net/bridge/br_fdb.c`'s entries), in the scheduler's time.
 *
 * @example
 * ```ts
 * const e = new LearnedEntry(port, scheduler.now());
 * e.updated = scheduler.now(); // a frame from the MAC entered again
 * ```
 */
export class LearnedEntry {
  constructor(
    /** The port frames for the MAC go to. */
    public port: number,
    /** Scheduler time of the last frame from the MAC, ns. */
    public updated: number,
  ) {}
}

/**
 * The ageing sweep of a switch's learned entries, a job on the simulation's scheduler as the
 * bridge's gc work is on a workqueue (`net/bridge/br_fdb.c` `br_fdb_cleanup`): each run forgets
 * every entry whose `updated + ageing` is not in the future, then runs again when the earliest
 * remaining one is due (after `ageing` when none is left), never sooner than
 * {@link FDB_SWEEP_MIN_GAP_NS}. Lookups never look at the age: an entry forwards until a run
 * forgets it. The first run is {@link FDB_FIRST_SWEEP_NS} after the sweep is created. Runs are
 * never cancelled: the job lives as long as the switch, as the bridge's does.
 *
 * @example
 * ```ts
 * const learned = new Map<number, LearnedEntry>();
 * new FdbSweep(learned, DEFAULT_FDB_AGEING_NS, scheduler, (mac, entry) => forget(mac, entry));
 * ```
 */
export class FdbSweep {
  private next: number;
  private readonly run = (): void => this.sweep();

  /**
   * @param learned - the switch's learned entries (the sweep deletes the expired ones)
   * @param ageing - ageing time, ns (> 0)
   * @param scheduler - the simulation's scheduler (its time is the entries' `updated` time)
   * @param forgotten - called after each entry the sweep deleted
   */
  constructor(
    private readonly learned: Map<number, LearnedEntry>,
    private readonly ageing: number,
    private readonly scheduler: Scheduler,
    private readonly forgotten: (mac: number, entry: LearnedEntry) => void,
  ) {
    this.next = scheduler.now() + FDB_FIRST_SWEEP_NS;
    scheduler.runAt(this.next, this.run);
  }

  /** Scheduler time of the next run, ns. */
  get nextRun(): number {
    return this.next;
  }

  private sweep(): void {
    const now = this.scheduler.now();
    const ageing = this.ageing;
    let delay = ageing;
    for (const [mac, entry] of this.learned) {
      const due = entry.updated + ageing;
      // br_fdb.c br_fdb_cleanup: expired once updated + ageing_time is not after now
      if (due > now) {
        if (due - now < delay) delay = due - now;
      } else {
        this.learned.delete(mac);
        this.forgotten(mac, entry);
      }
    }
    // br_fdb.c br_fdb_cleanup: the next run at the earliest expiry, 10 ms later at the soonest
    if (delay < FDB_SWEEP_MIN_GAP_NS) delay = FDB_SWEEP_MIN_GAP_NS;
    // An ageing time beyond the scheduler's range (about 104 days of ns) never comes due.
    this.next = Math.min(now + delay, Number.MAX_SAFE_INTEGER);
    this.scheduler.runAt(this.next, this.run);
  }
}
