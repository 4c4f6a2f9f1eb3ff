import { defineDropReason, PacketRing, type PacketPool } from '@bypass/core';

/**
 * A frame the TX queue's qdisc had no room for (pfifo_fast over its `tx_queue_len`): Linux counts
 * it in the qdisc's `dropped` (`tc -s qdisc`), not in the device's `tx_dropped`.
 *
 * @example
 * ```ts
 * dropReasonName(QDISC_DROP); // 'qdisc-drop'
 * ```
 */
export const QDISC_DROP = defineDropReason('qdisc-drop');

/**
 * `dev->tx_queue_len` as `ether_setup` leaves it for netvsc (DEFAULT_TX_QUEUE_LEN): the limit of
 * each TX queue's pfifo_fast under the default mq root.
 *
 * @example
 * ```ts
 * new NetvscTxQueues(pool, 64, NETVSC_TX_QUEUE_LEN);
 * ```
 */
export const NETVSC_TX_QUEUE_LEN = 1000;

/**
 * Counters of {@link NetvscTxQueues}, as `tc -s qdisc` shows them summed over the TX queues.
 *
 * @example
 * ```ts
 * const s: NetvscQdiscStats = netvsc.txQueues.stats; // { dropped: 0, requeues: 3 }
 * ```
 */
export interface NetvscQdiscStats {
  /** Frames dropped because a queue's qdisc was full ({@link QDISC_DROP}). */
  dropped: number;
  /** Times the driver answered busy and the qdisc kept the frame for later (`dev_requeue_skb`). */
  requeues: number;
}

/**
 * Sends a run of frames on a TX queue and returns how many it took (sent or dropped and counted);
 * the rest stay queued. A driver that takes fewer than offered has stopped the queue.
 *
 * @example
 * ```ts
 * const xmit: NetvscQueueXmit = (pkts, start, count, queue) => driverSend(pkts, start, count, queue);
 * ```
 */
export type NetvscQueueXmit = (
  pkts: Int32Array,
  start: number,
  count: number,
  queue: number,
) => number;

/**
 * netvsc's TX queues as the stack drives them: each queue's stopped state (Linux
 * `netif_tx_stop_queue` / `netif_tx_wake_queue`, `__QUEUE_STATE_DRV_XOFF`), netvsc's
 * `tx_disable` (set while the device is closed, detached or without link: a send completion must
 * not wake a queue then), and the qdisc in front of each queue (the default mq root with a
 * pfifo_fast of {@link NETVSC_TX_QUEUE_LEN} frames per queue).
 *
 * Frames offered to a stopped queue, or behind frames already waiting, wait in its qdisc (a core
 * {@link PacketRing} of handles per queue, allocated the first time the queue holds a frame);
 * beyond the limit they are dropped ({@link QDISC_DROP}, counted in `stats.dropped`). When a
 * queue is woken its backlog is sent in order (`qdisc_run`): VF traffic too, since netvsc's own
 * `ndo_start_xmit` hands it to the VF (`netvsc_drv.c` netvsc_xmit), so a stopped netvsc queue
 * holds it as well.
 *
 * @example
 * ```ts
 * const txq = new NetvscTxQueues(pool, 64);
 * txq.stopAll();                         // netvsc_tx_disable
 * txq.enqueue(pkts, 0, n, 0);            // held
 * txq.wakeAll((p, s, c, q) => send(p, s, c, q)); // netif_device_attach: the backlog goes out
 * ```
 */
export class NetvscTxQueues {
  /** Frames each queue's qdisc holds at most. */
  readonly limit: number;
  /** netvsc's `tx_disable`: while set, a send completion does not wake a stopped queue. */
  txDisable = false;
  readonly stats: NetvscQdiscStats = { dropped: 0, requeues: 0 };
  private readonly pool: PacketPool;
  private readonly stopped: Uint8Array;
  private readonly rings: (PacketRing | null)[];

  /**
   * @param queues - TX queues allocated (netvsc: VRSS_CHANNEL_MAX, 64)
   * @param limit - frames per queue's qdisc; default {@link NETVSC_TX_QUEUE_LEN}
   */
  constructor(pool: PacketPool, queues: number, limit = NETVSC_TX_QUEUE_LEN) {
    this.pool = pool;
    this.limit = limit;
    this.stopped = new Uint8Array(queues);
    this.rings = new Array<PacketRing | null>(queues).fill(null);
  }

