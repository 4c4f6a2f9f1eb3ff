import { BypassError } from '../errors/BypassError.js';
import type { BusDevice } from '../bus/BusDevice.js';
import { DropReason } from '../packet/DropReason.js';
import type { PacketPool } from '../packet/PacketPool.js';
import { AddressList } from './AddressList.js';
import type { MacAddress } from './MacAddress.js';
import { macIndexKey } from './macIndexKey.js';
import { ARPHRD, IFF, NETIF_F, PRIV_FLAG } from './NetDeviceFlags.js';
import { NetDeviceStats } from './NetDeviceStats.js';
import type { NetdevEvent } from './NetdevEvent.js';
import type { NetNamespace } from './NetNamespace.js';
import { RX_HANDLER, type PacketSink, type RxHandler } from './RxHandler.js';
import { removeAt } from '../util/removeAt.js';

/**
 * Construction options of a {@link NetDevice}.
 *
 * @example
 * ```ts
 * const o: NetDeviceOptions = { pool, permAddr: MacAddress.parse('52:54:00:00:00:01'), name: 'eth%d' };
 * ```
 */
export interface NetDeviceOptions {
  /** The packet pool the device's frames live in. */
  pool: PacketPool;
  /** Permanent hardware address (`perm_addr`); the current address starts equal to it. */
  permAddr: MacAddress;
  /** Requested name or `%d` pattern; default `eth%d`. */
  name?: string;
  /** ARP hardware type; default {@link ARPHRD}.ETHER. */
  type?: number;
  /** The bus device the netdev hangs from (`dev.parent`). */
  parent?: BusDevice | null;
  /** Driver name, as `ethtool -i` shows it. */
  driver?: string;
  /** Initial MTU; default 1500. */
  mtu?: number;
  /** Smallest MTU; default 68 (Linux `ETH_MIN_MTU`). */
  minMtu?: number;
  /** Largest MTU; default 1500 (Linux `ETH_DATA_LEN`, what `ether_setup` sets). */
  maxMtu?: number;
  /** Allocated TX queues; default 1. */
  numTxQueues?: number;
  /** Allocated RX queues; default 1. */
  numRxQueues?: number;
  /** {@link NETIF_F} bits. */
  features?: number;
  /** Initial {@link PRIV_FLAG} bits. */
  privFlags?: number;
}

const MAX_RX_NESTING = 8;

/** `lowers` of a device without slaves (no array allocated per query). */
const NO_LOWERS: readonly NetDevice[] = Object.freeze([]);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A network device (Linux `struct net_device`) with the generic operations of `net/core/dev.c`:
 * open/close, MTU and address changes, carrier, promiscuity, address lists, VLAN ids, master
 * links, one rx handler slot, stats64 counters, and the two data-plane entry points
 * {@link NetDevice.xmit} and {@link NetDevice.receive}, which move bursts of frame handles.
 *
 * Drivers subclass it and implement the `ndo*` hooks (`ndoStartXmit` is required; the others
 * default to accepting the change). A hook refuses by throwing a {@link BypassError}; the
 * generic operation then leaves the device as it was.
 *
 * Ownership on the data plane follows the kernel: `xmit` always takes every frame it is given;
 * a frame it cannot send is dropped through {@link PacketPool.drop} with a reason and counted in
 * `txDropped`. Received frames go through the rx handler, then to the bound sink; with no sink
 * they are dropped and counted (`rxDropped`, or `rxNohandler` for exact delivery).
 *
 * @example
 * ```ts
 * class LoopbackNic extends NetDevice {
 *   protected override ndoStartXmit(pkts: Int32Array, start: number, count: number): number {
 *     this.stats.txPackets += count;
 *     this.receive(pkts, start, count); // echo back
 *     return count;
 *   }
 * }
 * const nic = new LoopbackNic({ pool, permAddr: MacAddress.parse('52:54:00:00:00:01') });
 * ns.register(nic);
 * nic.carrierOn();
 * nic.open();
 * ```
 */
export abstract class NetDevice {
  readonly pool: PacketPool;
  readonly type: number;
  readonly permAddr: MacAddress;
  readonly parent: BusDevice | null;
  readonly driver: string;
  readonly numTxQueues: number;
  readonly numRxQueues: number;

