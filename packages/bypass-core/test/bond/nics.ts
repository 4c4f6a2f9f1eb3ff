import { BondMaster } from '../../src/bond/BondMaster.js';
import type { BondMasterOptions } from '../../src/bond/BondOptions.js';
import type { BypassError } from '../../src/errors/BypassError.js';
import { MacAddress } from '../../src/netdev/MacAddress.js';
import { NetDevice, type NetDeviceOptions } from '../../src/netdev/NetDevice.js';
import { NetNamespace } from '../../src/netdev/NetNamespace.js';
import { RX_HANDLER } from '../../src/netdev/RxHandler.js';
import { dropReasonName } from '../../src/packet/DropReason.js';
import { PacketPool } from '../../src/packet/PacketPool.js';
import { VirtualScheduler } from '../../src/time/VirtualScheduler.js';

/** A locally administered test MAC ending in `n`. */
export function mac(n: number): MacAddress {
  return MacAddress.fromNumber(0x02_00_00_00_00_00 + n);
}

/**
 * A small NIC for the bond tests. TX counts and frees (or, with `via` set and ready, hands the
 * burst to that lower device, like netvsc sending over its VF); `inject` receives frames.
 * Each refusable hook refuses while its `refuse*` field holds an error.
 */
export class BondTestNic extends NetDevice {
  /** Frames this device sent itself (not via its lower). */
  sentHere = 0;
  /** Lower device used for TX while it is ready (netvsc-like datapath). */
  via: NetDevice | null = null;
  refuseOpen: BypassError | null = null;
  refuseMtu: BypassError | null = null;
  refuseMac: BypassError | null = null;

  constructor(options: NetDeviceOptions) {
    super(options);
  }

  /** Allocates `n` 64-byte frames and receives them (counting rxPackets). */
  inject(n: number): void {
    const pkts = new Int32Array(n);
    const got = this.pool.allocBurst(pkts, 0, n);
    for (let i = 0; i < got; i++) this.pool.setLength(pkts[i] as number, 64);
    this.stats.rxPackets += got;
    this.stats.rxBytes += got * 64;
    this.receive(pkts, 0, got);
  }

  protected override ndoStartXmit(pkts: Int32Array, start: number, count: number): number {
    const via = this.via;
    if (via !== null && via.isReady) return via.xmit(pkts, start, count);
    this.sentHere += count;
    this.stats.txPackets += count;
    this.stats.txBytes += count * 64;
    this.pool.freeBurst(pkts, start, count);
    return count;
  }

  protected override ndoOpen(): void {
    if (this.refuseOpen !== null) throw this.refuseOpen;
  }

  protected override ndoChangeMtu(): void {
    if (this.refuseMtu !== null) throw this.refuseMtu;
  }

  protected override ndoSetMacAddress(): void {
    if (this.refuseMac !== null) throw this.refuseMac;
  }
}

/** A test world: pool, namespace, virtual clock, drop log, and factories. */
export interface BondWorld {
  pool: PacketPool;
  ns: NetNamespace;
  sched: VirtualScheduler;
  /** Drop counts by reason name. */
  drops: Map<string, number>;
  /** A registered, down NIC with carrier on, permanent MAC `mac(n)`. */
  nic(n: number, name: string, options?: Partial<NetDeviceOptions>): BondTestNic;
  /** A registered bond named bond0. */
  bond(options?: Partial<BondMasterOptions>): BondMaster;
  /** Sends `n` fresh frames on `dev`; returns what `xmit` returned. */
  send(dev: NetDevice, n: number): number;
  /** Binds a counting sink on `dev`; read the count with the returned function. */
  sink(dev: NetDevice, exact?: boolean): () => number;
}

/** Builds a {@link BondWorld}. */
export function world(): BondWorld {
  const pool = new PacketPool({ slots: 256 });
  const ns = new NetNamespace('vm');
  const sched = new VirtualScheduler();
  const drops = new Map<string, number>();
  pool.onDrop = (_p, _pkts, _s, count, reason) => {
    const k = dropReasonName(reason);
    drops.set(k, (drops.get(k) ?? 0) + count);
  };
  return {
    pool,
    ns,
    sched,
    drops,
    nic(n, name, options = {}) {
      const d = new BondTestNic({ pool, permAddr: mac(n), maxMtu: 9000, ...options });
      ns.register(d, name);
      d.carrierOn();
      return d;
    },
    bond(options = {}) {
      const b = new BondMaster({ pool, scheduler: sched, ...options });
      ns.register(b, 'bond0');
      return b;
    },
    send(dev, n) {
      const pkts = new Int32Array(n);
      const got = pool.allocBurst(pkts, 0, n);
      return dev.xmit(pkts, 0, got);
    },
    sink(dev, exact = false) {
      let n = 0;
      dev.bindSink((d, pkts, s, c) => {
        n += c;
        d.pool.freeBurst(pkts, s, c);
      }, exact);
      return () => n;
    },
  };
}

/**
 * A netvsc-like upper that has already taken `vf` as its slave (master link plus an rx handler
 * delivering to itself), and sends over it while it is ready.
 */
export function netvscOwning(netvsc: BondTestNic, vf: NetDevice): void {
  vf.linkMaster(netvsc);
  vf.registerRxHandler(() => RX_HANDLER.ANOTHER, netvsc);
  netvsc.via = vf;
}
