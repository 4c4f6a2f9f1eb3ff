import { BypassError } from '../errors/BypassError.js';

/**
 * A single-producer single-consumer ring of frame handles with a power-of-two size (DPDK
 * `lib/ring/rte_ring.h` semantics for SP/SC bursts): free-running head and tail counters, the
 * slot index is `counter & mask`, so there is no modulo and no allocation per operation.
 * Enqueue and dequeue move up to `count` handles and return how many moved; what does not fit
 * stays with the caller (who must drop it with a reason).
 *
 * @example
 * ```ts
 * const ring = new PacketRing(256);
 * const n = ring.enqueueBurst(pkts, 0, 32);  // n <= 32
 * const out = new Int32Array(32);
 * const m = ring.dequeueBurst(out, 0, 32);   // m === n
 * ```
 */
export class PacketRing {
  readonly size: number;
  readonly mask: number;
  private readonly slots: Int32Array;
  private head = 0; // next write (producer)
  private tail = 0; // next read (consumer)
  private taken = 0;

  /**
   * @param size - number of slots, a power of two in 2..2^24
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` when `size` is not such a power of two.
   */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 2 || size > 1 << 24 || (size & (size - 1)) !== 0) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `ring size must be a power of two in 2..16777216, got ${size}`,
      );
    }
    this.size = size;
    this.mask = size - 1;
    this.slots = new Int32Array(size);
  }

  /** Handles currently queued. */
  get count(): number {
    return (this.head - this.tail) >>> 0;
  }

  /** Room left. */
  get free(): number {
    return this.size - this.count;
  }

  /** True when nothing is queued. */
  get isEmpty(): boolean {
    return this.head === this.tail;
  }

  /** Queues up to `count` handles from `pkts[start..]`; returns how many were queued. */
  enqueueBurst(pkts: Int32Array, start: number, count: number): number {
    const room = this.size - ((this.head - this.tail) >>> 0);
    const n = count < room ? count : room;
    const slots = this.slots;
    const mask = this.mask;
    let h = this.head;
    for (let i = 0; i < n; i++) {
      slots[h & mask] = pkts[start + i] as number;
      h = (h + 1) >>> 0;
    }
    this.head = h;
    return n;
  }

  /** Takes up to `count` handles into `out[start..]`; returns how many were taken. */
  dequeueBurst(out: Int32Array, start: number, count: number): number {
    const avail = (this.head - this.tail) >>> 0;
    const n = count < avail ? count : avail;
    const slots = this.slots;
    const mask = this.mask;
    let t = this.tail;
    for (let i = 0; i < n; i++) {
      out[start + i] = slots[t & mask] as number;
      t = (t + 1) >>> 0;
    }
    this.tail = t;
    return n;
  }

  /**
   * Takes up to `count` handles without copying them out (DPDK's zero-copy dequeue:
   * `lib/ring/rte_ring_peek_zc.h` `rte_ring_dequeue_zc_burst_start`): returns how many, which
   * are then `slotArray[takenAt .. takenAt + n)`, valid until the next enqueue. Only handles
   * before the ring's end are taken at once: a run that wraps around takes two calls.
   */
  takeInPlace(count: number): number {
    const avail = (this.head - this.tail) >>> 0;
    const at = this.tail & this.mask;
    let n = count < avail ? count : avail;
    if (n > this.size - at) n = this.size - at;
    this.taken = at;
    this.tail = (this.tail + n) >>> 0;
    return n;
  }

  /** Where the handles of the last {@link PacketRing.takeInPlace} start in `slotArray`. */
  get takenAt(): number {
    return this.taken;
  }

  /** The ring's slots, for reading what {@link PacketRing.takeInPlace} took (never write them). */
  get slotArray(): Int32Array {
    return this.slots;
  }

  /** The handle `i` places from the consumer end, without taking it (-1 when absent). */
  peek(i = 0): number {
    if (i < 0 || i >= this.count) return -1;
    return this.slots[(this.tail + i) & this.mask] as number;
  }
}
