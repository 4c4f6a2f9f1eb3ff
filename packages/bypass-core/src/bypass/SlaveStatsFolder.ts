import type { NetDevice } from '../netdev/NetDevice.js';
import { NetDeviceStats, foldStats64 } from '../netdev/NetDeviceStats.js';

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
  private readonly acc = new NetDeviceStats();
  private readonly snaps = new Map<NetDevice, NetDeviceStats>();

  /** Starts counting `slave` from its current counters. */
  attach(slave: NetDevice): void {
    this.snaps.set(slave, slave.getStats64().clone());
  }

  /** Folds `slave` one last time and stops following it. */
  detach(slave: NetDevice): void {
    const snap = this.snaps.get(slave);
    if (snap === undefined) return;
    foldStats64(this.acc, slave.getStats64(), snap);
    this.snaps.delete(slave);
  }

  /** True while `slave` is followed. */
  has(slave: NetDevice): boolean {
    return this.snaps.has(slave);
  }

  /** Folds every followed slave and returns the accumulator (do not modify it). */
  fold(): NetDeviceStats {
    for (const [slave, snap] of this.snaps) foldStats64(this.acc, slave.getStats64(), snap);
    return this.acc;
  }
}
