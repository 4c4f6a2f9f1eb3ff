import type { FailoverPair } from '../discovery/FailoverPair.js';
import type { CounterVerdict, LinkRates, PathName, PathVerdict } from '../discovery/PathInUse.js';
import type { LinuxLinkEvent } from '../netdev/LinuxNetNamespace.js';

/**
 * One row of the `bypass watch` table: a pair, the path in use by relation and by counters, and
 * the rates of its members (by interface name; empty until two counter samples exist).
 *
 * @example
 * ```ts
 * const row: PairRow = watch.table()[0]!;
 * console.log(row.id, row.pathByRelation.path, row.pathByCounters?.path, row.rates[row.active ?? '']?.txPps);
 * ```
 */
export interface PairRow extends FailoverPair {
  /** Inferred from link states and the master/slave relation (see `pathFromRelation`). */
  readonly pathByRelation: PathVerdict;
  /** Null until two counter samples were taken; `source` says whether ethtool -S was used. */
  readonly pathByCounters: CounterVerdict | null;
  readonly rates: Readonly<Record<string, LinkRates>>;
}

/**
 * What `bypass watch` produces, one JSON object per NDJSON line (`t` = ms since the watch
 * started, on the injected scheduler's clock):
 * - `snapshot`: the table (after the first sync, after every change of pairs or paths, after
 *   every counter sample);
 * - `event`: a live netdev event of any interface (`register`, `up`, `changename`...);
 * - `path`: a pair's path changed (by relation or by counters) - the "when it changed" line.
 *
 * @example
 * ```ts
 * watch.updates$.subscribe((u: WatchUpdate) => {
 *   if (u.type === 'path') console.log(`${u.t} ms: ${u.pair} ${u.from} -> ${u.to} (${u.reason})`);
 * });
 * ```
 */
export type WatchUpdate =
  | { readonly type: 'snapshot'; readonly t: number; readonly pairs: readonly PairRow[] }
  | { readonly type: 'event'; readonly t: number; readonly event: LinuxLinkEvent }
  | {
      readonly type: 'path';
      readonly t: number;
      readonly pair: string;
      readonly by: 'relation' | 'counters';
      readonly from: PathName | null;
      readonly to: PathName;
      readonly reason: string;
    };
