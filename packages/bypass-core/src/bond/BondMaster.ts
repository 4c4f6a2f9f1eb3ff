import { Subject, type Observable, type Subscription } from 'rxjs';
import { BypassError } from '../errors/BypassError.js';
import { MacAddress } from '../netdev/MacAddress.js';
import { NetDevice } from '../netdev/NetDevice.js';
import { IFF, PRIV_FLAG } from '../netdev/NetDeviceFlags.js';
import { NetDeviceStats, foldStats64 } from '../netdev/NetDeviceStats.js';
import type { NetdevEvent } from '../netdev/NetdevEvent.js';
import type { NetNamespace } from '../netdev/NetNamespace.js';
import { RX_HANDLER, type RxHandler } from '../netdev/RxHandler.js';
import { DropReason } from '../packet/DropReason.js';
import type { Scheduler, TimerId } from '../time/Scheduler.js';
import {
  resolveBondParams,
  type BondActiveChange,
  type BondLinkChange,
  type BondLinkState,
  type BondMasterOptions,
  type BondParams,
} from './BondOptions.js';
import { checkEnslaveable } from './BondEnslaveRules.js';
import { BondRxSync } from './BondRxSync.js';
import { findBestBondSlave, inspectBondSlaves, type BondSlave } from './BondSlave.js';

/** Where the bond's address came from (Linux `addr_assign_type`). */
type AddrOrigin = 'none' | 'stolen' | 'set';

const ETH_MAX_MTU = 65535;

