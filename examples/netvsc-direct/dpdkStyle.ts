import {
  BusDevice,
  BypassRegistry,
  DeviceBus,
  ETH_P,
  Ethernet,
  MacAddress,
  NS_PER_MS,
  NetNamespace,
  PacketPool,
  VfDevice,
  VirtualScheduler,
  dropReasonName,
} from '@bypass/core';
import {
  EthDevRegistry,
  NetvscDevice,
  NetvspHost,
  PipeTable,
  SimulatedSysfs,
  VdevNetvsc,
  VmbusChannel,
  failsafeDriver,
  tapDriver,
  vfPmdDriver,
  type FailsafePort,
} from '@bypass/netvsc';

/** One phase of the DPDK-style run: what each path carried. */
export interface DpdkStylePhase {
  phase: string;
  /** Frames the application sent that left through the TAP and the kernel netvsc (VMBus). */
  tapNetvsc: number;
  /** Frames the application sent that left through the VF's PMD. */
  vf: number;
  /** Frames the application received, by the sub-device that delivered them. */
  rx: { tap: number; vf: number };
  /** Frames dropped, by reason. */
  dropped: Record<string, number>;
}

/** What {@link runDpdkStyle} observed. */
export interface DpdkStyleResult {
  phases: DpdkStylePhase[];
  /** The fail-safe port's name and devargs, as vdev_netvsc generated them. */
  failsafe: { name: string; devargs: string };
  /** Milliseconds from the VF's hot-plug until TX used it (1 s re-probe + 2 s upkeep at most). */
  vfNoticedAfterMs: number;
  /** The fail-safe port's opackets at the end (survives the VF's removal). */
  opackets: number;
  /** vdev_netvsc and fail-safe log lines. */
  log: string[];
  /** Frames still allocated at the end (must be 0). */
  leakedFrames: number;
}

const MAC = MacAddress.parse('00:15:5d:00:00:01');
const VF_ADDR = '0002:00:02.0';

/**
 * The DPDK-style half of examples/netvsc-direct: `@bypass/netvsc` used directly, the way a DPDK
 * application on Hyper-V/Azure runs without the netvsc PMD. The kernel netvsc driver (`eth0`)
 * talks to the NetVSP host over VMBus; vdev_netvsc (auto-detected "on Hyper-V") finds it and
 * creates `net_failsafe_vsc0` = `fd(<pipe>),dev(net_tap_vsc0,remote=eth0)`; a VF with the same
 * MAC is hot-plugged (its PMD is the "any PMD"), surprise-removed with frames in flight, and
 * plugged back. Returns which path carried what in each phase.
 */
