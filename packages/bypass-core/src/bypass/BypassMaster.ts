import { EventEmitter } from 'eventemitter3';
import { BehaviorSubject, type Observable } from 'rxjs';
import { BypassError, isBypassError } from '../errors/BypassError.js';
import { NetDevice } from '../netdev/NetDevice.js';
import { NETIF_F, PRIV_FLAG } from '../netdev/NetDeviceFlags.js';
import { NetDeviceStats } from '../netdev/NetDeviceStats.js';
import type { NetNamespace } from '../netdev/NetNamespace.js';
import { RX_HANDLER, type RxHandlerResult } from '../netdev/RxHandler.js';
import { DropReason } from '../packet/DropReason.js';
import type { BypassInstance } from './BypassInstance.js';
import type { BypassOps } from './BypassOps.js';
import {
  BypassPolicy,
  DatapathPath,
  datapathName,
  type DatapathPathValue,
} from './BypassPolicy.js';
import type { BypassRegistry } from './BypassRegistry.js';
import { SlaveStatsFolder } from './SlaveStatsFolder.js';

/**
 * The role of a bypass slave: `active` (the VF; mainline "primary") or `backup` (the paravirtual
 * NIC; mainline "standby").
 *
 * @example
 * ```ts
 * master.events.on('slave-joined', (slave, role: BypassRole) => console.log(slave.name, role));
 * ```
 */
export type BypassRole = 'active' | 'backup';

/**
 * Typed callbacks of a {@link BypassMaster} (eventemitter3).
 *
 * @example
 * ```ts
 * master.events.on('datapath-switched', (to, from) => console.log(`${from} -> ${to}`));
 * ```
 */
export interface BypassMasterEvents {
  /** The unicast TX path changed (`'active' | 'backup' | 'none'`). */
  'datapath-switched': [to: 'none' | 'active' | 'backup', from: 'none' | 'active' | 'backup'];
  /** A slave was registered into a slot. */
  'slave-joined': [slave: NetDevice, role: BypassRole];
  /** A slave left its slot. */
  'slave-left': [slave: NetDevice, role: BypassRole];
}

/**
 * Options of {@link BypassMaster.create}.
 *
 * @example
 * ```ts
 * const o: BypassMasterOptions = { registry, backup: virtioNetdev, ns, name: 'ens10', multicastViaBackup: false };
 * ```
 */
export interface BypassMasterOptions {
  registry: BypassRegistry;
  /** The paravirtual netdev that will be the backup (registered already or not yet). */
  backup: NetDevice;
  /** Namespace of the master; default the backup's (required when the backup is not registered yet). */
  ns?: NetNamespace;
  /** Name or pattern of the master netdev; default `eth%d`. */
  name?: string;
  /** Seed RFC v2 variant: multicast/broadcast over the backup. */
  multicastViaBackup?: boolean;
  /** Queues of the master; default 16 as net_failover allocates. */
  numQueues?: number;
}

const MASTER_QUEUES = 16;
/** `alloc_etherdev`'s MTU (`ETH_DATA_LEN`). */
const ETH_DATA_LEN = 1500;

/** Group frames follow unicast (the merged net_failover). */
const UNICAST_PATH_FOR_ALL = new BypassPolicy();
/** Group frames on the backup (the RFC v2 variant). */
const GROUP_VIA_BACKUP = new BypassPolicy({ multicastViaBackup: true });

