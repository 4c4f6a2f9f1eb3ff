import type { LinkRecord, LinkStats } from '../netlink/LinkRecord.js';
import type { FailoverPair } from './FailoverPair.js';

/**
 * Which path carries a pair's traffic:
 * `active` (the VF), `backup` (the paravirtual/synthetic path), `both` (counters moved on both),
 * `idle` (no counter moved), `none` (no path is usable), `unknown` (cannot tell).
 *
 * @example
 * ```ts
 * const p: PathName = 'active';
 * ```
 */
export type PathName = 'active' | 'backup' | 'both' | 'idle' | 'none' | 'unknown';

/**
 * A path verdict with the reason behind it, in words a user can check.
 *
 * @example
 * ```ts
 * const v: PathVerdict = { path: 'backup', reason: 'VF enP1s1 is down: netvsc uses the synthetic path' };
 * ```
 */
export interface PathVerdict {
  readonly path: PathName;
  readonly reason: string;
}

function ready(l: LinkRecord | undefined): boolean {
  return l !== undefined && l.up && l.carrier;
}

/**
 * The path in use according to the master/slave relation and link states, per model:
 * - `netvsc` (`drivers/net/hyperv/netvsc_drv.c`, mainline 6.x): none when netvsc is down or has
 *   no carrier (its TX queues are stopped, and VF traffic is sent from netvsc's own xmit); the
 *   VF when it is enslaved, up and has carrier (netvsc_xmit's test, kernel >= 5.9), else the
 *   synthetic path. The host's data path switch (netvsc_vf_changed, `data_path_is_vf`) sends no
 *   rtnetlink notification, so `active` here is what netvsc is expected to do: the reason says so,
 *   and {@link pathFromCounters} confirms it;
 * - `net_failover`: the primary when running with carrier, else the standby, else none
 *   (`drivers/net/net_failover.c`);
 * - `bond`: the bond's current active slave;
 * - `same-mac`: the one member that is up with carrier; `unknown` when both are (with no master,
 *   routing and ARP decide).
 *
 * @example
 * ```ts
 * const v = pathFromRelation(pair, new Map(links.map((l) => [l.name, l])));
 * console.log(v.path, v.reason);
 * ```
 */
export function pathFromRelation(
  pair: FailoverPair,
  links: ReadonlyMap<string, LinkRecord>,
): PathVerdict {
  const get = (n: string | null): LinkRecord | undefined => (n === null ? undefined : links.get(n));
  const master = get(pair.master);
  const active = get(pair.active);
  const backup = get(pair.backup);
  switch (pair.model) {
    case 'netvsc': {
      // netvsc_drv.c (mainline 6.x): netvsc_close closes the VF too; netvsc_link_change stops
      // netvsc's TX queues on RNDIS media disconnect, and VF traffic leaves through netvsc's own
      // ndo_start_xmit, so without netvsc carrier neither path sends.
      if (master === undefined || !master.up) {
        return { path: 'none', reason: `${pair.master ?? '?'} is down` };
      }
      if (!master.carrier) {
        return {
          path: 'none',
          reason: `${master.name} has no carrier: netvsc stops its TX queues, neither path sends`,
        };
      }
      if (active === undefined) return { path: 'backup', reason: 'no VF: synthetic path' };
      if (!pair.activeEnslaved) {
        return { path: 'backup', reason: `VF ${active.name} is not enslaved to ${master.name}` };
      }
      if (!active.up)
        return { path: 'backup', reason: `VF ${active.name} is down: synthetic path` };
      // netvsc_xmit sends on the VF only if it is running with carrier (since v5.9, "hv_netvsc:
      // do not use VF device if link is down") and the data path was switched (data_path_is_vf).
      if (!active.carrier) {
        return {
          path: 'backup',
          reason: `VF ${active.name} has no carrier: netvsc sends on the synthetic path`,
        };
      }
      return {
        path: 'active',
        reason:
          `expected on the VF: ${active.name} is enslaved, up, with carrier ` +
          `(the host's data path switch is not visible over rtnetlink; see the counters)`,
      };
    }
    case 'net_failover':
    case 'bond': {
      if (master !== undefined && !master.up) {
        return { path: 'none', reason: `${master.name} is down` };
      }
      if (pair.model === 'bond' && master?.bond !== null && master?.bond !== undefined) {
        const cur = master.bond.activeSlave;
        if (cur === 0) return { path: 'none', reason: `${master.name} has no active slave` };
        if (active !== undefined && cur === active.ifindex) {
          return { path: 'active', reason: `${active.name} is the bond's active slave` };
        }
        if (backup !== undefined && cur === backup.ifindex) {
          return { path: 'backup', reason: `${backup.name} is the bond's active slave` };
        }
      }
      if (pair.activeEnslaved && ready(active)) {
        return { path: 'active', reason: `${pair.active ?? '?'} is enslaved, up, with carrier` };
      }
      if (ready(backup)) {
        return {
          path: 'backup',
          reason: `${pair.backup ?? '?'} is up with carrier; the active is not`,
        };
      }
      return { path: 'none', reason: 'no slave is up with carrier' };
    }
    case 'same-mac': {
      const a = ready(active);
      const b = ready(backup);
      if (a && b) {
        return { path: 'unknown', reason: 'both are up with carrier and no master decides' };
      }
      if (a) return { path: 'active', reason: `only ${pair.active ?? '?'} is up with carrier` };
      if (b) return { path: 'backup', reason: `only ${pair.backup ?? '?'} is up with carrier` };
      return { path: 'none', reason: 'neither is up with carrier' };
    }
  }
}

