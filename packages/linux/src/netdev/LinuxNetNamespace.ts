import {
  BypassError,
  NetNamespace,
  PacketPool,
  type NetdevEvent,
  type NetdevEventType,
  type Scheduler,
} from '@bypass/core';
import { Subject, type Observable, type Subscription } from 'rxjs';
import type { LinkRecord } from '../netlink/LinkRecord.js';
import type { LinkSource, LinkUpdate } from '../netlink/LinkSource.js';
import { LinuxNetDevice } from './LinuxNetDevice.js';

/**
 * A core netdev event of a real interface, flattened for logs and NDJSON: what changed, on
 * which kernel interface, when (ns on the injected scheduler's clock), and whether it happened
 * while the mirror was (re)reading the kernel's state (`phase: 'sync'`) or live.
 *
 * @example
 * ```ts
 * lns.events$.subscribe((e: LinuxLinkEvent) => {
 *   if (e.phase === 'live' && e.type === 'changename') console.log(`${e.oldName} -> ${e.name}`);
 * });
 * ```
 */
export interface LinuxLinkEvent {
  /** Time of the event, ns on the scheduler's clock. */
  readonly time: number;
  readonly phase: 'sync' | 'live';
  readonly type: NetdevEventType;
  readonly ifindex: number;
  /** Name of the interface (after a rename: the new name). */
  readonly name: string;
  /** `changename`: the previous name. */
  readonly oldName?: string;
  /** `changemtu`: the new and the previous MTU. */
  readonly mtu?: number;
  readonly oldMtu?: number;
  /** `changeaddr`: the new and previous address. */
  readonly address?: string;
  readonly oldAddress?: string;
  /** `change`: `carrier` or `flags`; with `carrier`, the new carrier state. */
  readonly detail?: 'carrier' | 'flags';
  readonly carrier?: boolean;
  /** `changeupper`: the master's name and whether the link was made or removed. */
  readonly upper?: string;
  readonly linking?: boolean;
}

/**
 * Options of a {@link LinuxNetNamespace}.
 *
 * @example
 * ```ts
 * const o: LinuxNetNamespaceOptions = { source: new RtnlLinkSource(), scheduler: new RealTimeScheduler() };
 * ```
 */
export interface LinuxNetNamespaceOptions {
  /** Where link state comes from. */
  source: LinkSource;
  /** The clock of event timestamps (the one place time is read). */
  scheduler: Scheduler;
  /** Name of the core namespace; default `linux`. */
  name?: string;
  /** Driver name of an interface (from sysfs), used when a device is first seen. */
  driverOf?: (name: string) => string | null;
}

/**
 * Populates a core {@link NetNamespace} from a {@link LinkSource}: every kernel link becomes a
 * {@link LinuxNetDevice}, and kernel changes become the core's notifier events, in kernel order:
 * `RTM_NEWLINK` of an unknown ifindex -> `register` (then `up`, `change` for the carrier,
 * `changeupper` for its master), a new name -> `changename`, MTU -> `changemtu`, address ->
 * `changeaddr`, `IFF_UP` -> `up` / `going-down` + `down`, carrier -> `change` (carrier), other
 * flags -> `change` (flags), `IFLA_MASTER` -> `changeupper` (unlink, then link); `RTM_DELLINK`
 * -> `changeupper` for its links, `down`, `unregister`.
 *
 * A master that is not known yet (dumps go by ifindex; a bond may come after its slaves) is linked
 * as soon as it appears. After a (re)sync, devices the dump did not mention are unregistered.
 * Name clashes with a stale device (possible only while resyncing) are resolved by parking the
 * stale device under `~<ifindex>` until its own update arrives.
 *
 * @example
 * ```ts
 * const lns = new LinuxNetNamespace({ source: new RtnlLinkSource(), scheduler: new RealTimeScheduler() });
 * lns.events$.subscribe((e) => console.log(e.type, e.name));
 * lns.start();
 * await lns.whenSynced(2000);
 * console.log(lns.ns.devices().map((d) => d.name));
 * lns.close();
 * ```
 */
