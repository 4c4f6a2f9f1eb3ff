import type { LinkRates } from '../discovery/PathInUse.js';
import type { WatchUpdate, PairRow } from './WatchUpdate.js';

function rate(r: LinkRates | undefined): string {
  if (r === undefined) return '-';
  const pps = (n: number): string => (n >= 10_000 ? `${(n / 1000).toFixed(0)}k` : n.toFixed(0));
  return `${pps(r.rxPps)}/${pps(r.txPps)}`;
}

function pad(cells: string[][]): string {
  const widths: number[] = [];
  for (const row of cells) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return cells
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * The `bypass watch` table as text: one line per pair with its members, the path in use by
 * relation and by counters, and RX/TX packets per second of the active and the backup.
 *
 * @example
 * ```ts
 * console.log(formatWatchTable(watch.table()));
 * // PAIR          MODEL   MASTER  BACKUP  ACTIVE  PATH    COUNTERS  ACTIVE rx/tx  BACKUP rx/tx
 * // netvsc:eth0   netvsc  eth0    eth0    enP1s1  active  active    1200/1150     3/0
 * ```
 */
export function formatWatchTable(rows: readonly PairRow[]): string {
  const cells = [
    [
      'PAIR',
      'MODEL',
      'MASTER',
      'BACKUP',
      'ACTIVE',
      'PATH',
      'COUNTERS',
      'ACTIVE rx/tx',
      'BACKUP rx/tx',
    ],
  ];
  for (const r of rows) {
    cells.push([
      r.id,
      r.model,
      r.master ?? '-',
      r.backup ?? '-',
      r.active === null
        ? '-'
        : r.activeEnslaved || r.model === 'same-mac'
          ? r.active
          : `${r.active}(!)`,
      r.pathByRelation.path,
      r.pathByCounters?.path ?? '-',
      rate(r.active === null ? undefined : r.rates[r.active]),
      rate(r.backup === null ? undefined : r.rates[r.backup]),
    ]);
  }
  return rows.length === 0 ? `${pad(cells)}\n(no failover pairs)` : pad(cells);
}

/**
 * One line of the `bypass watch` event log for an update (null for `snapshot`, which redraws the
 * table instead).
 *
 * @example
 * ```ts
 * watch.updates$.subscribe((u) => { const line = formatWatchEvent(u); if (line) log.push(line); });
 * ```
 */
export function formatWatchEvent(u: WatchUpdate): string | null {
  const t = `${(u.t / 1000).toFixed(3)}s`;
  if (u.type === 'snapshot') return null;
  if (u.type === 'path')
    return `${t} ${u.pair}: path (${u.by}) ${u.from ?? '?'} -> ${u.to}: ${u.reason}`;
  const e = u.event;
  let what: string = e.type;
  if (e.type === 'changename') what = `renamed from ${e.oldName ?? '?'}`;
  else if (e.type === 'changemtu') what = `mtu ${e.oldMtu ?? '?'} -> ${e.mtu ?? '?'}`;
  else if (e.type === 'changeaddr') what = `address ${e.oldAddress ?? '?'} -> ${e.address ?? '?'}`;
  else if (e.type === 'change')
    what =
      e.detail === 'carrier' ? `carrier ${e.carrier === true ? 'on' : 'off'}` : 'flags changed';
  else if (e.type === 'changeupper')
    what = `${e.linking === true ? 'enslaved to' : 'released from'} ${e.upper ?? '?'}`;
  return `${t} ${e.name}: ${what}`;
}
