/**
 * One `ethtool -S` reading of an interface: the driver's own counters by name, or why they could
 * not be read (no `ethtool` binary, the driver has no statistics, the interface is gone...).
 *
 * @example
 * ```ts
 * const r: EthtoolStatsReading = { ok: true, stats: new Map([['vf_tx_packets', 1200]]) };
 * if (!r.ok) console.log('no ethtool counters:', r.why);
 * ```
 */
export type EthtoolStatsReading =
  | { readonly ok: true; readonly stats: ReadonlyMap<string, number> }
  | { readonly ok: false; readonly why: string };

/**
 * Where the driver's own counters (`ethtool -S`) come from; injectable for tests. A source never
 * throws: a failure is a reading with `ok: false`, and callers fall back to stats64.
 *
 * @example
 * ```ts
 * const fake: EthtoolStatsSource = {
 *   read: (dev) => Promise.resolve({ ok: true, stats: new Map([['vf_tx_packets', 0]]) }),
 * };
 * const r = await fake.read('eth0');
 * ```
 */
export interface EthtoolStatsSource {
  /** Reads the counters of `dev` now. */
  read(dev: string): Promise<EthtoolStatsReading>;
}
