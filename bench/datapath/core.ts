/**
 * The datapath subjects the core can measure today. Each one sends the same burst of 64-byte
 * frames again and again; a "wire" takes the burst back after every send (the VF's TX ring is
 * drained into the same handle array), so no ring ever fills and nothing is allocated or freed
 * inside the measurement: what is left is the per-burst cost of the path itself.
 */
import {
  BondMaster,
  BypassMaster,
  BypassRegistry,
  NetNamespace,
  NS_PER_MS,
  PacketPool,
  PacketRing,
  VfDevice,
  VirtualScheduler,
  type NetDevice,
} from '@bypass/core';
import type { BurstSubject, DatapathConfig } from '../definitions.js';
import { StandbyNic, benchMac, makeBurst, vfFunction, virtioFunction } from './fixtures.js';
import { xmitSubject } from './xmitSubject.js';

const PEER = benchMac(0xfffff);

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`datapath bench: ${what}`);
}

/** A registered, open VF with link, in its own namespace unless one is given. */
function openVf(pool: PacketPool, i: number, ns: NetNamespace): VfDevice {
  const vf = new VfDevice({ pool, permAddr: benchMac(i), parent: vfFunction(i), ringSize: 512 });
  ns.register(vf, `enP${i}s0`);
  vf.setLink(true);
  return vf;
}

function verifyVf(vf: VfDevice, pool: PacketPool, frames: number, burst: number): void {
  const s = vf.stats;
  check(s.txPackets === frames, `${vf.name} sent ${s.txPackets} frames, expected ${frames}`);
  check(s.txDropped === 0 && pool.dropped === 0, `${vf.name} dropped frames`);
  check(vf.txPending(0) === 0, `${vf.name} TX ring not drained`);
  check(pool.inUse === burst, `frames leaked or lost: ${pool.inUse} in use, ${burst} expected`);
}

/**
 * The physical limit: the burst's handles are moved through a bare power-of-two ring (enqueue,
 * then dequeue back into the same array). No netdev, no checks, no counters.
 */
export function ringLimit(config: DatapathConfig): BurstSubject {
  const pool = new PacketPool({ slots: config.burst });
  const pkts = makeBurst(pool, config.burst, config.frameLength, PEER);
  const ring = new PacketRing(512);
  const b = config.burst;
  let moved = 0;
  return {
    run(bursts: number): void {
      let m = 0;
      for (let i = 0; i < bursts; i++) {
        ring.enqueueBurst(pkts, 0, b);
        m += ring.dequeueBurst(pkts, 0, b);
      }
      moved += m;
    },
    verify(): void {
      check(ring.isEmpty && moved % b === 0, 'ring limit lost handles');
    },
  };
}

/** Sending directly on a registered, open VfDevice (`NetDevice.xmit` into its TX ring 0). */
export function vfDirect(config: DatapathConfig): BurstSubject {
  const pool = new PacketPool({ slots: config.burst });
  const pkts = makeBurst(pool, config.burst, config.frameLength, PEER);
  const vf = openVf(pool, 1, new NetNamespace('direct'));
  vf.open();
  const b = config.burst;
  return xmitSubject(vf, vf, pkts, b, (frames) => verifyVf(vf, pool, frames, b));
}

/**
 * Sending through the core's 3-netdev {@link BypassMaster}: a VfDevice active and a paravirtual
 * stand-in backup (what virtio-backup will provide), both up, the VF carrying the traffic.
 */
export function bypassMaster(config: DatapathConfig): BurstSubject {
  const pool = new PacketPool({ slots: config.burst + 64 });
  const pkts = makeBurst(pool, config.burst, config.frameLength, PEER);
  const ns = new NetNamespace('bypass');
  const registry = new BypassRegistry();
  const mac = benchMac(2);
  const backup = new StandbyNic({ pool, permAddr: mac, parent: virtioFunction(2) });
  const master = BypassMaster.create({ registry, backup, ns, name: 'bp0' });
  ns.register(backup, 'bp0nsby');
  backup.carrierOn();
  const vf = openVf(pool, 2, ns);
  master.open();
  check(master.active === vf && master.backup === backup, 'slaves not enslaved');
  check(master.datapath === 'active', `datapath is ${master.datapath}, not active`);
  const b = config.burst;
  return xmitSubject(master, vf, pkts, b, (frames) => {
    verifyVf(vf, pool, frames, b);
    check(backup.stats.txPackets === 0, 'the backup carried frames');
  });
}

/**
 * Sending through the pre-bypass way: a Linux-style active-backup {@link BondMaster} with the VF
 * as primary (active) and the paravirtual stand-in as the other slave.
 */
export function bondActiveBackup(config: DatapathConfig): BurstSubject {
  const pool = new PacketPool({ slots: config.burst + 64 });
  const pkts = makeBurst(pool, config.burst, config.frameLength, PEER);
  const ns = new NetNamespace('bond');
  const scheduler = new VirtualScheduler();
  const mac = benchMac(3);
  // miimon as distributions configure it (Linux's own default for active-backup is 0)
  const bond = new BondMaster({
    pool,
    scheduler,
    name: 'bond0',
    primary: 'enP3s0',
    miimon: 100 * NS_PER_MS,
  });
  ns.register(bond);
  const pv = new StandbyNic({ pool, permAddr: mac, parent: virtioFunction(3) });
  ns.register(pv, 'eth3');
  pv.carrierOn();
  const vf = new VfDevice({ pool, permAddr: mac, parent: vfFunction(3), ringSize: 512 });
  ns.register(vf, 'enP3s0');
  vf.setLink(true);
  bond.enslave(pv);
  bond.enslave(vf);
  bond.open();
  scheduler.advanceBy(1_000_000_000);
  const active: NetDevice | null = bond.activeSlave;
  check(active === vf, `bond active slave is ${active?.name ?? 'none'}, not the VF`);
  const b = config.burst;
  return xmitSubject(bond, vf, pkts, b, (frames) => {
    verifyVf(vf, pool, frames, b);
    check(pv.stats.txPackets === 0, 'the paravirtual slave carried frames');
  });
}