/**
 * Packet and byte rates of one interface between two counter readings.
 *
 * @example
 * ```ts
 * const r: LinkRates = { rxPps: 10, txPps: 12, rxBps: 8000, txBps: 9600 };
 * ```
 */
export interface LinkRates {
  readonly rxPps: number;
  readonly txPps: number;
  /** Bits per second. */
  readonly rxBps: number;
  readonly txBps: number;
}

function grow(after: number, before: number): number {
  return after >= before ? after - before : 0; // a reset (down/up on some drivers) counts as 0
}

/**
 * Rates from two stats64 readings `seconds` apart (counter resets count as no traffic).
 *
 * @example
 * ```ts
 * const r = linkRates(before.stats64!, after.stats64!, 1);
 * console.log(`${r.txPps} pkt/s out`);
 * ```
 */
export function linkRates(before: LinkStats, after: LinkStats, seconds: number): LinkRates {
  const s = seconds > 0 ? seconds : 1;
  return {
    rxPps: grow(after.rxPackets, before.rxPackets) / s,
    txPps: grow(after.txPackets, before.txPackets) / s,
    rxBps: (grow(after.rxBytes, before.rxBytes) * 8) / s,
    txBps: (grow(after.txBytes, before.txBytes) * 8) / s,
  };
}

/**
 * The path in use according to counters: packets (RX + TX) that moved on the active and on the
 * backup between two readings. For `netvsc`, whose totals include the VF's, the synthetic share
 * is netvsc's growth minus the VF's. A side carrying at least 90% of the packets is "the" path;
 * otherwise `both`; nothing moved: `idle`.
 *
 * @param before - stats64 by interface name at the first reading
 * @param after - stats64 by interface name at the second reading
 *
 * @example
 * ```ts
 * const v = pathFromCounters(pair, statsByName(t0), statsByName(t1));
 * if (v.path === 'backup') console.log('traffic is not accelerated:', v.reason);
 * ```
 */
export function pathFromCounters(
  pair: FailoverPair,
  before: ReadonlyMap<string, LinkStats>,
  after: ReadonlyMap<string, LinkStats>,
): PathVerdict {
  const moved = (n: string | null): number | null => {
    if (n === null) return 0;
    const b = before.get(n);
    const a = after.get(n);
    if (a === undefined || b === undefined) return null;
    return grow(a.rxPackets, b.rxPackets) + grow(a.txPackets, b.txPackets);
  };
  const act = moved(pair.active);
  let bak = moved(pair.backup);
  if (act === null || bak === null) return { path: 'unknown', reason: 'counters missing' };
  if (pair.model === 'netvsc') bak = Math.max(0, bak - act);
  const total = act + bak;
  const detail = `${act} packets on ${pair.active ?? 'no VF'}, ${bak} on ${pair.backup ?? 'no backup'}`;
  if (total === 0) return { path: 'idle', reason: 'no packets moved' };
  if (act >= 0.9 * total) return { path: 'active', reason: detail };
  if (bak >= 0.9 * total) return { path: 'backup', reason: detail };
  return { path: 'both', reason: detail };
}
