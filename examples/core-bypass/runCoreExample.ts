import {
  BusDevice,
  BypassRegistry,
  DeviceBus,
  MacAddress,
  NetNamespace,
  PacketPool,
  VfDevice,
  dropReasonName,
} from '@bypass/core';
import { ToyParavirtNic } from './ToyParavirtNic.js';

/** What the example observed, phase by phase. */
export interface CoreExampleResult {
  /** Frames each path carried, per phase. */
  phases: { phase: string; paravirt: number; vf: number; dropped: Record<string, number> }[];
  /** The NIC's folded counters at the end. */
  txPackets: number;
  /** Frames still allocated at the end (must be 0). */
  leakedFrames: number;
  /** Log lines printed by main. */
  log: string[];
}

/**
 * Builds a namespace, a toy paravirtual NIC with bypass ops, hot-plugs a VF with the same MAC,
 * sends bursts, surprise-removes the VF with frames in flight, and reports which path carried
 * what.
 */
export function runCoreExample(): CoreExampleResult {
  const log: string[] = [];
  const pool = new PacketPool({ slots: 2048 });
  const ns = new NetNamespace('vm1');
  const bus = new DeviceBus();
  const registry = new BypassRegistry();
  const mac = MacAddress.parse('00:15:5d:00:00:01');
  const drops = new Map<string, number>();
  pool.onDrop = (_p, _pkts, _s, count, reason) => {
    const name = dropReasonName(reason);
    drops.set(name, (drops.get(name) ?? 0) + count);
  };
  ns.events$.subscribe((e) => log.push(`event ${e.type.padEnd(12)} ${e.dev.name}`));
  registry.events$.subscribe((e) =>
    log.push(
      `bypass ${e.type} ${e.slave.name} -> ${e.master.name}${e.reason ? ` (${e.reason})` : ''}`,
    ),
  );

  // The paravirtual NIC, registered and made a bypass master.
  const toyBus = new BusDevice({ id: 'toy0', bus: 'virtual' });
  const pv = new ToyParavirtNic({
    pool,
    permAddr: mac,
    parent: toyBus,
    driver: 'toy_pv',
    maxMtu: 9000,
  });
  ns.register(pv, 'eth0');
  pv.carrierOn();
  pv.open();
  registry.register(pv, pv.bypassOps());

  // Hot-plug: a PCI VF with the same MAC appears; its driver registers a netdev.
  let vf: VfDevice | null = null;
  bus.events$.subscribe((e) => {
    if (e.kind === 'add' && e.device.isPci) {
      vf = new VfDevice({
        pool,
        permAddr: mac,
        parent: e.device,
        driver: 'any_pmd',
        ringSize: 256,
      });
      ns.register(vf, 'enP1s2');
      vf.setLink(true);
    }
  });

  const phases: CoreExampleResult['phases'] = [];
  let seq = 0;
  const burst = new Int32Array(32);
  const send = (bursts: number): void => {
    for (let b = 0; b < bursts; b++) {
      const n = pool.allocBurst(burst, 0, 32);
      for (let i = 0; i < n; i++) {
        const h = burst[i] as number;
        pool.setLength(h, 64);
        mac.writeTo(pool.bytes, pool.start[h]);
        pool.mark[h] = ++seq;
      }
      pv.xmit(burst, 0, n);
    }
  };
  const out = new Int32Array(256);
  const drainHost = (): number => {
    let total = 0;
    for (let n; (n = pv.hostRing.dequeueBurst(out, 0, out.length)) > 0;) {
      total += n;
      pool.freeBurst(out, 0, n);
    }
    return total;
  };
  const drainVf = (maxFrames: number): number => {
    if (vf === null || !vf.registered) return 0;
    let total = 0;
    for (let q = 0; q < vf.numTxQueues && total < maxFrames; q++) {
      const n = vf.drainTx(q, out, 0, Math.min(out.length, maxFrames - total));
      pool.freeBurst(out, 0, n);
      total += n;
    }
    return total;
  };
  const record = (phase: string, paravirt: number, vfFrames: number): void => {
    phases.push({ phase, paravirt, vf: vfFrames, dropped: Object.fromEntries(drops) });
    drops.clear();
    log.push(
      `${phase.padEnd(36)} paravirt ${String(paravirt).padStart(4)}  vf ${String(vfFrames).padStart(4)}`,
    );
  };

  send(2);
  record('1. no VF yet', drainHost(), 0);

  const fn = new BusDevice({
    id: '0001:00:02.0',
    bus: 'pci',
    pci: { address: '0001:00:02.0', virtfn: true, serial: 1 },
  });
  bus.add(fn);
  send(3);
  record('2. VF plugged and up', drainHost(), drainVf(96));

  send(2); // in flight: the host has not drained the VF ring yet
  const enslaved = vf as VfDevice | null;
  enslaved?.hotUnplug({ surprise: true });
  bus.remove(fn, { surprise: true });
  record('3. VF surprise-removed, 64 in flight', drainHost(), 0);

  send(1);
  record('4. after removal', drainHost(), 0);

  const txPackets = pv.getStats64().txPackets;
  log.push(
    `eth0 tx_packets (folded, VF included): ${txPackets}; VF still enslaved: ${pv.activeVf !== null}`,
  );
  return { phases, txPackets, leakedFrames: pool.inUse, log };
}
