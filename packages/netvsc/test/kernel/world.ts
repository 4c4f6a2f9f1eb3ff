import {
  BusDevice,
  BypassRegistry,
  DeviceBus,
  Ethernet,
  ETH_P,
  MacAddress,
  NetNamespace,
  PacketPool,
  VfDevice,
  VirtualScheduler,
  dropReasonName,
  type NetDevice,
} from '@bypass/core';
import {
  NetvspHost,
  NetvscDevice,
  VmbusChannel,
  type NetvscDeviceOptions,
} from '../../src/kernel/exports.js';

export const MAC = MacAddress.parse('00:15:5d:00:00:01');

/** A VM with one netvsc NIC, its host peer, a PCI bus and helpers to move traffic. */
export class World {
  /**
   * netvsc probed and up, the host's VF association sent once (it stays allocated), the VF
   * plugged, the 100 ms takeover done and the data path switched to the VF.
   */
  static accelerated(): World {
    const w = new World();
    w.probe();
    w.host.sendVfAssociation(true, 1);
    w.plugVf();
    w.run(100);
    w.scheduler.runUntilIdle();
    return w;
  }

  readonly scheduler = new VirtualScheduler();
  readonly pool = new PacketPool({ slots: 8192 });
  readonly ns = new NetNamespace('vm');
  readonly registry = new BypassRegistry();
  readonly bus = new DeviceBus();
  readonly channel: VmbusChannel;
  readonly host: NetvspHost;
  netvsc!: NetvscDevice;
  readonly log: string[] = [];
  readonly drops = new Map<string, number>();
  /** Frames the stack received on netvsc (by mark). */
  readonly received: number[] = [];
  /** Frames the VF put on the wire. */
  vfWire = 0;
  private seq = 0;

  constructor(opts: Partial<NetvscDeviceOptions> & { hostVersions?: readonly number[] } = {}) {
    // 20 us between a VMBus signal and the peer's handler, so tests can look in between.
    this.channel = new VmbusChannel({
      scheduler: this.scheduler,
      ringPages: 32,
      signalLatencyNs: 20_000,
    });
    this.host = new NetvspHost(
      opts.hostVersions === undefined
        ? { channel: this.channel, pool: this.pool, scheduler: this.scheduler, mac: MAC }
        : {
            channel: this.channel,
            pool: this.pool,
            scheduler: this.scheduler,
            mac: MAC,
            versions: opts.hostVersions,
          },
    );
    this.host.vfSink = (pkts, s, n) => {
      const vf = this.vf;
      if (vf === null) this.pool.freeBurst(pkts, s, n);
      else vf.injectRx(0, pkts, s, n);
    };
    this.pool.onDrop = (_p, _k, _s, count, reason) => {
      const name = dropReasonName(reason);
      this.drops.set(name, (this.drops.get(name) ?? 0) + count);
    };
    this.registry.events$.subscribe((e) =>
      this.log.push(`bypass ${e.type} ${e.slave.name}${e.reason ? ` (${e.reason})` : ''}`),
    );
  }

  /** Probes netvsc (the VMBus device appears), optionally opening it. */
  probe(opts: Partial<NetvscDeviceOptions> = {}, open = true): NetvscDevice {
    let dev: NetvscDevice | null = null;
    NetvscDevice.probe(
      {
        channel: this.channel,
        pool: this.pool,
        scheduler: this.scheduler,
        registry: this.registry,
        ns: this.ns,
        name: 'eth0',
        ...opts,
      },
      (err, d) => {
        if (err !== null) throw err;
        dev = d;
      },
    );
    this.scheduler.runUntilIdle();
    const got = dev as NetvscDevice | null;
    if (got === null) throw new Error('probe did not finish');
    this.netvsc = got;
    got.events.on('log', (l) => this.log.push(l));
    got.bindSink((_d, pkts, s, n) => {
      for (let i = s; i < s + n; i++)
        this.received.push(this.pool.mark[pkts[i] as number] as number);
      this.pool.freeBurst(pkts, s, n);
    });
    if (open) got.open();
    return got;
  }

  /** The VF currently plugged (its driver registered a netdev), or null. */
  vf: VfDevice | null = null;
  fn: BusDevice | null = null;