  /** Interface index inside its namespace; 0 before the first registration. */
  ifindex = 0;
  /**
   * When its namespace listed it (a sequence number of that namespace): `devices()` returns
   * devices in this order. Set by the namespace; drivers leave it alone.
   */
  listOrder = 0;
  /**
   * A small integer folded from the permanent address (which never changes): the namespace
   * hashes devices by it. Two addresses may share a key.
   */
  readonly permKey: number;
  /**
   * The next device in the namespace's permanent-address hash chain (Linux threads its name and
   * index hashes through `struct net_device` the same way). Set by the namespace; drivers leave
   * it alone.
   */
  permHashNext: NetDevice | null = null;
  /** Current name (a pattern until registered). */
  name: string;
  /** Current (user-changeable) address. */
  devAddr: MacAddress;
  /** The namespace the device is registered in, or null. */
  ns: NetNamespace | null = null;
  /** {@link IFF} flags (UP, PROMISC, ALLMULTI, SLAVE, MASTER...). */
  flags: number = IFF.BROADCAST | IFF.MULTICAST;
  /** {@link PRIV_FLAG} bits. */
  privFlags: number;
  /** {@link NETIF_F} bits. */
  features: number;
  mtu: number;
  minMtu: number;
  maxMtu: number;
  realNumTxQueues: number;
  realNumRxQueues: number;
  /** `__LINK_STATE_START`: set while the device is open (Linux `netif_running`). */
  running = false;
  /** Carrier (link) state; off until the driver says otherwise. */
  carrier = false;
  /** False after `detach()` (hot-unplug in progress; Linux `netif_device_present`). */
  present = true;
  /**
   * The close in progress, or null: the holds taken on it ({@link NetDevice.holdClose}), whether
   * `going-down` was delivered and holds remain, and whether an open waits for it.
   */
  private closeOp: { holds: number; held: boolean; reopen: boolean } | null = null;
  /** The upper (master) device, or null. */
  master: NetDevice | null = null;
  /** The stats64 counters the driver updates. */
  readonly stats = new NetDeviceStats();

  private lowerDevs: NetDevice[] | null = null;
  private rxHandlerFn: RxHandler | null = null;
  private rxHandlerDev: NetDevice | null = null;
  private sink: PacketSink | null = null;
  private sinkExact = false;
  private ucList: AddressList | null = null;
  private mcList: AddressList | null = null;
  private vlanRefs: Map<number, number> | null = null;
  private promiscCount = 0;
  private allmultiCount = 0;

