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
  DropReason,
  NS_PER_MS,
} from '@bypass/core';
import { NetvscDevice, NetvspHost, VmbusChannel } from '@bypass/netvsc';

/** One phase of the kernel-style run: what each path carried. */
export interface KernelStylePhase {
  phase: string;
  /** Frames the guest sent that the host received on the synthetic (VMBus) path. */
  synthetic: number;
  /** Frames the guest sent through the VF. */
  vf: number;
  /** Of 32 frames arriving from the wire: how many reached eth0 on each path. */
  rx: { synthetic: number; vf: number };
  /** Frames dropped, by reason. */
  dropped: Record<string, number>;
}

/** What {@link runKernelStyle} observed. */
export interface KernelStyleResult {
  phases: KernelStylePhase[];
  /** netvsc's log lines (as Linux's netdev_info would print them). */
  log: string[];
  /** `ethtool -S eth0`, the VF counters. */
  ethtool: Record<string, number>;
  /** eth0's tx_packets (stats64: synthetic plus what the VF sent while enslaved). */
  txPackets: number;
  /** Frames still allocated at the end (must be 0). */
  leakedFrames: number;
}

const MAC = MacAddress.parse('00:15:5d:00:00:01');

/**
 * The kernel-style half of examples/netvsc-direct: `@bypass/netvsc` used directly, without the
 * hypervisor package. A VM namespace, a VMBus channel with the NetVSP host peer on its other
 * end, the netvsc driver probed on it (Linux behaviour: netvsc is the master of its VF), then a
 * VF hot-plugged, its association sent by the host, a surprise removal with frames in flight, and
 * the VF back. Returns which path carried what in each phase.
 */