export function runDpdkStyle(): DpdkStyleResult {
  const scheduler = new VirtualScheduler();
  const pool = new PacketPool({ slots: 4096 });
  const ns = new NetNamespace('vm1');
  const bus = new DeviceBus();
  const log: string[] = [];
  const drops = new Map<string, number>();
  pool.onDrop = (_p, _pk, _s, count, reason) => {
    const name = dropReasonName(reason);
    drops.set(name, (drops.get(name) ?? 0) + count);
  };

  // The kernel side: netvsc on a VMBus channel with the NetVSP host peer.
  const channel = new VmbusChannel({ scheduler, signalLatencyNs: 20_000 });
  const host = new NetvspHost({ channel, pool, scheduler, mac: MAC });
  host.vfSink = (pkts, s, n) => pool.freeBurst(pkts, s, n);
  let netvsc: NetvscDevice | null = null;
  NetvscDevice.probe(
    { channel, pool, scheduler, registry: new BypassRegistry(), ns, name: 'eth0' },
    (err, dev) => {
      if (err !== null) throw err;
      netvsc = dev;
    },
  );
  scheduler.runUntilIdle();
  const eth0 = netvsc as NetvscDevice | null;
  if (eth0 === null) throw new Error('netvsc probe did not complete');

  // The DPDK side: ports, drivers, vdev_netvsc reading a sysfs view of the VM.
  const registry = new EthDevRegistry();
  const pipes = new PipeTable();
  const sysfs = new SimulatedSysfs({ ns, bus });
  const vfs = new Map<string, VfDevice>();
  const dpdkLog = (level: string, m: string): void => void log.push(`${level}: ${m}`);
  registry.registerDriver(tapDriver({ ns, pool }));
  registry.registerDriver(failsafeDriver({ pool, scheduler, fds: pipes, log: dpdkLog }));
  registry.registerDriver(vfPmdDriver({ resolve: (a) => vfs.get(a), bus }));
  const vdev = new VdevNetvsc({ registry, sysfs, scheduler, pipes, log: dpdkLog });
  vdev.autoProbe({ onHyperV: true });
  const ctx = vdev.contexts[0];
  if (ctx === undefined) throw new Error('vdev_netvsc found no NetVSC interface');
  const fs = ctx.port as FailsafePort;
  fs.configure(1, 1);
  fs.start();

  const plugVf = (): VfDevice => {
    const fn = new BusDevice({ id: VF_ADDR, bus: 'pci', pci: { address: VF_ADDR, virtfn: true } });
    bus.add(fn);
    const vf = new VfDevice({ pool, permAddr: MAC, parent: fn, driver: 'mlx5', ringSize: 256 });
    vf.setLink(true);
    vfs.set(VF_ADDR, vf);
    sysfs.addUnregistered(vf, 'enP2s2'); // the bifurcated VF keeps its kernel interface
    return vf;
  };
  const unplugVf = (vf: VfDevice): void => {
    bus.remove(vf.parent as BusDevice, { surprise: true });
    vf.hotUnplug({ surprise: true });
    sysfs.removeUnregistered(vf);
    vfs.delete(VF_ADDR);
  };

  const burst = new Int32Array(32);
  const send = (bursts: number): void => {
    for (let b = 0; b < bursts; b++) {
      const n = pool.allocBurst(burst, 0, 32);
      for (let i = 0; i < n; i++)
        Ethernet.buildFrame(pool, burst[i] as number, 0x0000_5e00_0053, MAC.value, ETH_P.IPV4, 86);
      const took = fs.txBurst(0, burst, 0, n);
      pool.freeBurst(burst, took, n - took); // what the port did not take, the app frees
    }
  };
  const out = new Int32Array(256);
  const drainVf = (): number => {
    const vf = vfs.get(VF_ADDR);
    if (vf === undefined) return 0;
    let total = 0;
    for (let n; (n = vf.drainTx(0, out, 0, out.length)) > 0; total += n) pool.freeBurst(out, 0, n);
    return total;
  };
  /** The wire delivers `n` frames for the VM: to the VF when there is one, else over VMBus. */
  const receiveFromWire = (n: number): void => {
    const k = pool.allocBurst(burst, 0, n);
    for (let i = 0; i < k; i++)
      Ethernet.buildFrame(pool, burst[i] as number, MAC.value, 0x0000_5e00_0053, ETH_P.IPV4, 86);
    const vf = vfs.get(VF_ADDR);
    if (vf !== undefined) vf.injectRx(0, burst, 0, k);
    else host.deliver(burst, 0, k);
  };
  /** The application polls the fail-safe port; each sub-device's ipackets says who delivered. */
  const appRx = (): { tap: number; vf: number } => {
    const count = (sid: number): number => fs.subDevices[sid]?.port?.statsGet().ipackets ?? 0;
    const before = { vf: count(0), tap: count(1) };
    for (let n; (n = fs.rxBurst(0, out, 0, out.length)) > 0;) pool.freeBurst(out, 0, n);
    return { tap: count(1) - before.tap, vf: count(0) - before.vf };
  };

  const phases: DpdkStylePhase[] = [];
  let syntheticSeen = 0;
  const record = (phase: string, rx: { tap: number; vf: number }): void => {
    scheduler.advanceBy(NS_PER_MS);
    const tapNetvsc = host.stats.fromGuestFrames - syntheticSeen;
    syntheticSeen = host.stats.fromGuestFrames;
    phases.push({ phase, tapNetvsc, vf: drainVf(), rx, dropped: Object.fromEntries(drops) });
    drops.clear();
  };
  const rxPhase = (n: number): { tap: number; vf: number } => {
    receiveFromWire(n);
    scheduler.advanceBy(NS_PER_MS);
    return appRx();
  };

  send(2);
  record('1. no VF yet', rxPhase(8));

  let vf = plugVf();
  let noticed = -1;
  for (let ms = 0; ms <= 4000 && noticed < 0; ms += 10) {
    if (fs.txSubDevice?.port?.name === VF_ADDR) noticed = ms;
    else scheduler.advanceBy(10 * NS_PER_MS);
  }
  send(3);
  record('2. VF plugged and noticed', rxPhase(8));

  send(2); // 64 frames still in the VF's TX ring
  unplugVf(vf);
  send(1);
  record('3. VF surprise-removed, 64 in flight', rxPhase(8));

  scheduler.advanceBy(2000 * NS_PER_MS); // the upkeep round completes the removal
  vf = plugVf();
  scheduler.advanceBy(3000 * NS_PER_MS);
  send(2);
  record('4. VF back', rxPhase(8));

  const opackets = fs.statsGet().opackets;
  fs.stop();
  fs.close();
  vdev.remove();
  return {
    phases,
    failsafe: { name: ctx.devname, devargs: ctx.devargs },
    vfNoticedAfterMs: noticed,
    opackets,
    log,
    leakedFrames: pool.inUse,
  };
}

/**
 * The phases of a {@link runDpdkStyle} result as printable lines (what each path carried).
 */
export function dpdkStyleTable(r: DpdkStyleResult): string[] {
  const lines = [
    `${r.failsafe.name} = ${r.failsafe.devargs}`,
    `${'phase'.padEnd(38)} ${'tap+netvsc'.padStart(10)} ${'vf'.padStart(5)} ${'rx tap'.padStart(7)} ${'rx vf'.padStart(6)}  dropped`,
  ];
  for (const p of r.phases) {
    const dropped = Object.entries(p.dropped)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    lines.push(
      `${p.phase.padEnd(38)} ${String(p.tapNetvsc).padStart(10)} ${String(p.vf).padStart(5)} ${String(p.rx.tap).padStart(7)} ${String(p.rx.vf).padStart(6)}  ${dropped || '-'}`,
    );
  }
  lines.push(
    `VF noticed ${r.vfNoticedAfterMs} ms after its hot-plug; fail-safe opackets ${r.opackets}`,
  );
  return lines;
}