/**
 * A Linux bonding master in mode active-backup with MII link monitoring (drivers/net/bonding:
 * bond_main.c, bond_options.c; Documentation/networking/bonding.rst): the pre-bypass way of
 * pairing a paravirtual NIC with its VF, which the seed's transparent-VF work replaced.
 *
 * Behaviour, as in bonding:
 * - enslave: refused for the bond itself, another namespace, an unregistered device, a master
 *   device that is not a bond, a device that already has a master or an rx handler (`ERR_BUSY`:
 *   why a bond cannot take a VF that netvsc owns, giving the seed's "one-legged bond"), a
 *   device that is up (`ERR_BUSY`; ifenslave takes it down first), a VLAN-challenged device while
 *   VLANs are set on the bond. Then: the first slave gives its address to a bond that has none;
 *   the slave's MTU becomes the bond's; with `fail_over_mac=none` its address becomes the bond's;
 *   it is opened (always: bonding opens slaves at enslave, and `open`/`close` of the bond do not
 *   touch them); VLANs are copied; rx handler and master link are installed, IFF_SLAVE set;
 *   the carrier is recomputed and an active slave chosen. Any failing step undoes the earlier ones.
 * - link monitor: every `miimon` ns (default 0: none) while the bond is up (first round at
 *   open), each slave's link (running and carrier) moves it through up / fail (`downdelay`) /
 *   down / back (`updelay`).
 *   Only this poll moves links: carrier events of the slaves are not acted on in between, so a
 *   dead active keeps receiving traffic (dropped by the slave, counted there) until the next tick.
 * - active selection (bond_find_best_slave, primary_reselect=always): the primary if its link is
 *   up, else the first slave in enslave order whose link is up, else the running slave in `back`
 *   closest to the end of its updelay (promoted at once); a slave coming up is only considered
 *   when the bond has no active slave or it is the primary.
 * - carrier (bond_set_carrier): on while some slave's link is `up`.
 * - TX: the whole burst goes to the active slave's own `xmit`, ready or not; without an active
 *   slave it is dropped with `no-path-ready`, counted in the bond's `txDropped`.
 * - RX: frames of the active slave are delivered on the bond; frames of the others only to
 *   listeners bound exactly to them (bond_should_deliver_exact_match).
 * - failover: {@link BondMaster.activeChanges$} fires; with `fail_over_mac=active` the bond takes
 *   the new active's address, with `follow` the new and old active swap addresses (see
 *   `FailOverMac`); `num_grat_arp` peer notifications follow (counted in
 *   {@link BondMaster.garpsSent}, reported to `onAnnounce`), the first at once when the bond has
 *   carrier, the others one per monitor tick.
 * - a slave unregistered from the namespace (hot-unplug, namespace move) is released at once.
 * - stats: the slaves' growth while enslaved is folded in and survives their release.
 *
 * Deliberate differences from Linux:
 * - when the last slave leaves, a bond whose address came from a slave goes back to having none
 *   (Linux picks a random address; there is no randomness here) and a configured address is kept;
 * - setting the bond's address with `fail_over_mac=active` or `follow` is refused
 *   (`ERR_NOT_SUPPORTED`); Linux reports success and ignores it;
 * - link-local frames on a backup slave are not passed up specially (Linux passes them so LLDP
 *   daemons see every port).
 *
 * Not modelled (bond_main.c, bond_options.c):
 * - modes other than active-backup, and the ARP monitor (`arp_interval`, `arp_ip_target`,
 *   `arp_validate`): links are watched by miimon only;
 * - `use_carrier=0` (link read through ethtool/MII ioctls): the link is running and carrier;
 * - `primary_reselect` `better` and `failure`, `force_primary` and slave `prio`: the primary
 *   (else the first usable slave) is always reselected;
 * - `peer_notif_delay` (peer notifications go one per tick) and `resend_igmp` (no IGMP/MLD
 *   reports after a failover: the simulated guests join no multicast group);
 * - `__LINK_STATE_LINKWATCH_PENDING` in bond_should_notify_peers: a notification is not held
 *   back while linkwatch has not yet processed the new active slave's carrier change;
 * - `all_slaves_active`: a backup slave always delivers exact matches only;
 * - features: bond_compute_features / bond_fix_features (VLAN, encapsulation and MPLS feature
 *   sets, `hard_header_len`, TSO limits taken from the slaves) are not recomputed, and slaves'
 *   NETDEV_FEAT_CHANGE is ignored;
 * - the warning at release when the slave's permanent address is still the bond's.
 *
 * @example
 * ```ts
 * const bond = new BondMaster({
 *   pool,
 *   scheduler,
 *   name: 'bond0',
 *   miimon: 100 * NS_PER_MS, // default 0: no link monitoring, as in Linux
 *   primary: 'enP2p3s0',
 * });
 * ns.register(bond);
 * bond.enslave(eth0);          // the paravirtual NIC (down), now opened by the bond
 * bond.enslave(vf);            // the VF: primary, becomes active
 * bond.open();
 * bond.activeChanges$.subscribe(({ from, to, at }) => console.log(at, from?.name, '->', to?.name));
 * bond.xmit(pkts, 0, 32);      // goes out on the VF
 * scheduler.advanceBy(100 * NS_PER_MS); // miimon round: a VF that lost its link is replaced by eth0
 * ```
 */
export class BondMaster extends NetDevice {
  /**
   * What construction adjusted (delays rounded to a multiple of miimon...) and, with
   * `fail_over_mac=follow`, a slave's refusal of an address at failover, as Linux warns.
   */
  readonly warnings: string[];
  /** The validated parameters (delays in ticks). */
  readonly params: BondParams;
  /** Peer notifications (gratuitous ARPs) sent after failovers. */
  garpsSent = 0;
  /** Every active-slave change (`NETDEV_BONDING_FAILOVER`, plus changes to and from none). */
  readonly activeChanges$: Observable<BondActiveChange>;
  /** Every committed change of a slave's link state. */
  readonly linkChanges$: Observable<BondLinkChange>;

  private readonly scheduler: Scheduler;
  private readonly onAnnounce: ((slave: NetDevice) => void) | null;
  private readonly list: BondSlave[] = [];
  private readonly bySlave = new Map<NetDevice, BondSlave>();
  private active: BondSlave | null = null;
  private primarySlave: BondSlave | null = null;
  private primaryName: string | null;
  private timer: TimerId | null = null;
  private sub: Subscription | null = null;
  private subNs: NetNamespace | null = null;
  private addrOrigin: AddrOrigin;
  private sendPeerNotif = 0;
  private readonly rx = new BondRxSync();
  private disposed = false;
  private readonly acc = new NetDeviceStats();
  private readonly out = new NetDeviceStats();
  private readonly active$ = new Subject<BondActiveChange>();
  private readonly link$ = new Subject<BondLinkChange>();

