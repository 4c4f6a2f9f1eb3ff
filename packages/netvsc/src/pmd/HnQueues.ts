import type { PacketPool } from '@bypass/core';
import type { EthDev } from '../dpdk/ethdev/EthDev.js';
import type { EthStats } from '../dpdk/ethdev/EthTypes.js';
import { ETHDEV_QUEUE_STAT_CNTRS, type EthQueueStats } from '../dpdk/ethdev/EthXstats.js';
import type { VmbusEndpoint } from '../vmbus/VmbusEndpoint.js';
import { HN_STAT_NAMES } from './HnQueueStats.js';
import { HnRxQueue, type HnEventSink } from './HnRxQueue.js';
import { HnTxQueue, type HnAggLimits, type HnSendSections } from './HnTxQueue.js';
import type { NetvscPmdStats } from './NetvscPmdStats.js';

/** hn_rxtx.c DEFAULT_TX_FREE_THRESH: below this many free descriptors TX reads completions. */
const TX_FREE_THRESH = 32;

/** How the queues of a port are built (fixed at probe). */
export interface HnQueueConfig {
  pool: PacketPool;
  sections: HnSendSections;
  stats: NetvscPmdStats;
  sink: HnEventSink;
  limits: HnAggLimits;
  txCopybreak: number;
  rxCopybreak: number;
  rxExtbuf: boolean;
  txDescriptors: number;
  rxRingSize: number;
  rxSections: number;
  portId: number;
}

/**
 * The queue pairs of a netvsc port, one per VMBus channel in use (hn_dev_tx_queue_setup /
 * hn_dev_rx_queue_setup: TX queue q and RX queue q share channel q), and the counters they keep
 * for the port's basic and extended stats.
 */
export class HnQueues {
  tx: HnTxQueue[] = [];
  rx: HnRxQueue[] = [];
  /** RX VLAN strip offload (hn_dev_configure's `vlan_strip`), applied to every RX queue. */
  private vlanStripOn = false;
  private readonly cfg: HnQueueConfig;

  constructor(cfg: HnQueueConfig) {
    this.cfg = cfg;
  }

  /** True when the RX queues keep a received VLAN tag in `vlanTci` (VLAN_STRIP configured). */
  get vlanStrip(): boolean {
    return this.vlanStripOn;
  }

  set vlanStrip(on: boolean) {
    this.vlanStripOn = on;
    for (const q of this.rx) q.vlanStrip = on;
  }

  /** Replaces the queues by `n` pairs on the first `n` endpoints (the old ones are emptied). */
  build(endpoints: readonly VmbusEndpoint[], n: number): void {
    this.clear();
    const c = this.cfg;
    for (let q = 0; q < n; q++) {
      const ep = endpoints[q] as VmbusEndpoint;
      const txq = new HnTxQueue({
        queue: q,
        ep,
        pool: c.pool,
        sections: c.sections,
        stats: c.stats,
        limits: c.limits,
        copybreak: c.txCopybreak,
        descriptors: c.txDescriptors,
      });
      this.tx.push(txq);
      const rxq = new HnRxQueue({
        queue: q,
        ep,
        pool: c.pool,
        stats: c.stats,
        sink: c.sink,
        txq,
        ringSize: c.rxRingSize,
        sections: c.rxSections,
        copybreak: c.rxCopybreak,
        extbuf: c.rxExtbuf,
        portId: c.portId,
      });
      rxq.vlanStrip = this.vlanStripOn;
      this.rx.push(rxq);
    }
  }

  /** Drops what the queues hold (frames awaiting completion, received frames not taken). */
  clear(): void {
    for (const q of this.tx) q.release();
    for (const q of this.rx) q.purge();
    this.tx = [];
    this.rx = [];
  }

  /** hn_dev_stop: pending aggregates out, completions read, received data dropped. */
  drain(): void {
    for (const q of this.tx) q.flush();
    for (const q of this.rx) q.process(false);
  }

  /** The channel is gone: frames awaiting completion are dropped (counted). */
  releaseTx(): void {
    for (const q of this.tx) q.release();
  }

