import type { PacketPool } from '@bypass/core';
import type { EthDev } from '../dpdk/ethdev/EthDev.js';
import type { EthStats } from '../dpdk/ethdev/EthTypes.js';
import type { VmbusEndpoint } from '../vmbus/VmbusEndpoint.js';
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
 * for the port's basic stats.
 */
export class HnQueues {
  tx: HnTxQueue[] = [];
  rx: HnRxQueue[] = [];
  /** Synthetic frames and bytes the TX queues took (`opackets` / `obytes`). */
  opackets = 0;
  obytes = 0;
  /** RX VLAN strip offload (hn_dev_configure's `vlan_strip`), applied to every RX queue. */
  private vlanStripOn = false;
  private readonly cfg: HnQueueConfig;
  /** What the last synthetic send put on the ring: frames, bytes (HnTxQueue.xmit). */
  private readonly sentOut = new Int32Array(2);

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

  /** Writes the synthetic half of the 8 basic counters (hn_dev_stats_get). */
  statsInto(out: EthStats): void {
    let ip = 0;
    let ib = 0;
    for (const q of this.rx) {
      ip += q.packets;
      ib += q.bytes;
    }
    const s = this.cfg.stats;
    out.ipackets = ip;
    out.ibytes = ib;
    out.opackets = this.opackets;
    out.obytes = this.obytes;
    out.imissed = s.rxRingFull;
    out.ierrors = s.rxErrors;
    out.oerrors = s.txBadSize + s.txErrors;
    out.rx_nombuf = s.rxNoMbuf;
  }

  /** Zeroes the per-queue counters (hn_dev_stats_reset). */
  resetStats(): void {
    for (const q of this.rx) {
      q.packets = 0;
      q.bytes = 0;
    }
    this.opackets = 0;
    this.obytes = 0;
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
    const out = this.sentOut;
    const n = (this.tx[queue] as HnTxQueue).xmit(pkts, start, count, out);
    this.opackets += out[0] as number;
    this.obytes += out[1] as number;
    return n;
  }
}
