import {
  BypassError,
  NS_PER_MS,
  RealTimeScheduler,
  type Scheduler,
  type TimerId,
} from '@bypass/core';
import { Subject, map, type Observable, type Subscription } from 'rxjs';
import { discoverPairs } from '../discovery/PairDiscovery.js';
import type { FailoverPair, LinkSnapshot } from '../discovery/FailoverPair.js';
import {
  DEFAULT_MIN_PACKETS,
  linkRates,
  pathFromCounters,
  pathFromRelation,
  type CounterReading,
  type CounterVerdict,
  type LinkRates,
} from '../discovery/PathInUse.js';
import { CommandEthtoolStats } from '../ethtool/CommandEthtoolStats.js';
import type { EthtoolStatsReading, EthtoolStatsSource } from '../ethtool/EthtoolStatsSource.js';
import { LinuxNetNamespace } from '../netdev/LinuxNetNamespace.js';
import type { LinkRecord } from '../netlink/LinkRecord.js';
import type { LinkSource } from '../netlink/LinkSource.js';
import { RtnlLinkSource } from '../netlink/RtnlLinkSource.js';
import { RealSysfsView } from '../sysfs/RealSysfsView.js';
import type { SysfsNetFacts, SysfsView } from '../sysfs/SysfsView.js';
import type { PairRow, WatchUpdate } from './WatchUpdate.js';

/**
 * Options of a {@link LinuxWatch}; every source is injectable.
 *
 * @example
 * ```ts
 * const o: WatchOptions = { intervalMs: 500, force: true };
 * ```
 */
export interface WatchOptions {
  /** Default a new {@link RtnlLinkSource}. */
  source?: LinkSource;
  /** Default `new RealSysfsView()`. */
  sysfs?: SysfsView;
  /** Clock and timer; default a `RealTimeScheduler` (owned and disposed by the watch). */
  scheduler?: Scheduler;
  /** Counter sampling period in ms; default 1000; 0 = no sampling. */
  intervalMs?: number;
  /** Report same-MAC pairs without a master (`--force`). */
  force?: boolean;
  /** How long to wait for the first dump; default 5000 ms. */
  syncTimeoutMs?: number;
  /**
   * netvsc's own per-path counters (`ethtool -S` of the netvsc interface), read at every sample
   * for netvsc pairs; default a {@link CommandEthtoolStats}; null = stats64 only.
   */
  ethtool?: EthtoolStatsSource | null;
  /**
   * Packets per interval (TX, else unicast RX) before the counter verdict leaves `idle`; default
   * {@link DEFAULT_MIN_PACKETS} (10).
   */
  minPackets?: number;
}

/** One counter sample: readings by ifindex (the device's identity), and the names behind them. */
interface Sample {
  readonly time: number;
  readonly byIndex: ReadonlyMap<number, CounterReading>;
  readonly byName: ReadonlyMap<string, CounterReading>;
}

function sampleOf(
  time: number,
  links: readonly LinkRecord[],
  ethtool: ReadonlyMap<string, EthtoolStatsReading>,
): Sample {
  const byIndex = new Map<number, CounterReading>();
  const byName = new Map<string, CounterReading>();
  for (const l of links) {
    if (l.stats64 === null) continue;
    const r: CounterReading = {
      ifindex: l.ifindex,
      stats64: l.stats64,
      ethtool: ethtool.get(l.name) ?? null,
    };
    byIndex.set(l.ifindex, r);
    byName.set(l.name, r);
  }
  return { time, byIndex, byName };
}

/**
 * `bypass watch` as a library: follows the kernel's links (rtnetlink), keeps the table of
 * failover pairs with the path in use (from the master/slave relation, and from counter deltas
 * between samples: netvsc's own `ethtool -S` per-path counters when available, else stats64) and
 * per-path rates, and publishes {@link WatchUpdate}s: as an rxjs
 * Observable ({@link LinuxWatch.updates$}), as NDJSON lines ({@link LinuxWatch.ndjson$}), or as
 * an async iterator. Read-only; needs no root. The CLI prints {@link formatWatchTable} of
 * {@link LinuxWatch.table} (or the NDJSON lines with `--json`).
 *
 * @example
 * ```ts
 * const watch = new LinuxWatch({ intervalMs: 1000 });
 * watch.ndjson$.subscribe((line) => process.stdout.write(line + '\n'));
 * await watch.start();
 * process.on('SIGINT', () => watch.close());
 * // or: for await (const u of watch) render(u);
 * ```
 */
