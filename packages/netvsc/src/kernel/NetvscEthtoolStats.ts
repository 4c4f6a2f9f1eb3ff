/**
 * NetVSC's ethtool counters (Linux `drivers/net/hyperv/netvsc_drv.c` netvsc_get_ethtool_stats):
 * the driver's own event counters, the VF counters netvsc keeps for the traffic it moved through
 * its VF (how users check that acceleration is active), and per-channel synthetic counters.
 * Plain numeric fields and typed arrays: the data path increments them without allocating.
 *
 * @example
 * ```ts
 * const s = netvsc.ethtool;
 * s.vfTxPackets;                    // frames netvsc sent through the VF
 * netvsc.ethtoolStats()['vf_rx_bytes'];
 * ```
 */
export class NetvscEthtoolStats {
  txScattered = 0;
  txNoMemory = 0;
  /**
   * Frames that did not fit the channel's ring while sends were outstanding: handed back to the
   * qdisc with the queue stopped (NETDEV_TX_BUSY), sent once a completion wakes it; none lost.
   */
  txBusy = 0;
  /** Frames that did not fit the ring with nothing outstanding: dropped (-ENOSPC). */
  txNoSpace = 0;
  txTooBig = 0;
  txSendFull = 0;
  rxCompBusy = 0;
  /** Frames received on the synthetic path and lost because the packet pool was empty. */
  rxNoMemory = 0;
  /** TX queues stopped by a send: the ring below 10 % free after it, or full (netvsc_send_pkt). */
  stopQueue = 0;
  /** TX queues woken by a send completion (ring above 20 % free or nothing outstanding), or at once on -ENOSPC. */
  wakeQueue = 0;
  /**
   * Synthetic TX frames dropped because their in-band VLAN tag could not be moved to the RNDIS
   * metadata (netvsc_drv.c netvsc_xmit); this model's tag move cannot fail, so it stays 0.
   */
  vlanError = 0;
  vfRxPackets = 0;
  /** Bytes of the frames received on the VF, without their Ethernet header and in-band VLAN tag. */
  vfRxBytes = 0;
  vfTxPackets = 0;
  vfTxBytes = 0;
  /** Frames the VF refused (its xmit dropped them). */
  vfTxDropped = 0;
  /** Per channel: synthetic TX packets, TX bytes, RX packets, RX bytes. */
  readonly txQueuePackets: Float64Array;
  readonly txQueueBytes: Float64Array;
  readonly rxQueuePackets: Float64Array;
  readonly rxQueueBytes: Float64Array;

  /** @param channels - channel slots to keep counters for (64 covers every netvsc) */
  constructor(channels = 64) {
    this.txQueuePackets = new Float64Array(channels);
    this.txQueueBytes = new Float64Array(channels);
    this.rxQueuePackets = new Float64Array(channels);
    this.rxQueueBytes = new Float64Array(channels);
  }

  /**
   * The counters as `ethtool -S` names them, in the driver's order (Linux 6.x), with `channels`
   * per-queue groups of 8 (`tx_queue_<n>_packets`, `_bytes`, `_xdp_xmit`, `rx_queue_<n>_packets`,
   * `_bytes`, `_xdp_drop`, `_xdp_redirect`, `_xdp_tx`). The per-CPU `cpu<n>_*` group Linux adds
   * after them is not modelled (this model has no CPUs).
   */
  toRecord(channels: number): Record<string, number> {
    const r: Record<string, number> = {
      tx_scattered: this.txScattered,
      tx_no_memory: this.txNoMemory,
      tx_no_space: this.txNoSpace,
      tx_too_big: this.txTooBig,
      tx_busy: this.txBusy,
      tx_send_full: this.txSendFull,
      rx_comp_busy: this.rxCompBusy,
      rx_no_memory: this.rxNoMemory,
      stop_queue: this.stopQueue,
      wake_queue: this.wakeQueue,
      // netvsc_drv.c netvsc_stats[]: vlan_error ends the global counters, before vf_stats[].
      vlan_error: this.vlanError,
      vf_rx_packets: this.vfRxPackets,
      vf_rx_bytes: this.vfRxBytes,
      vf_tx_packets: this.vfTxPackets,
      vf_tx_bytes: this.vfTxBytes,
      vf_tx_dropped: this.vfTxDropped,
    };
    const n = Math.min(channels, this.txQueuePackets.length);
    for (let q = 0; q < n; q++) {
      // netvsc_drv.c netvsc_get_strings (6.x, 8 per queue): no XDP program runs here, so the
      // XDP counters stay 0.
      r[`tx_queue_${q}_packets`] = this.txQueuePackets[q] as number;
      r[`tx_queue_${q}_bytes`] = this.txQueueBytes[q] as number;
      r[`tx_queue_${q}_xdp_xmit`] = 0;
      r[`rx_queue_${q}_packets`] = this.rxQueuePackets[q] as number;
      r[`rx_queue_${q}_bytes`] = this.rxQueueBytes[q] as number;
      r[`rx_queue_${q}_xdp_drop`] = 0;
      r[`rx_queue_${q}_xdp_redirect`] = 0;
      r[`rx_queue_${q}_xdp_tx`] = 0;
    }
    return r;
  }
}
