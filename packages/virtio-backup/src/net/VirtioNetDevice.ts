import { EventEmitter } from 'eventemitter3';
import {
  BypassError,
  BypassMaster,
  Ethernet,
  IFF,
  NETIF_F,
  NetDevice,
  PRIV_FLAG,
  type MacAddress,
  type Scheduler,
  type TimerId,
} from '@bypass/core';
import { VIRTIO_STATUS } from '../virtio/DeviceStatus.js';
import { VIRTIO_F, VIRTIO_NET_F, hasFeature } from '../virtio/VirtioFeatures.js';
import { VIRTIO_NET_S } from '../virtio/VirtioNetConfig.js';
import type { VirtioDriverCallbacks, VirtioTransport } from '../virtio/VirtioTransport.js';
import { VirtqueueDriverSide } from '../virtqueue/VirtqueueDriverSide.js';
import type { VirtqueueFault } from '../virtqueue/VirtqueueFault.js';
import { VIRTIO_DROP } from './VirtioDropReasons.js';
import { VirtioNetControlQueue } from './VirtioNetControlQueue.js';
import { VIRTIO_NET_HDR_LEN } from './VirtioNetHeader.js';
import type { VirtioNetDeviceEvents, VirtioNetDeviceOptions } from './VirtioNetDeviceOptions.js';
import { negotiateForProbe, type VirtioNetProbeResult } from './VirtioNetProbe.js';
import { VirtioNetQueuePair } from './VirtioNetQueuePair.js';
import { VirtioNetQueueStats } from './VirtioNetQueueStats.js';

/** Delay of the RX refill retry after an allocation failure (Linux `refill_work`, HZ/2). */
const REFILL_RETRY_NS = 500_000_000;
/** Linux `GOOD_PACKET_LEN`: Ethernet header + VLAN tag + 1500. */
const GOOD_PACKET_LEN = 1518;

/**
 * The virtio-net guest driver (Linux `drivers/net/virtio_net.c`) as a `NetDevice`, with the
 * BACKUP (mainline STANDBY) feature of seed 004.
 *
 * Probe ({@link VirtioNetDevice.probe}): negotiation up to FEATURES_OK, config read, one RX and one
 * TX split virtqueue per pair plus the control queue; with BACKUP the `BypassMaster` is
 * created **before** this netdev registers (so the registry enslaves it by its own register event,
 * and a VF already present was found by the master's scan) and this netdev is named
 * `<master>nsby` (phys port name `sby`); then DRIVER_OK, the queue pairs in use (MQ), and the
 * link: carrier off until config `status` says LINK_UP, or on at once without STATUS.
 *
 * Data path: TX prepends the 12-byte header in the frame's headroom and adds one descriptor per
 * frame (zero copy; the descriptor address is the byte offset in the pool), one kick per burst;
 * completed frames are freed at the next send or TX interrupt. RX buffers (one pool slot each,
 * header + 1518 bytes as Linux's small buffers, the whole slot when a config MTU above 1500 calls
 * for big buffers) are posted at open; an RX interrupt polls in bursts of 64, checks length and
 * header, and refills.
 *
 * Control: config changes (link; ANNOUNCE: a gratuitous ARP on this netdev when it has an address,
 * nothing on a failover standby, then the ack),
 * RX mode and MAC tables (CTRL_RX), VLAN filter (CTRL_VLAN), queue pairs (MQ,
 * {@link VirtioNetDevice.setQueuePairs}), MAC changes (CTRL_MAC_ADDR; refused with BACKUP).
 *
 * A device that writes an invalid used entry breaks that queue: counted, reported (`queue-broken`,
 * `needs-reset`), the queue no longer used. As in Linux the carrier stays on (a bypass master keeps
 * choosing this netdev when it has no VF) and every frame sent on a broken queue is dropped as
 * `virtio-queue-broken`, counted in `tx_fifo_errors` and `tx_dropped`.
 *
 * @example
 * ```ts
 * const backend = new VirtioNetBackend({ pool, mac, backup: true });
 * const nic = VirtioNetDevice.probe({ pool, transport: backend, ns, parent, registry, name: 'ens10' });
 * nic.name;                 // 'ens10nsby'
 * nic.bypassMaster?.name;   // 'ens10'
 * nic.bypassMaster?.open(); // opens virtio (and a VF, once one has joined)
 * ```
 */
