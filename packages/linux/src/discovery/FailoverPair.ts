import type { LinkRecord } from '../netlink/LinkRecord.js';
import type { SysfsNetFacts } from '../sysfs/SysfsView.js';

/**
 * How a pair is built:
 * - `netvsc`: Hyper-V's 2-netdev model: the hv_netvsc interface is the master and the synthetic
 *   (backup) path; the VF (active) is its slave.
 * - `net_failover`: the 3-netdev model (virtio with STANDBY/BACKUP): a failover master, the
 *   virtio standby (backup) and the VF primary (active).
 * - `bond`: bonding in active-backup mode (the pre-failover way, and the "one-legged bond").
 * - `same-mac`: two interfaces with the same MAC and no master at all; reported only with
 *   `force` (like vdev_netvsc's `force=1`).
 *
 * @example
 * ```ts
 * const m: PairModel = 'net_failover';
 * ```
 */
export type PairModel = 'netvsc' | 'net_failover' | 'bond' | 'same-mac';

/**
 * A failover pair found on a real system. Names are interface names; `master` equals `backup`
 * for the `netvsc` model (netvsc is both). `active` is null when no VF is there (accelerated
 * networking off, or the VF is removed during host servicing).
 *
 * @example
 * ```ts
 * const p: FailoverPair = {
 *   id: 'netvsc:eth0', model: 'netvsc', mac: '00:0d:3a:00:00:01',
 *   master: 'eth0', backup: 'eth0', active: 'enP1s1', activeEnslaved: true,
 * };
 * ```
 */
export interface FailoverPair {
  /** Stable id: `<model>:<master or backup name>`. */
  readonly id: string;
  readonly model: PairModel;
  /** The shared MAC address: the master's (or backup's) current MAC. */
  readonly mac: string;
  /** The master interface, null for `same-mac`. */
  readonly master: string | null;
  /** The backup (paravirtual, synthetic, standby) interface. */
  readonly backup: string | null;
  /** The active (VF, primary) interface. */
  readonly active: string | null;
  /** False when the active interface is there but not enslaved to the master (a one-legged pair). */
  readonly activeEnslaved: boolean;
  /**
   * Present only for a one-legged pair whose active interface has another master (a bond,
   * bridge, team or OVS port): that master's name. Its rx_handler is why the netvsc or failover
   * master could not enslave the VF.
   */
  readonly activeMaster?: string;
}

/**
 * What pair discovery and `doctor` look at: the kernel's links and what sysfs says about them
 * (facts may be missing for an interface that vanished meanwhile).
 *
 * @example
 * ```ts
 * const snap: LinkSnapshot = { links: lns.links(), facts: new Map(names.map((n) => [n, sysfs.facts(n)])) };
 * ```
 */
export interface LinkSnapshot {
  readonly links: readonly LinkRecord[];
  readonly facts: ReadonlyMap<string, SysfsNetFacts>;
}