  /**
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` for invalid options (see
   * {@link resolveBondParams}), `ERR_NAME_INVALID` for an invalid name.
   */
  constructor(options: BondMasterOptions) {
    const params = resolveBondParams(options);
    super({
      pool: options.pool,
      permAddr: options.permAddr ?? MacAddress.ZERO,
      name: options.name ?? 'bond%d',
      driver: 'bonding',
      maxMtu: ETH_MAX_MTU,
      // drivers/net/bonding/bond_main.c: bond_setup (no qdisc, filters unicast itself)
      privFlags: PRIV_FLAG.BONDING | PRIV_FLAG.UNICAST_FLT | PRIV_FLAG.NO_QUEUE,
    });
    this.flags |= IFF.MASTER;
    this.params = params;
    this.warnings = [...params.warnings];
    this.primaryName = params.primary;
    this.scheduler = options.scheduler;
    this.onAnnounce = options.onAnnounce ?? null;
    this.addrOrigin = options.permAddr === undefined ? 'none' : 'set';
    this.activeChanges$ = this.active$.asObservable();
    this.linkChanges$ = this.link$.asObservable();
  }

  // ---------------------------------------------------------------- queries

  /** The active slave (`curr_active_slave`), or null. */
  get activeSlave(): NetDevice | null {
    return this.active?.dev ?? null;
  }

  /** The slaves, in enslave order. */
  get slaves(): readonly NetDevice[] {
    return this.list.map((s) => s.dev);
  }

  /** Name of the primary slave (`primary` option), or null. */
  get primary(): string | null {
    return this.primaryName;
  }

  /** Timers the bond has pending on its scheduler (the link monitor): 0 or 1. */
  get pendingTimers(): number {
    return this.timer === null ? 0 : 1;
  }

  /**
   * The link-monitor state of a slave.
   *
   * @throws {@link BypassError} `ERR_NOT_FOUND` when `dev` is not a slave of this bond.
   */
  slaveState(dev: NetDevice): BondLinkState {
    return this.requireSlave(dev).link;
  }

  /**
   * How many times the monitor declared a slave's link down (`link_failure_count`).
   *
   * @throws {@link BypassError} `ERR_NOT_FOUND` when `dev` is not a slave of this bond.
   */
  linkFailureCount(dev: NetDevice): number {
    return this.requireSlave(dev).linkFailures;
  }

  // ---------------------------------------------------------------- control plane

