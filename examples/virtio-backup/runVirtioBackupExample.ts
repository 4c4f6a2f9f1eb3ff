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
import { VirtioNetBackend, VirtioNetDevice, featureNames } from '@bypass/virtio-backup';

/** What the example observed, phase by phase. */
export interface VirtioBackupExampleResult {
  /** Names after probe: the master and the virtio (standby) netdev. */
  names: { master: string; virtio: string; vf: string };
  /** Features the guest driver negotiated with the host. */
  features: string[];
  /** Frames each path carried, per phase, and the drops of the phase by reason. */
  phases: { phase: string; virtio: number; vf: number; dropped: Record<string, number> }[];
  /** Frames the guest stack received on the master (RX through virtio before the VF). */
  received: number;
  /**
   * Gratuitous ARPs sent after the host's announce request (none: the standby holds no address),
   * and acks the host saw.
   */
  garps: number;
  announceAcks: number;
  /** Frames still allocated at the end (must be 0). */
  leakedFrames: number;
  /** Log lines printed by main. */
  log: string[];
}

/**
 * A guest with a virtio-net device that offers VIRTIO_NET_F_BACKUP (mainline STANDBY): the
 * driver creates the bypass master at probe, a VF with the same MAC is hot-plugged and takes the
 * traffic, is surprise-removed with frames in flight (live migration), the host asks for an
 * announcement after the move, and a VF comes back on the destination.
 */