  /** True while queue `q` is stopped (`netif_tx_queue_stopped`). */
  isStopped(q: number): boolean {
    return this.stopped[q] === 1;
  }

  /** Frames waiting in queue `q`'s qdisc. */
  backlog(q: number): number {
    return this.rings[q]?.count ?? 0;
  }

  /** Frames waiting in every qdisc. */
  get totalBacklog(): number {
    let n = 0;
    for (const r of this.rings) if (r !== null) n += r.count;
    return n;
  }

  /** Stops queue `q` (`netif_tx_stop_queue`). */
  stop(q: number): void {
    this.stopped[q] = 1;
  }

  /** Stops every queue (`netif_tx_stop_all_queues`, `netif_tx_disable`). */
  stopAll(): void {
    this.stopped.fill(1);
  }

  /**
   * Marks queue `q` running again without sending its backlog: for a driver that wakes the queue
   * in the middle of its own transmit (netvsc_send_pkt after -EAGAIN with nothing outstanding),
   * where the qdisc simply goes on with the next frame.
   */
  restart(q: number): void {
    this.stopped[q] = 0;
  }

  /**
   * Wakes queue `q` (`netif_tx_wake_queue`) and sends its backlog through `xmit` until it is
   * empty or the queue stops again. Returns false when the queue was not stopped.
   */
  wake(q: number, xmit: NetvscQueueXmit): boolean {
    if (this.stopped[q] === 0) return false;
    this.stopped[q] = 0;
    this.run(q, xmit);
    return true;
  }

  /** Wakes every queue (`netif_tx_wake_all_queues`) and sends their backlogs. */
  wakeAll(xmit: NetvscQueueXmit): void {
    for (let q = 0; q < this.stopped.length; q++) this.wake(q, xmit);
  }

  /**
   * Queues `pkts[start .. start+count)` behind queue `q`'s backlog; what does not fit is dropped
   * ({@link QDISC_DROP}). Returns how many were queued.
   */
  enqueue(pkts: Int32Array, start: number, count: number, q: number): number {
    const room = this.limit - this.backlog(q);
    const n = count < room ? count : room;
    if (n > 0) this.ring(q).enqueueBurst(pkts, start, n);
    if (n < count) {
      this.stats.dropped += count - n;
      this.pool.drop(pkts, start + n, count - n, QDISC_DROP);
    }
    return n;
  }

  /**
   * Sends queue `q`'s backlog through `xmit` while the queue runs (`qdisc_run`); a run the driver
   * takes only in part is a requeue. Returns how many frames `xmit` took.
   */
  run(q: number, xmit: NetvscQueueXmit): number {
    const ring = this.rings[q] ?? null;
    let taken = 0;
    while (this.stopped[q] === 0 && ring !== null && !ring.isEmpty) {
      // The driver reads the frames in place and may take only the first k of them.
      const n = ring.startTake(ring.count);
      const k = xmit(ring.slotArray, ring.takenAt, n, q);
      ring.finishTake(k);
      taken += k;
      if (k < n) {
        this.stats.requeues++;
        break;
      }
    }
    return taken;
  }

  /**
   * Drops every frame waiting in queue `q` (all queues when `q` is omitted) with `reason`: the
   * qdisc is reset (`dev_deactivate` when the device goes down, `qdisc_reset_all_tx_gt` for queues
   * no longer in use). Returns how many were dropped.
   */
  flush(reason: number, q?: number): number {
    let dropped = 0;
    const from = q ?? 0;
    const to = q === undefined ? this.rings.length : q + 1;
    for (let i = from; i < to; i++) {
      const ring = this.rings[i] ?? null;
      if (ring === null) continue;
      for (let n; (n = ring.takeInPlace(ring.size)) > 0;) {
        dropped += n;
        this.pool.drop(ring.slotArray, ring.takenAt, n, reason);
      }
    }
    return dropped;
  }

  private ring(q: number): PacketRing {
    let r = this.rings[q] ?? null;
    if (r === null) {
      // The smallest power of two that holds `limit` frames; `enqueue` keeps to the limit.
      let size = 2;
      while (size < this.limit) size *= 2;
      r = new PacketRing(size);
      this.rings[q] = r;
    }
    return r;
  }
}
