import {
  BusDevice,
  DeviceBus,
  Ethernet,
  EventChannel,
  MacAddress,
  NetDevice,
  NetNamespace,
  PacketPool,
  VfDevice,
  VirtualScheduler,
  dropReasonName,
  type NetDeviceOptions,
} from '@bypass/core';
import {
  EthDevRegistry,
  PipeTable,
  SimulatedSysfs,
  failsafeDriver,
  tapDriver,
  vfPmdDriver,
  type CommandRunner,
  type DpdkLogLevel,
} from '../../../src/dpdk/exports.js';

/** The VMBus network class id without braces, as a BusDevice carries it. */
export const NETVSC_CLASS = 'f8615163-df3e-46c5-913f-f2d2f965ed0e';

/** `00:15:5d:00:00:<n>`. */
export function mac(n: number): MacAddress {
  return MacAddress.fromNumber(0x00155d000000 + n);
}

/**
 * A kernel netdev for tests (the remote of a TAP: a stand-in for the kernel netvsc): records
 * what it transmitted (and frees it); what it receives goes through `receive` (rx handler, sink).
 */
export class KernelNic extends NetDevice {
  readonly sent: number[] = [];
  constructor(options: NetDeviceOptions) {
    super(options);
  }
  protected override ndoStartXmit(pkts: Int32Array, start: number, count: number): number {
    for (let i = start; i < start + count; i++)
      this.sent.push(this.pool.mark[pkts[i] as number] as number);
    this.stats.txPackets += count;
    this.pool.freeBurst(pkts, start, count);
    return count;
  }
}

/** Everything a DPDK-style test needs, on virtual time. */
export class World {
  readonly pool = new PacketPool({ slots: 8192 });
  readonly ns = new NetNamespace('vm');
  readonly bus = new DeviceBus();
  readonly scheduler = new VirtualScheduler();
  readonly registry = new EthDevRegistry();
  readonly pipes = new PipeTable();
  readonly sysfs: SimulatedSysfs;
  readonly vfs = new Map<string, VfDevice>();
  /** The VFs' link interrupts (`VfPmdPortOptions.linkEvents$`): see {@link World.setVfLink}. */
  readonly vfLinks = new EventChannel<VfDevice>();
  readonly logs: string[] = [];
  readonly drops = new Map<string, number>();
  readonly commands: Record<string, string> = {};
  private seq = 0;

  constructor() {
    this.sysfs = new SimulatedSysfs({ ns: this.ns, bus: this.bus });
    const log = (level: DpdkLogLevel, m: string) => this.logs.push(`${level}: ${m}`);
    const runner: CommandRunner = { run: (c) => this.commands[c] ?? null };
    this.registry.registerDriver(tapDriver({ ns: this.ns, pool: this.pool }));
    this.registry.registerDriver(
      failsafeDriver({
        pool: this.pool,
        scheduler: this.scheduler,
        fds: this.pipes,
        commands: runner,
        log,
      }),
    );
    this.registry.registerDriver(
      vfPmdDriver({
        resolve: (a) => this.vfs.get(a),
        bus: this.bus,
        linkEvents$: this.vfLinks.observable,
      }),
    );
    this.pool.onDrop = (_p, _k, _s, count, reason) => {
      const n = dropReasonName(reason);
      this.drops.set(n, (this.drops.get(n) ?? 0) + count);
    };
  }

  /** A NetVSC-like kernel netdev on a VMBus parent, registered, up, with carrier. */
  netvsc(name: string, m: MacAddress, options: { classId?: string } = {}): KernelNic {
    const parent = new BusDevice({
      id: `vmbus-${name}`,
      bus: 'vmbus',
      vmbus: { classId: options.classId ?? NETVSC_CLASS, instanceId: `inst-${name}` },
    });
    this.bus.add(parent);
    const nic = new KernelNic({
      pool: this.pool,
      permAddr: m,
      parent,
      driver: 'hv_netvsc',
      maxMtu: 9000,
    });
    this.ns.register(nic, name);
    nic.carrierOn();
    nic.open();
    return nic;
  }

  /**
   * Hot-plugs a VF at `address` with MAC `m`: PCI function on the bus, a VfDevice bound to the
   * PMD (not registered), listed in sysfs under `ifname` (the bifurcated model).
   */
  plugVf(address: string, m: MacAddress, ifname = `enP${address.slice(2, 4)}s2`): VfDevice {
    const fn = new BusDevice({ id: address, bus: 'pci', pci: { address, virtfn: true } });
    this.bus.add(fn);
    const vf = new VfDevice({
      pool: this.pool,
      permAddr: m,
      parent: fn,
      driver: 'mlx5',
      numQueues: 4,
      ringSize: 256,
    });
    vf.name = ifname;
    vf.setLink(true);
    this.vfs.set(address, vf);
    this.sysfs.addUnregistered(vf, ifname);
    return vf;
  }

  /**
   * The host NIC changes the carrier of the VF at `address`; a change raises the VF's link
   * interrupt (published on {@link World.vfLinks}).
   */
  setVfLink(address: string, up: boolean): void {
    const vf = this.vfs.get(address);
    if (vf === undefined) throw new Error(`no VF ${address}`);
    const before = vf.carrier;
    vf.setLink(up);
    if (vf.carrier !== before) this.vfLinks.next(vf);
  }

  /** Surprise-removes the VF at `address`. */
  unplugVf(address: string): void {
    const vf = this.vfs.get(address);
    if (vf === undefined) throw new Error(`no VF ${address}`);
    this.bus.remove(vf.parent as BusDevice, { surprise: true });
    vf.hotUnplug({ surprise: true });
    this.sysfs.removeUnregistered(vf);
    this.vfs.delete(address);
  }

  /** Allocates `n` 64-byte unicast frames to `dst`, marked with increasing sequence numbers. */
  frames(n: number, dst: MacAddress, len = 64): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const h = this.pool.alloc();
      if (h < 0) throw new Error('pool empty');
      Ethernet.buildFrame(this.pool, h, dst.value, mac(0xee).value, 0x0800, len - 14);
      this.pool.mark[h] = ++this.seq;
      out[i] = h;
    }
    return out;
  }

  /** Advances virtual time by `ms`. */
  advanceMs(ms: number): void {
    this.scheduler.advanceBy(ms * 1_000_000);
  }
}