export function runVirtioBackupExample(): VirtioBackupExampleResult {
  const log: string[] = [];
  const pool = new PacketPool({ slots: 4096 });
  const ns = new NetNamespace('vm1');
  const bus = new DeviceBus();
  const registry = new BypassRegistry();
  const mac = MacAddress.parse('52:54:00:6b:00:01');
  const peer = MacAddress.parse('52:54:00:6b:00:fe');
  const drops = new Map<string, number>();
  pool.onDrop = (_p, _pkts, _s, count, reason) => {
    const name = dropReasonName(reason);
    drops.set(name, (drops.get(name) ?? 0) + count);
  };
  ns.events$.subscribe((e) => log.push(`event ${e.type.padEnd(12)} ${e.dev.name}`));
  registry.events$.subscribe((e) =>
    log.push(`bypass ${e.type} ${e.slave.name} -> ${e.master.name}`),
  );

  // The host side: a virtio-net device with failover=on; the guest probes it.
  const backend = new VirtioNetBackend({
    pool,
    mac,
    backup: true,
    maxQueuePairs: 2,
    queueSize: 256,
  });
  const virtioFn = new BusDevice({ id: 'virtio0', bus: 'virtio' });
  const virtio = VirtioNetDevice.probe({
    pool,
    transport: backend,
    ns,
    parent: virtioFn,
    registry,
    name: 'ens10',
    ipv4: 0x0a00_0002,
  });
  const master = virtio.bypassMaster;
  if (master === null) throw new Error('BACKUP was offered: the master must exist');
  let received = 0;
  master.bindSink((_d, pkts, start, count) => {
    received += count;
    pool.freeBurst(pkts, start, count);
  });
  master.open();

  // Hot-plug: the VF driver registers a netdev when a PCI function appears.
  let vf: VfDevice | null = null;
  bus.events$.subscribe((e) => {
    if (e.kind === 'add' && e.device.isPci) {
      vf = new VfDevice({
        pool,
        permAddr: mac,
        parent: e.device,
        driver: 'mlx5_core',
        ringSize: 256,
      });
      ns.register(vf, 'ens11');
      vf.setLink(true);
    }
  });

  const burst = new Int32Array(32);
  let seq = 0;
  const send = (bursts: number): void => {
    for (let b = 0; b < bursts; b++) {
      const n = pool.allocBurst(burst, 0, 32);
      for (let i = 0; i < n; i++) {
        const h = burst[i] as number;
        pool.setLength(h, 128);
        peer.writeTo(pool.bytes, pool.start[h]);
        mac.writeTo(pool.bytes, (pool.start[h] as number) + 6);
        pool.mark[h] = ++seq;
      }
      master.xmit(burst, 0, n, b);
    }
  };
  const out = new Int32Array(256);
  const drainVirtio = (): number => {
    let total = 0;
    for (let p = 0; p < backend.maxQueuePairs; p++) {
      for (let n; (n = backend.drainTx(p, out, 0, out.length)) > 0; total += n)
        pool.freeBurst(out, 0, n);
    }
    return total;
  };
  const drainVf = (): number => {
    const v = vf as VfDevice | null;
    if (v === null || !v.registered) return 0;
    let total = 0;
    for (let q = 0; q < v.numTxQueues; q++) {
      for (let n; (n = v.drainTx(q, out, 0, out.length)) > 0; total += n) pool.freeBurst(out, 0, n);
    }
    return total;
  };
  const phases: VirtioBackupExampleResult['phases'] = [];
  const record = (phase: string, virtioFrames: number, vfFrames: number): void => {
    phases.push({ phase, virtio: virtioFrames, vf: vfFrames, dropped: Object.fromEntries(drops) });
    drops.clear();
    log.push(
      `${phase.padEnd(40)} virtio ${String(virtioFrames).padStart(4)}  vf ${String(vfFrames).padStart(4)}`,
    );
  };

  // 1. Only virtio: TX and RX go through the split virtqueues.
  send(2);
  const fromWire = new Int32Array(16);
  const m = pool.allocBurst(fromWire, 0, 16);
  for (let i = 0; i < m; i++) {
    const h = fromWire[i] as number;
    pool.setLength(h, 64);
    mac.writeTo(pool.bytes, pool.start[h]);
    peer.writeTo(pool.bytes, (pool.start[h] as number) + 6);
  }
  backend.receive(0, fromWire, 0, m);
  record('1. virtio only', drainVirtio(), 0);

  // 2. The host plugs a VF with the same MAC.
  const fn1 = new BusDevice({
    id: '0000:00:05.0',
    bus: 'pci',
    pci: { address: '0000:00:05.0', virtfn: true },
  });
  bus.add(fn1);
  send(3);
  record('2. VF plugged', drainVirtio(), drainVf());

  // 3. Migration starts: the VF is surprise-removed with 64 frames in its rings.
  send(2);
  (vf as VfDevice | null)?.hotUnplug({ surprise: true });
  bus.remove(fn1, { surprise: true });
  record('3. VF removed, 64 in flight', drainVirtio(), 0);

  // 4. On virtio during the move; after it the host asks the guest to announce itself. Linux
  // notifies peers on the standby, which holds no address (they are the master's): no GARP.
  send(1);
  backend.announce();
  record('4. virtio + announce (no GARP)', drainVirtio(), 0);

  // 5. The destination plugs a VF again.
  const fn2 = new BusDevice({
    id: '0000:00:06.0',
    bus: 'pci',
    pci: { address: '0000:00:06.0', virtfn: true },
  });
  bus.add(fn2);
  send(2);
  record('5. VF back', drainVirtio(), drainVf());

  const names = {
    master: master.name,
    virtio: virtio.name,
    vf: (vf as VfDevice | null)?.name ?? '-',
  };
  const features = featureNames(virtio.virtioFeatures);
  const garps = virtio.garpSent;
  // Tear down: remove the virtio device (the master goes with it), then the VF.
  virtio.remove();
  drainVf();
  (vf as VfDevice | null)?.hotUnplug();
  log.push(
    `virtio tx_packets ${virtio.stats.txPackets}, master tx_dropped ${master.getStats64().txDropped}`,
  );
  return {
    names,
    features,
    phases,
    received,
    garps,
    announceAcks: backend.announceAcks,
    leakedFrames: pool.inUse,
    log,
  };
}