export class VirtioNetDevice extends NetDevice {
  readonly transport: VirtioTransport;
  /** The negotiated virtio features. */
  readonly virtioFeatures: bigint;
  /**
   * True when the device offered STANDBY without MAC and the driver turned STANDBY off, as Linux
   * does with the warning "disabling standby" (`virtnet_validate`): a plain NIC, no master.
   */
  readonly standbyDisabled: boolean;
  readonly maxQueuePairs: number;
  /** Queue pairs in use. */
  curQueuePairs = 1;
  /** The 3-netdev master created at probe when BACKUP was negotiated (null after remove). */
  bypassMaster: BypassMaster | null = null;
  readonly events = new EventEmitter<VirtioNetDeviceEvents>();
  readonly queueStats: VirtioNetQueueStats;
  /**
   * True once a device fault was seen (a broken queue, or NEEDS_RESET in the device status);
   * cleared only by removing and probing again. Observation only: Linux reads neither and keeps
   * the carrier, so this changes no behaviour.
   */
  needsReset = false;
  /** True after {@link VirtioNetDevice.remove}. */
  removed = false;
  /**
   * IPv4 address of this netdev, announced by gratuitous ARP on ANNOUNCE (0: none). A standby
   * never announces it: under failover the guest's addresses are the master's.
   */
  ipv4: number;
  /** Gratuitous ARPs sent on ANNOUNCE. */
  garpSent = 0;
  /**
   * ANNOUNCE requests that sent nothing because this netdev holds no address: a failover
   * standby (the addresses are on the master) or a NIC without `ipv4`. Linux sends nothing and
   * counts nothing in that case; this counter only makes it visible.
   */
  announcesWithoutAddress = 0;

  private readonly pairs: VirtioNetQueuePair[] = [];
  private ctrl: VirtioNetControlQueue | null = null;
  private ctrlVq: VirtqueueDriverSide | null = null;
  private linkStatus = 0;
  private driverOk = false;
  private readonly rxBuffers: number;
  private readonly rxBufLen: number;
  private readonly scheduler: Scheduler | null;
  private refillTimer: TimerId = -1;
  private readonly one = new Int32Array(1);
  private readonly onFault = (f: VirtqueueFault): void => this.queueFault(f);
  private readonly callbacks: VirtioDriverCallbacks = {
    vringInterrupt: (i) => this.interrupt(i),
    configChanged: () => this.configChanged(),
  };

