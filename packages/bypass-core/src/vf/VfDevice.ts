import { BypassError } from '../errors/BypassError.js';
import type { BusDevice } from '../bus/BusDevice.js';
import { NetDevice, type NetDeviceOptions } from '../netdev/NetDevice.js';
import type { MacAddress } from '../netdev/MacAddress.js';
import { NetDeviceStats, STATS64_FIELDS } from '../netdev/NetDeviceStats.js';
import { DropReason } from '../packet/DropReason.js';
import { PacketRing } from '../packet/PacketRing.js';

/** Ethernet header (14) plus one VLAN tag (4): what a frame may carry beyond the MTU. */
const L2_OVERHEAD = 18;
/** Shortest frame the VF accepts: an Ethernet header (Linux `ETH_HLEN`). */
const ETH_HLEN = 14;
/** Frames handed to the stack per `receive` call (NAPI's default weight). */
const POLL_BURST = 64;
const TWO_32 = 0x1_0000_0000;

/**
 * Construction options of a {@link VfDevice}: the {@link NetDeviceOptions} it forwards (queue
 * counts excepted: `numQueues` sets both) plus the VF's own.
 *
 * @example
 * ```ts
 * const fn = new BusDevice({ id: '0002:00:02.0', bus: 'pci', pci: { address: '0002:00:02.0', virtfn: true } });
 * const o: VfDeviceOptions = { pool, permAddr: MacAddress.parse('00:15:5d:00:00:01'), parent: fn, numQueues: 8 };
 * ```
 */
export interface VfDeviceOptions extends Omit<
  NetDeviceOptions,
  'parent' | 'numTxQueues' | 'numRxQueues'
> {
  /** The PCI function the VF is (required; a non-PCI parent is refused). */
  parent: BusDevice;
  /** TX and RX queue pairs; default 4. */
  numQueues?: number;
  /** Slots per TX ring and per RX ring, a power of two; default 512. */
  ringSize?: number;
  /** Emulate 32-bit hardware counters: stats64 values are reported modulo 2^32. */
  counters32?: boolean;
  /** Zero the counters every time the device is opened (as some drivers do on down/up). */
  resetStatsOnOpen?: boolean;
  /**
   * The host set the VF's MAC (libvirt hostdev `<mac>`, `ip link set PF vf N mac`): the PF
   * refuses the guest's change away from it (ixgbe_sriov.c ixgbe_set_vf_mac_addr unless the VF is
   * trusted; igb_main.c igb_set_vf_mac_addr when the PF set it), so `setMacAddress` to any other
   * address than `permAddr` throws `ERR_REFUSED`, unless the VF is `trusted`. Default false.
   */
  adminMac?: boolean;
  /**
   * The host trusts the VF (`ip link set PF vf N trust on`): its PF accepts the guest's change
   * away from an administrative MAC (ixgbe_sriov.c `ixgbe_set_vf_mac_addr` checks `trusted`;
   * igb has no such exception). Default false.
   */
  trusted?: boolean;
  /**
   * The PF's side of a MAC change the VF's driver asked for and the PF accepted (the VF mailbox's
   * SET_MAC_ADDR): the PF moves the VF's MAC filter to `mac` (ixgbe_sriov.c `ixgbe_set_vf_mac`).
   * Called before the netdev's address changes.
   */
  onMacChange?: (mac: MacAddress) => void;
}

/**
 * The VF-specific counters of a {@link VfDevice} (what `ethtool -S` would add to stats64).
 *
 * @example
 * ```ts
 * const s: VfStats = vf.vfStats;
 * console.log(s.txRingFull, s.rxRingFull, s.ringFlushed);
 * ```
 */
export interface VfStats {
  /** Frames dropped on transmit because the TX ring had no room. */
  txRingFull: number;
  /** Frames dropped on receive because the RX ring had no room. */
  rxRingFull: number;
  /** Frames dropped because a ring was flushed (stop or hot-unplug), TX and RX together. */
  ringFlushed: number;
}