export class LinuxNetNamespace {
  /** The core namespace holding the mirrored devices. */
  readonly ns: NetNamespace;
  /** Flattened, timestamped core events of this namespace. */
  readonly events$: Observable<LinuxLinkEvent>;
  /** Each source update, re-published once it has been applied to {@link LinuxNetNamespace.ns}. */
  readonly applied$: Observable<LinkUpdate>;
  private readonly source: LinkSource;
  private readonly scheduler: Scheduler;
  private readonly driverOf: (name: string) => string | null;
  private readonly pool = new PacketPool({ slots: 1, slotSize: 128, headroom: 0 });
  private readonly subject = new Subject<LinuxLinkEvent>();
  private readonly byKernelIndex = new Map<number, LinuxNetDevice>();
  private readonly pendingMaster = new Map<number, number>();
  private readonly seen = new Set<number>();
  private readonly syncedSubject = new Subject<void>();
  private readonly appliedSubject = new Subject<LinkUpdate>();
  private syncing = false;
  private syncedOnce = false;
  private failure: unknown = null;
  private subs: Subscription[] = [];

  constructor(options: LinuxNetNamespaceOptions) {
    this.source = options.source;
    this.scheduler = options.scheduler;
    this.driverOf = options.driverOf ?? (() => null);
    this.ns = new NetNamespace(options.name ?? 'linux');
    this.events$ = this.subject.asObservable();
    this.applied$ = this.appliedSubject.asObservable();
  }

  /** True once the first full dump has been applied. */
  get synced(): boolean {
    return this.syncedOnce;
  }

  /** Starts following the source (which then dumps the current links). */
  start(): void {
    this.subs.push(this.ns.events$.subscribe((e) => this.publish(e)));
    this.subs.push(
      this.source.updates$.subscribe({
        next: (u) => {
          this.apply(u);
          this.appliedSubject.next(u);
        },
        error: (err: unknown) => {
          this.failure = err;
          this.subject.error(err);
          this.syncedSubject.error(err);
          this.appliedSubject.error(err);
        },
        complete: () => {
          this.subject.complete();
          this.syncedSubject.complete();
          this.appliedSubject.complete();
        },
      }),
    );
    this.source.start();
  }