  /**
   * Probes a virtio-net device and registers its netdev (and, with BACKUP, the bypass master).
   *
   * @throws `BypassError` from negotiation (`ERR_NOT_SUPPORTED`, `ERR_REFUSED`,
   * `ERR_INVALID_ARGUMENT`), `ERR_INVALID_ARGUMENT` when BACKUP is negotiated without a registry,
   * or a naming error from registration; the device is left FAILED and nothing stays registered.
   */
  static probe(options: VirtioNetDeviceOptions): VirtioNetDevice {
    const t = options.transport;
    const p = negotiateForProbe(t, options.pool, options.driverFeatures, options.random ?? null);
    const backup = hasFeature(p.features, VIRTIO_NET_F.BACKUP);
    const failed = (): void => t.setStatus(t.getStatus() | VIRTIO_STATUS.FAILED);
    if (backup && options.registry === undefined) {
      failed();
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        'the device offers VIRTIO_NET_F_BACKUP: pass options.registry (the bypass registry of this kernel)',
      );
    }
    const dev = new VirtioNetDevice(options, p);
    try {
      dev.initQueues(options);
      t.bindDriver(dev.callbacks);
      if (backup && options.registry !== undefined) {
        const m = BypassMaster.create({
          registry: options.registry,
          backup: dev,
          ns: options.ns,
          name: options.name ?? 'eth%d',
          ...(options.multicastViaBackup === undefined
            ? {}
            : { multicastViaBackup: options.multicastViaBackup }),
        });
        dev.bypassMaster = m;
        // Linux names the standby through its phys_port_name "sby": <master>nsby.
        options.ns.register(dev, `${m.name}n${dev.physPortName ?? ''}`);
      } else {
        options.ns.register(dev, options.name ?? 'eth%d');
      }
    } catch (err) {
      if (dev.registered) options.ns.unregister(dev);
      dev.bypassMaster?.destroy();
      dev.bypassMaster = null;
      failed();
      t.bindDriver(null);
      dev.releaseBuffers();
      throw err;
    }
    t.setStatus(t.getStatus() | VIRTIO_STATUS.DRIVER_OK);
    dev.driverOk = true;
    // virtio_net.c virtnet_probe (mainline v6.10+ order): virtnet_set_queues right after
    // virtio_device_ready, with MQ and CTRL_VQ even for one pair; a refusal is only warned about
    // and the pairs chosen before registration stay in use.
    const want = Math.max(
      1,
      Math.floor(Math.min(dev.maxQueuePairs, options.cpus ?? dev.maxQueuePairs)),
    );
    dev.curQueuePairs = want;
    dev.setRealNumTxQueues(want);
    dev.realNumRxQueues = want;
    if (hasFeature(p.features, VIRTIO_NET_F.MQ)) dev.ctrl?.setQueuePairs(want);
    // virtnet_probe: a random MAC is pushed with MAC_ADDR_SET when CTRL_MAC_ADDR was negotiated;
    // a refusal fails the probe (unregister, destroy the failover, reset, -EINVAL).
    if (
      !p.macFromDevice &&
      hasFeature(p.features, VIRTIO_NET_F.CTRL_MAC_ADDR) &&
      dev.ctrl?.setMac(p.mac) !== true
    ) {
      options.ns.unregister(dev);
      dev.bypassMaster?.destroy();
      dev.bypassMaster = null;
      dev.driverOk = false;
      t.setStatus(0);
      failed();
      t.bindDriver(null);
      dev.releaseBuffers();
      throw new BypassError(
        'ERR_REFUSED',
        `the device refused the random MAC ${p.mac.toString()} (VIRTIO_NET_CTRL_MAC_ADDR_SET); offer VIRTIO_NET_F_MAC or accept the address`,
      );
    }
    // virtnet_probe: carrier off, then the config work decides; without STATUS the link is up.
    dev.carrierOff();
    if (hasFeature(p.features, VIRTIO_NET_F.STATUS)) dev.configChanged();
    else {
      dev.linkStatus = VIRTIO_NET_S.LINK_UP;
      dev.carrierOn();
    }
    return dev;
  }

  private constructor(options: VirtioNetDeviceOptions, p: VirtioNetProbeResult) {
    super({
      pool: options.pool,
      permAddr: p.mac,
      name: 'eth%d',
      parent: options.parent,
      driver: 'virtio_net',
      mtu: p.mtu,
      minMtu: 68,
      maxMtu: p.maxMtu,
      numTxQueues: p.maxQueuePairs,
      numRxQueues: p.maxQueuePairs,
      features: hasFeature(p.features, VIRTIO_NET_F.CTRL_VLAN) ? NETIF_F.HW_VLAN_CTAG_FILTER : 0,
      privFlags: PRIV_FLAG.UNICAST_FLT,
    });
    this.transport = options.transport;
    this.virtioFeatures = p.features;
    this.standbyDisabled = p.standbyDisabled;
    this.maxQueuePairs = p.maxQueuePairs;
    this.ipv4 = options.ipv4 ?? 0;
    this.queueStats = new VirtioNetQueueStats(p.maxQueuePairs);
    this.rxBuffers = options.rxBuffers ?? Number.MAX_SAFE_INTEGER;
    // virtio_net.c add_recvbuf_small: without mergeable or big buffers each RX buffer takes the
    // header + GOOD_PACKET_LEN; virtnet_set_big_packets switches to big buffers (here: the whole
    // pool slot) when VIRTIO_NET_F_MTU gives an MTU above 1500.
    const pool = options.pool;
    const slotCap = pool.slotSize - pool.headroom + VIRTIO_NET_HDR_LEN;
    const big = hasFeature(p.features, VIRTIO_NET_F.MTU) && p.mtu > 1500;
    this.rxBufLen = big ? slotCap : Math.min(slotCap, VIRTIO_NET_HDR_LEN + GOOD_PACKET_LEN);
    this.scheduler = options.scheduler ?? null;
    this.realNumTxQueues = 1;
    this.realNumRxQueues = 1;
  }

  /** `ndo_get_phys_port_name`: `'sby'` with BACKUP (Linux `virtnet_get_phys_port_name`), else null. */
  get physPortName(): string | null {
    return hasFeature(this.virtioFeatures, VIRTIO_NET_F.BACKUP) ? 'sby' : null;
  }

  /** The link state the device last reported (LINK_UP). */
  get linkUp(): boolean {
    return this.linkStatus !== 0;
  }

  /** RX frames dropped for being shorter than header + Ethernet header, all queues. */
  get rxLengthDrops(): number {
    return this.queueStats.rxLengthDrops.reduce((a, b) => a + b, 0);
  }

  /** RX frames dropped for a header asking for an offload that was not negotiated, all queues. */
  get rxHeaderDrops(): number {
    return this.queueStats.rxHeaderDrops.reduce((a, b) => a + b, 0);
  }

  /** The driver side of RX queue `pair` (for inspection). */
  rxQueue(pair: number): VirtqueueDriverSide | undefined {
    return this.pairs[pair]?.rx;
  }

  /** The driver side of TX queue `pair` (for inspection). */
  txQueue(pair: number): VirtqueueDriverSide | undefined {
    return this.pairs[pair]?.tx;
  }

  /** The driver side of the control queue, or null without CTRL_VQ (for inspection). */
  controlQueue(): VirtqueueDriverSide | null {
    return this.ctrlVq;
  }

  /**
   * Changes the queue pairs in use (`ethtool -L combined n`; Linux `virtnet_set_channels`).
   *
   * @throws `BypassError` `ERR_NOT_SUPPORTED` without MQ, `ERR_INVALID_ARGUMENT` outside
   * 1..maxQueuePairs, `ERR_REFUSED` when the device refuses.
   */
  setQueuePairs(n: number): void {
    if (!hasFeature(this.virtioFeatures, VIRTIO_NET_F.MQ) || this.ctrl === null) {
      throw new BypassError(
        'ERR_NOT_SUPPORTED',
        `${this.name} has no multiqueue (VIRTIO_NET_F_MQ was not negotiated)`,
      );
    }
    if (!(Number.isInteger(n) && n >= 1 && n <= this.maxQueuePairs)) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `${this.name} has 1..${this.maxQueuePairs} queue pairs, not ${n}`,
      );
    }
    if (!this.applyQueuePairs(n)) {
      throw new BypassError('ERR_REFUSED', `the device refused ${n} queue pairs on ${this.name}`);
    }
  }

  /** Counters as `ethtool -S` shows them: per queue, control queue, faults. */
  ethtoolStats(): Record<string, number> {
    const out = this.queueStats.toEthtool();
    out['ctrl_ok'] = this.ctrl?.ok ?? 0;
    out['ctrl_errors'] = this.ctrl?.errors ?? 0;
    out['ctrl_timeouts'] = this.ctrl?.timeouts ?? 0;
    out['garp_sent'] = this.garpSent;
    out['announce_no_address'] = this.announcesWithoutAddress;
    const vqs = this.pairs.flatMap((p) => [p.rx, p.tx]);
    if (this.ctrlVq !== null) vqs.push(this.ctrlVq);
    for (const vq of vqs) {
      for (const [k, v] of Object.entries(vq.faultCounts)) {
        if (v > 0) out[`vq${vq.index}_fault_${k}`] = v;
      }
    }
    return out;
  }

  /**
   * Removes the device (Linux `virtnet_remove`): unregisters this netdev (the master loses its
   * backup), destroys the bypass master (a VF is released and stays as a plain netdev), resets
   * the device, drops what was still in the TX rings (`virtio-ring-flushed`, counted in
   * `txDropped`) and frees the posted RX buffers. Idempotent.
   */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    this.cancelRefill();
    if (this.ns !== null) this.ns.unregister(this);
    this.bypassMaster?.destroy();
    this.bypassMaster = null;
    this.transport.setStatus(0);
    this.transport.bindDriver(null);
    this.driverOk = false;
    this.releaseBuffers();
  }

  /**
   * NAPI poll of RX queue `pair`: takes up to `budget` frames, delivers them in bursts of 64 and
   * refills. Returns how many were delivered. Re-entrant calls (an interrupt during delivery) are
   * folded into the running poll.
   */
  pollRx(pair: number, budget = Number.MAX_SAFE_INTEGER): number {
    return this.pairs[pair]?.poll(budget) ?? 0;
  }

  // ---------------------------------------------------------------- probe helpers

  private initQueues(options: VirtioNetDeviceOptions): void {
    const t = this.transport;
    const eventIdx = hasFeature(this.virtioFeatures, VIRTIO_F.RING_EVENT_IDX);
    const make = (index: number): VirtqueueDriverSide => {
      let size = t.queueMaxSize(index);
      if (options.queueSize !== undefined) size = Math.min(size, options.queueSize);
      if (!(size >= 1 && (size & (size - 1)) === 0)) {
        throw new BypassError(
          'ERR_NOT_SUPPORTED',
          `virtqueue ${index}: the device offers size ${size}, not a power of two >= 1`,
        );
      }
      const vq = new VirtqueueDriverSide({ index, size, eventIdx });
      vq.onFault = this.onFault;
      t.setupQueue(index, vq.ring, size);
      return vq;
    };
    for (let p = 0; p < this.maxQueuePairs; p++) {
      const rx = make(2 * p);
      const tx = make(2 * p + 1);
      const qp = new VirtioNetQueuePair(
        this,
        t,
        rx,
        tx,
        p,
        this.queueStats,
        this.rxBuffers,
        this.rxBufLen,
      );
      qp.onRefillFailed = this.scheduleRefill;
      this.pairs.push(qp);
    }
    if (hasFeature(this.virtioFeatures, VIRTIO_NET_F.CTRL_VQ)) {
      this.ctrlVq = make(2 * this.maxQueuePairs);
      this.ctrl = new VirtioNetControlQueue(this.ctrlVq, t, this.pool);
    }
  }

  // virtio_net.c _virtnet_set_queues: the command is sent for every request, unchanged or not.
  private applyQueuePairs(n: number): boolean {
    if (this.ctrl?.setQueuePairs(n) !== true) return false;
    this.curQueuePairs = n;
    this.setRealNumTxQueues(n);
    this.realNumRxQueues = n;
    if (this.running) for (let q = 0; q < n; q++) this.pairs[q]?.refill();
    return true;
  }

  // drivers/net/virtio_net.c refill_work: a failed try_fill_recv is retried later, because a
  // queue with no buffer gets no interrupt that would refill it.
  private readonly scheduleRefill = (): void => {
    const s = this.scheduler;
    if (s === null || this.refillTimer !== -1 || this.removed) return;
    this.refillTimer = s.runAfter(REFILL_RETRY_NS, () => {
      this.refillTimer = -1;
      if (!this.running || this.removed) return;
      for (let q = 0; q < this.curQueuePairs; q++) this.pairs[q]?.refill();
    });
  };

  private cancelRefill(): void {
    if (this.refillTimer === -1) return;
    this.scheduler?.cancel(this.refillTimer);
    this.refillTimer = -1;
  }

  private releaseBuffers(): void {
    const pool = this.pool;
    for (const { tx: vq } of this.pairs) {
      let n = 0;
      const s = this.one;
      for (let t; (t = vq.detachUnused()) >= 0; n++) {
        s[0] = t;
        pool.drop(s, 0, 1, VIRTIO_DROP.RING_FLUSHED);
      }
      this.stats.txDropped += n;
    }
    for (const { rx } of this.pairs) for (let t; (t = rx.detachUnused()) >= 0;) pool.free(t);
    this.ctrl?.release();
    this.ctrl = null;
  }

  // ---------------------------------------------------------------- interrupts and config

  private interrupt(index: number): void {
    if (this.removed) return;
    const pair = index >>> 1;
    if (index === 2 * this.maxQueuePairs) return; // the control queue is polled by its sender
    if ((index & 1) === 1) this.pairs[pair]?.reclaimTx();
    else if (this.running) this.pairs[pair]?.poll();
  }

  // drivers/net/virtio_net.c virtnet_config_changed_work: LINK_UP and ANNOUNCE only. NEEDS_RESET
  // is only noted here (an event); Linux does not read it.
  private configChanged(): void {
    if (this.removed) return;
    if ((this.transport.getStatus() & VIRTIO_STATUS.NEEDS_RESET) !== 0) {
      this.markNeedsReset(
        'the device set NEEDS_RESET (it found an invalid ring); remove and probe it again',
      );
    }
    if (!hasFeature(this.virtioFeatures, VIRTIO_NET_F.STATUS)) return;
    let v = this.transport.config.status;
    if ((v & VIRTIO_NET_S.ANNOUNCE) !== 0) {
      this.notifyPeers();
      this.ctrl?.ackAnnounce();
      this.events.emit('announce');
    }
    v &= VIRTIO_NET_S.LINK_UP; // unknown (future) bits are ignored
    if (v === this.linkStatus) return;
    this.linkStatus = v;
    if (v !== 0) this.carrierOn();
    else this.carrierOff();
    this.events.emit('link', v !== 0);
  }

  private notifyPeers(): void {
    // virtio_net.c virtnet_config_changed_work notifies peers on vi->dev, which under failover is
    // the standby: devinet.c inetdev_event answers NETDEV_NOTIFY_PEERS with one gratuitous ARP
    // per address of that device, and the standby has none (they live on the master; failover.c
    // failover_slave_register marks slaves IFF_NO_ADDRCONF). Nothing goes out then.
    if (this.bypassMaster !== null || this.ipv4 === 0) {
      this.announcesWithoutAddress++;
      return;
    }
    const h = this.pool.alloc();
    if (h < 0) return;
    Ethernet.writeGratuitousArp(this.pool, h, this.devAddr.value, this.ipv4);
    this.one[0] = h;
    this.garpSent++;
    this.xmit(this.one, 0, 1);
  }

  private queueFault(f: VirtqueueFault): void {
    this.events.emit('queue-broken', f);
    this.markNeedsReset(f.message);
  }

  // virtio_ring.c BAD_RING only marks the vq broken and logs: the carrier is left alone.
  private markNeedsReset(reason: string): void {
    if (this.needsReset) return;
    this.needsReset = true;
    this.events.emit('needs-reset', reason);
  }

  // ---------------------------------------------------------------- netdev ops

  protected override ndoOpen(): void {
    if (this.removed) throw new BypassError('ERR_NO_DEVICE', `${this.name} was removed`);
    for (let q = 0; q < this.curQueuePairs; q++) {
      const qp = this.pairs[q] as VirtioNetQueuePair;
      qp.refill();
      qp.poll(); // frames that arrived while down (virtnet_napi_enable schedules NAPI)
    }
  }

  protected override ndoStop(): void {
    this.cancelRefill(); // virtnet_close: cancel_delayed_work_sync(&vi->refill)
  }

  protected override ndoStartXmit(
    pkts: Int32Array,
    start: number,
    count: number,
    queue: number,
  ): number {
    return (this.pairs[queue] as VirtioNetQueuePair).xmit(pkts, start, count, this.mtu + 18);
  }

  protected override ndoSetMacAddress(mac: MacAddress): void {
    if (hasFeature(this.virtioFeatures, VIRTIO_NET_F.BACKUP)) {
      // drivers/net/virtio_net.c virtnet_set_mac_address: -EOPNOTSUPP with STANDBY.
      throw new BypassError(
        'ERR_NOT_SUPPORTED',
        `${this.name} is a virtio BACKUP (standby) device: its MAC is set by the hypervisor and cannot be changed`,
      );
    }
    if (hasFeature(this.virtioFeatures, VIRTIO_NET_F.CTRL_MAC_ADDR) && this.ctrl !== null) {
      if (!this.ctrl.setMac(mac)) {
        throw new BypassError(
          'ERR_REFUSED',
          `the device refused MAC ${mac.toString()} for ${this.name}`,
        );
      }
    }
  }

  protected override ndoSetRxMode(): void {
    const c = this.ctrl;
    if (c === null || !this.driverOk || !hasFeature(this.virtioFeatures, VIRTIO_NET_F.CTRL_RX))
      return;
    // drivers/net/virtio_net.c virtnet_set_rx_mode: failures are only warned about (counted).
    const promisc = (this.flags & IFF.PROMISC) !== 0;
    c.setRxMode(promisc, (this.flags & IFF.ALLMULTI) !== 0, this.uc.values(), this.mc.values());
  }

  protected override ndoVlanRxAddVid(vid: number): void {
    this.vlanCommand(true, vid);
  }

  protected override ndoVlanRxKillVid(vid: number): void {
    this.vlanCommand(false, vid);
  }

  private vlanCommand(add: boolean, vid: number): void {
    // virtnet_vlan_rx_add_vid: a refusal is only warned about.
    if (
      this.ctrl !== null &&
      this.driverOk &&
      hasFeature(this.virtioFeatures, VIRTIO_NET_F.CTRL_VLAN)
    ) {
      this.ctrl.vlan(add, vid);
    }
  }
}
