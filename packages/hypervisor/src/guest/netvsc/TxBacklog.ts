import type { DropReasonCode, PacketPool } from '@bypass/core';

/**
 * A DPDK application's TX retry buffer (what `rte_eth_tx_buffer` users and most forwarding
 * loops keep): frames the port did not take (`rte_eth_tx_burst` returned less) wait here, in
 * order, and are offered again first; what does not fit is dropped with a named reason.
 *
 * @example
 * ```ts
 * const b = new TxBacklog(pool, 1024, DropReason.RING_FULL);
 * b.send(pkts, 0, n, (p, s, c) => port.txBurst(0, p, s, c));
 * b.flush((p, s, c) => port.txBurst(0, p, s, c)); // at the next poll
 * ```
 */
export class TxBacklog {
  private readonly held: Int32Array;
  private head = 0;
  private tail = 0;

  constructor(
    private readonly pool: PacketPool,
    capacity: number,
    private readonly overflow: DropReasonCode,
  ) {
    this.held = new Int32Array(capacity);
  }

  /** Frames waiting. */
  get count(): number {
    return this.tail - this.head;
  }

  /** Offers the held frames, then `pkts[start..start+count)`; keeps or drops what is left. */
  send(
    pkts: Int32Array,
    start: number,
    count: number,
    tx: (p: Int32Array, s: number, c: number) => number,
  ): void {
    if (count <= 0) return;
    let s = start;
    let n = count;
    if (this.count === 0) {
      const took = tx(pkts, s, n);
      s += took;
      n -= took;
      if (n === 0) return;
    }
    this.append(pkts, s, n);
    this.flush(tx);
  }

  /** Offers the held frames again; returns how many the port took. */
  flush(tx: (p: Int32Array, s: number, c: number) => number): number {
    const n = this.count;
    if (n === 0) return 0;
    const took = tx(this.held, this.head, n);
    this.head += took;
    if (this.head === this.tail) this.head = this.tail = 0;
    return took;
  }

  /** Drops every held frame with `reason`; returns how many. */
  dropAll(reason: DropReasonCode): number {
    const n = this.count;
    if (n > 0) this.pool.drop(this.held, this.head, n, reason);
    this.head = this.tail = 0;
    return n;
  }

  private append(pkts: Int32Array, start: number, count: number): void {
    const held = this.held;
    if (this.tail + count > held.length && this.head > 0) {
      held.copyWithin(0, this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
    const room = held.length - this.tail;
    const keep = count < room ? count : room;
    held.set(pkts.subarray(start, start + keep), this.tail);
    this.tail += keep;
    if (keep < count) this.pool.drop(pkts, start + keep, count - keep, this.overflow);
  }
}
