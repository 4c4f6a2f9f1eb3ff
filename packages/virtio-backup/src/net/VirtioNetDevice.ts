import { EventEmitter } from 'eventemitter3';
import {
  BypassError,
  BypassMaster,
  DropReason,
  Ethernet,
  IFF,
  NETIF_F,
  NetDevice,
  PRIV_FLAG,
  PacketPool,
  type BusDevice,
  type BypassRegistry,
  type MacAddress,
  type NetNamespace,
  type SeededRandom,
} from '@bypass/core';
import { VIRTIO_STATUS } from '../virtio/DeviceStatus.js';
import { VIRTIO_F, VIRTIO_NET_F, hasFeature } from '../virtio/VirtioFeatures.js';
import { VIRTIO_NET_S } from '../virtio/VirtioNetConfig.js';
import type { VirtioDriverCallbacks, VirtioTransport } from '../virtio/VirtioTransport.js';
import { VirtqueueDriverSide } from '../virtqueue/VirtqueueDriverSide.js';
import type { VirtqueueFault } from '../virtqueue/VirtqueueFault.js';
import { VIRTIO_DROP } from './VirtioDropReasons.js';
import { VirtioNetControlQueue } from './VirtioNetControlQueue.js';
import { VIRTIO_NET_CTRL as C } from './VirtioNetCtrl.js';
import { VIRTIO_NET_HDR_GSO, VIRTIO_NET_HDR_LEN, VirtioNetHeader } from './VirtioNetHeader.js';
import { negotiateForProbe, type VirtioNetProbeResult } from './VirtioNetProbe.js';
import { VirtioNetQueueStats } from './VirtioNetQueueStats.js';

/**
 * Options of {@link VirtioNetDevice.probe}.
 *
 * @example
 * ```ts
 * const o: VirtioNetDeviceOptions = { pool, transport: backend, ns, parent: virtioBusDevice, registry, name: 'ens10' };
 * ```
 */
export interface VirtioNetDeviceOptions {
  pool: PacketPool;
  /** The device (a {@link VirtioNetBackend} or anything implementing the transport). */
  transport: VirtioTransport;
  /** The namespace the netdev (and the bypass master) registers in. */
  ns: NetNamespace;
  /** The virtio bus device the netdev hangs from (the master shares it: that is how the backup is recognized). */
  parent: BusDevice;
  /** The bypass registry of this kernel; required when BACKUP is negotiated. */
  registry?: BypassRegistry;
  /** Name or pattern of the netdev; with BACKUP, of the master (the virtio netdev is then `<master>nsby`). */
  name?: string;
  /** Features the driver supports; default {@link VIRTIO_NET_DRIVER_FEATURES}. */
  driverFeatures?: bigint;
  /** Seed RFC v2 variant for the master: multicast/broadcast over virtio, unicast over the VF. */
  multicastViaBackup?: boolean;
  /** Source of the random MAC when the device has none. */
  random?: SeededRandom;
  /** Online CPUs: queue pairs in use = min(max pairs, cpus); default all pairs. */
  cpus?: number;
  /** Cap on each queue's size (default the device's maximum). */
  queueSize?: number;
  /** RX buffers posted per RX queue; default the queue size. */
  rxBuffers?: number;
  /** IPv4 address (as a 32-bit integer) the gratuitous ARP announces; default 0. */
  ipv4?: number;
}

/**
 * Typed events of a {@link VirtioNetDevice}.
 *
 * @example
 * ```ts
 * nic.events.on('needs-reset', (why) => console.error(why));
 * ```
 */
export interface VirtioNetDeviceEvents {
  /** A virtqueue was stopped because the device wrote something invalid. */
  'queue-broken': [fault: VirtqueueFault];
  /** The device needs a reset (a queue fault or NEEDS_RESET): carrier is off until removal. */
  'needs-reset': [reason: string];
  /** The link state read from config space changed. */
  link: [up: boolean];
  /** The device asked for an announcement; a gratuitous ARP was sent and acked. */
  announce: [];
}

const BURST = 64;

