import type { MacAddress } from '../netdev/MacAddress.js';
import type { NetDevice } from '../netdev/NetDevice.js';
import type { NetDeviceStats } from '../netdev/NetDeviceStats.js';
import type { BondLinkState } from './BondOptions.js';

/**
 * What a {@link BondMaster} keeps per slave (Linux `struct slave` in include/net/bonding.h):
 * link-monitor state, what to restore at release, and the stats snapshot of the last fold.
 *
 * @example
 * ```ts
 * const s: BondSlave = {
 *   dev: vf, link: 'up', proposed: null, delay: 0, linkFailures: 0,
 *   originalMtu: vf.mtu, originalAddr: vf.devAddr, hadBonding: false,
 *   snap: vf.getStats64().clone(),
 * };
 * ```
 */
export interface BondSlave {
  /** The slave device. */
  readonly dev: NetDevice;
  /** Committed link state (`link`). */
  link: BondLinkState;
  /** State proposed by the current monitor round (`link_new_state`); null = no change. */
  proposed: BondLinkState | null;
  /** Remaining updelay / downdelay, in monitor ticks (`delay`). */
  delay: number;
  /** Times the monitor declared the link down (`link_failure_count`). */
  linkFailures: number;
  /** MTU before enslave (`original_mtu`), restored at release. */
  readonly originalMtu: number;
  /** Current address before enslave (`perm_hwaddr`), restored at release. */
  readonly originalAddr: MacAddress;
  /** Whether BONDING was already set before enslave (a nested bond). */
  readonly hadBonding: boolean;
  /** Counters at the last fold (`slave_stats`). */
  readonly snap: NetDeviceStats;
}

/**
 * One inspection round of the MII link monitor (drivers/net/bonding/bond_main.c:
 * bond_miimon_inspect): reads each slave's link (running and carrier) and sets its `proposed`
 * state, counting the up/down delays in ticks:
 * up -> fail (downdelay) -> down; down -> back (updelay) -> up; a link that recovers during
 * its delay goes straight back. When the bond has no active slave (`ignoreUpdelay`), the first
 * slave found in `back` skips its updelay. Returns true when something must be committed.
 *
 * @example
 * ```ts
 * if (inspectBondSlaves(slaves, updelayTicks, downdelayTicks, active === null)) commit();
 * ```
 */
export function inspectBondSlaves(
  slaves: readonly BondSlave[],
  updelayTicks: number,
  downdelayTicks: number,
  ignoreUpdelay: boolean,
): boolean {
  let ignoreUp = ignoreUpdelay;
  let commit = false;
  for (const s of slaves) {
    s.proposed = null;
    const ok = s.dev.running && s.dev.carrier;
    let state = s.link;
    if (state === 'up') {
      if (ok) continue;
      s.proposed = 'fail';
      commit = true;
      s.delay = downdelayTicks;
      state = 'fail';
    } else if (state === 'down') {
      if (!ok) continue;
      s.proposed = 'back';
      commit = true;
      s.delay = updelayTicks;
      state = 'back';
    }
    if (state === 'fail') {
      if (ok) {
        s.proposed = 'up'; // recovered before downdelay expired
        commit = true;
        continue;
      }
      if (s.delay <= 0) {
        s.proposed = 'down';
        commit = true;
        continue;
      }
      s.delay--;
    } else {
      if (!ok) {
        s.proposed = 'down';
        commit = true;
        continue;
      }
      if (ignoreUp) s.delay = 0;
      if (s.delay <= 0) {
        s.proposed = 'up';
        commit = true;
        ignoreUp = false;
        continue;
      }
      s.delay--;
    }
  }
  return commit;
}

/**
 * The slave that should be active (drivers/net/bonding/bond_main.c: bond_find_best_slave with
 * bond_choose_primary_or_current under primary_reselect=always and equal priorities): the
 * primary if its link is up; else the first slave, in enslave order, whose link is up; else the
 * running slave with carrier in `back` whose remaining updelay is the smallest (below
 * `updelayTicks`); else null.
 *
 * @example
 * ```ts
 * const best = findBestBondSlave(slaves, primarySlave, params.updelayTicks);
 * ```
 */
export function findBestBondSlave(
  slaves: readonly BondSlave[],
  primary: BondSlave | null,
  updelayTicks: number,
): BondSlave | null {
  if (primary !== null && primary.link === 'up') return primary;
  let best: BondSlave | null = null;
  let min = updelayTicks;
  for (const s of slaves) {
    if (s.link === 'up') return s;
    if (s.link === 'back' && s.dev.running && s.dev.carrier && s.delay < min) {
      min = s.delay;
      best = s;
    }
  }
  return best;
}