export class LinuxWatch implements AsyncIterable<WatchUpdate> {
  /** Every update, in order. */
  readonly updates$: Observable<WatchUpdate>;
  /** The same updates as NDJSON lines (no trailing newline). */
  readonly ndjson$: Observable<string>;
  /** The mirrored namespace the watch runs on. */
  readonly lns: LinuxNetNamespace;
  private readonly subject = new Subject<WatchUpdate>();
  private readonly source: LinkSource;
  private readonly sysfs: SysfsView;
  private readonly scheduler: Scheduler;
  private readonly ownScheduler: boolean;
  private readonly intervalNs: number;
  private readonly force: boolean;
  private readonly syncTimeoutMs: number;
  private readonly ethtool: EthtoolStatsSource | null;
  private readonly minPackets: number;
  private readonly origin: number;
  private rows: PairRow[] = [];
  private lastSample: Sample | null = null;
  private counterVerdicts = new Map<string, CounterVerdict>();
  private rates = new Map<string, LinkRates>();
  private timer: TimerId | null = null;
  private subs: Subscription[] = [];
  private closed = false;
  private sampling = false;

  constructor(options: WatchOptions = {}) {
    this.source = options.source ?? new RtnlLinkSource();
    this.sysfs = options.sysfs ?? new RealSysfsView();
    this.ownScheduler = options.scheduler === undefined;
    this.scheduler = options.scheduler ?? new RealTimeScheduler();
    const interval = options.intervalMs ?? 1000;
    if (!Number.isInteger(interval) || interval < 0) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `intervalMs must be a non-negative integer, got ${interval}`,
      );
    }
    this.intervalNs = interval * NS_PER_MS;
    this.force = options.force === true;
    this.syncTimeoutMs = options.syncTimeoutMs ?? 5000;
    this.ethtool = options.ethtool === undefined ? new CommandEthtoolStats() : options.ethtool;
    const min = options.minPackets ?? DEFAULT_MIN_PACKETS;
    if (!Number.isSafeInteger(min) || min < 1) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `minPackets must be an integer >= 1, got ${min}; the default is ${DEFAULT_MIN_PACKETS}`,
      );
    }
    this.minPackets = min;
    this.origin = this.scheduler.now();
    this.lns = new LinuxNetNamespace({
      source: this.source,
      scheduler: this.scheduler,
      driverOf: (n) => (this.sysfs.has(n) ? this.sysfs.driver(n) : null),
    });
    this.updates$ = this.subject.asObservable();
    this.ndjson$ = this.updates$.pipe(map((u) => JSON.stringify(u)));
  }

  /** The current table. */
  table(): readonly PairRow[] {
    return this.rows;
  }

  /**
   * Starts following the kernel; resolves after the first dump with the first `snapshot`
   * published.
   *
   * @throws `BypassError` `ERR_STATE` when the kernel's dump does not come in time.
   */
  async start(): Promise<void> {
    this.subs.push(
      this.lns.events$.subscribe({
        next: (e) => {
          if (e.phase === 'live') this.emit({ type: 'event', t: this.ms(e.time), event: e });
        },
        error: (err: unknown) => this.fail(err),
        complete: () => this.close(),
      }),
    );
    this.subs.push(
      this.lns.applied$.subscribe({
        next: (u) => {
          if (this.lns.synced && u.op !== 'sync-start') this.refresh(false);
        },
        error: () => undefined,
      }),
    );
    try {
      this.lns.start();
      await this.lns.whenSynced(this.syncTimeoutMs);
    } catch (err) {
      this.fail(err); // release the socket and the timers: nothing may keep the process alive
      throw err;
    }
    this.refresh(true);
    if (this.intervalNs > 0) {
      await this.sample();
      this.arm();
    }
  }

  /** Takes a counter sample now (also done every `intervalMs`). */
  async sample(): Promise<void> {
    if (this.closed || this.sampling) return;
    this.sampling = true;
    try {
      const links = await this.lns.refreshStats();
      const time = this.scheduler.now();
      const ethtool = await this.readEthtool();
      const sample = sampleOf(time, links, ethtool);
      const prev = this.lastSample;
      this.lastSample = sample;
      if (prev !== null && !this.closed) {
        const seconds = (time - prev.time) / 1e9;
        this.rates = new Map();
        // Keyed by ifindex: a device replaced under the same name (a VF hot-removed and re-added
        // during host servicing) restarts its counters and gets no rate for this interval.
        for (const [name, r] of sample.byName) {
          const before = prev.byIndex.get(r.ifindex);
          if (before !== undefined)
            this.rates.set(name, linkRates(before.stats64, r.stats64, seconds));
        }
        const opts = { minPackets: this.minPackets };
        this.counterVerdicts = new Map(
          this.rows.map((p) => [p.id, pathFromCounters(p, prev.byName, sample.byName, opts)]),
        );
        this.refresh(true);
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.sampling = false;
    }
  }

  /** Stops everything; `updates$` completes and the async iterator ends. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) this.scheduler.cancel(this.timer);
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    this.lns.close();
    if (this.ownScheduler) (this.scheduler as RealTimeScheduler).dispose();
    this.subject.complete();
  }

  /** Iterates over the updates from now on, until {@link LinuxWatch.close}. */
  async *[Symbol.asyncIterator](): AsyncIterator<WatchUpdate> {
    const queue: WatchUpdate[] = [];
    let wake: (() => void) | null = null;
    let done = false;
    let failure: unknown = null;
    const sub = this.updates$.subscribe({
      next: (u) => {
        queue.push(u);
        wake?.();
      },
      error: (err: unknown) => {
        failure = err;
        done = true;
        wake?.();
      },
      complete: () => {
        done = true;
        wake?.();
      },
    });
    try {
      for (;;) {
        const next = queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (done) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
      if (failure !== null) throw failure;
    } finally {
      sub.unsubscribe();
    }
  }

  /** `ethtool -S` of every netvsc master in the table (its vf_* and channel counters). */
  private async readEthtool(): Promise<Map<string, EthtoolStatsReading>> {
    const source = this.ethtool;
    if (source === null) return new Map();
    const devs = new Set<string>();
    for (const r of this.rows) if (r.model === 'netvsc' && r.master !== null) devs.add(r.master);
    const read = (dev: string): Promise<EthtoolStatsReading> =>
      source
        .read(dev)
        .catch((err: unknown) => ({ ok: false, why: `ethtool source failed: ${String(err)}` }));
    return new Map(await Promise.all([...devs].map(async (d) => [d, await read(d)] as const)));
  }

  private ms(time: number): number {
    return Math.round((time - this.origin) / 1000) / 1000;
  }

  private emit(u: WatchUpdate): void {
    if (!this.closed) this.subject.next(u);
  }

  private snapshot(): LinkSnapshot {
    const links = this.lns.links();
    const facts = new Map<string, SysfsNetFacts>();
    for (const l of links) {
      try {
        if (this.sysfs.has(l.name)) facts.set(l.name, this.sysfs.facts(l.name));
      } catch {
        // renamed or removed between the two reads: the next update refreshes it
      }
    }
    return { links, facts };
  }

  private refresh(always: boolean): void {
    if (this.closed) return;
    const snap = this.snapshot();
    const byName = new Map(snap.links.map((l) => [l.name, l]));
    const before = new Map(this.rows.map((r) => [r.id, r]));
    const rows = discoverPairs(snap, { force: this.force }).map((p: FailoverPair): PairRow => {
      const rates: Record<string, LinkRates> = {};
      for (const n of [p.master, p.backup, p.active]) {
        const r = n === null ? undefined : this.rates.get(n);
        if (n !== null && r !== undefined) rates[n] = r;
      }
      return {
        ...p,
        pathByRelation: pathFromRelation(p, byName),
        pathByCounters: this.counterVerdicts.get(p.id) ?? null,
        rates,
      };
    });
    const t = this.ms(this.scheduler.now());
    let changed = rows.length !== before.size;
    for (const r of rows) {
      const old = before.get(r.id);
      if (
        old === undefined ||
        old.active !== r.active ||
        old.backup !== r.backup ||
        old.activeEnslaved !== r.activeEnslaved ||
        old.activeMaster !== r.activeMaster
      ) {
        changed = true;
      }
      if (old?.pathByRelation.path !== r.pathByRelation.path) {
        changed = true;
        this.emit({
          type: 'path',
          t,
          pair: r.id,
          by: 'relation',
          from: old?.pathByRelation.path ?? null,
          to: r.pathByRelation.path,
          reason: r.pathByRelation.reason,
        });
      }
      const oc = old?.pathByCounters ?? null;
      if (r.pathByCounters !== null && oc?.path !== r.pathByCounters.path) {
        this.emit({
          type: 'path',
          t,
          pair: r.id,
          by: 'counters',
          from: oc?.path ?? null,
          to: r.pathByCounters.path,
          reason: r.pathByCounters.reason,
        });
      }
    }
    this.rows = rows;
    if (changed || always) this.emit({ type: 'snapshot', t, pairs: rows });
  }

  private arm(): void {
    if (this.closed) return;
    this.timer = this.scheduler.runAfter(this.intervalNs, () => {
      this.timer = null;
      void this.sample().then(() => this.arm());
    });
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) this.scheduler.cancel(this.timer);
    for (const s of this.subs) s.unsubscribe();
    this.lns.close();
    if (this.ownScheduler) (this.scheduler as RealTimeScheduler).dispose();
    this.subject.error(err);
  }
}
