/**
 * Which path carries a frame: none, the active (VF) path, or the backup (paravirtual) path.
 *
 * @example
 * ```ts
 * if (policy.unicastPath(vfReady, true) === DatapathPath.ACTIVE) sendOnVf();
 * ```
 */
export const DatapathPath = {
  NONE: 0,
  ACTIVE: 1,
  BACKUP: 2,
} as const;

/**
 * One of the {@link DatapathPath} values.
 *
 * @example
 * ```ts
 * const p: DatapathPathValue = DatapathPath.BACKUP;
 * ```
 */
export type DatapathPathValue = (typeof DatapathPath)[keyof typeof DatapathPath];

/**
 * The printable name of a path: `'none' | 'active' | 'backup'`.
 *
 * @example
 * ```ts
 * datapathName(DatapathPath.ACTIVE); // 'active'
 * ```
 */
export function datapathName(p: DatapathPathValue): 'none' | 'active' | 'backup' {
  return p === DatapathPath.ACTIVE ? 'active' : p === DatapathPath.BACKUP ? 'backup' : 'none';
}

/**
 * Options of a {@link BypassPolicy}.
 *
 * @example
 * ```ts
 * const o: BypassPolicyOptions = { multicastViaBackup: true };
 * ```
 */
export interface BypassPolicyOptions {
  /**
   * The seed RFC v2 variant (seed 004): unicast over the active path, multicast and broadcast
   * over the backup, so east-west broadcasts do not cross the PCI link; group frames received on
   * the backup then reach the master even while an active slave exists.
   */
  multicastViaBackup?: boolean;
}

/**
 * The selection policy shared by every bypass consumer (the 3-netdev {@link BypassMaster}, the
 * 2-netdev NetVSC driver, the DPDK personalities): given whether each path is ready, which one
 * carries unicast, which one carries multicast/broadcast, and whether a frame received on the
 * backup may reach the master. Decisions are per burst (or per frame class), never per packet
 * state lookups. TX rule as in Linux `drivers/net/net_failover.c`: the active path if ready, else
 * the backup if ready, else none (drop and count).
 *
 * @example
 * ```ts
 * const policy = new BypassPolicy({ multicastViaBackup: true });
 * policy.unicastPath(true, true);   // DatapathPath.ACTIVE
 * policy.multicastPath(true, true); // DatapathPath.BACKUP
 * policy.unicastPath(false, false); // DatapathPath.NONE
 * ```
 */
export class BypassPolicy {
  readonly multicastViaBackup: boolean;

  constructor(options: BypassPolicyOptions = {}) {
    this.multicastViaBackup = options.multicastViaBackup ?? false;
  }

  /** Path for unicast frames: active if ready, else backup if ready, else none. */
  unicastPath(activeReady: boolean, backupReady: boolean): DatapathPathValue {
    if (activeReady) return DatapathPath.ACTIVE;
    return backupReady ? DatapathPath.BACKUP : DatapathPath.NONE;
  }

  /** Path for multicast and broadcast frames (the backup first in the RFC v2 variant). */
  multicastPath(activeReady: boolean, backupReady: boolean): DatapathPathValue {
    if (!this.multicastViaBackup) return this.unicastPath(activeReady, backupReady);
    if (backupReady) return DatapathPath.BACKUP;
    return activeReady ? DatapathPath.ACTIVE : DatapathPath.NONE;
  }

  /**
   * Whether a frame received on the backup reaches the master: always when no active slave
   * exists; with an active slave only group frames in the RFC v2 variant (Linux
   * `net_failover_handle_frame` returns EXACT for all of them).
   */
  backupRxReachesMaster(activePresent: boolean, groupFrame: boolean): boolean {
    return !activePresent || (this.multicastViaBackup && groupFrame);
  }

  /** The master's carrier: on when either path is ready. */
  carrier(activeReady: boolean, backupReady: boolean): boolean {
    return activeReady || backupReady;
  }
}