  /**
   * Enslaves `slave` (drivers/net/bonding/bond_main.c: bond_enslave); see the class comment for
   * the rules. Emits `join` for the slave first, as Linux does.
   *
   * @throws {@link BypassError} `ERR_STATE` (disposed), `ERR_NOT_REGISTERED`,
   * `ERR_WRONG_NAMESPACE`, `ERR_INVALID_ARGUMENT` (the bond itself), `ERR_NOT_SUPPORTED` (a
   * non-bond master), `ERR_BUSY` (has a master, an rx handler, or is up),
   * `ERR_VLAN_CHALLENGED`, `ERR_NOT_ETHERNET` (another device type), or whatever the slave
   * refused (MTU, address, open); nothing is left changed then.
   */
  enslave(slave: NetDevice): void {
    if (this.disposed) {
      throw new BypassError('ERR_STATE', `${this.name} was disposed; create a new bond`);
    }
    const ns = checkEnslaveable(this, slave, this.bySlave.has(slave));
    const p = this.params;
    // drivers/net/bonding/bond_main.c: bond_enslave
    ns.notify({ type: 'join', dev: slave, ns });
    const undo: (() => void)[] = [];
    try {
      if (this.list.length === 0 && this.addrOrigin === 'none') {
        this.setOwnAddress(slave.devAddr);
        this.addrOrigin = 'stolen';
        undo.push(() => {
          this.addrOrigin = 'none';
          this.setOwnAddress(this.permAddr);
        });
      }
      const originalMtu = slave.mtu;
      slave.setMtu(this.mtu);
      undo.push(() => slave.setMtu(originalMtu));
      const originalAddr = slave.devAddr;
      if (p.failOverMac === 'none') {
        slave.setMacAddress(this.devAddr);
        undo.push(() => slave.setMacAddress(originalAddr));
      }
      const hadBonding = (slave.privFlags & PRIV_FLAG.BONDING) !== 0;
      slave.privFlags |= PRIV_FLAG.NO_ADDRCONF;
      // bond_main.c bond_enslave err_restore_mac: cleared whatever it was before
      undo.push(() => (slave.privFlags &= ~PRIV_FLAG.NO_ADDRCONF));
      slave.open();
      undo.push(() => slave.close());
      slave.privFlags |= PRIV_FLAG.BONDING;
      undo.push(() => {
        if (!hadBonding) slave.privFlags &= ~PRIV_FLAG.BONDING;
      });
      const snap = slave.getStats64().clone();
      for (const vid of this.vlanIds) {
        slave.vlanVidAdd(vid);
        undo.push(() => slave.vlanVidDel(vid));
      }
      slave.registerRxHandler(this.handleFrame, this);
      undo.push(() => slave.unregisterRxHandler());
      slave.linkMaster(this);
      slave.flags |= IFF.SLAVE;

      let link: BondLinkState = 'up';
      let delay = 0;
      if (p.miimon > 0) {
        if (!(slave.running && slave.carrier)) link = 'down';
        else if (p.updelayTicks > 0) {
          link = 'back';
          delay = p.updelayTicks;
        }
      }
      const s: BondSlave = {
        dev: slave,
        link,
        proposed: null,
        delay,
        linkFailures: 0,
        originalMtu,
        originalAddr,
        hadBonding,
        snap,
      };
      this.list.push(s);
      this.bySlave.set(slave, s);
      if (this.primaryName !== null && slave.name === this.primaryName) this.primarySlave = s;
    } catch (err) {
      for (let i = undo.length - 1; i >= 0; i--) {
        try {
          (undo[i] as () => void)();
        } catch {
          // best effort, as bond_enslave's error path ignores failures while undoing
        }
      }
      throw err;
    }
    this.subscribe(ns);
    this.setCarrier();
    this.selectActive();
  }

  /**
   * Releases `slave` (drivers/net/bonding/bond_main.c: __bond_release_one): rx handler and
   * master link removed, VLANs and address lists withdrawn, closed, address and MTU restored.
   * When it was the active slave a new one is selected at once.
   *
   * @throws {@link BypassError} `ERR_NOT_FOUND` when it is not a slave of this bond.
   */
  release(slave: NetDevice): void {
    this.releaseOne(this.requireSlave(slave), false);
  }

