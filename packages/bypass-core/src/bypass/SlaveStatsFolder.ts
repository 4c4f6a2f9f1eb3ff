import type { NetDevice } from '../netdev/NetDevice.js';
import { NetDeviceStats, foldStats64 } from '../netdev/NetDeviceStats.js';
import { removeAt } from '../util/removeAt.js';

/**
 * Keeps a master's statistics as the sum of what its slaves did while enslaved (Linux
 * `drivers/net/net_failover.c` net_failover_get_stats): a snapshot per slave taken when it joins,
 * growth folded in at each read with {@link foldStats64} (counter resets ignored, 32-bit wraps
 * handled), a final fold when a slave leaves, so totals survive removal and never decrease.
 * Shared by the bypass master and NetVSC's VF accounting.
 *
 * @example
 * ```ts
 * const folder = new SlaveStatsFolder();
 * folder.attach(vf);
 * // ... traffic on vf ...
 * folder.detach(vf);           // vf's traffic is kept
 * folder.fold().txPackets;     // still counts it
 * ```
 */
export class SlaveStatsFolder {
  // Created on first use: a master that never had a slave, or never was read, pays nothing.
  private acc: NetDeviceStats | null = null;
  // The followed slaves and their snapshots, in attach order (a master has at most two: arrays
  // searched in place cost less than a Map per master). A null snapshot stands for all-zero
  // counters: a VF that just appeared has counted nothing, and its copy would be 24 zeros.
  private slaves: NetDevice[] | null = null;
  private snaps: (NetDeviceStats | null)[] | null = null;

  /** Starts counting `slave` from its current counters. */
  attach(slave: NetDevice): void {
    const now = slave.getStats64();
    const snap = now.isZero() ? null : now.clone();
    const i = this.indexOf(slave);
    if (i >= 0) {
      (this.snaps as (NetDeviceStats | null)[])[i] = snap;
    } else if (this.slaves === null) {
      this.slaves = [slave];
      this.snaps = [snap];
    } else {
      this.slaves.push(slave);
      (this.snaps as (NetDeviceStats | null)[]).push(snap);
    }
  }

  /** Folds `slave` one last time and stops following it. */
  detach(slave: NetDevice): void {
    const i = this.indexOf(slave);
    if (i < 0) return;
    const snaps = this.snaps as (NetDeviceStats | null)[];
    this.foldOne(slave, snaps, i);
    removeAt(this.slaves as NetDevice[], i);
    removeAt(snaps, i);
  }

  /** True while `slave` is followed. */
  has(slave: NetDevice): boolean {
    return this.indexOf(slave) >= 0;
  }

  /** Folds every followed slave and returns the accumulator (do not modify it). */
  fold(): NetDeviceStats {
    const slaves = this.slaves;
    if (slaves !== null) {
      const snaps = this.snaps as (NetDeviceStats | null)[];
      for (let i = 0; i < slaves.length; i++) this.foldOne(slaves[i] as NetDevice, snaps, i);
    }
    return this.total();
  }

  /** Folds the growth of `slave` since `snaps[i]` into the total; `snaps[i]` becomes now. */
  private foldOne(slave: NetDevice, snaps: (NetDeviceStats | null)[], i: number): void {
    const now = slave.getStats64();
    let before = snaps[i] as NetDeviceStats | null;
    if (before === null) {
      if (now.isZero()) return; // still nothing counted: nothing grew
      before = snaps[i] = new NetDeviceStats();
    }
    foldStats64(this.total(), now, before);
  }

  private total(): NetDeviceStats {
    return (this.acc ??= new NetDeviceStats());
  }

  private indexOf(slave: NetDevice): number {
    return this.slaves === null ? -1 : this.slaves.indexOf(slave);
  }
}
