import {
  BusDevice,
  DeviceBus,
  Ethernet,
  MacAddress,
  NetNamespace,
  PacketPool,
  VfDevice,
  VirtualScheduler,
  dropReasonName,
} from '@bypass/core';
import {
  EthDevRegistry,
  SimulatedSysfs,
  vfPmdDriver,
  type VfPmdPort,
} from '../../src/dpdk/exports.js';
import { NetvspHost, VmbusChannel } from '../../src/kernel/exports.js';
import { NetvscPmdPort, type NetvscPmdOptions } from '../../src/pmd/exports.js';

export const MAC = MacAddress.parse('00:15:5d:00:00:01');
export const VF_ADDR = '0002:00:02.0';

/** What the host received from the guest on the synthetic path. */
export interface HostFrame {
  len: number;
  /** VLAN TCI from the RNDIS per-packet info, or -1. */
  tci: number;
  /** The sequence number written at payload offset 0 (bytes 14..17 of the frame). */
  seq: number;
}

/**
 * A VM with one netvsc NIC bound to the netvsc PMD, its NetVSP host, a PCI bus with a sysfs view,
 * an ethdev registry that can probe VF ports, and helpers to move traffic on virtual time.
 */
export class PmdWorld {
  readonly scheduler = new VirtualScheduler();
  readonly pool: PacketPool;
  readonly ns = new NetNamespace('vm');
  readonly bus = new DeviceBus();
  readonly sysfs: SimulatedSysfs;
  readonly registry = new EthDevRegistry();
  readonly channel: VmbusChannel;
  readonly host: NetvspHost;
  readonly vfs = new Map<string, VfDevice>();
  readonly log: string[] = [];
  readonly drops = new Map<string, number>();
  /** Frames the host got from the guest on the synthetic path. */
  readonly hostRx: HostFrame[] = [];
  /** VMBus data messages the host read (one per aggregate or direct request). */
  port!: NetvscPmdPort;
  private seq = 0;

  constructor(
    options: { slotSize?: number; slots?: number; linkUp?: boolean; hostVersions?: number[] } = {},
  ) {
    this.pool = new PacketPool({
      slots: options.slots ?? 4096,
      slotSize: options.slotSize ?? 2048,
    });
    this.sysfs = new SimulatedSysfs({ ns: this.ns, bus: this.bus });
    this.channel = new VmbusChannel({
      scheduler: this.scheduler,
      ringPages: 64,
      signalLatencyNs: 20_000,
    });
    this.host = new NetvspHost({
      channel: this.channel,
      pool: this.pool,
      scheduler: this.scheduler,
      mac: MAC,
      maxChannels: 4,
      linkUp: options.linkUp ?? true,
      ...(options.hostVersions === undefined ? {} : { versions: options.hostVersions }),
    });
    this.host.onGuestFrames = (pkts, s, n) => {
      const pool = this.pool;
      for (let i = s; i < s + n; i++) {
        const h = pkts[i] as number;
        const tci =
          ((pool.flags[h] as number) & PacketPool.F_VLAN) !== 0 ? (pool.vlanTci[h] as number) : -1;
        const len = pool.length[h] as number;
        const seq = len >= 18 ? pool.view.getUint32((pool.start[h] as number) + 14) : -1;
        this.hostRx.push({ len, tci, seq });
      }
      pool.freeBurst(pkts, s, n);
    };
    this.host.vfSink = (pkts, s, n) => {
      const vf = this.vfs.get(VF_ADDR);
      if (vf === undefined) this.pool.drop(pkts, s, n, 9);
      else vf.injectRx(0, pkts, s, n);
    };
    this.registry.registerDriver(vfPmdDriver({ resolve: (a) => this.vfs.get(a), bus: this.bus }));
    this.pool.onDrop = (_p, _k, _s, count, reason) => {
      const n = dropReasonName(reason);
      this.drops.set(n, (this.drops.get(n) ?? 0) + count);
    };
  }

  /** Probes the netvsc PMD (runs the bring-up on virtual time). */
  probe(devargs = '', extra: Partial<NetvscPmdOptions> = {}): NetvscPmdPort {
    let got: NetvscPmdPort | null = null;
    let error: Error | null = null;
    NetvscPmdPort.probe(
      {
        registry: this.registry,
        channel: this.channel,
        pool: this.pool,
        scheduler: this.scheduler,
        devargs,
        maxQueues: 2,
        hotplug: { bus: this.bus, sysfs: this.sysfs },
        log: (level, m) => this.log.push(`${level}: ${m}`),
        ...extra,
      },
      (err, p) => {
        error = err;
        got = p;
      },
    );
    this.scheduler.runUntilIdle();
    if (error !== null) throw error as Error;
    if (got === null) throw new Error('probe did not finish');
    this.port = got;
    return got;
  }

  /** Probes, configures one queue pair and starts. */
  up(devargs = '', extra: Partial<NetvscPmdOptions> = {}): NetvscPmdPort {
    const p = this.probe(devargs, extra);
    p.configure(1, 1);
    p.start();
    return p;
  }