  /**
   * Sets (or with null clears) the primary slave by name (bond_options.c:
   * bond_option_primary_set) and reselects the active slave.
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` for an empty name.
   */
  setPrimary(name: string | null): void {
    if (name !== null && (typeof name !== 'string' || name.length === 0)) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        'primary must be a slave interface name, or null for none',
      );
    }
    this.primaryName = name;
    this.primarySlave = name === null ? null : (this.list.find((s) => s.dev.name === name) ?? null);
    this.selectActive();
  }

  /**
   * Tears the bond down for good: releases every slave, stops the link monitor (no timer left on
   * the scheduler), leaves the notifier chain and completes the observables. Idempotent. The
   * bond stays registered; unregister it separately if needed.
   */
  dispose(): void {
    if (this.disposed) return;
    this.releaseAll();
    this.stopMonitor();
    this.unsubscribe();
    this.disposed = true;
    this.active$.complete();
    this.link$.complete();
  }

  // ---------------------------------------------------------------- driver hooks

  /** Starts the link monitor, first round at once (bond_main.c: bond_open). */
  protected override ndoOpen(): void {
    if (this.disposed) {
      throw new BypassError('ERR_STATE', `${this.name} was disposed; create a new bond`);
    }
    this.armMonitor(0);
  }

  /** Stops the link monitor and withdraws the address lists (bond_main.c: bond_close). */
  protected override ndoStop(): void {
    this.stopMonitor();
    this.sendPeerNotif = 0;
    this.rx.flushAddresses(this);
  }

  /** Active-backup TX (bond_main.c: bond_xmit_activebackup): all on the active slave. */
  protected override ndoStartXmit(
    pkts: Int32Array,
    start: number,
    count: number,
    queue: number,
  ): number {
    const a = this.active;
    if (a === null) {
      this.stats.txDropped += count;
      this.pool.drop(pkts, start, count, DropReason.NO_PATH);
      return 0;
    }
    return a.dev.xmit(pkts, start, count, queue);
  }

  /** MTU to every slave, undone on refusal (bond_main.c: bond_change_mtu). */
  protected override ndoChangeMtu(mtu: number): void {
    this.forAllSlaves(
      (d) => d.setMtu(mtu),
      (d, old: number) => d.setMtu(old),
      (d) => d.mtu,
    );
  }

  /**
   * Address to every slave with fail_over_mac=none, undone on refusal (bond_main.c:
   * bond_set_mac_address).
   */
  protected override ndoSetMacAddress(mac: MacAddress): void {
    if (this.params.failOverMac === 'active') {
      throw new BypassError(
        'ERR_NOT_SUPPORTED',
        `${this.name} uses fail_over_mac=active: its address follows the active slave; change the slave's address instead`,
      );
    }
    if (this.params.failOverMac === 'follow') {
      throw new BypassError(
        'ERR_NOT_SUPPORTED',
        `${this.name} uses fail_over_mac=follow: its address is handed between the slaves at failover; set it before enslaving, or use fail_over_mac=none`,
      );
    }
    this.forAllSlaves(
      (d) => d.setMacAddress(mac),
      (d, old: MacAddress) => d.setMacAddress(old),
      (d) => d.devAddr,
    );
    this.addrOrigin = 'set';
  }

  /** Address lists, promiscuity and allmulti go to the active slave only (bond_set_rx_mode). */
  protected override ndoSetRxMode(): void {
    this.rx.moveTo(this, this.active?.dev ?? null);
  }

  /** VLAN ids to every slave, undone on refusal (bond_main.c: bond_vlan_rx_add_vid). */
  protected override ndoVlanRxAddVid(vid: number): void {
    this.forAllSlaves(
      (d) => d.vlanVidAdd(vid),
      (d) => d.vlanVidDel(vid),
      () => 0,
    );
  }

  /** bond_main.c: bond_vlan_rx_kill_vid */
  protected override ndoVlanRxKillVid(vid: number): void {
    for (const s of this.list) s.dev.vlanVidDel(vid);
  }

  /** Folded slave growth plus the bond's own drops (bond_main.c: bond_get_stats). */
  protected override ndoGetStats64(): NetDeviceStats {
    for (const s of this.list) foldStats64(this.acc, s.dev.getStats64(), s.snap);
    return this.out.copyFrom(this.acc).add(this.stats);
  }

  // ---------------------------------------------------------------- internals

  /** bond_main.c: bond_handle_frame (active-backup: inactive slaves deliver exact only). */
  private readonly handleFrame: RxHandler = (dev) =>
    this.active !== null && this.active.dev === dev ? RX_HANDLER.ANOTHER : RX_HANDLER.EXACT;

  private requireSlave(dev: NetDevice): BondSlave {
    const s = this.bySlave.get(dev);
    if (s === undefined) {
      throw new BypassError('ERR_NOT_FOUND', `${dev.name} is not a slave of ${this.name}`);
    }
    return s;
  }

  /** drivers/net/bonding/bond_main.c: __bond_release_one (`all` = the bond is going away). */
  private releaseOne(s: BondSlave, all: boolean): void {
    const dev = s.dev;
    foldStats64(this.acc, dev.getStats64(), s.snap);
    dev.unregisterRxHandler();
    dev.unlinkMaster();
    dev.flags &= ~IFF.SLAVE;
    this.list.splice(this.list.indexOf(s), 1);
    this.bySlave.delete(dev);
    if (this.primarySlave === s) this.primarySlave = null;
    if (this.active === s) {
      // bond_main.c __bond_release_one: first to no active slave (no NETDEV_BONDING_FAILOVER,
      // no peer notification), then, unless the bond is going away, a fresh selection
      this.changeActive(null);
      if (!all) this.selectActive();
    }
    this.setCarrier();
    if (this.list.length === 0 && this.addrOrigin === 'stolen') {
      this.addrOrigin = this.permAddr.equals(MacAddress.ZERO) ? 'none' : 'set';
      this.setOwnAddress(this.permAddr);
    }
    for (const vid of this.vlanIds) dev.vlanVidDel(vid);
    bestEffort(() => dev.close());
    // bond_main.c __bond_release_one: IFF_NO_ADDRCONF is cleared whatever it was before enslave
    dev.privFlags &= ~PRIV_FLAG.NO_ADDRCONF;
    if (!s.hadBonding) dev.privFlags &= ~PRIV_FLAG.BONDING;
    // bond_main.c __bond_release_one: the address is restored unless fail_over_mac=active
    if (this.params.failOverMac !== 'active') bestEffort(() => dev.setMacAddress(s.originalAddr));
    bestEffort(() => dev.setMtu(s.originalMtu));
  }

  private releaseAll(): void {
    for (let i = this.list.length - 1; i >= 0; i--)
      this.releaseOne(this.list[i] as BondSlave, true);
  }

  /** Applies `apply` to every slave; on a refusal, `revert`s the ones done and rethrows. */
  private forAllSlaves<T>(
    apply: (d: NetDevice) => void,
    revert: (d: NetDevice, old: T) => void,
    save: (d: NetDevice) => T,
  ): void {
    const done: [NetDevice, T][] = [];
    try {
      for (const s of this.list) {
        const old = save(s.dev);
        apply(s.dev);
        done.push([s.dev, old]);
      }
    } catch (err) {
      for (let i = done.length - 1; i >= 0; i--) {
        const [d, old] = done[i] as [NetDevice, T];
        bestEffort(() => revert(d, old));
      }
      throw err;
    }
  }

  private setOwnAddress(mac: MacAddress): void {
    if (mac.equals(this.devAddr)) return;
    const oldAddress = this.devAddr;
    this.devAddr = mac;
    this.emit({ type: 'changeaddr', oldAddress });
  }

  /** bond_main.c: bond_set_carrier (carrier while some slave's link is up). */
  private setCarrier(): void {
    if (this.list.some((s) => s.link === 'up')) this.carrierOn();
    else this.carrierOff();
  }

  private setLink(s: BondSlave, to: BondLinkState): void {
    const from = s.link;
    if (from === to) return;
    s.link = to;
    if (!this.disposed) this.link$.next({ slave: s.dev, from, to, at: this.scheduler.now() });
  }

  /** bond_main.c: bond_select_active_slave */
  private selectActive(): void {
    const best = findBestBondSlave(this.list, this.primarySlave, this.params.updelayTicks);
    if (best === this.active) return;
    this.changeActive(best);
    this.setCarrier();
  }

  /** bond_main.c: bond_change_active_slave (active-backup) */
  private changeActive(next: BondSlave | null): void {
    const old = this.active;
    if (old === next) return;
    if (next !== null && next.link === 'back') {
      next.delay = 0;
      this.setLink(next, 'up');
    }
    this.active = next;
    this.rx.moveTo(this, next?.dev ?? null);
    if (next !== null && this.params.failOverMac === 'active') {
      // bond_main.c: bond_do_fail_over_mac (BOND_FOM_ACTIVE)
      this.setOwnAddress(next.dev.devAddr);
      this.addrOrigin = 'stolen';
    } else if (next !== null && this.params.failOverMac === 'follow') {
      this.followMac(next, old);
    }
    if (!this.disposed) {
      this.active$.next({
        from: old?.dev ?? null,
        to: next?.dev ?? null,
        at: this.scheduler.now(),
      });
    }
    if (next !== null && this.running) {
      this.sendPeerNotif = this.params.numGratArp;
      if (this.shouldNotifyPeers()) {
        this.sendPeerNotif--;
        this.announce();
      }
    }
  }

  /**
   * bond_main.c: bond_do_fail_over_mac (BOND_FOM_FOLLOW): the new active takes the old active's
   * address and the old one takes the new one's; without an old active, the slave that still
   * holds the bond's address (bond_get_old_active) is the old one, and without that either the
   * new active just takes the bond's address. A refusal is recorded in `warnings` and the rest
   * skipped, as Linux logs it and goes on.
   */
  private followMac(next: BondSlave, prev: BondSlave | null): void {
    const old =
      prev ?? this.list.find((x) => x !== next && x.dev.devAddr.equals(this.devAddr)) ?? null;
    const nextAddr = next.dev.devAddr;
    try {
      next.dev.setMacAddress(old === null ? this.devAddr : old.dev.devAddr);
    } catch (err) {
      this.warnings.push(`error setting the address of ${next.dev.name}: ${errorText(err)}`);
      return;
    }
    if (old === null) return;
    try {
      old.dev.setMacAddress(nextAddr);
    } catch (err) {
      this.warnings.push(`error setting the address of ${old.dev.name}: ${errorText(err)}`);
    }
  }

  /** bond_main.c: bond_should_notify_peers */
  private shouldNotifyPeers(): boolean {
    return this.active !== null && this.sendPeerNotif > 0 && this.carrier;
  }

  private announce(): void {
    const a = this.active;
    if (a === null) return;
    this.garpsSent++;
    if (this.onAnnounce !== null) this.onAnnounce(a.dev);
  }

  // ---------------------------------------------------------------- link monitor

  private armMonitor(delay: number): void {
    if (this.params.miimon === 0 || this.timer !== null || this.disposed || !this.running) return;
    this.timer = this.scheduler.runAfter(delay, this.tick);
  }

  private stopMonitor(): void {
    if (this.timer === null) return;
    this.scheduler.cancel(this.timer);
    this.timer = null;
  }

  /** bond_main.c: bond_mii_monitor */
  private readonly tick = (): void => {
    this.timer = null;
    let notify = false;
    if (this.list.length > 0) {
      notify = this.shouldNotifyPeers();
      const p = this.params;
      const commit = inspectBondSlaves(
        this.list,
        p.updelayTicks,
        p.downdelayTicks,
        this.active === null,
      );
      if (this.sendPeerNotif > 0) this.sendPeerNotif--;
      if (commit) this.commit();
    }
    this.armMonitor(this.params.miimon);
    if (notify) this.announce();
  };

  /** bond_main.c: bond_commit_link_state for each slave, then bond_miimon_commit. */
  private commit(): void {
    let failover = false;
    for (const s of this.list) {
      const to = s.proposed;
      if (to === null) continue;
      s.proposed = null;
      this.setLink(s, to);
      if (to === 'up') {
        if (this.active === null || s === this.primarySlave) failover = true;
      } else if (to === 'down') {
        s.linkFailures++;
        if (s === this.active) failover = true;
      }
    }
    if (failover) this.selectActive();
    this.setCarrier();
  }

  // ---------------------------------------------------------------- notifier chain

  private subscribe(ns: NetNamespace): void {
    if (this.subNs === ns) return;
    this.unsubscribe();
    this.subNs = ns;
    this.sub = ns.events$.subscribe(this.onEvent);
  }

  private unsubscribe(): void {
    this.sub?.unsubscribe();
    this.sub = null;
    this.subNs = null;
  }

  /** bond_main.c: bond_netdev_event / bond_slave_netdev_event */
  private readonly onEvent = (e: NetdevEvent): void => {
    if (e.dev === this) {
      if (e.type === 'unregister') {
        // bond_main.c: bond_uninit releases every slave
        this.releaseAll();
        this.stopMonitor();
        this.unsubscribe();
      }
      return;
    }
    const s = this.bySlave.get(e.dev);
    if (s === undefined) return;
    if (e.type === 'unregister') {
      this.releaseOne(s, false);
    } else if (e.type === 'changename' && this.primaryName !== null) {
      if (s === this.primarySlave) this.primarySlave = null;
      else if (s.dev.name === this.primaryName) this.primarySlave = s;
      else return;
      this.selectActive();
    }
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function bestEffort(fn: () => void): void {
  try {
    fn();
  } catch {
    // restoring a slave that is gone or refuses: Linux ignores these errors too
  }
}
