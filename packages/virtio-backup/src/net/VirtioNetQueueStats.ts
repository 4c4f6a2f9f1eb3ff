/**
 * Per-queue counters of a virtio-net driver, the ones `ethtool -S` shows for Linux virtio_net
 * (`rx_queue_<n>_packets`, `tx_queue_<n>_kicks`...). One typed array per counter, indexed by
 * queue pair, so the data path increments without allocating.
 *
 * @example
 * ```ts
 * const qs = new VirtioNetQueueStats(4);
 * qs.txPackets[1]! += 32;
 * qs.toEthtool()['tx_queue_1_packets']; // 32
 * ```
 */
export class VirtioNetQueueStats {
  readonly pairs: number;
  readonly rxPackets: Float64Array;
  readonly rxBytes: Float64Array;
  /** RX frames dropped by the driver (too short, bad header, device down). */
  readonly rxDrops: Float64Array;
  readonly rxKicks: Float64Array;
  /** RX buffers the pool could not provide. */
  readonly rxAllocFailures: Float64Array;
  /** RX frames shorter than header + Ethernet header (Linux "packet too short"). */
  readonly rxLengthDrops: Float64Array;
  /** RX frames whose header asked for an offload that was not negotiated. */
  readonly rxHeaderDrops: Float64Array;
  readonly txPackets: Float64Array;
  readonly txBytes: Float64Array;
  readonly txKicks: Float64Array;
  /** TX chains the device completed. */
  readonly txCompleted: Float64Array;
  /** TX frames dropped because the ring had no free descriptor. */
  readonly txRingFull: Float64Array;

  constructor(pairs: number) {
    this.pairs = pairs;
    this.rxPackets = new Float64Array(pairs);
    this.rxBytes = new Float64Array(pairs);
    this.rxDrops = new Float64Array(pairs);
    this.rxKicks = new Float64Array(pairs);
    this.rxAllocFailures = new Float64Array(pairs);
    this.rxLengthDrops = new Float64Array(pairs);
    this.rxHeaderDrops = new Float64Array(pairs);
    this.txPackets = new Float64Array(pairs);
    this.txBytes = new Float64Array(pairs);
    this.txKicks = new Float64Array(pairs);
    this.txCompleted = new Float64Array(pairs);
    this.txRingFull = new Float64Array(pairs);
  }

  /** The counters as `ethtool -S` names them (`rx_queue_0_packets`, ...). */
  toEthtool(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let q = 0; q < this.pairs; q++) {
      out[`rx_queue_${q}_packets`] = this.rxPackets[q] as number;
      out[`rx_queue_${q}_bytes`] = this.rxBytes[q] as number;
      out[`rx_queue_${q}_drops`] = this.rxDrops[q] as number;
      out[`rx_queue_${q}_kicks`] = this.rxKicks[q] as number;
      out[`rx_queue_${q}_alloc_failures`] = this.rxAllocFailures[q] as number;
      out[`rx_queue_${q}_length_errors`] = this.rxLengthDrops[q] as number;
      out[`rx_queue_${q}_header_errors`] = this.rxHeaderDrops[q] as number;
    }
    for (let q = 0; q < this.pairs; q++) {
      out[`tx_queue_${q}_packets`] = this.txPackets[q] as number;
      out[`tx_queue_${q}_bytes`] = this.txBytes[q] as number;
      out[`tx_queue_${q}_kicks`] = this.txKicks[q] as number;
      out[`tx_queue_${q}_completed`] = this.txCompleted[q] as number;
      out[`tx_queue_${q}_ring_full`] = this.txRingFull[q] as number;
    }
    return out;
  }
}