  /** A PCI VF at `address` with MAC `m`, link up, listed in sysfs (not yet an ethdev port). */
  plugVf(address = VF_ADDR, m: MacAddress = MAC, numQueues = 4): VfDevice {
    const fn = new BusDevice({ id: address, bus: 'pci', pci: { address, virtfn: true } });
    this.bus.add(fn);
    const vf = new VfDevice({
      pool: this.pool,
      permAddr: m,
      parent: fn,
      driver: 'mlx5',
      numQueues,
      ringSize: 256,
    });
    vf.name = 'enP2s2';
    vf.setLink(true);
    this.vfs.set(address, vf);
    this.sysfs.addUnregistered(vf, vf.name);
    return vf;
  }

  /** The host announces the VF while the guest brings the channel up (before the port exists). */
  associateDuringBringUp(): void {
    this.host.events.once('guest-ready', () => this.host.sendVfAssociation(true, 1));
  }

  /**
   * The usual VF setup: a VF plugged and probed as a port, the host announcing it while the
   * guest brings the channel up. Returns the VF and its port.
   */
  vfReady(numQueues = 4): { vf: VfDevice; vfPort: VfPmdPort } {
    const vf = this.plugVf(VF_ADDR, MAC, numQueues);
    const vfPort = this.probeVf();
    this.associateDuringBringUp();
    return { vf, vfPort };
  }

  /** The application probes the VF's PCI address as a port (EAL `-a`). */
  probeVf(address = VF_ADDR): VfPmdPort {
    return this.registry.probe(address) as VfPmdPort;
  }

  /** Surprise removal of the VF's PCI function (the VF port raises `intr_rmv`). */
  unplugVf(address = VF_ADDR): void {
    const vf = this.vfs.get(address);
    if (vf === undefined) throw new Error(`no VF ${address}`);
    this.bus.remove(vf.parent as BusDevice, { surprise: true });
    this.sysfs.removeUnregistered(vf);
    this.vfs.delete(address);
  }

  /** `n` unicast frames of `len` bytes with increasing sequence numbers (payload bytes 0..3). */
  frames(
    n: number,
    len = 128,
    dst: MacAddress = MacAddress.parse('00:15:5d:00:00:99'),
  ): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const h = this.pool.alloc();
      if (h < 0) throw new Error('pool empty');
      Ethernet.buildFrame(this.pool, h, dst.value, MAC.value, 0x0800, Math.max(0, len - 14));
      if (len < 14) this.pool.setLength(h, len);
      else if (len >= 18) this.pool.view.setUint32((this.pool.start[h] as number) + 14, ++this.seq);
      this.pool.mark[h] = this.seq;
      out[i] = h;
    }
    return out;
  }

  /** Sends `n` frames of `len` bytes on queue 0; frees what the port did not take; returns taken. */
  send(n: number, len = 128): number {
    const pkts = this.frames(n, len);
    const took = this.port.txBurst(0, pkts, 0, n);
    this.pool.freeBurst(pkts, took, n - took);
    return took;
  }

  /** The host delivers `n` frames of `len` bytes to the guest (synthetic ring or VF). */
  deliver(n: number, len = 128, vlanTci = -1): void {
    const pkts = this.frames(n, len, MAC);
    if (vlanTci >= 0)
      for (const h of pkts) {
        this.pool.vlanTci[h] = vlanTci;
        this.pool.flags[h] = PacketPool.F_VLAN;
      }
    this.host.deliver(pkts, 0, n);
  }

  /** Polls queue 0 until nothing more comes; returns the frames (the caller frees them). */
  receive(max = 256): number[] {
    const out = new Int32Array(max);
    const got: number[] = [];
    for (;;) {
      const n = this.port.rxBurst(0, out, 0, max - got.length);
      for (let i = 0; i < n; i++) got.push(out[i] as number);
      if (n === 0 || got.length >= max) return got;
    }
  }

  /** Polls and frees; returns the sequence numbers received, in order. */
  receiveSeqs(max = 256): number[] {
    const hs = this.receive(max);
    const seqs = hs.map((h) => this.pool.view.getUint32((this.pool.start[h] as number) + 14));
    for (const h of hs) this.pool.free(h);
    return seqs;
  }

  /** What the VF put on the wire (taken off its TX ring and freed). */
  vfWire(address = VF_ADDR): number {
    const vf = this.vfs.get(address);
    if (vf === undefined) return 0;
    const out = new Int32Array(512);
    const n = vf.drainTx(0, out, 0, 512);
    this.pool.freeBurst(out, 0, n);
    return n;
  }

  /** Lets the host read what the guest wrote (and signal back). */
  settle(): void {
    this.scheduler.advanceBy(1_000_000);
  }

  advanceMs(ms: number): void {
    this.scheduler.advanceBy(ms * 1_000_000);
  }
}
