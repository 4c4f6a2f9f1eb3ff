import { emptyEthStats, ETH_STATS_FIELDS, type EthStats } from '../dpdk/ethdev/EthTypes.js';
import type { EthDev } from '../dpdk/ethdev/EthDev.js';

/**
 * The counters of a {@link NetvscPmdPort} beyond the 8 basic ones: which copybreak path each
 * frame took, what the VF carried, and everything refused or lost, each with its own name.
 *
 * @example
 * ```ts
 * const s: NetvscPmdStats = port.pmdStats;
 * console.log(s.txCopied, s.txAggregates, s.txDirect, s.rxCopied, s.rxExtbuf);
 * ```
 */
export interface NetvscPmdStats {
  /** TX frames copied into a send-buffer section (length <= tx_copybreak and it fits). */
  txCopied: number;
  /** VMBus requests that carried a send-buffer section (one or more copied frames). */
  txAggregates: number;
  /** TX frames sent as their own direct (scatter-gather) request. */
  txDirect: number;
  /** TX frames handed to the VF port. */
  txVf: number;
  /** Send completions received from the host. */
  txCompletions: number;
  /** TX bursts cut short because the VMBus ring was full (`channel full`). */
  txChannelFull: number;
  /** TX bursts cut short because every TX descriptor was in flight. */
  txNoDescriptor: number;
  /** TX bursts cut short because every send-buffer section was in use. */
  txNoSection: number;
  /**
   * TX frames taken and dropped because their direct request could never fit the VMBus ring (a
   * model limit: the bytes travel inline); counted in `oerrors`. DPDK has no length check.
   */
  txBadSize: number;
  /** TX frames lost after being taken (send failure, failed completion, rescinded channel). */
  txErrors: number;
  /** RX frames copied out of the receive buffer. */
  rxCopied: number;
  /** RX frames handed over as an external buffer (no copy; the section stays lent). */
  rxExtbuf: number;
  /** RX frames taken from the VF port. */
  rxVf: number;
  /** RX frames refused as malformed or of a bad length (`ierrors`). */
  rxErrors: number;
  /** RX frames dropped because the RX queue's ring was full (`imissed`). */
  rxRingFull: number;
  /** RX frames dropped because the pool was empty (`rx_nombuf`). */
  rxNoMbuf: number;
  /** RX frames dropped because they arrived while the port was stopped. */
  rxStopped: number;
  /** Messages from the host refused as malformed. */
  malformed: number;
  /** Well-formed messages from the host this driver does not act on. */
  ignored: number;
  /** RNDIS status indications seen in the ring (link changes among them). */
  statusEvents: number;
  /** NVSP SWITCH_DATA_PATH requests sent (to the VF or to synthetic). */
  datapathSwitches: number;
}

/** A zeroed {@link NetvscPmdStats}. */
export function emptyNetvscPmdStats(): NetvscPmdStats {
  return {
    txCopied: 0,
    txAggregates: 0,
    txDirect: 0,
    txVf: 0,
    txCompletions: 0,
    txChannelFull: 0,
    txNoDescriptor: 0,
    txNoSection: 0,
    txBadSize: 0,
    txErrors: 0,
    rxCopied: 0,
    rxExtbuf: 0,
    rxVf: 0,
    rxErrors: 0,
    rxRingFull: 0,
    rxNoMbuf: 0,
    rxStopped: 0,
    malformed: 0,
    ignored: 0,
    statusEvents: 0,
    datapathSwitches: 0,
  };
}

/**
 * Keeps what a VF port counted while it belonged to the netvsc port, as the core's
 * `SlaveStatsFolder` does for netdevs: growth since attach folded at every read and once more at
 * detach, so the VF's traffic stays in the totals after the VF is removed (DPDK reads the VF's
 * live counters only, so its totals drop when the VF goes away: fixed here). A counter that went
 * down (the VF was reset) starts a new baseline.
 */
export class EthStatsFolder {
  /** Counted by VF ports that have left. */
  private readonly gone = emptyEthStats();
  /** Counted by the followed port since it was attached (or reset). */
  private readonly live = emptyEthStats();
  private readonly last = emptyEthStats();
  private port: EthDev | null = null;

  /** Starts following `port` from its current counters. */
  attach(port: EthDev): void {
    this.detach();
    this.port = port;
    Object.assign(this.last, port.statsGet());
  }

  /** Folds the followed port one last time and stops following it. */
  detach(): void {
    if (this.port === null) return;
    this.foldPort();
    for (const f of ETH_STATS_FIELDS) {
      this.gone[f] += this.live[f];
      this.live[f] = 0;
    }
    this.port = null;
  }

  /** Adds the accumulated VF counters into `out`. */
  addTo(out: EthStats): void {
    this.foldPort();
    for (const f of ETH_STATS_FIELDS) out[f] += this.gone[f] + this.live[f];
  }

  /**
   * Zeroes what VFs that have left counted (which DPDK would not report at all); the followed
   * VF's share is kept, as hn_dev_stats_reset leaves the VF's live counters alone.
   */
  resetGone(): void {
    Object.assign(this.gone, emptyEthStats());
  }

  /** Zeroes everything; the followed port counts from now on. */
  reset(): void {
    Object.assign(this.gone, emptyEthStats());
    Object.assign(this.live, emptyEthStats());
    if (this.port !== null) Object.assign(this.last, this.port.statsGet());
  }

  private foldPort(): void {
    const port = this.port;
    if (port === null || port.state === 'unused') return;
    const cur = port.statsGet();
    for (const f of ETH_STATS_FIELDS) {
      const d = cur[f] - this.last[f];
      this.live[f] += d >= 0 ? d : cur[f];
      this.last[f] = cur[f];
    }
  }
}