/**
 * A generic SR-IOV virtual function as a guest sees it (an mlx5 or ixgbevf VF, DPDK's "any
 * PMD"): a {@link NetDevice} on a PCI parent with one TX ring and one RX ring per queue.
 *
 * Guest side: {@link NetDevice.xmit} puts frames into the TX ring of the queue (a full ring drops
 * the rest with `ring-full`, an oversized frame, longer than `mtu + 18`, drops with
 * `mtu-exceeded`); {@link VfDevice.poll} is the NAPI step that takes frames from an RX ring and
 * hands them to the stack ({@link NetDevice.receive}) in bursts.
 *
 * Wire side (the host NIC, the simulator): {@link VfDevice.drainTx} takes what the VF sent,
 * {@link VfDevice.injectRx} puts received frames into an RX ring. {@link VfDevice.setLink}
 * drives the carrier.
 *
 * Counting: `txPackets`/`txBytes` count frames the driver accepted into a TX ring (some of them
 * may later be flushed, then also counted in `txDropped` and `ringFlushed`); `rxPackets`/`rxBytes`
 * count frames handed to the stack. Every frame the VF discards goes through
 * {@link PacketPool.drop} with a reason and a counter.
 *
 * Stop: in-flight TX frames and received-but-not-polled RX frames are freed, as
 * `drivers/net/ethernet/intel/ixgbevf/ixgbevf_main.c` `ixgbevf_down` does (clean all TX and RX
 * rings); carrier is left to {@link VfDevice.setLink}. Hot-unplug: see {@link VfDevice.hotUnplug}.
 *
 * @example
 * ```ts
 * const fn = new BusDevice({ id: '0002:00:02.0', bus: 'pci', pci: { address: '0002:00:02.0', virtfn: true } });
 * const vf = new VfDevice({ pool, permAddr: MacAddress.parse('00:15:5d:00:00:01'), parent: fn });
 * ns.register(vf);
 * vf.setLink(true);
 * vf.open();
 * vf.xmit(pkts, 0, n);                    // into TX ring 0
 * const sent = vf.drainTx(0, wire, 0, 64); // the host NIC takes them
 * vf.injectRx(0, fromWire, 0, m);         // the host NIC receives
 * vf.pollAll();                           // NAPI: to the stack
 * ```
 */
export class VfDevice extends NetDevice {
  /** Slots per ring. */
  readonly ringSize: number;
  /** True when counters are reported modulo 2^32 (emulated 32-bit hardware counters). */
  readonly counters32: boolean;
  /** The host set the VF's MAC: see {@link VfDeviceOptions.adminMac}. */
  readonly adminMac: boolean;
  /** The host trusts the VF: see {@link VfDeviceOptions.trusted}. */
  readonly trusted: boolean;
  /** True when the counters are zeroed on every open. */
  readonly resetStatsOnOpen: boolean;
  /** How the VF left, once it has: `'surprise'` or `'orderly'`; null while plugged. */
  unplugged: 'surprise' | 'orderly' | null = null;

  private readonly txRings: PacketRing[];
  private readonly rxRings: PacketRing[];
  private readonly scratch = new Int32Array(POLL_BURST);
  private readonly flushScratch = new Int32Array(POLL_BURST);
  private readonly counters: VfStats = { txRingFull: 0, rxRingFull: 0, ringFlushed: 0 };
  private stats32: NetDeviceStats | null = null;
  private readonly onMacChange: ((mac: MacAddress) => void) | null;