  /**
   * Hot-plugs a VF (PCI device + netdev registered in `ns`), link up. `serial` is its slot
   * (default 1; `null`: a PCI function without a slot); it also gives the PCI device number when
   * it fits one (0..31), else device 31.
   */
  plugVf(
    options: {
      serial?: number | null;
      mac?: MacAddress;
      ns?: NetNamespace;
      name?: string;
      before?: (vf: VfDevice) => void;
    } = {},
  ): VfDevice {
    const serial = options.serial === undefined ? 1 : options.serial;
    const slot =
      serial !== null && Number.isInteger(serial) && serial >= 0 && serial < 32 ? serial : 31;
    const address = `0001:00:${slot.toString(16).padStart(2, '0')}.0`;
    const fn = new BusDevice({
      id: address,
      bus: 'pci',
      pci: serial === null ? { address, virtfn: true } : { address, virtfn: true, serial },
    });
    this.bus.add(fn);
    const vf = new VfDevice({
      pool: this.pool,
      permAddr: options.mac ?? MAC,
      parent: fn,
      driver: 'mlx5_core',
      ringSize: 256,
    });
    vf.setLink(true);
    options.before?.(vf);
    (options.ns ?? this.ns).register(vf, options.name ?? `enP1s${serial ?? slot}`);
    this.vf = vf;
    this.fn = fn;
    return vf;
  }

  /** Surprise-removes the VF (frames in its rings are flushed). */
  unplugVf(surprise = true): void {
    const vf = this.vf;
    const fn = this.fn;
    if (vf === null || fn === null) return;
    vf.hotUnplug({ surprise });
    this.bus.remove(fn, { surprise });
    this.vf = null;
    this.fn = null;
  }

  /** Sends `n` frames through netvsc (queue 0 unless given); returns their marks' range start. */
  send(n: number, queue = 0, dst = 0x0000_5e00_0053): number {
    const first = this.seq + 1;
    const b = new Int32Array(n);
    const got = this.pool.allocBurst(b, 0, n);
    for (let i = 0; i < got; i++) {
      const h = b[i] as number;
      Ethernet.buildFrame(this.pool, h, dst, MAC.value, ETH_P.IPV4, 86);
      this.pool.mark[h] = ++this.seq;
    }
    this.netvsc.xmit(b, 0, got, queue);
    return first;
  }

  /** Frames the host received from the guest on the synthetic path so far. */
  get synthetic(): number {
    return this.host.stats.fromGuestFrames;
  }

  /** Drains what the VF transmitted (the wire side); returns how many. */
  drainVf(): number {
    const vf = this.vf;
    if (vf === null) return 0;
    const out = new Int32Array(256);
    let total = 0;
    for (let q = 0; q < vf.numTxQueues; q++) {
      for (let n; (n = vf.drainTx(q, out, 0, out.length)) > 0;) {
        total += n;
        this.pool.freeBurst(out, 0, n);
      }
    }
    this.vfWire += total;
    return total;
  }

  /** Frames arriving from the wire for this NIC, through the host (VF or synthetic path). */
  fromWire(n: number): void {
    this.fromWireTo(Array.from({ length: n }, () => MAC.value));
  }

  /**
   * One frame from the wire per destination (a MAC as a number: unicast, multicast or
   * broadcast), in one burst through the host; marks 1000, 1001, ... in that order.
   */
  fromWireTo(dsts: readonly number[]): void {
    const n = dsts.length;
    const b = new Int32Array(n);
    const got = this.pool.allocBurst(b, 0, n);
    for (let i = 0; i < got; i++) {
      const h = b[i] as number;
      Ethernet.buildFrame(this.pool, h, dsts[i] as number, 0x0000_5e00_0099, ETH_P.IPV4, 86);
      this.pool.mark[h] = 1000 + i;
    }
    this.host.deliver(b, 0, got);
    this.vf?.pollAll();
  }

  /** Lets virtual time pass. */
  run(ms: number): void {
    this.scheduler.advanceBy(ms * 1_000_000);
  }

  /** Takes the drop counters seen so far and clears them. */
  takeDrops(): Record<string, number> {
    const r = Object.fromEntries(this.drops);
    this.drops.clear();
    return r;
  }
}

export function names(devs: readonly NetDevice[]): string[] {
  return devs.map((d) => d.name);
}