/**
 * The 3-netdev bypass master (Linux `drivers/net/net_failover.c`; the seed's "bypass" netdev):
 * the device applications use, with two slave slots, the backup (the paravirtual NIC it was
 * created from: same parent device) and the active (any other same-MAC device; it must be PCI).
 *
 * Behaviour, as in net_failover:
 * - created from the backup: same namespace and parent, the backup's MAC and MTU bounds, MTU
 *   1500 (not the backup's: a backup with a larger MTU is brought down to 1500 when it joins,
 *   and a backup whose largest MTU is below 1500 cannot join: `register-failed`),
 *   16 queues, the offloads net_failover switches on (SG, HW_CSUM, TSO, TSO6, CTAG) and never
 *   VLAN challenged, carrier off; then registered with the {@link BypassRegistry}, whose scan
 *   enslaves same-MAC devices already present;
 * - a slave joining: MTU set to the master's (failure refuses it), opened if the master runs
 *   (a busy device is tolerated: its rename will open it), address lists and VLANs synced
 *   (failure rolls back), stats snapshot taken, an active's MTU bounds become the master's;
 * - carrier = active ready OR backup ready (ready = running and carrier: a detached slave is
 *   still ready, as in `net_failover_xmit_ready`);
 * - TX: the active if ready, else the backup if ready, else dropped and counted in `txDropped`
 *   (reason `no-path-ready`); with `multicastViaBackup`, group frames prefer the backup. The
 *   policy decides at each state change (Linux decides per packet; the outcome is the same
 *   because every readiness change is a notifier event), and a burst reads the decision;
 * - RX: a frame on the backup while an active exists is delivered only to listeners bound exactly
 *   to the backup; everything else is delivered as received on the master;
 * - MTU change: active first, then backup, rolling the active back if the backup refuses;
 * - open: active then backup, closing the active if the backup fails; close: both;
 * - stats: folded from the slaves, surviving removal and counter resets, never decreasing.
 *
 * Deliberate differences from Linux (each has a test):
 * - Linux leaves the master's carrier as it was when a slave is removed and when the master is
 *   closed (a stale carrier); here the carrier is recomputed on slave removal, forced off on
 *   close, and recomputed when a slave joins.
 * - Linux's pre-register check for VLAN-challenged slaves looks at the master's features (so it
 *   never fires); here the slave's features are checked: a VLAN-challenged slave is refused while
 *   VLANs are configured on the master.
 * - Linux loses the master's counter history when a slave leaves or both stop being ready:
 *   `net_failover_slave_unregister` and `net_failover_slave_link_change` read the master's stats
 *   into the very accumulator `net_failover_get_stats` starts from, and `dev_get_stats` zeroes
 *   its destination first; here the totals keep everything the slaves carried while enslaved.
 *
 * @example
 * ```ts
 * const registry = new BypassRegistry();
 * const master = BypassMaster.create({ registry, backup: virtio, ns, name: 'ens10' });
 * ns.register(virtio, 'ens10nsby');  // enslaved as backup by its own register event
 * ns.register(vf, 'ens11');          // same MAC, PCI parent: enslaved as active
 * master.open();
 * master.xmit(pkts, 0, 32);          // goes out on the VF while it is ready
 * ```
 */
export class BypassMaster extends NetDevice {
  readonly policy: BypassPolicy;
  private readonly registry: BypassRegistry;
  private instance: BypassInstance | null = null;
  private activeDev: NetDevice | null = null;
  private backupDev: NetDevice | null = null;
  /** Where unicast and group frames go, as the policy decided at the last state change. */
  private txUnicast: NetDevice | null = null;
  private txGroup: NetDevice | null = null;
  private readonly folder = new SlaveStatsFolder();
  /** What `getStats64` returns, allocated on the first query. */
  private total: NetDeviceStats | null = null;
  /** The unicast TX path as last published. */
  private path: DatapathPathValue = DatapathPath.NONE;
  // The emitter and the subject are created on first use: most masters are never watched, and
  // they were a third of an idle master's memory and of its creation cost.
  private emitter: EventEmitter<BypassMasterEvents> | null = null;
  private path$: BehaviorSubject<DatapathPathValue> | null = null;
  private pathObservable: Observable<DatapathPathValue> | null = null;
  /** Partition scratch of the multicast-via-backup variant, allocated on its first use. */
  private scratch: Int32Array | null = null;
  private destroyed = false;

  /** Typed callbacks: `datapath-switched`, `slave-joined`, `slave-left`. */
  get events(): EventEmitter<BypassMasterEvents> {
    return (this.emitter ??= new EventEmitter<BypassMasterEvents>());
  }

  /** The unicast TX path after every change (a BehaviorSubject: subscribers get the current one). */
  get datapath$(): Observable<DatapathPathValue> {
    if (this.pathObservable === null) {
      const subject = new BehaviorSubject<DatapathPathValue>(this.path);
      if (this.destroyed) subject.complete();
      this.path$ = subject;
      this.pathObservable = subject.asObservable();
    }
    return this.pathObservable;
  }