  /**
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` when the parent is not a PCI
   * {@link BusDevice}, the ring size is not a power of two in 2..2^24, or the queue count or MTU
   * bounds are out of range.
   */
  constructor(options: VfDeviceOptions) {
    // Duck-typed rather than instanceof: a BusDevice from another copy of the module is fine.
    const parent = options.parent as Partial<BusDevice> | null | undefined;
    if (typeof parent !== 'object' || parent === null || parent.bus !== 'pci' || !parent.pci) {
      const got =
        typeof parent === 'object' && parent !== null
          ? `a ${String(parent.bus)} device (${String(parent.id)})`
          : String(parent);
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `a VF netdev needs a PCI bus device (bus 'pci' with a PCI identity) as parent, got ${got}`,
      );
    }
    const {
      numQueues,
      ringSize,
      counters32,
      resetStatsOnOpen,
      adminMac,
      trusted,
      onMacChange,
      ...rest
    } = options;
    const nq = numQueues ?? 4;
    super({
      ...rest,
      minMtu: options.minMtu ?? 68,
      maxMtu: options.maxMtu ?? 9000,
      driver: options.driver ?? 'vf',
      numTxQueues: nq,
      numRxQueues: nq,
    });
    const size = ringSize ?? 512;
    this.ringSize = size;
    this.txRings = [];
    this.rxRings = [];
    for (let q = 0; q < nq; q++) {
      this.txRings.push(new PacketRing(size));
      this.rxRings.push(new PacketRing(size));
    }
    this.counters32 = counters32 ?? false;
    this.resetStatsOnOpen = resetStatsOnOpen ?? false;
    this.adminMac = adminMac ?? false;
    this.trusted = trusted ?? false;
    this.onMacChange = onMacChange ?? null;
  }

  /** See {@link VfDeviceOptions.adminMac}. */
  protected override ndoSetMacAddress(mac: MacAddress): void {
    if (this.adminMac && !this.trusted && !mac.equals(this.permAddr)) {
      throw new BypassError(
        'ERR_REFUSED',
        `the PF refused to change ${this.name}'s MAC to ${mac.toString()}: the host assigned ${this.permAddr.toString()} to this VF (set it on the host, trust the VF with ip link set PF vf N trust on, or keep the VF's MAC: a bond with fail_over_mac active does)`,
      );
    }
    this.onMacChange?.(mac);
  }

  /** The VF-specific counters (read-only view; zeroed by {@link VfDevice.resetStats}). */
  get vfStats(): Readonly<VfStats> {
    return this.counters;
  }

  /** Frames waiting in TX ring `queue` for the wire. */
  txPending(queue: number): number {
    return this.ring(this.txRings, queue, 'txPending').count;
  }

  /** Frames waiting in RX ring `queue` for {@link VfDevice.poll}. */
  rxPending(queue: number): number {
    return this.ring(this.rxRings, queue, 'rxPending').count;
  }

  // ---------------------------------------------------------------- wire side

  /**
   * Sets the physical link state: carrier on or off (emits `change` when it changed).
   *
   * @example
   * ```ts
   * vf.setLink(false); // the PF lost link: carrier off, the bypass master fails over
   * ```
   */
  setLink(up: boolean): void {
    if (up) this.carrierOn();
    else this.carrierOff();
  }

  /**
   * The host NIC takes up to `max` frames the VF transmitted on `queue` into `out[start..]`
   * (never past the end of `out`); returns how many. The caller owns them from then on.
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` for a queue that does not exist.
   */
  drainTx(queue: number, out: Int32Array, start: number, max: number): number {
    const ring = this.ring(this.txRings, queue, 'drainTx');
    const room = out.length - start;
    const n = max < room ? max : room;
    if (!(n > 0) || start < 0) return 0;
    return ring.dequeueBurst(out, start, n);
  }

  /**
   * TX ring `queue` as the host NIC reads it, for taking frames in place
   * ({@link PacketRing.takeInPlace}) instead of {@link VfDevice.drainTx}'s copy: what it takes
   * is the caller's from then on, as with `drainTx`. Only take from it.
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` for a queue that does not exist.
   */
  txRing(queue: number): PacketRing {
    return this.ring(this.txRings, queue, 'txRing');
  }

  /**
   * The host NIC delivers `pkts[start .. start+count)` from the wire into RX ring `queue`; the VF
   * owns every frame from then on and returns how many it queued. Dropped: everything when the
   * VF is detached (`no-device`), down (`dev-down`) or without carrier (`no-carrier`), counted in
   * `rxDropped`; frames shorter than an Ethernet header (`malformed`) or longer than `mtu + 18`
   * (`mtu-exceeded`), counted in `rxLengthErrors` and `rxErrors`; what does not fit in the ring
   * (`ring-full`), counted in `rxFifoErrors` and `rxRingFull`.
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` for a queue that does not exist or a range
   * outside `pkts` (nothing is taken then).
   */
  injectRx(queue: number, pkts: Int32Array, start: number, count: number): number {
    const ring = this.ring(this.rxRings, queue, 'injectRx');
    this.checkRange(pkts, start, count, 'injectRx');
    if (count === 0) return 0;
    let reason = -1;
    if (!this.present) reason = DropReason.NO_DEVICE;
    else if (!this.running) reason = DropReason.DEV_DOWN;
    else if (!this.carrier) reason = DropReason.NO_CARRIER;
    if (reason >= 0) {
      this.stats.rxDropped += count;
      this.pool.drop(pkts, start, count, reason);
      return 0;
    }
    const length = this.pool.length;
    const max = this.mtu + L2_OVERHEAD;
    const end = start + count;
    let queued = 0;
    let run = start;
    for (let i = start; i < end; i++) {
      const len = length[pkts[i] as number] as number;
      if (len < ETH_HLEN || len > max) {
        queued += this.enqueueRx(ring, pkts, run, i - run);
        this.stats.rxLengthErrors++;
        this.stats.rxErrors++;
        this.pool.drop(pkts, i, 1, len > max ? DropReason.MTU_EXCEEDED : DropReason.MALFORMED);
        run = i + 1;
      }
    }
    return queued + this.enqueueRx(ring, pkts, run, end - run);
  }

  // ---------------------------------------------------------------- guest side (NAPI)

  /**
   * The NAPI step of RX queue `queue`: takes up to `budget` frames from its ring, counts
   * `rxPackets`, `rxBytes` and `multicast` (group-addressed destinations), and hands them to the
   * stack in bursts of up to 64. Returns how many it delivered (0 when detached or down).
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` for a queue that does not exist.
   */
  poll(queue: number, budget = POLL_BURST): number {
    const ring = this.ring(this.rxRings, queue, 'poll');
    if (!this.present || !this.running) return 0;
    const scratch = this.scratch;
    let done = 0;
    while (done < budget) {
      const want = budget - done < POLL_BURST ? budget - done : POLL_BURST;
      const n = ring.dequeueBurst(scratch, 0, want);
      if (n === 0) break;
      this.stats.countRx(this.pool, scratch, 0, n);
      done += n;
      this.receive(scratch, 0, n);
    }
    return done;
  }

  /** {@link VfDevice.poll} on every RX queue in order, each with `budget`; returns the total. */
  pollAll(budget = POLL_BURST): number {
    let total = 0;
    const rings = this.rxRings;
    for (let q = 0; q < rings.length; q++) {
      // An empty ring polls nothing and changes nothing: skipped.
      if (!(rings[q] as PacketRing).isEmpty) total += this.poll(q, budget);
    }
    return total;
  }

  // ---------------------------------------------------------------- userspace PMD access

  /**
   * Binds the VF to a userspace poll-mode driver (DPDK over vfio-pci/uio): there is no kernel
   * netdev then, so the VF must not be registered in a namespace; the PMD's start enables it.
   *
   * @throws {@link BypassError} `ERR_BUSY` while the VF is registered as a kernel netdev,
   * `ERR_NO_DEVICE` after hot-unplug.
   *
   * @example
   * ```ts
   * vf.startPmd();                       // rte_eth_dev_start on the VF port
   * const n = vf.rxBurst(0, out, 0, 32); // rte_eth_rx_burst
   * ```
   */
  startPmd(): void {
    if (this.registered) {
      throw new BypassError(
        'ERR_BUSY',
        `${this.name} is a kernel netdev; unbind it from the kernel driver before a PMD starts it`,
      );
    }
    if (!this.present) throw new BypassError('ERR_NO_DEVICE', `${this.name} was hot-unplugged`);
    this.running = true;
  }

  /** Stops a PMD-bound VF: frames in its rings are dropped as `vf-ring-flushed` (counted). */
  stopPmd(): void {
    if (this.registered || !this.running) return;
    this.running = false;
    this.flushRings();
  }

  /**
   * DPDK `rte_eth_rx_burst` on RX ring `queue`: takes up to `max` frames into `out[start..]`
   * (never past the end of `out`), counting `rxPackets`, `rxBytes` and `multicast`; the caller
   * owns them. Returns 0 when the VF is gone or not started.
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` for a queue that does not exist.
   */
  rxBurst(queue: number, out: Int32Array, start: number, max: number): number {
    const ring = this.ring(this.rxRings, queue, 'rxBurst');
    if (!this.present || !this.running || start < 0) return 0;
    const room = out.length - start;
    const n = ring.dequeueBurst(out, start, max < room ? max : room);
    this.stats.countRx(this.pool, out, start, n);
    return n;
  }

  /**
   * DPDK `rte_eth_tx_burst` on TX ring `queue`: takes as many of `pkts[start .. start+count)` as
   * the ring has room for and returns how many, counted in `txPackets` / `txBytes`; the caller
   * keeps (and must free or retry) the rest. Returns 0 when the VF is gone or not started. The
   * link is not looked at, as mlx4/mlx5 `tx_burst` post while descriptors are free: without
   * carrier the frames taken never reach the wire, the VF loses them at once (`no-carrier`,
   * counted in `txDropped`).
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` for a queue that does not exist or a range
   * outside `pkts`.
   */
  txBurst(queue: number, pkts: Int32Array, start: number, count: number): number {
    const ring = this.ring(this.txRings, queue, 'txBurst');
    this.checkRange(pkts, start, count, 'txBurst');
    if (!this.present || !this.running) return 0;
    if (this.carrier) {
      const n = ring.enqueueBurst(pkts, start, count);
      this.stats.countTx(this.pool, pkts, start, n);
      return n;
    }
    // mlx4_rxtx.c mlx4_tx_burst: bounded by the free descriptors only; the link is down, so what
    // is posted is lost by the device instead of sent
    const free = ring.free;
    const n = count < free ? count : free;
    this.stats.countTx(this.pool, pkts, start, n);
    this.stats.txDropped += n;
    this.pool.drop(pkts, start, n, DropReason.NO_CARRIER);
    return n;
  }

  // ---------------------------------------------------------------- hot-plug and stats

  /**
   * Hot-unplugs the VF (PCI remove): detaches it (TX now drops with `no-device`), drops every
   * frame still in a TX or RX ring with `vf-ring-flushed` (counted in `ringFlushed` and in
   * `txDropped` / `rxDropped`), unregisters it from its namespace if registered (which closes it
   * and emits `going-down`, `down`, `unregister`), and marks the parent {@link BusDevice} not
   * present. Returns how many frames were flushed. A second call does nothing.
   *
   * An orderly unplug (`surprise: false`, the guest ejected the device) flushes exactly like a
   * surprise removal: the frames in the TX rings are not offered to the wire first, because
   * Linux's remove path does not drain them either (it stops the device and frees its rings:
   * `drivers/net/ethernet/intel/ixgbevf/ixgbevf_main.c` `ixgbevf_remove` -> `ixgbevf_down`).
   * The flag is recorded in {@link VfDevice.unplugged}.
   *
   * @example
   * ```ts
   * const lost = vf.hotUnplug({ surprise: true }); // frames in flight, now counted as flushed
   * ```
   */
  hotUnplug(options: { surprise?: boolean } = {}): number {
    if (this.unplugged !== null) return 0;
    this.unplugged = options.surprise === true ? 'surprise' : 'orderly';
    this.detach();
    const flushed = this.flushRings();
    const ns = this.ns;
    if (ns !== null) ns.unregister(this);
    if (this.parent !== null) this.parent.present = false;
    return flushed;
  }

  /** Zeroes the stats64 counters and the {@link VfStats} counters. */
  resetStats(): void {
    this.stats.reset();
    this.counters.txRingFull = 0;
    this.counters.rxRingFull = 0;
    this.counters.ringFlushed = 0;
  }

  // ---------------------------------------------------------------- driver hooks

  protected override ndoOpen(): void {
    if (this.resetStatsOnOpen) this.resetStats();
  }

  // drivers/net/ethernet/intel/ixgbevf/ixgbevf_main.c ixgbevf_down -> ixgbevf_clean_all_{tx,rx}_rings
  protected override ndoStop(): void {
    this.flushRings();
  }

  protected override ndoStartXmit(
    pkts: Int32Array,
    start: number,
    count: number,
    queue: number,
  ): number {
    const ring = this.txRings[queue] as PacketRing;
    const length = this.pool.length;
    const max = this.mtu + L2_OVERHEAD;
    const end = start + count;
    let sent = 0;
    let run = start;
    for (let i = start; i < end; i++) {
      const len = length[pkts[i] as number] as number;
      if (len < ETH_HLEN || len > max) {
        sent += this.enqueueTx(ring, pkts, run, i - run);
        this.stats.txErrors++;
        this.pool.drop(pkts, i, 1, len > max ? DropReason.MTU_EXCEEDED : DropReason.MALFORMED);
        run = i + 1;
      }
    }
    return sent + this.enqueueTx(ring, pkts, run, end - run);
  }

  protected override ndoGetStats64(): NetDeviceStats {
    if (!this.counters32) return this.stats;
    const out = (this.stats32 ??= new NetDeviceStats());
    const s = this.stats;
    for (const f of STATS64_FIELDS) out[f] = s[f] % TWO_32;
    return out;
  }

  // ---------------------------------------------------------------- internals

  private enqueueTx(ring: PacketRing, pkts: Int32Array, start: number, count: number): number {
    if (count <= 0) return 0;
    const n = ring.enqueueBurst(pkts, start, count);
    this.stats.countTx(this.pool, pkts, start, n);
    const rest = count - n;
    if (rest > 0) {
      this.stats.txDropped += rest;
      this.counters.txRingFull += rest;
      this.pool.drop(pkts, start + n, rest, DropReason.RING_FULL);
    }
    return n;
  }

  private enqueueRx(ring: PacketRing, pkts: Int32Array, start: number, count: number): number {
    if (count <= 0) return 0;
    const n = ring.enqueueBurst(pkts, start, count);
    const rest = count - n;
    if (rest > 0) {
      this.stats.rxFifoErrors += rest;
      this.counters.rxRingFull += rest;
      this.pool.drop(pkts, start + n, rest, DropReason.RING_FULL);
    }
    return n;
  }

  private flushRings(): number {
    const tx = this.flush(this.txRings);
    const rx = this.flush(this.rxRings);
    this.stats.txDropped += tx;
    this.stats.rxDropped += rx;
    this.counters.ringFlushed += tx + rx;
    return tx + rx;
  }

  private flush(rings: PacketRing[]): number {
    // Its own scratch: a stop may happen while poll's burst is being delivered.
    const scratch = this.flushScratch;
    let total = 0;
    for (const ring of rings) {
      for (;;) {
        const n = ring.dequeueBurst(scratch, 0, scratch.length);
        if (n === 0) break;
        this.pool.drop(scratch, 0, n, DropReason.VF_RING_FLUSHED);
        total += n;
      }
    }
    return total;
  }

  private ring(rings: PacketRing[], queue: number, what: string): PacketRing {
    const r = Number.isInteger(queue) ? rings[queue] : undefined;
    if (r === undefined) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `${what}: ${this.name} has queues 0..${rings.length - 1}, not ${queue}`,
      );
    }
    return r;
  }

  private checkRange(pkts: Int32Array, start: number, count: number, what: string): void {
    if (
      !(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0) ||
      start + count > pkts.length
    ) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `${what}: range ${start}+${count} is outside the ${pkts.length}-handle array`,
      );
    }
  }
}