  /**
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` for inconsistent MTU bounds or queue counts,
   * `ERR_NAME_INVALID` for an invalid name.
   */
  constructor(options: NetDeviceOptions) {
    const minMtu = options.minMtu ?? 68;
    const maxMtu = options.maxMtu ?? 1500;
    const mtu = options.mtu ?? Math.min(1500, maxMtu);
    if (!(
      Number.isInteger(minMtu) &&
      Number.isInteger(maxMtu) &&
      minMtu >= 0 &&
      minMtu <= maxMtu
    )) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `MTU bounds ${minMtu}..${maxMtu} are not an integer range`,
      );
    }
    if (!(Number.isInteger(mtu) && mtu >= minMtu && mtu <= maxMtu)) {
      throw new BypassError('ERR_MTU_RANGE', `initial MTU ${mtu} is outside ${minMtu}..${maxMtu}`);
    }
    const ntx = options.numTxQueues ?? 1;
    const nrx = options.numRxQueues ?? 1;
    if (!(
      Number.isInteger(ntx) &&
      ntx >= 1 &&
      ntx <= 4096 &&
      Number.isInteger(nrx) &&
      nrx >= 1 &&
      nrx <= 4096
    )) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `queue counts must be integers in 1..4096, got tx ${ntx} rx ${nrx}`,
      );
    }
    this.pool = options.pool;
    this.permAddr = options.permAddr;
    this.permKey = macIndexKey(options.permAddr.value);
    this.devAddr = options.permAddr;
    this.name = options.name ?? 'eth%d';
    this.type = options.type ?? ARPHRD.ETHER;
    this.parent = options.parent ?? null;
    this.driver = options.driver ?? 'generic';
    this.mtu = mtu;
    this.minMtu = minMtu;
    this.maxMtu = maxMtu;
    this.numTxQueues = ntx;
    this.numRxQueues = nrx;
    this.realNumTxQueues = ntx;
    this.realNumRxQueues = nrx;
    this.features = options.features ?? 0;
    this.privFlags = options.privFlags ?? 0;
  }

  // ---------------------------------------------------------------- derived state

  /** True while registered in a namespace. */
  get registered(): boolean {
    return this.ns !== null;
  }

  /** True when the device is administratively up (`IFF_UP`). */
  get isUp(): boolean {
    return (this.flags & IFF.UP) !== 0;
  }

  /**
   * Running and with carrier: what net_failover calls "xmit ready" (`net_failover_xmit_ready`
   * reads nothing else: a detached device stays ready until it is unregistered).
   */
  get isReady(): boolean {
    return this.running && this.carrier;
  }

  /** RFC 2863 operational state, derived from admin state, presence and carrier. */
  get operState(): 'up' | 'down' | 'lowerlayerdown' | 'notpresent' {
    if (!this.present) return 'notpresent';
    if (!this.isUp) return 'down';
    return this.carrier ? 'up' : 'lowerlayerdown';
  }

  /** The devices enslaved to this one. */
  get lowers(): readonly NetDevice[] {
    return this.lowerDevs ?? NO_LOWERS;
  }

  /** The installed rx handler, or null. */
  get rxHandler(): RxHandler | null {
    return this.rxHandlerFn;
  }

  /** The rx handler's data device (Linux `rx_handler_data`): where `ANOTHER` delivers. */
  get rxHandlerData(): NetDevice | null {
    return this.rxHandlerDev;
  }

  /** Secondary unicast addresses (created on first use). */
  get uc(): AddressList {
    return (this.ucList ??= new AddressList());
  }

  /** Multicast addresses (created on first use). */
  get mc(): AddressList {
    return (this.mcList ??= new AddressList());
  }

  /** VLAN ids configured on the device. */
  get vlanIds(): number[] {
    return this.vlanRefs === null ? [] : [...this.vlanRefs.keys()];
  }

  /** True when VLANs are configured on the device (Linux `vlan_uses_dev`). */
  get usesVlans(): boolean {
    return this.vlanRefs !== null && this.vlanRefs.size > 0;
  }

  /** Promiscuity reference count. */
  get promiscuity(): number {
    return this.promiscCount;
  }

  /** All-multicast reference count. */
  get allmulti(): number {
    return this.allmultiCount;
  }

  // ---------------------------------------------------------------- control plane

  /**
   * Brings the device up (Linux `dev_open`): no-op when already up; `ndoOpen` may refuse.
   * Emits `up`.
   *
   * @throws {@link BypassError} `ERR_NOT_REGISTERED`, `ERR_NO_DEVICE` (detached), or the driver's refusal.
   */
  open(): void {
    this.requireRegistered('open');
    // An open while a held close waits runs once the close completes, as `dev_open` would wait
    // for the RTNL lock the blocked `dev_close` holds.
    if (this.closeOp !== null) {
      if (this.closeOp.held) this.closeOp.reopen = true;
      return;
    }
    if (this.isUp) return;
    if (!this.present) {
      throw new BypassError(
        'ERR_NO_DEVICE',
        `${this.name} is not present (hot-unplugged); it cannot be opened`,
      );
    }
    this.running = true;
    try {
      this.ndoOpen();
    } catch (err) {
      this.running = false;
      throw err;
    }
    this.flags |= IFF.UP;
    this.setRxMode(); // dev.c __dev_open: dev_set_rx_mode once IFF_UP is set
    this.emit({ type: 'up' });
  }

  /**
   * Takes the device down (Linux `dev_close`): emits `going-down`, stops, emits `down`. A
   * `going-down` listener may hold the close ({@link NetDevice.holdClose}): the device then
   * stays up and running until every hold is released, and the rest of the close happens then.
   * A close while one is in progress changes nothing (it cancels an open asked for meanwhile).
   */
  close(): void {
    if (this.closeOp !== null) {
      this.closeOp.reopen = false;
      return;
    }
    if (!this.isUp || this.ns === null) return;
    const op = { holds: 0, held: false, reopen: false };
    this.closeOp = op;
    this.emit({ type: 'going-down' });
    if (this.closeOp !== op) return; // completed during the notifications (closeNow)
    if (op.holds > 0) {
      op.held = true;
      return;
    }
    this.completeClose();
  }

  /**
   * Closes the device now, a close held by a `going-down` listener included (the holds' later
   * release does nothing): for a device that leaves its namespace, which cannot wait. Linux's
   * `unregister_netdevice` blocks in the same notifier; here the device goes at once.
   */
  closeNow(): void {
    if (this.closeOp === null) this.close();
    if (this.closeOp !== null) this.completeClose();
  }

  /**
   * For a `going-down` listener that must finish something before the device stops, as a Linux
   * `NETDEV_GOING_DOWN` notifier that blocks (hv_netvsc waits there for the host to complete the
   * switch of the datapath back to synthetic, `netvsc_switch_datapath`): until every hold is
   * released the device stays up and running, receiving and sending, and only then stops and
   * emits `down`. Returns the release function (calling it again does nothing), or null when no
   * `going-down` is being delivered.
   *
   * @example
   * ```ts
   * ns.events$.subscribe((e) => {
   *   if (e.type !== 'going-down' || e.dev !== vf) return;
   *   const release = vf.holdClose();
   *   if (release !== null) host.switchToSynthetic(() => release());
   * });
   * ```
   */
  holdClose(): (() => void) | null {
    const op = this.closeOp;
    if (op === null || op.held) return null;
    op.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      op.holds--;
      if (op.holds === 0 && op.held && this.closeOp === op) this.completeClose();
    };
  }

  /** True while a close is held by a `going-down` listener (the device is still up). */
  get closing(): boolean {
    return this.closeOp !== null && this.closeOp.held;
  }

  /** The rest of `dev_close` after the `going-down` notifications: stop, `down`. */
  private completeClose(): void {
    const reopen = this.closeOp?.reopen === true;
    this.closeOp = null;
    this.running = false;
    this.ndoStop();
    this.flags &= ~IFF.UP;
    this.emit({ type: 'down' });
    if (!reopen || this.ns === null || !this.present) return;
    try {
      this.open();
    } catch {
      // The open that waited is refused as any open would be (the driver's refusal): the device
      // stays down, as after a failed `ip link set up`; the releaser has nothing to do with it.
    }
  }

  /**
   * Changes the MTU (Linux `dev_set_mtu`). Emits `changemtu`.
   *
   * @throws {@link BypassError} `ERR_MTU_RANGE` outside `[minMtu, maxMtu]`, or the driver's refusal.
   */
  setMtu(mtu: number): void {
    if (mtu === this.mtu) return;
    if (!Number.isInteger(mtu) || mtu < this.minMtu || mtu > this.maxMtu) {
      throw new BypassError(
        'ERR_MTU_RANGE',
        `MTU ${mtu} is outside ${this.name}'s range ${this.minMtu}..${this.maxMtu}; pick a value inside it`,
      );
    }
    if (!this.present) throw new BypassError('ERR_NO_DEVICE', `${this.name} is not present`);
    const oldMtu = this.mtu;
    this.ndoChangeMtu(mtu);
    this.mtu = mtu;
    this.emit({ type: 'changemtu', oldMtu });
  }

  /**
   * Changes the current address (Linux `dev_set_mac_address`); the permanent address never
   * changes. Emits `changeaddr`.
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` for a multicast or zero address, or the
   * driver's refusal (`ERR_NOT_SUPPORTED`).
   */
  setMacAddress(mac: MacAddress): void {
    if (!mac.isValidUnicast) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `${mac.toString()} is not a valid unicast address for ${this.name}`,
      );
    }
    if (mac.equals(this.devAddr)) return;
    if (!this.present) throw new BypassError('ERR_NO_DEVICE', `${this.name} is not present`);
    const oldAddress = this.devAddr;
    this.ndoSetMacAddress(mac);
    this.devAddr = mac;
    this.emit({ type: 'changeaddr', oldAddress });
  }

  /**
   * Renames the device (Linux `dev_change_name`). Emits `changename`.
   *
   * @throws {@link BypassError} `ERR_NOT_REGISTERED`, `ERR_NAME_INVALID`, `ERR_NAME_EXISTS`, or
   * `ERR_BUSY` when the device is up and does not allow live renames.
   */
  rename(newName: string): void {
    this.requireRegistered('rename').renameDevice(this, newName);
  }

  /** Carrier on (Linux `netif_carrier_on`); emits `change` when it changed. */
  carrierOn(): void {
    if (this.carrier) return;
    this.carrier = true;
    this.flags |= IFF.LOWER_UP;
    this.emit({ type: 'change', detail: 'carrier' });
  }

  /** Carrier off (Linux `netif_carrier_off`); emits `change` when it changed. */
  carrierOff(): void {
    if (!this.carrier) return;
    this.carrier = false;
    this.flags &= ~IFF.LOWER_UP;
    this.emit({ type: 'change', detail: 'carrier' });
  }

  /**
   * Marks the device as gone (Linux `netif_device_detach`): TX drops until `attach` (counted as
   * `no-device`; Linux stops the queues instead). Emits `change` (detail `presence`) for
   * watchers of the operational state. A bypass master keeps sending to a detached slave, as
   * net_failover does (its readiness reads running and carrier only), until the slave is
   * unregistered.
   */
  detach(): void {
    if (!this.present) return;
    this.present = false;
    this.emit({ type: 'change', detail: 'presence' });
  }

  /** Marks a detached device present again (Linux `netif_device_attach`); emits `change`. */
  attach(): void {
    if (this.present) return;
    this.present = true;
    this.emit({ type: 'change', detail: 'presence' });
  }

  /**
   * Adds `inc` (may be negative) to the promiscuity count (Linux `dev_set_promiscuity`); the
   * PROMISC flag follows the count. Emits `change` (flags) and, on a flip, calls `ndoSetRxMode`
   * while the device is up.
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` when the count would become negative.
   */
  setPromiscuity(inc: number): void {
    this.promiscCount = this.adjustCount(this.promiscCount, inc, 'promiscuity');
    this.applyFlag(IFF.PROMISC, this.promiscCount > 0);
  }

  /**
   * Adds `inc` to the all-multicast count (Linux `dev_set_allmulti`).
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` when the count would become negative.
   */
  setAllmulti(inc: number): void {
    this.allmultiCount = this.adjustCount(this.allmultiCount, inc, 'allmulti');
    this.applyFlag(IFF.ALLMULTI, this.allmultiCount > 0);
  }

  /** Adds a secondary unicast address and refreshes the RX filter. */
  addUnicastAddress(mac: MacAddress): void {
    if (this.uc.add(mac.value)) this.setRxMode();
  }

  /** Removes a secondary unicast address. */
  removeUnicastAddress(mac: MacAddress): void {
    if (this.ucList?.remove(mac.value) === true) this.setRxMode();
  }

  /**
   * Joins a multicast group address.
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` for a non-multicast address.
   */
  addMulticastAddress(mac: MacAddress): void {
    if (!mac.isMulticast) {
      throw new BypassError('ERR_INVALID_ARGUMENT', `${mac.toString()} is not a multicast address`);
    }
    if (this.mc.add(mac.value)) this.setRxMode();
  }

  /** Leaves a multicast group address. */
  removeMulticastAddress(mac: MacAddress): void {
    if (this.mcList?.remove(mac.value) === true) this.setRxMode();
  }

  /**
   * Pushes this device's unicast and multicast lists to `lower` (Linux `dev_{uc,mc}_sync_multiple`).
   * The lists are always synced; `lower`'s filter is programmed only while it is up (dev.c
   * `__dev_set_rx_mode`), otherwise when it opens.
   */
  syncAddressesTo(lower: NetDevice): void {
    // A list this device never had has nothing to push: allocate neither side's list for it.
    const a = this.ucList !== null && this.ucList.syncTo(lower.uc);
    const b = this.mcList !== null && this.mcList.syncTo(lower.mc);
    if (a || b) lower.setRxMode();
  }

  /**
   * Removes from `lower` what {@link NetDevice.syncAddressesTo} pushed (Linux `dev_{uc,mc}_unsync`);
   * `lower`'s filter is programmed only while it is up, as for the sync.
   */
  unsyncAddressesFrom(lower: NetDevice): void {
    const a = this.ucList?.unsyncFrom(lower.uc) ?? false;
    const b = this.mcList?.unsyncFrom(lower.mc) ?? false;
    if (a || b) lower.setRxMode();
  }

  /**
   * Adds a reference to VLAN id `vid` (Linux `vlan_vid_add`); the driver filter hook is called
   * on the first reference.
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` outside 0..4095, `ERR_VLAN_CHALLENGED` on a
   * device that cannot carry VLANs, or the driver's refusal.
   */
  vlanVidAdd(vid: number): void {
    if (!Number.isInteger(vid) || vid < 0 || vid > 4095) {
      throw new BypassError('ERR_INVALID_ARGUMENT', `VLAN id ${vid} is outside 0..4095`);
    }
    if (this.features & NETIF_F.VLAN_CHALLENGED) {
      throw new BypassError(
        'ERR_VLAN_CHALLENGED',
        `${this.name} is VLAN challenged and cannot carry VLAN ${vid}`,
      );
    }
    this.vlanRefs ??= new Map();
    const n = this.vlanRefs.get(vid) ?? 0;
    if (n === 0) this.ndoVlanRxAddVid(vid);
    this.vlanRefs.set(vid, n + 1);
  }

  /** Drops a reference to VLAN id `vid` (Linux `vlan_vid_del`). */
  vlanVidDel(vid: number): void {
    const n = this.vlanRefs?.get(vid);
    if (n === undefined || this.vlanRefs === null) return;
    if (n > 1) {
      this.vlanRefs.set(vid, n - 1);
      return;
    }
    this.vlanRefs.delete(vid);
    this.ndoVlanRxKillVid(vid);
  }

  /**
   * Changes the feature bits (Linux `netdev_update_features`); emits `feat-change` when they
   * changed.
   */
  setFeatures(features: number): void {
    if (features === this.features) return;
    this.features = features;
    this.emit({ type: 'feat-change' });
  }

  /**
   * Sets how many TX queues are in use (Linux `netif_set_real_num_tx_queues`).
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` outside 1..numTxQueues.
   */
  setRealNumTxQueues(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > this.numTxQueues) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `${this.name} has ${this.numTxQueues} TX queues; ${n} cannot be in use`,
      );
    }
    this.realNumTxQueues = n;
  }

  /**
   * Installs the rx handler (Linux `netdev_rx_handler_register`).
   *
   * @throws {@link BypassError} `ERR_BUSY` when the device already has one (a bridge port, a bond
   * or bypass slave).
   */
  registerRxHandler(handler: RxHandler, data: NetDevice | null): void {
    if (this.rxHandlerFn !== null) {
      throw new BypassError(
        'ERR_BUSY',
        `${this.name} already has an rx handler (it is a port of another master)`,
      );
    }
    this.rxHandlerFn = handler;
    this.rxHandlerDev = data;
  }

  /** Removes the rx handler (Linux `netdev_rx_handler_unregister`). */
  unregisterRxHandler(): void {
    this.rxHandlerFn = null;
    this.rxHandlerDev = null;
  }

  /**
   * Links this device under `upper` (Linux `netdev_master_upper_dev_link`); emits `changeupper`.
   *
   * @throws {@link BypassError} `ERR_BUSY` when the device already has a master,
   * `ERR_INVALID_ARGUMENT` for a link to itself or one that would make a loop,
   * `ERR_WRONG_NAMESPACE` when the devices are in different namespaces.
   */
  linkMaster(upper: NetDevice): void {
    if (this.master !== null) {
      throw new BypassError(
        'ERR_BUSY',
        `${this.name} already has a master (${this.master.name}); release it first`,
      );
    }
    for (let d: NetDevice | null = upper; d !== null; d = d.master) {
      if (d === this) {
        throw new BypassError(
          'ERR_INVALID_ARGUMENT',
          `linking ${this.name} under ${upper.name} would make a loop`,
        );
      }
    }
    if (this.ns !== upper.ns) {
      throw new BypassError(
        'ERR_WRONG_NAMESPACE',
        `${this.name} and ${upper.name} are in different namespaces`,
      );
    }
    this.master = upper;
    // Exactly sized for the usual one or two slaves (a push onto [] reserves 17 slots).
    if (upper.lowerDevs === null) upper.lowerDevs = [this];
    else upper.lowerDevs.push(this);
    this.emitChangeUpper(upper, true);
  }

  /** Removes the master link (Linux `netdev_upper_dev_unlink`); emits `changeupper`. */
  unlinkMaster(): void {
    const upper = this.master;
    if (upper === null) return;
    this.master = null;
    const l = upper.lowerDevs;
    if (l !== null) {
      const i = l.indexOf(this);
      removeAt(l, i);
    }
    this.emitChangeUpper(upper, false);
  }

  /**
   * `changeupper` for a link or unlink (Linux `NETDEV_CHANGEUPPER`), built as one literal: it
   * is sent twice per pairing, and {@link NetDevice.emit} copies its argument into a new event.
   */
  private emitChangeUpper(upper: NetDevice, linking: boolean): void {
    const ns = this.ns;
    if (ns !== null) ns.notify({ type: 'changeupper', dev: this, ns, upper, linking });
  }

  /**
   * Binds the listener frames delivered to this device go to. `exact` = the listener is bound to
   * this very device (a packet socket bound to it), so it also receives `EXACT` deliveries.
   */
  bindSink(sink: PacketSink | null, exact = false): void {
    this.sink = sink;
    this.sinkExact = exact;
  }

  /** Counters as Linux `dev_get_stats` returns them (drivers may fold extra sources in). */
  getStats64(): NetDeviceStats {
    return this.ndoGetStats64();
  }

  // ---------------------------------------------------------------- data plane

  /**
   * Sends `pkts[start .. start+count)` on TX queue `queue` (wrapped to the queues in use). Takes
   * every frame: a device that is gone, down or (unless it has no qdisc) without carrier drops
   * them with a reason, counting `txDropped`. Returns how many the driver sent.
   */
  xmit(pkts: Int32Array, start: number, count: number, queue = 0): number {
    if (count <= 0) return 0;
    let reason = -1;
    if (!this.present) reason = DropReason.NO_DEVICE;
    else if (!this.running) reason = DropReason.DEV_DOWN;
    else if (!this.carrier && (this.privFlags & PRIV_FLAG.NO_QUEUE) === 0)
      reason = DropReason.NO_CARRIER;
    if (reason >= 0) {
      this.stats.txDropped += count;
      this.pool.drop(pkts, start, count, reason);
      return 0;
    }
    const nq = this.realNumTxQueues;
    // A negative or fractional queue number must not reach the driver as a ring index.
    const q = queue >>> 0;
    return this.ndoStartXmit(pkts, start, count, q < nq ? q : q % nq);
  }

  /**
   * Hands a received burst to the stack (Linux `netif_receive_skb` and `__netif_receive_skb_core`):
   * the rx handler first, then the bound listener. Drivers call it after counting their own RX
   * statistics.
   */
  receive(pkts: Int32Array, start: number, count: number): void {
    if (count <= 0) return;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let dev: NetDevice = this;
    for (let depth = 0; depth < MAX_RX_NESTING; depth++) {
      const handler = dev.rxHandlerFn;
      if (handler === null) break;
      const r = handler(dev, pkts, start, count);
      if (r === RX_HANDLER.CONSUMED) return;
      if (r === RX_HANDLER.EXACT) {
        dev.deliver(pkts, start, count, true);
        return;
      }
      if (r === RX_HANDLER.PASS) break;
      const next = dev.rxHandlerDev;
      if (next === null) break;
      dev = next;
    }
    dev.deliver(pkts, start, count, false);
  }

  /**
   * Delivers a burst to this device's bound listener, skipping the rx handler (the last step of
   * {@link NetDevice.receive}). `exact` = only a listener bound exactly to this device may take
   * it (Linux `RX_HANDLER_EXACT`). With no suitable listener the frames are dropped and counted.
   */
  deliver(pkts: Int32Array, start: number, count: number, exact: boolean): void {
    const sink = this.sink;
    if (sink === null || (exact && !this.sinkExact)) {
      if (exact) this.stats.rxNohandler += count;
      else this.stats.rxDropped += count;
      this.pool.drop(pkts, start, count, DropReason.RX_NOHANDLER);
      return;
    }
    const port = this.pool.port;
    const ifindex = this.ifindex;
    for (let i = start, end = start + count; i < end; i++) port[pkts[i] as number] = ifindex;
    sink(this, pkts, start, count);
  }

  // ---------------------------------------------------------------- driver hooks

  /** Driver open (Linux `ndo_open`). Throw to refuse. */
  protected ndoOpen(): void {}

  /** Driver stop (Linux `ndo_stop`). */
  protected ndoStop(): void {}

  /**
   * Driver transmit of a burst (Linux `ndo_start_xmit`, per burst). Must take every frame:
   * send it or drop it through {@link PacketPool.drop} with a counter. Returns how many it sent.
   */
  protected abstract ndoStartXmit(
    pkts: Int32Array,
    start: number,
    count: number,
    queue: number,
  ): number;

  /** Driver MTU change (Linux `ndo_change_mtu`). Throw to refuse. */
  protected ndoChangeMtu(_mtu: number): void {}

  /** Driver address change (Linux `ndo_set_mac_address`). Throw to refuse. */
  protected ndoSetMacAddress(_mac: MacAddress): void {}

  /** Driver RX filter refresh (Linux `ndo_set_rx_mode`). */
  protected ndoSetRxMode(): void {}

  /** Driver VLAN filter add (Linux `ndo_vlan_rx_add_vid`). Throw to refuse. */
  protected ndoVlanRxAddVid(_vid: number): void {}

  /** Driver VLAN filter removal (Linux `ndo_vlan_rx_kill_vid`). */
  protected ndoVlanRxKillVid(_vid: number): void {}

  /** Driver stats (Linux `ndo_get_stats64`); default: the device's own counters. */
  protected ndoGetStats64(): NetDeviceStats {
    return this.stats;
  }

  /**
   * Emits a notifier event for this device in its namespace (no-op while unregistered).
   * Drivers use it for events the generic code does not raise itself, such as `join`.
   */
  protected emit(event: Omit<NetdevEvent, 'dev' | 'ns'>): void {
    const ns = this.ns;
    if (ns === null) return;
    // Copied field by field: an object spread of the differently shaped event literals is
    // megamorphic in V8 and was the costliest line of the control-plane profile.
    const e: Mutable<NetdevEvent> = { type: event.type, dev: this, ns };
    if (event.detail !== undefined) e.detail = event.detail;
    if (event.oldName !== undefined) e.oldName = event.oldName;
    if (event.oldMtu !== undefined) e.oldMtu = event.oldMtu;
    if (event.oldAddress !== undefined) e.oldAddress = event.oldAddress;
    if (event.upper !== undefined) e.upper = event.upper;
    if (event.linking !== undefined) e.linking = event.linking;
    ns.notify(e);
  }

  private requireRegistered(what: string): NetNamespace {
    if (this.ns === null) {
      throw new BypassError(
        'ERR_NOT_REGISTERED',
        `cannot ${what} ${this.name}: register it in a namespace first`,
      );
    }
    return this.ns;
  }

  private adjustCount(current: number, inc: number, what: string): number {
    const n = current + inc;
    if (!Number.isInteger(inc) || n < 0) {
      throw new BypassError('ERR_INVALID_ARGUMENT', `${what} of ${this.name} would become ${n}`);
    }
    return n;
  }

  // net/core/dev.c __dev_set_rx_mode: "dev_open will call this function so the list will stay
  // sane": a device that is down (or not present) keeps its lists and is programmed when it opens.
  private setRxMode(): void {
    if (!this.isUp || !this.present) return;
    this.ndoSetRxMode();
  }

  private applyFlag(flag: number, on: boolean): void {
    const before = this.flags;
    this.flags = on ? this.flags | flag : this.flags & ~flag;
    if (before !== this.flags) {
      this.setRxMode();
      this.emit({ type: 'change', detail: 'flags' });
    }
  }
}