  /**
   * Creates the master netdev from its backup, registers it in the namespace and as a bypass
   * master (Linux `net_failover_create`).
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` when no namespace is known,
   * `ERR_NAME_EXISTS` / `ERR_NAME_INVALID` for the name, `ERR_NOT_ETHERNET` for a non-Ethernet
   * backup.
   */
  static create(options: BypassMasterOptions): BypassMaster {
    const ns = options.ns ?? options.backup.ns;
    if (ns === null) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `the backup ${options.backup.name} is not registered yet: pass the namespace in options.ns`,
      );
    }
    const master = new BypassMaster(options);
    ns.register(master, options.name);
    try {
      master.instance = options.registry.register(master, BypassMaster.OPS);
    } catch (err) {
      ns.unregister(master);
      throw err;
    }
    return master;
  }

  private constructor(options: BypassMasterOptions) {
    const b = options.backup;
    const queues = options.numQueues ?? MASTER_QUEUES;
    super({
      pool: b.pool,
      permAddr: b.permAddr,
      name: options.name ?? 'eth%d',
      type: b.type,
      parent: b.parent,
      driver: 'net_failover',
      // Validated against the standby's bounds here; set to 1500 below whatever they are.
      mtu: Math.min(ETH_DATA_LEN, b.maxMtu),
      minMtu: b.minMtu,
      maxMtu: b.maxMtu,
      numTxQueues: queues,
      numRxQueues: queues,
      // net_failover_create: hw_features (FAILOVER_VLAN_FEATURES, reduced to the bits modelled,
      // and the CTAG offloads) all switched on, plus NETNS_LOCAL and LLTX.
      features:
        NETIF_F.NETNS_LOCAL |
        NETIF_F.LLTX |
        NETIF_F.SG |
        NETIF_F.HW_CSUM |
        NETIF_F.TSO |
        NETIF_F.TSO6 |
        NETIF_F.HW_VLAN_CTAG_TX |
        NETIF_F.HW_VLAN_CTAG_RX |
        NETIF_F.HW_VLAN_CTAG_FILTER,
      privFlags: PRIV_FLAG.NO_QUEUE | PRIV_FLAG.UNICAST_FLT,
    });
    // drivers/net/net_failover.c net_failover_create: the MTU is alloc_etherdev's 1500 and only
    // min/max_mtu come from the standby; net/core/dev.c register_netdevice checks neither (as of
    // 6.18). A standby whose max_mtu is below 1500 then fails net_failover_slave_register's
    // dev_set_mtu(standby, 1500) and is not enslaved.
    this.mtu = ETH_DATA_LEN;
    this.devAddr = b.devAddr;
    this.registry = options.registry;
    // Policies hold no state: masters share the two there are.
    this.policy = options.multicastViaBackup === true ? GROUP_VIA_BACKUP : UNICAST_PATH_FOR_ALL;
  }

  /** The active (VF) slave, or null. */
  get active(): NetDevice | null {
    return this.activeDev;
  }

  /** The backup (paravirtual) slave, or null. */
  get backup(): NetDevice | null {
    return this.backupDev;
  }

  /** The path unicast frames take right now. */
  get datapath(): 'none' | 'active' | 'backup' {
    return datapathName(this.currentPath());
  }

  /** The registry instance, null after {@link BypassMaster.destroy}. */
  get bypassInstance(): BypassInstance | null {
    return this.instance;
  }

  /**
   * Releases both slaves, unregisters the bypass instance and the master netdev (Linux
   * `net_failover_destroy`). Idempotent.
   */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.detach();
    if (this.activeDev !== null) this.registry.slaveUnregister(this.activeDev);
    if (this.backupDev !== null) this.registry.slaveUnregister(this.backupDev);
    if (this.instance !== null) this.registry.unregister(this.instance);
    this.instance = null;
    if (this.ns !== null) this.ns.unregister(this);
    this.path$?.complete();
    this.emitter?.removeAllListeners();
  }

  // ---------------------------------------------------------------- bypass ops

  /**
   * The hooks every master registers with: one table for all masters, as Linux has one
   * `net_failover_ops` (`drivers/net/net_failover.c`). The registry passes the master to each
   * hook, and the rx handler finds it as its slave's rx handler data, so no master needs hooks
   * of its own (they were a quarter of an idle master's memory).
   */
  private static readonly OPS: BypassOps = Object.freeze({
    preRegister: (slave: NetDevice, master: NetDevice) =>
      (master as BypassMaster).slavePreRegister(slave),
    register: (slave: NetDevice, master: NetDevice) =>
      (master as BypassMaster).slaveRegister(slave),
    preUnregister: (slave: NetDevice, master: NetDevice) =>
      (master as BypassMaster).roleOf(slave) === null
        ? `${slave.name} is not a slave of ${master.name}`
        : null,
    unregister: (slave: NetDevice, master: NetDevice) =>
      (master as BypassMaster).slaveUnregister(slave),
    linkChange: (slave: NetDevice, master: NetDevice) => {
      const m = master as BypassMaster;
      if (m.roleOf(slave) === null) return;
      m.updateCarrier();
      // net_failover_slave_link_change ends with net_failover_lower_state_changed.
      m.lowerStateChanged(slave);
    },
    nameChange: (slave: NetDevice, master: NetDevice) => {
      // Re-open after a udev rename: the open at register time may have failed as busy.
      if ((master as BypassMaster).roleOf(slave) !== null) tryOpen(slave);
    },
    // Installed with the master as rx handler data (Linux reads skb->dev->rx_handler_data).
    handleFrame: (slave: NetDevice, pkts: Int32Array, start: number, count: number) =>
      (slave.rxHandlerData as BypassMaster).handleFrame(slave, pkts, start, count),
  });

  private isBackupCandidate(slave: NetDevice): boolean {
    return slave.parent === this.parent;
  }

  private slavePreRegister(slave: NetDevice): string | null {
    const isBackup = this.isBackupCandidate(slave);
    const role: BypassRole = isBackup ? 'backup' : 'active';
    if ((isBackup ? this.backupDev : this.activeDev) !== null) {
      return `${slave.name} attempting to register as ${role} when ${role} already present`;
    }
    if (!isBackup && (slave.parent === null || !slave.parent.isPci)) {
      return `${slave.name} cannot be active: only a PCI device (a VF) may be the active slave`;
    }
    // Linux checks the master's features here; the slave's are the ones that matter.
    if ((slave.features & NETIF_F.VLAN_CHALLENGED) !== 0 && this.usesVlans) {
      return `${slave.name} is VLAN challenged and ${this.name} has VLANs set up`;
    }
    return null;
  }

  private slaveRegister(slave: NetDevice): void {
    const role: BypassRole = this.isBackupCandidate(slave) ? 'backup' : 'active';
    const origMtu = slave.mtu;
    slave.setMtu(this.mtu);
    if (this.running) {
      try {
        slave.open();
      } catch (err) {
        if (!isBypassError(err, 'ERR_BUSY')) {
          restoreMtu(slave, origMtu);
          throw err;
        }
      }
    }
    this.syncAddressesTo(slave);
    if (this.usesVlans) {
      const added: number[] = [];
      try {
        for (const vid of this.vlanIds) {
          slave.vlanVidAdd(vid);
          added.push(vid);
        }
      } catch (err) {
        for (const vid of added) slave.vlanVidDel(vid);
        this.unsyncAddressesFrom(slave);
        // net_failover_slave_register (err_vlan_add): closed whether or not it was up before.
        slave.close();
        restoreMtu(slave, origMtu);
        throw err;
      }
    }
    if (role === 'backup') {
      this.backupDev = slave;
    } else {
      this.activeDev = slave;
      this.minMtu = slave.minMtu;
      this.maxMtu = slave.maxMtu;
    }
    this.folder.attach(slave);
    // net_failover_slave_register: net_failover_lower_state_changed, then
    // net_failover_compute_features (netdev_change_features: NETDEV_FEAT_CHANGE), then NETDEV_JOIN.
    this.lowerStateChanged(slave);
    this.featuresRecomputed();
    if (slave.ns !== null) slave.ns.notify({ type: 'join', dev: slave, ns: slave.ns });
    this.emitter?.emit('slave-joined', slave, role);
    this.updateCarrier();
  }

  private slaveUnregister(slave: NetDevice): void {
    const role = this.roleOf(slave);
    if (role === null) return;
    if (this.usesVlans) for (const vid of this.vlanIds) slave.vlanVidDel(vid);
    this.unsyncAddressesFrom(slave);
    slave.close();
    this.folder.detach(slave);
    if (role === 'backup') {
      this.backupDev = null;
    } else {
      this.activeDev = null;
      const b = this.backupDev;
      if (b !== null) {
        this.minMtu = b.minMtu;
        this.maxMtu = b.maxMtu;
      }
    }
    // net_failover_slave_unregister ends with net_failover_compute_features.
    this.featuresRecomputed();
    this.emitter?.emit('slave-left', slave, role);
    // Linux does not recompute the carrier here (stale carrier); we do.
    this.updateCarrier();
  }

  /**
   * `changelowerstate` for a slave (drivers/net/net_failover.c net_failover_lower_state_changed):
   * link up = its carrier; TX enabled = the active runs, or for the backup: it runs and no
   * running active exists.
   */
  private lowerStateChanged(slave: NetDevice): void {
    const ns = slave.ns;
    if (ns === null) return;
    const a = this.activeDev;
    const txEnabled = slave === a ? slave.running : slave.running && !(a !== null && a.running);
    ns.notify({
      type: 'changelowerstate',
      dev: slave,
      ns,
      lowerState: { linkUp: slave.carrier, txEnabled },
    });
  }

  /**
   * net_failover_compute_features ends with netdev_change_features, which notifies
   * NETDEV_FEAT_CHANGE on the master even when nothing changed. (The sets it recomputes,
   * vlan_features and hw_enc_features from both slaves, are not modelled.)
   */
  private featuresRecomputed(): void {
    this.emit({ type: 'feat-change' });
  }

  private roleOf(slave: NetDevice): BypassRole | null {
    if (slave === this.activeDev) return 'active';
    if (slave === this.backupDev) return 'backup';
    return null;
  }

  private handleFrame(
    slave: NetDevice,
    pkts: Int32Array,
    start: number,
    count: number,
  ): RxHandlerResult {
    if (this.activeDev === null || slave !== this.backupDev) return RX_HANDLER.ANOTHER;
    if (!this.policy.multicastViaBackup) return RX_HANDLER.EXACT;
    // RFC v2 variant: group frames on the backup reach the master, unicast stays exact.
    const g = this.partitionGroupFirst(pkts, start, count);
    if (g > 0) this.receive(pkts, start, g);
    if (g < count) slave.deliver(pkts, start + g, count - g, true);
    return RX_HANDLER.CONSUMED;
  }

  // ---------------------------------------------------------------- state

  private currentPath(): DatapathPathValue {
    if (!this.running) return DatapathPath.NONE;
    const a = this.activeDev;
    const b = this.backupDev;
    return this.policy.unicastPath(a !== null && a.isReady, b !== null && b.isReady);
  }

  private updateCarrier(): void {
    const a = this.activeDev;
    const b = this.backupDev;
    const on =
      this.running && this.policy.carrier(a !== null && a.isReady, b !== null && b.isReady);
    if (on) this.carrierOn();
    else this.carrierOff();
    this.publishPath();
  }

  /**
   * Re-decides the TX routes with the shared policy. Runs on every state change that can move
   * traffic (slave joined or left, a slave's link, presence or admin state, master open/close),
   * so the data path reads one field per burst instead of re-deciding.
   */
  private reroute(): void {
    const a = this.activeDev;
    const b = this.backupDev;
    const aReady = a !== null && a.isReady;
    const bReady = b !== null && b.isReady;
    this.txUnicast = this.running ? pickPath(this.policy.unicastPath(aReady, bReady), a, b) : null;
    this.txGroup = this.running ? pickPath(this.policy.multicastPath(aReady, bReady), a, b) : null;
  }

  private publishPath(): void {
    this.reroute();
    const next = this.currentPath();
    const prev = this.path;
    if (next === prev) return;
    this.path = next;
    this.path$?.next(next);
    this.emitter?.emit('datapath-switched', datapathName(next), datapathName(prev));
  }

  /**
   * Stable in-place partition of a burst: group-addressed frames first, unicast after, each in
   * its original order (no reordering inside a flow). Returns the number of group frames. The
   * scratch array is only used inside this loop, so nested sends and receives cannot clobber it.
   */
  private partitionGroupFirst(pkts: Int32Array, start: number, count: number): number {
    let uni = this.scratch;
    if (uni === null || uni.length < count) {
      let size = uni === null ? 64 : uni.length;
      while (size < count) size *= 2;
      uni = this.scratch = new Int32Array(size);
    }
    const bytes = this.pool.bytes;
    const first = this.pool.start;
    const len = this.pool.length;
    let g = start;
    let u = 0;
    for (let i = start, end = start + count; i < end; i++) {
      const h = pkts[i] as number;
      if ((len[h] as number) >= 6 && ((bytes[first[h] as number] as number) & 1) === 1)
        pkts[g++] = h;
      else uni[u++] = h;
    }
    for (let i = 0; i < u; i++) pkts[g + i] = uni[i] as number;
    return g - start;
  }

  // ---------------------------------------------------------------- netdev ops

  protected override ndoOpen(): void {
    const a = this.activeDev;
    const b = this.backupDev;
    if (a !== null) a.open();
    if (b !== null) {
      try {
        b.open();
      } catch (err) {
        // net_failover_open (err_standby_open): the primary is closed, up before or not.
        if (a !== null) a.close();
        throw err;
      }
    }
    this.updateCarrier();
  }

  protected override ndoStop(): void {
    this.activeDev?.close();
    this.backupDev?.close();
    // Linux keeps the old carrier after close (stale carrier); we drop it.
    this.carrierOff();
    this.publishPath();
  }

  protected override ndoStartXmit(
    pkts: Int32Array,
    start: number,
    count: number,
    queue: number,
  ): number {
    if (!this.policy.multicastViaBackup)
      return this.sendOn(this.txUnicast, pkts, start, count, queue);
    const g = this.partitionGroupFirst(pkts, start, count);
    let sent = 0;
    if (g < count) sent += this.sendOn(this.txUnicast, pkts, start + g, count - g, queue);
    if (g > 0) sent += this.sendOn(this.txGroup, pkts, start, g, queue);
    return sent;
  }

  private sendOn(
    dev: NetDevice | null,
    pkts: Int32Array,
    start: number,
    count: number,
    queue: number,
  ): number {
    if (dev !== null) return dev.xmit(pkts, start, count, queue);
    this.stats.txDropped += count;
    this.pool.drop(pkts, start, count, DropReason.NO_PATH);
    return 0;
  }

  protected override ndoChangeMtu(mtu: number): void {
    const a = this.activeDev;
    const b = this.backupDev;
    const old = this.mtu;
    if (a !== null) a.setMtu(mtu);
    if (b !== null) {
      try {
        b.setMtu(mtu);
      } catch (err) {
        if (a !== null) restoreMtu(a, old);
        throw err;
      }
    }
  }

  protected override ndoSetMacAddress(): void {
    throw new BypassError(
      'ERR_NOT_SUPPORTED',
      `${this.name} takes its address from its backup; it cannot be changed`,
    );
  }

  protected override ndoSetRxMode(): void {
    if (this.activeDev !== null) this.syncAddressesTo(this.activeDev);
    if (this.backupDev !== null) this.syncAddressesTo(this.backupDev);
  }

  protected override ndoVlanRxAddVid(vid: number): void {
    const a = this.activeDev;
    const b = this.backupDev;
    if (a !== null) a.vlanVidAdd(vid);
    if (b !== null) {
      try {
        b.vlanVidAdd(vid);
      } catch (err) {
        if (a !== null) a.vlanVidDel(vid);
        throw err;
      }
    }
  }

  protected override ndoVlanRxKillVid(vid: number): void {
    this.activeDev?.vlanVidDel(vid);
    this.backupDev?.vlanVidDel(vid);
  }

  protected override ndoGetStats64(): NetDeviceStats {
    return (this.total ??= new NetDeviceStats()).copyFrom(this.folder.fold()).add(this.stats);
  }
}

/** The slave a datapath path names: the active one, the backup one, or none. */
function pickPath(
  p: DatapathPathValue,
  active: NetDevice | null,
  backup: NetDevice | null,
): NetDevice | null {
  return p === DatapathPath.ACTIVE ? active : p === DatapathPath.BACKUP ? backup : null;
}

function tryOpen(dev: NetDevice): void {
  try {
    dev.open();
  } catch {
    // Same as Linux: a failed re-open after rename is ignored; the next rename retries.
  }
}

function restoreMtu(dev: NetDevice, mtu: number): void {
  try {
    dev.setMtu(mtu);
  } catch {
    // The old MTU was valid for this device; a refusal now leaves the current one.
  }
}
