import { BypassError } from '@bypass/core';
import type { LinkRecord, LinkStats } from '../netlink/LinkRecord.js';
import type { EthtoolStatsReading } from '../ethtool/EthtoolStatsSource.js';
import { netvscEthtoolMoves } from '../ethtool/netvscEthtoolMoves.js';
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
 * One interface's counters at one sample: its ifindex (the identity of the device: a VF that is
 * hot-removed and re-added comes back with a new ifindex and restarted counters), its stats64,
 * and for a netvsc interface its `ethtool -S` reading (null when not read).
 *
 * @example
 * ```ts
 * const r: CounterReading = { ifindex: 2, stats64: link.stats64!, ethtool: null };
 * ```
 */
export interface CounterReading {
  readonly ifindex: number;
  readonly stats64: LinkStats;
  readonly ethtool: EthtoolStatsReading | null;
}

/**
 * A counter verdict, with where the numbers came from: `ethtool` (netvsc's own per-path
 * counters) or `stats64` (the interfaces' rtnetlink counters).
 *
 * @example
 * ```ts
 * const v: CounterVerdict = { path: 'idle', reason: 'fewer than 10 packets', source: 'stats64' };
 * ```
 */
export interface CounterVerdict extends PathVerdict {
  readonly source: 'ethtool' | 'stats64';
}

/**
 * Options of {@link pathFromCounters}.
 *
 * @example
 * ```ts
 * const o: CounterOptions = { minPackets: 50 };
 * ```
 */
export interface CounterOptions {
  /**
   * Packets (TX, else unicast RX, summed over both paths) an interval needs before the verdict
   * leaves `idle`; default {@link DEFAULT_MIN_PACKETS}.
   */
  readonly minPackets?: number;
}

/**
 * The default {@link CounterOptions.minPackets}: 10 packets per interval, above the ARP, ND and
 * multicast noise an idle guest sends and receives.
 *
 * @example
 * ```ts
 * const watch = new LinuxWatch({ minPackets: DEFAULT_MIN_PACKETS * 5 });
 * ```
 */
export const DEFAULT_MIN_PACKETS = 10;

interface Moved {
  readonly tx: number;
  readonly rx: number;
  /** `multicast` growth (broadcast included where the driver folds it in, as netvsc does). */
  readonly mc: number;
}

function stats64Moved(b: LinkStats, a: LinkStats): Moved {
  return {
    tx: grow(a.txPackets, b.txPackets),
    rx: grow(a.rxPackets, b.rxPackets),
    mc: grow(a.multicast, b.multicast),
  };
}

/** Unicast RX: received packets minus multicast. */
function unicast(m: Moved): number {
  return Math.max(0, m.rx - m.mc);
}

function ethtoolOf(r: CounterReading | undefined): ReadonlyMap<string, number> | string {
  if (r === undefined || r.ethtool === null) return 'ethtool -S not read';
  return r.ethtool.ok ? r.ethtool.stats : `ethtool -S unavailable (${r.ethtool.why})`;
}

function share(act: number, bak: number): PathName {
  const total = act + bak;
  if (act >= 0.9 * total) return 'active';
  if (bak >= 0.9 * total) return 'backup';
  return 'both';
}

/**
 * The path in use according to counters between two samples. Only frames the guest chose a path
 * for count:
 * - TX decides when at least `minPackets` were sent (the guest picks the TX path: netvsc_xmit,
 *   net_failover_start_xmit, the bond); else unicast RX decides (RX minus multicast: broadcast and
 *   multicast keep arriving on the backup path while the VF carries the traffic, e.g. frames the
 *   standby gets are counted there and dropped by net_failover_handle_frame); fewer than
 *   `minPackets` either way is `idle`.
 * - A side with at least 90% of the deciding packets is "the" path, else `both`.
 * - `netvsc`: from netvsc's `ethtool -S` when both samples have it (`vf_tx_packets`,
 *   `vf_rx_packets` for the VF, the channels' `tx_queue_<n>_packets`, `rx_queue_<n>_packets` for
 *   the synthetic path; synthetic unicast RX subtracts netvsc's stats64 `multicast`, which
 *   netvsc_get_stats64 fills from the same channels, broadcast included). Otherwise from stats64,
 *   the synthetic share estimated as netvsc's growth minus the VF's own (netvsc counts VF skbs
 *   after GRO / before GSO, the VF driver counts frames, so this can hide synthetic traffic); the
 *   reason says which.
 * - A member whose ifindex changed between the samples was replaced: its counters restarted, the
 *   verdict is `unknown` until the next sample.
 *
 * @throws `BypassError` `ERR_INVALID_ARGUMENT` when `minPackets` is not an integer >= 1.
 *
 * @param before - readings by interface name at the first sample
 * @param after - readings by interface name at the second sample
 *
 * @example
 * ```ts
 * const v = pathFromCounters(pair, sample0, sample1, { minPackets: 10 });
 * if (v.path === 'backup') console.log('traffic is not accelerated:', v.reason);
 * ```
 */