  /**
   * hn_ethdev.c hn_dev_stats_get: adds the queues' counters to the 8 basic ones (`out` holds the
   * VF's already) and, when `queues` is not null, each queue's packets and bytes to the
   * per-queue ones; `rx_nombuf` is the port's mbuf allocation failures.
   */
  statsInto(out: EthStats, queues: EthQueueStats | null): void {
    this.tx.forEach((q, i) => {
      const s = q.hn;
      out.opackets += s.packets;
      out.obytes += s.bytes;
      out.oerrors += s.errors;
      if (queues !== null && i < ETHDEV_QUEUE_STAT_CNTRS) {
        queues.opackets[i] = (queues.opackets[i] as number) + s.packets;
        queues.obytes[i] = (queues.obytes[i] as number) + s.bytes;
      }
    });
    this.rx.forEach((q, i) => {
      const s = q.hn;
      out.ipackets += s.packets;
      out.ibytes += s.bytes;
      out.ierrors += s.errors;
      out.imissed += s.ringFull;
      if (queues !== null && i < ETHDEV_QUEUE_STAT_CNTRS) {
        queues.ipackets[i] = (queues.ipackets[i] as number) + s.packets;
        queues.ibytes[i] = (queues.ibytes[i] as number) + s.bytes;
      }
    });
    out.rx_nombuf += this.cfg.stats.rxNoMbuf;
  }

  /**
   * hn_ethdev.c hn_dev_xstats_get_names / hn_dev_xstats_get: every TX queue's
   * {@link HN_STAT_NAMES} as `tx_q<i>_<name>`, then every RX queue's as `rx_q<i>_<name>`.
   */
  xstatNames(): string[] {
    const names: string[] = [];
    for (let i = 0; i < this.tx.length; i++)
      for (const n of HN_STAT_NAMES) names.push(`tx_q${i}_${n}`);
    for (let i = 0; i < this.rx.length; i++)
      for (const n of HN_STAT_NAMES) names.push(`rx_q${i}_${n}`);
    return names;
  }

  /** The values of {@link HnQueues.xstatNames}, in its order. */
  xstatValues(): number[] {
    const values: number[] = [];
    for (const q of this.tx) values.push(...q.hn.values());
    for (const q of this.rx) values.push(...q.hn.values());
    return values;
  }

  /** Zeroes the per-queue counters (hn_dev_stats_reset). */
  resetStats(): void {
    for (const q of this.tx) q.hn.reset();
    for (const q of this.rx) q.hn.reset();
  }

  // ---------------------------------------------------------------- data plane

  /**
   * hn_recv_pkts: the channel is read when the queue's ring cannot fill the burst; the synthetic
   * frames come first (multicast, new flows), then the VF's (`vf` non-null when it is ready),
   * relabelled with the netvsc port id.
   */
  receive(queue: number, out: Int32Array, start: number, max: number, vf: EthDev | null): number {
    const rxq = this.rx[queue] as HnRxQueue;
    if (rxq.ring.count < max) rxq.process(true);
    let n = rxq.dequeue(out, start, max);
    if (n < max && vf !== null) {
      const m = vf.rxBurst(queue, out, start + n, max - n);
      const port = this.cfg.pool.port;
      const id = this.cfg.portId;
      for (let i = start + n, end = start + n + m; i < end; i++) port[out[i] as number] = id;
      this.cfg.stats.rxVf += m;
      n += m;
    }
    return n;
  }

  /**
   * hn_xmit_pkts' event check: queue 0 always reads its channel (hot-plug and VF notifications
   * arrive on the primary channel), the others when their descriptors run low.
   */
  pollForTx(queue: number, count: number): void {
    const txq = this.tx[queue] as HnTxQueue;
    const low = txq.inFlight > this.cfg.txDescriptors - Math.max(TX_FREE_THRESH, count);
    if (queue === 0 || low) this.rx[queue]?.process(true);
  }

  /**
   * Sends on the VF's queue of the same index (`vf` non-null) or synthetically; returns how many
   * frames were taken (the caller keeps the rest). No length rule of its own: the VF's driver or
   * the synthetic queue takes each frame as it is.
   */
  transmit(
    queue: number,
    pkts: Int32Array,
    start: number,
    count: number,
    vf: EthDev | null,
  ): number {
    // hn_rxtx.c hn_xmit_pkts: the whole burst goes to the VF or the synthetic loop, unchecked
    return vf !== null
      ? this.sendVf(vf, queue, pkts, start, count)
      : this.sendSynthetic(queue, pkts, start, count);
  }

  private sendVf(
    vf: EthDev,
    queue: number,
    pkts: Int32Array,
    start: number,
    count: number,
  ): number {
    // hn_rxtx.c hn_xmit_pkts: the VF's own tx_pkt_burst, not rte_eth_tx_burst (RX does go
    // through rte_eth_rx_burst, in hn_recv_vf)
    const n = vf.subDeviceTxBurst(queue, pkts, start, count);
    this.cfg.stats.txVf += n;
    return n;
  }

  private sendSynthetic(queue: number, pkts: Int32Array, start: number, count: number): number {
    return (this.tx[queue] as HnTxQueue).xmit(pkts, start, count);
  }
}