export function runKernelStyle(): KernelStyleResult {
  const scheduler = new VirtualScheduler();
  const pool = new PacketPool({ slots: 4096 });
  const ns = new NetNamespace('vm1');
  const registry = new BypassRegistry();
  const bus = new DeviceBus();
  const channel = new VmbusChannel({ scheduler, signalLatencyNs: 20_000 });
  const host = new NetvspHost({ channel, pool, scheduler, mac: MAC });
  const log: string[] = [];
  const drops = new Map<string, number>();
  pool.onDrop = (_p, _pk, _s, count, reason) => {
    const name = dropReasonName(reason);
    drops.set(name, (drops.get(name) ?? 0) + count);
  };

  // The host side: frames for the VM arrive on the VF once the guest switched (the VF's wire).
  let vf: VfDevice | null = null;
  let fn: BusDevice | null = null;
  host.vfSink = (pkts, s, n) =>
    vf === null ? pool.drop(pkts, s, n, DropReason.NO_DEVICE) : void vf.injectRx(0, pkts, s, n);

  let netvsc: NetvscDevice | null = null;
  NetvscDevice.probe({ channel, pool, scheduler, registry, ns, name: 'eth0' }, (err, dev) => {
    if (err !== null) throw err;
    netvsc = dev;
  });
  scheduler.runUntilIdle();
  const eth0 = netvsc as NetvscDevice | null;
  if (eth0 === null) throw new Error('netvsc probe did not complete');
  eth0.events.on('log', (line) => log.push(line));
  eth0.bindSink((_d, pkts, s, n) => pool.freeBurst(pkts, s, n));
  eth0.open();

  const plug = (serial: number): void => {
    fn = new BusDevice({
      id: `0001:00:0${serial}.0`,
      bus: 'pci',
      pci: { address: `0001:00:0${serial}.0`, virtfn: true, serial },
    });
    bus.add(fn);
    host.sendVfAssociation(true, serial);
    vf = new VfDevice({ pool, permAddr: MAC, parent: fn, driver: 'mlx5_core', ringSize: 256 });
    vf.setLink(true);
    ns.register(vf, `enP1s${serial}`);
  };

  const burst = new Int32Array(32);
  const send = (bursts: number): void => {
    for (let b = 0; b < bursts; b++) {
      const n = pool.allocBurst(burst, 0, 32);
      for (let i = 0; i < n; i++)
        Ethernet.buildFrame(pool, burst[i] as number, 0x0000_5e00_0053, MAC.value, ETH_P.IPV4, 86);
      eth0.xmit(burst, 0, n);
    }
  };
  const out = new Int32Array(256);
  const drainVf = (): number => {
    const d = vf as VfDevice | null;
    if (d === null) return 0;
    let total = 0;
    for (let q = 0; q < d.numTxQueues; q++)
      for (let n; (n = d.drainTx(q, out, 0, out.length)) > 0; total += n) pool.freeBurst(out, 0, n);
    return total;
  };
  const phases: KernelStylePhase[] = [];
  let syntheticSeen = 0;
  let rxSynSeen = 0;
  let rxVfSeen = 0;
  const wire = new Int32Array(32);
  const record = (phase: string): void => {
    scheduler.advanceBy(NS_PER_MS);
    const n = pool.allocBurst(wire, 0, 32);
    for (let i = 0; i < n; i++)
      Ethernet.buildFrame(pool, wire[i] as number, MAC.value, 0x0000_5e00_0099, ETH_P.IPV4, 86);
    host.deliver(wire, 0, n);
    (vf as VfDevice | null)?.pollAll();
    scheduler.advanceBy(NS_PER_MS);
    const synthetic = host.stats.fromGuestFrames - syntheticSeen;
    syntheticSeen = host.stats.fromGuestFrames;
    const rxSyn = eth0.getStats64().rxPackets - eth0.ethtool.vfRxPackets;
    const rx = { synthetic: rxSyn - rxSynSeen, vf: eth0.ethtool.vfRxPackets - rxVfSeen };
    rxSynSeen = rxSyn;
    rxVfSeen = eth0.ethtool.vfRxPackets;
    phases.push({ phase, synthetic, vf: drainVf(), rx, dropped: Object.fromEntries(drops) });
    drops.clear();
  };

  send(2);
  record('1. no VF yet');
  plug(1);
  send(1);
  record('2. VF plugged, before the takeover');
  scheduler.advanceBy(101 * NS_PER_MS); // takeover at 100 ms, the host completes the switch just after
  send(3);
  record('3. VF taken over and switched');
  send(2); // still in the VF's TX ring
  (vf as VfDevice | null)?.hotUnplug({ surprise: true });
  if (fn !== null) bus.remove(fn, { surprise: true });
  host.sendVfAssociation(false, 1);
  vf = null;
  send(1);
  record('4. VF surprise-removed, 64 in flight');
  plug(2);
  scheduler.advanceBy(101 * NS_PER_MS);
  send(2);
  record('5. VF back');

  const e = eth0.ethtoolStats();
  const ethtool: Record<string, number> = {};
  for (const k of ['vf_rx_packets', 'vf_rx_bytes', 'vf_tx_packets', 'vf_tx_bytes', 'vf_tx_dropped'])
    ethtool[k] = e[k] ?? 0;
  return { phases, log, ethtool, txPackets: eth0.getStats64().txPackets, leakedFrames: pool.inUse };
}

/**
 * The kernel-style run as a table: which path carried what in each phase, both directions.
 */
export function kernelStyleTable(r: KernelStyleResult): string[] {
  const lines = [
    `${'phase'.padEnd(38)} ${'synthetic'.padStart(9)} ${'vf'.padStart(5)} ${'rx syn'.padStart(7)} ${'rx vf'.padStart(6)}  dropped`,
  ];
  for (const p of r.phases) {
    const dropped = Object.entries(p.dropped)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    lines.push(
      `${p.phase.padEnd(38)} ${String(p.synthetic).padStart(9)} ${String(p.vf).padStart(5)} ${String(p.rx.synthetic).padStart(7)} ${String(p.rx.vf).padStart(6)}  ${dropped || '-'}`,
    );
  }
  lines.push(
    `ethtool -S eth0: ${Object.entries(r.ethtool)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}; tx_packets ${r.txPackets}`,
  );
  return lines;
}
