import { ETH_STATS_FIELDS, type EthStats } from './EthTypes.js';

/**
 * `RTE_ETHDEV_QUEUE_STAT_CNTRS`: how many queues each way have per-queue counters (and per-queue
 * extended statistics); queues beyond it are counted in the port's totals only.
 *
 * @example
 * ```ts
 * const shown = Math.min(port.nbRxQueues, ETHDEV_QUEUE_STAT_CNTRS);
 * ```
 */
export const ETHDEV_QUEUE_STAT_CNTRS = 16;

/**
 * The per-queue counters a PMD fills next to the 8 basic ones (`struct eth_queue_stats`): for
 * each of the first {@link ETHDEV_QUEUE_STAT_CNTRS} queues, packets, bytes and errors received,
 * packets and bytes sent. Only the extended statistics show them (lib/ethdev/rte_ethdev.c
 * eth_basic_stats_get), and only for a port whose `devFlags` has
 * `ETH_DEV_FLAG.AUTOFILL_QUEUE_XSTATS`.
 *
 * @example
 * ```ts
 * const q = new EthQueueStats();
 * q.ipackets[0] += 32;
 * q.reset();
 * ```
 */
export class EthQueueStats {
  readonly ipackets = new Float64Array(ETHDEV_QUEUE_STAT_CNTRS);
  readonly ibytes = new Float64Array(ETHDEV_QUEUE_STAT_CNTRS);
  readonly errors = new Float64Array(ETHDEV_QUEUE_STAT_CNTRS);
  readonly opackets = new Float64Array(ETHDEV_QUEUE_STAT_CNTRS);
  readonly obytes = new Float64Array(ETHDEV_QUEUE_STAT_CNTRS);

  /** Copies every counter of `from`. */
  copyFrom(from: EthQueueStats): void {
    this.ipackets.set(from.ipackets);
    this.ibytes.set(from.ibytes);
    this.errors.set(from.errors);
    this.opackets.set(from.opackets);
    this.obytes.set(from.obytes);
  }

  /** Zeroes every counter. */
  reset(): void {
    this.ipackets.fill(0);
    this.ibytes.fill(0);
    this.errors.fill(0);
    this.opackets.fill(0);
    this.obytes.fill(0);
  }
}

/**
 * One extended statistic as `rte_eth_xstats_get` returns it: its id (its index in the port's
 * list of names, {@link EthDev.xstatsGetNames}) and its value.
 *
 * @example
 * ```ts
 * for (const { id, value } of port.xstatsGet()) console.log(names[id], value);
 * ```
 */
export interface EthXstat {
  id: number;
  value: number;
}

/** lib/ethdev/rte_ethdev.c eth_dev_stats_strings: the basic counters' names, in order. */
const BASIC_NAMES: Readonly<Record<(typeof ETH_STATS_FIELDS)[number], string>> = {
  ipackets: 'rx_good_packets',
  opackets: 'tx_good_packets',
  ibytes: 'rx_good_bytes',
  obytes: 'tx_good_bytes',
  imissed: 'rx_missed_errors',
  ierrors: 'rx_errors',
  oerrors: 'tx_errors',
  rx_nombuf: 'rx_mbuf_allocation_errors',
};

/**
 * The names ethdev itself puts first in every port's extended statistics
 * (lib/ethdev/rte_ethdev.c eth_basic_stats_get_names): the 8 basic counters, then, when the PMD
 * asked for it (`autofill`), `rx_q<i>_packets`, `rx_q<i>_bytes`, `rx_q<i>_errors` for each RX
 * queue and `tx_q<i>_packets`, `tx_q<i>_bytes` for each TX queue, up to
 * {@link ETHDEV_QUEUE_STAT_CNTRS} queues each way.
 *
 * @example
 * ```ts
 * basicXstatNames(1, 1, true).length; // 8 + 3 + 2
 * ```
 */
export function basicXstatNames(nbRx: number, nbTx: number, autofill: boolean): string[] {
  const names: string[] = ETH_STATS_FIELDS.map((f) => BASIC_NAMES[f]);
  if (!autofill) return names;
  for (let q = 0; q < Math.min(nbRx, ETHDEV_QUEUE_STAT_CNTRS); q++)
    names.push(`rx_q${q}_packets`, `rx_q${q}_bytes`, `rx_q${q}_errors`);
  for (let q = 0; q < Math.min(nbTx, ETHDEV_QUEUE_STAT_CNTRS); q++)
    names.push(`tx_q${q}_packets`, `tx_q${q}_bytes`);
  return names;
}

/**
 * The values of {@link basicXstatNames}, in the same order (lib/ethdev/rte_ethdev.c
 * eth_basic_stats_get); `queues` null when the port does not autofill them.
 *
 * @example
 * ```ts
 * const values = basicXstatValues(port.statsGet(), null, 0, 0); // the 8 basic counters
 * ```
 */
export function basicXstatValues(
  stats: Readonly<EthStats>,
  queues: EthQueueStats | null,
  nbRx: number,
  nbTx: number,
): number[] {
  const values: number[] = ETH_STATS_FIELDS.map((f) => stats[f]);
  if (queues === null) return values;
  for (let q = 0; q < Math.min(nbRx, ETHDEV_QUEUE_STAT_CNTRS); q++)
    values.push(
      queues.ipackets[q] as number,
      queues.ibytes[q] as number,
      queues.errors[q] as number,
    );
  for (let q = 0; q < Math.min(nbTx, ETHDEV_QUEUE_STAT_CNTRS); q++)
    values.push(queues.opackets[q] as number, queues.obytes[q] as number);
  return values;
}