export function pathFromCounters(
  pair: FailoverPair,
  before: ReadonlyMap<string, CounterReading>,
  after: ReadonlyMap<string, CounterReading>,
  options: CounterOptions = {},
): CounterVerdict {
  const min = options.minPackets ?? DEFAULT_MIN_PACKETS;
  if (!Number.isSafeInteger(min) || min < 1) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `minPackets must be an integer >= 1, got ${min}; the default is ${DEFAULT_MIN_PACKETS}`,
    );
  }
  const stats64 = 'stats64';
  const names = [pair.active, pair.backup, pair.model === 'netvsc' ? pair.master : null];
  for (const n of names) {
    if (n === null) continue;
    const b = before.get(n);
    const a = after.get(n);
    if (a === undefined || b === undefined) {
      return { path: 'unknown', reason: `counters of ${n} missing`, source: stats64 };
    }
    if (a.ifindex !== b.ifindex) {
      return {
        path: 'unknown',
        reason: `${n} was replaced (ifindex ${b.ifindex} -> ${a.ifindex}): its counters restarted`,
        source: stats64,
      };
    }
  }
  const zero: Moved = { tx: 0, rx: 0, mc: 0 };
  const moved = (n: string | null): Moved => {
    const b = n === null ? undefined : before.get(n);
    const a = n === null ? undefined : after.get(n);
    return a === undefined || b === undefined ? zero : stats64Moved(b.stats64, a.stats64);
  };
  const vf = moved(pair.active);
  let act = { tx: vf.tx, rx: unicast(vf) };
  let bak = { tx: 0, rx: 0 };
  let source: CounterVerdict['source'] = 'stats64';
  let note = '';
  if (pair.model === 'netvsc') {
    const all = moved(pair.master);
    const b = ethtoolOf(pair.master === null ? undefined : before.get(pair.master));
    const a = ethtoolOf(pair.master === null ? undefined : after.get(pair.master));
    const m = typeof b === 'string' ? b : typeof a === 'string' ? a : netvscEthtoolMoves(b, a);
    // netvsc_drv.c netvsc_get_stats64: netvsc's `multicast` is the synthetic channels' multicast
    // plus broadcast only (the VF's are not added), so it is the synthetic path's non-unicast RX.
    if (typeof m !== 'string') {
      // The VF's own `multicast` is in frames, netvsc's vf_rx_packets in skbs; GRO merges TCP
      // (and UDP only when asked to), so for multicast and broadcast the two units agree.
      act = { tx: m.vfTx, rx: Math.max(0, m.vfRx - vf.mc) };
      bak = { tx: m.syntheticTx, rx: Math.max(0, m.syntheticRx - all.mc) };
      source = 'ethtool';
    } else {
      // netvsc_get_stats64 adds netvsc's own vf_stats (skbs after GRO, before GSO) to the
      // synthetic channels; the VF's stats64 count frames, so the difference is an estimate.
      bak = { tx: Math.max(0, all.tx - vf.tx), rx: Math.max(0, all.rx - vf.rx - all.mc) };
      note = `; ${m}: synthetic share estimated as netvsc's stats64 minus the VF's`;
    }
  } else {
    bak = { tx: moved(pair.backup).tx, rx: unicast(moved(pair.backup)) };
  }
  const sides = `${pair.active ?? 'no VF'}/${pair.backup ?? 'no backup'}`;
  const detail = `TX ${act.tx}/${bak.tx}, unicast RX ${act.rx}/${bak.rx} on ${sides}${note}`;
  if (act.tx + bak.tx >= min)
    return { path: share(act.tx, bak.tx), reason: `by TX: ${detail}`, source };
  if (act.rx + bak.rx >= min) {
    return { path: share(act.rx, bak.rx), reason: `by unicast RX: ${detail}`, source };
  }
  return { path: 'idle', reason: `fewer than ${min} packets: ${detail}`, source };
}