  /**
   * Resolves once the first dump has been applied.
   *
   * @throws `BypassError` `ERR_STATE` when that does not happen within `timeoutMs`, or the
   * source's error.
   */
  whenSynced(timeoutMs: number): Promise<void> {
    if (this.syncedOnce) return Promise.resolve();
    if (this.failure !== null) return Promise.reject(this.failure as Error);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.unsubscribe();
        reject(new BypassError('ERR_STATE', `no link dump from the kernel within ${timeoutMs} ms`));
      }, timeoutMs);
      const sub = this.syncedSubject.subscribe({
        next: () => {
          clearTimeout(timer);
          sub.unsubscribe();
          resolve();
        },
        error: (err: unknown) => {
          clearTimeout(timer);
          reject(err as Error);
        },
        complete: () => {
          clearTimeout(timer);
          reject(new BypassError('ERR_STATE', 'the link source closed before its first dump'));
        },
      });
    });
  }

  /** The mirror of kernel interface `ifindex`, or undefined. */
  device(ifindex: number): LinuxNetDevice | undefined {
    return this.byKernelIndex.get(ifindex);
  }

  /** The latest kernel record of every mirrored link, by ifindex. */
  links(): LinkRecord[] {
    return [...this.byKernelIndex.values()]
      .map((d) => d.link)
      .sort((a, b) => a.ifindex - b.ifindex);
  }

  /**
   * Reads stats64 of every link now and copies them into the devices' `stats`. Returns the
   * records read (which also carry the counters).
   */
  async refreshStats(): Promise<LinkRecord[]> {
    const links = await this.source.readLinks();
    for (const l of links) {
      if (l.stats64 !== null) this.byKernelIndex.get(l.ifindex)?.applyStats(l.stats64);
    }
    return links;
  }

  /** Stops following the source, closes it, and completes {@link LinuxNetNamespace.events$}. */
  close(): void {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    this.source.close();
    this.subject.complete();
    this.syncedSubject.complete();
    this.appliedSubject.complete();
  }

  private apply(u: LinkUpdate): void {
    if (u.op === 'sync-start') {
      this.syncing = true;
      this.seen.clear();
    } else if (u.op === 'synced') {
      for (const [ifindex, dev] of [...this.byKernelIndex]) {
        if (!this.seen.has(ifindex)) this.remove(dev);
      }
      this.syncing = false;
      this.syncedOnce = true;
      this.syncedSubject.next();
    } else if (u.op === 'new') {
      this.seen.add(u.link.ifindex);
      this.upsert(u.link);
    } else {
      this.seen.delete(u.link.ifindex);
      const dev = this.byKernelIndex.get(u.link.ifindex);
      if (dev !== undefined) this.remove(dev);
    }
  }

  private upsert(link: LinkRecord): void {
    let dev = this.byKernelIndex.get(link.ifindex);
    if (dev === undefined) {
      dev = new LinuxNetDevice(this.pool, link, this.driverOf(link.name));
      this.freeName(link.name, dev);
      // Register under the kernel's ifindex: NetNamespace.register allocates its own index, but
      // a move keeps the device's index when it is free, so register in a scratch namespace first.
      const scratch = new NetNamespace('scratch');
      scratch.register(dev, link.name);
      dev.ifindex = link.ifindex;
      scratch.moveDevice(dev, this.ns, link.name);
      this.byKernelIndex.set(link.ifindex, dev);
    } else if (dev.name !== link.name) {
      this.freeName(link.name, dev);
      this.ns.renameDevice(dev, link.name);
    }
    const oldMaster = dev.master;
    if (oldMaster !== null && (oldMaster as LinuxNetDevice).link.ifindex !== link.master) {
      dev.unlinkMaster();
    }
    dev.applyLink(link);
    this.pendingMaster.delete(link.ifindex);
    if (link.master !== 0 && dev.master === null) {
      const upper = this.byKernelIndex.get(link.master);
      if (upper === undefined) this.pendingMaster.set(link.ifindex, link.master);
      else dev.linkMaster(upper);
    }
    for (const [lower, upperIndex] of [...this.pendingMaster]) {
      const low = this.byKernelIndex.get(lower);
      if (upperIndex !== link.ifindex || low === undefined) continue;
      this.pendingMaster.delete(lower);
      if (low.master === null) low.linkMaster(dev);
    }
  }

  private freeName(name: string, forDev: LinuxNetDevice): void {
    const holder = this.ns.getByName(name);
    if (holder !== undefined && holder !== forDev) {
      this.ns.renameDevice(holder, `~${holder.ifindex}`);
    }
  }

  private remove(dev: LinuxNetDevice): void {
    for (const lower of [...dev.lowers]) lower.unlinkMaster();
    dev.unlinkMaster();
    this.pendingMaster.delete(dev.link.ifindex);
    this.byKernelIndex.delete(dev.link.ifindex);
    this.ns.unregister(dev);
  }

  private publish(e: NetdevEvent): void {
    const dev = e.dev;
    const base = {
      time: this.scheduler.now(),
      phase: this.syncing ? ('sync' as const) : ('live' as const),
      type: e.type,
      ifindex: (dev as LinuxNetDevice).link.ifindex,
      name: dev.name,
    };
    let extra: Partial<LinuxLinkEvent> = {};
    if (e.type === 'changename' && e.oldName !== undefined) extra = { oldName: e.oldName };
    else if (e.type === 'changemtu' && e.oldMtu !== undefined) {
      extra = { mtu: dev.mtu, oldMtu: e.oldMtu };
    } else if (e.type === 'changeaddr' && e.oldAddress !== undefined) {
      extra = { address: dev.devAddr.toString(), oldAddress: e.oldAddress.toString() };
    } else if (e.type === 'change' && e.detail !== undefined) {
      extra =
        e.detail === 'carrier' ? { detail: 'carrier', carrier: dev.carrier } : { detail: 'flags' };
    } else if (e.type === 'changeupper' && e.upper !== undefined) {
      extra = { upper: e.upper.name, linking: e.linking === true };
    }
    this.subject.next({ ...base, ...extra } as LinuxLinkEvent);
  }
}