/**
 * The virtio-net guest driver (Linux `drivers/net/virtio_net.c`) as a {@link NetDevice}, with the
 * BACKUP (mainline STANDBY) feature of seed 004.
 *
 * Probe ({@link VirtioNetDevice.probe}): negotiation up to FEATURES_OK, config read, one RX and one
 * TX split virtqueue per pair plus the control queue; with BACKUP the {@link BypassMaster} is
 * created **before** this netdev registers (so the registry enslaves it by its own register event,
 * and a VF already present was found by the master's scan) and this netdev is named
 * `<master>nsby` (phys port name `sby`); then DRIVER_OK, the queue pairs in use (MQ), and the
 * link: carrier off until config `status` says LINK_UP, or on at once without STATUS.
 *
 * Data path: TX prepends the 12-byte header in the frame's headroom and adds one descriptor per
 * frame (zero copy; the descriptor address is the byte offset in the pool), one kick per burst;
 * completed frames are freed at the next send or TX interrupt. RX buffers are whole pool slots
 * posted at open; an RX interrupt polls in bursts of 64, checks length and header, and refills.
 *
 * Control: config changes (link, ANNOUNCE: a gratuitous ARP through the master, then the ack),
 * RX mode and MAC tables (CTRL_RX), VLAN filter (CTRL_VLAN), queue pairs (MQ,
 * {@link VirtioNetDevice.setQueuePairs}), MAC changes (CTRL_MAC_ADDR; refused with BACKUP).
 *
 * A device that writes an invalid used entry breaks that queue: counted, reported (`queue-broken`,
 * `needs-reset`), carrier off (so a bypass master fails over), the queue no longer used.
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
  readonly maxQueuePairs: number;
  /** Queue pairs in use. */
  curQueuePairs = 1;
  /** The 3-netdev master created at probe when BACKUP was negotiated (null after remove). */
  bypassMaster: BypassMaster | null = null;
  readonly events = new EventEmitter<VirtioNetDeviceEvents>();
  readonly queueStats: VirtioNetQueueStats;
  /** True once a device fault was seen; cleared only by removing and probing again. */
  needsReset = false;
  /** True after {@link VirtioNetDevice.remove}. */
  removed = false;
  /** IPv4 address announced by gratuitous ARP. */
  ipv4: number;
  /** Gratuitous ARPs sent on ANNOUNCE. */
  garpSent = 0;
  /** RX frames dropped because they were shorter than header + Ethernet header, or asked for GSO. */
  rxLengthDrops = 0;
  rxHeaderDrops = 0;

  private readonly rxq: VirtqueueDriverSide[] = [];
  private readonly txq: VirtqueueDriverSide[] = [];
  private ctrl: VirtioNetControlQueue | null = null;
  private ctrlVq: VirtqueueDriverSide | null = null;
  private linkStatus = 0;
  private driverOk = false;
  private readonly rxBuffers: number;
  private readonly scratch: Int32Array[] = [];
  private readonly polling: Uint8Array;
  private readonly repoll: Uint8Array;
  private readonly one = new Int32Array(1);
  private readonly onFault = (f: VirtqueueFault): void => this.queueFault(f);
  private readonly callbacks: VirtioDriverCallbacks = {
    vringInterrupt: (i) => this.interrupt(i),
    configChanged: () => this.configChanged(),
  };

  /**
   * Probes a virtio-net device and registers its netdev (and, with BACKUP, the bypass master).
   *
   * @throws {@link BypassError} from negotiation (`ERR_NOT_SUPPORTED`, `ERR_REFUSED`,
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
    const want = Math.max(1, Math.min(dev.maxQueuePairs, options.cpus ?? dev.maxQueuePairs));
    if (want > 1 && !dev.applyQueuePairs(want)) dev.applyQueuePairs(1);
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
    this.maxQueuePairs = p.maxQueuePairs;
    this.ipv4 = options.ipv4 ?? 0;
    this.queueStats = new VirtioNetQueueStats(p.maxQueuePairs);
    this.rxBuffers = options.rxBuffers ?? Number.MAX_SAFE_INTEGER;
    this.polling = new Uint8Array(p.maxQueuePairs);
    this.repoll = new Uint8Array(p.maxQueuePairs);
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

  /** The driver side of RX queue `pair` (for inspection). */
  rxQueue(pair: number): VirtqueueDriverSide | undefined {
    return this.rxq[pair];
  }

  /** The driver side of TX queue `pair` (for inspection). */
  txQueue(pair: number): VirtqueueDriverSide | undefined {
    return this.txq[pair];
  }

  /**
   * Changes the queue pairs in use (`ethtool -L combined n`; Linux `virtnet_set_channels`).
   *
   * @throws {@link BypassError} `ERR_NOT_SUPPORTED` without MQ, `ERR_INVALID_ARGUMENT` outside
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
    out['rx_length_drops'] = this.rxLengthDrops;
    out['rx_header_drops'] = this.rxHeaderDrops;
    for (const vq of [...this.rxq, ...this.txq, ...(this.ctrlVq === null ? [] : [this.ctrlVq])]) {
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
    const vq = this.rxq[pair];
    if (vq === undefined || this.polling[pair] === 1) {
      if (vq !== undefined) this.repoll[pair] = 1;
      return 0;
    }
    this.polling[pair] = 1;
    let done = 0;
    try {
      do {
        this.repoll[pair] = 0;
        done += this.rxBurstLoop(vq, pair, budget - done);
        this.refill(pair);
      } while (this.repoll[pair] === 1 && done < budget);
    } finally {
      this.polling[pair] = 0;
    }
    return done;
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
      this.rxq.push(make(2 * p));
      this.txq.push(make(2 * p + 1));
      this.scratch.push(new Int32Array(BURST));
    }
    if (hasFeature(this.virtioFeatures, VIRTIO_NET_F.CTRL_VQ)) {
      this.ctrlVq = make(2 * this.maxQueuePairs);
      this.ctrl = new VirtioNetControlQueue(this.ctrlVq, t, this.pool);
    }
  }

  private applyQueuePairs(n: number): boolean {
    if (n > 1 || this.curQueuePairs > 1) {
      const d = new Uint8Array([n & 0xff, n >>> 8]);
      if (this.ctrl === null || !this.ctrl.send(C.MQ, C.MQ_VQ_PAIRS_SET, d)) return false;
    }
    this.curQueuePairs = n;
    this.setRealNumTxQueues(n);
    this.realNumRxQueues = n;
    if (this.running) for (let q = 0; q < n; q++) this.refill(q);
    return true;
  }

  private releaseBuffers(): void {
    const pool = this.pool;
    for (const vq of this.txq) {
      let n = 0;
      const s = this.one;
      for (let t; (t = vq.detachUnused()) >= 0; n++) {
        s[0] = t;
        pool.drop(s, 0, 1, VIRTIO_DROP.RING_FLUSHED);
      }
      this.stats.txDropped += n;
    }
    for (const vq of this.rxq) for (let t; (t = vq.detachUnused()) >= 0;) pool.free(t);
    this.ctrl?.release();
    this.ctrl = null;
  }

  // ---------------------------------------------------------------- interrupts and config

  private interrupt(index: number): void {
    if (this.removed) return;
    const pair = index >>> 1;
    if (index === 2 * this.maxQueuePairs) return; // the control queue is polled by its sender
    if ((index & 1) === 1) this.reclaimTx(pair);
    else if (this.running) this.pollRx(pair);
  }

  // drivers/net/virtio_net.c virtnet_config_changed_work
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
      this.ctrl?.send(C.ANNOUNCE, C.ANNOUNCE_ACK, null);
      this.events.emit('announce');
    }
    v &= VIRTIO_NET_S.LINK_UP; // unknown (future) bits are ignored
    if (v === this.linkStatus) return;
    this.linkStatus = v;
    if (v !== 0 && !this.needsReset) this.carrierOn();
    else this.carrierOff();
    this.events.emit('link', v !== 0);
  }

  private notifyPeers(): void {
    // netdev_notify_peers: a gratuitous ARP, sent through the master so it takes the live path.
    const h = this.pool.alloc();
    if (h < 0) return;
    Ethernet.writeGratuitousArp(this.pool, h, this.devAddr.value, this.ipv4);
    this.one[0] = h;
    this.garpSent++;
    (this.bypassMaster ?? this).xmit(this.one, 0, 1);
  }

  private queueFault(f: VirtqueueFault): void {
    this.events.emit('queue-broken', f);
    this.markNeedsReset(f.message);
  }

  private markNeedsReset(reason: string): void {
    if (this.needsReset) return;
    this.needsReset = true;
    this.carrierOff();
    this.events.emit('needs-reset', reason);
  }

  // ---------------------------------------------------------------- data path

  private rxBurstLoop(vq: VirtqueueDriverSide, pair: number, budget: number): number {
    const pool = this.pool;
    const bytes = pool.bytes;
    const scratch = this.scratch[pair] as Int32Array;
    const qs = this.queueStats;
    const minLen = VIRTIO_NET_HDR_LEN + 14;
    let done = 0;
    while (done < budget) {
      let n = 0;
      let nbytes = 0;
      let mcast = 0;
      const want = budget - done < BURST ? budget - done : BURST;
      while (n < want) {
        const h = vq.getBuf();
        if (h < 0) break;
        const len = vq.lastLen;
        const addr = h * pool.slotSize + pool.headroom - VIRTIO_NET_HDR_LEN;
        if (len < minLen || VirtioNetHeader.gsoType(bytes, addr) !== VIRTIO_NET_HDR_GSO.NONE) {
          // receive_buf: "packet too short" (rx_length_errors) or a header the driver did not ask for.
          if (len < minLen) {
            this.rxLengthDrops++;
            this.stats.rxLengthErrors++;
          } else {
            this.rxHeaderDrops++;
            this.stats.rxFrameErrors++;
          }
          this.stats.rxErrors++;
          qs.rxDrops[pair]!++;
          this.one[0] = h;
          pool.drop(this.one, 0, 1, DropReason.MALFORMED);
          continue;
        }
        pool.start[h] = addr + VIRTIO_NET_HDR_LEN;
        pool.length[h] = len - VIRTIO_NET_HDR_LEN;
        nbytes += len - VIRTIO_NET_HDR_LEN;
        mcast += (bytes[addr + VIRTIO_NET_HDR_LEN] as number) & 1;
        scratch[n++] = h;
      }
      if (n === 0) break;
      done += n;
      this.stats.rxPackets += n;
      this.stats.rxBytes += nbytes;
      this.stats.multicast += mcast;
      qs.rxPackets[pair]! += n;
      qs.rxBytes[pair]! += nbytes;
      this.receive(scratch, 0, n);
    }
    return done;
  }

  private refill(pair: number): void {
    const vq = this.rxq[pair];
    if (vq === undefined || vq.broken !== null || this.removed) return;
    const pool = this.pool;
    const cap = pool.slotSize - pool.headroom + VIRTIO_NET_HDR_LEN;
    let added = 0;
    while (vq.numFree > 0 && vq.inFlight < this.rxBuffers) {
      const h = pool.alloc();
      if (h < 0) {
        this.queueStats.rxAllocFailures[pair]!++;
        break;
      }
      vq.addOne(h, (pool.start[h] as number) - VIRTIO_NET_HDR_LEN, cap, true);
      added++;
    }
    if (added > 0 && vq.kickPrepare()) {
      this.queueStats.rxKicks[pair]!++;
      this.transport.notify(vq.index);
    }
  }

  private reclaimTx(pair: number): void {
    const vq = this.txq[pair];
    if (vq === undefined) return;
    const pool = this.pool;
    let n = 0;
    for (let t; (t = vq.getBuf()) >= 0; n++) pool.free(t);
    this.queueStats.txCompleted[pair]! += n;
  }

  protected override ndoOpen(): void {
    if (this.removed) throw new BypassError('ERR_NO_DEVICE', `${this.name} was removed`);
    for (let q = 0; q < this.curQueuePairs; q++) {
      this.refill(q);
      this.pollRx(q); // frames that arrived while down (virtnet_napi_enable schedules NAPI)
    }
  }

  protected override ndoStartXmit(
    pkts: Int32Array,
    start: number,
    count: number,
    queue: number,
  ): number {
    const vq = this.txq[queue] as VirtqueueDriverSide;
    const pool = this.pool;
    const end = start + count;
    if (vq.broken !== null) {
      this.stats.txDropped += count;
      pool.drop(pkts, start, count, VIRTIO_DROP.QUEUE_BROKEN);
      return 0;
    }
    this.reclaimTx(queue);
    const bytes = pool.bytes;
    const max = this.mtu + 18;
    let sent = 0;
    let nbytes = 0;
    for (let i = start; i < end; i++) {
      const h = pkts[i] as number;
      if (((pool.flags[h] as number) & PacketPool.F_VLAN) !== 0) {
        // No TX VLAN offload: the tag goes back into the frame, as the stack would do.
        if (Ethernet.insertVlan(pool, h, pool.vlanTci[h] as number))
          pool.flags[h] = (pool.flags[h] as number) & ~PacketPool.F_VLAN;
      }
      const len = pool.length[h] as number;
      if (len < 14 || len > max || !pool.adjustStart(h, -VIRTIO_NET_HDR_LEN)) {
        this.stats.txErrors++;
        this.stats.txDropped++;
        pool.drop(pkts, i, 1, len > max ? DropReason.MTU_EXCEEDED : DropReason.MALFORMED);
        continue;
      }
      const addr = pool.start[h] as number;
      VirtioNetHeader.writeEmpty(bytes, addr, 0);
      if (!vq.addOne(h, addr, len + VIRTIO_NET_HDR_LEN, false)) {
        pool.adjustStart(h, VIRTIO_NET_HDR_LEN);
        const rest = end - i;
        this.stats.txDropped += rest;
        this.queueStats.txRingFull[queue]! += rest;
        pool.drop(
          pkts,
          i,
          rest,
          vq.broken !== null ? VIRTIO_DROP.QUEUE_BROKEN : DropReason.RING_FULL,
        );
        break;
      }
      sent++;
      nbytes += len;
    }
    this.stats.txPackets += sent;
    this.stats.txBytes += nbytes;
    this.queueStats.txPackets[queue]! += sent;
    this.queueStats.txBytes[queue]! += nbytes;
    if (sent > 0 && vq.kickPrepare()) {
      this.queueStats.txKicks[queue]!++;
      this.transport.notify(vq.index);
    }
    return sent;
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
      const d = new Uint8Array(6);
      mac.writeTo(d, 0);
      if (!this.ctrl.send(C.MAC, C.MAC_ADDR_SET, d)) {
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
    // drivers/net/virtio_net.c virtnet_set_rx_mode: failures are only warned about.
    c.send(C.RX, C.RX_PROMISC, new Uint8Array([(this.flags & IFF.PROMISC) !== 0 ? 1 : 0]));
    c.send(C.RX, C.RX_ALLMULTI, new Uint8Array([(this.flags & IFF.ALLMULTI) !== 0 ? 1 : 0]));
    const uc = this.uc.values();
    const mc = this.mc.values();
    const d = new Uint8Array(8 + 6 * (uc.length + mc.length));
    const dv = new DataView(d.buffer);
    dv.setUint32(0, uc.length, true);
    uc.forEach((a, i) => writeMac(d, 4 + 6 * i, a));
    const mcAt = 4 + 6 * uc.length;
    dv.setUint32(mcAt, mc.length, true);
    mc.forEach((a, i) => writeMac(d, mcAt + 4 + 6 * i, a));
    c.send(C.MAC, C.MAC_TABLE_SET, d);
  }

  protected override ndoVlanRxAddVid(vid: number): void {
    this.vlanCommand(C.VLAN_ADD, vid);
  }

  protected override ndoVlanRxKillVid(vid: number): void {
    this.vlanCommand(C.VLAN_DEL, vid);
  }

  private vlanCommand(cmd: number, vid: number): void {
    // virtnet_vlan_rx_add_vid: a refusal is only warned about.
    if (
      this.ctrl !== null &&
      this.driverOk &&
      hasFeature(this.virtioFeatures, VIRTIO_NET_F.CTRL_VLAN)
    ) {
      this.ctrl.send(C.VLAN, cmd, new Uint8Array([vid & 0xff, vid >>> 8]));
    }
  }
}

function writeMac(d: Uint8Array, o: number, mac: number): void {
  for (let i = 5; i >= 0; i--) {
    d[o + i] = mac % 256;
    mac = Math.floor(mac / 256);
  }
}
