import { BypassError } from '../errors/BypassError.js';

/**
 * A single-producer single-consumer ring of frame handles with a power-of-two size (DPDK
 * `lib/ring/rte_ring.h` semantics for SP/SC bursts): free-running head and tail counters, the
 * slot index is `counter & mask`, so there is no modulo and no allocation per operation.
 * Enqueue and dequeue move up to `count` handles and return how many moved; what does not fit
 * stays with the caller (who must drop it with a reason). A consumer can also read handles in
 * place: {@link PacketRing.takeInPlace} takes them at once, {@link PacketRing.startTake} and
 * {@link PacketRing.finishTake} let it look at a run and then take only its first part.
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
  private reserved = -1; // handles startTake left to finishTake, -1 when none

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

  /**
   * Takes up to `count` handles into `out[start..]`; returns how many were taken.
   *
   * @throws {@link BypassError} `ERR_STATE` between {@link PacketRing.startTake} and its
   *   {@link PacketRing.finishTake}.
   */
  dequeueBurst(out: Int32Array, start: number, count: number): number {
    if (this.reserved >= 0) throw this.takePending('dequeueBurst');
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
   *
   * @throws {@link BypassError} `ERR_STATE` between {@link PacketRing.startTake} and its
   *   {@link PacketRing.finishTake}.
   */
  takeInPlace(count: number): number {
    if (this.reserved >= 0) throw this.takePending('takeInPlace');
    const avail = (this.head - this.tail) >>> 0;
    const at = this.tail & this.mask;
    let n = count < avail ? count : avail;
    if (n > this.size - at) n = this.size - at;
    this.taken = at;
    this.tail = (this.tail + n) >>> 0;
    return n;
  }

  /**
   * Looks at up to `count` handles in place without taking them yet, for a consumer that may take
   * only some of them: returns how many, which are then `slotArray[takenAt .. takenAt + n)`; they
   * stay queued (and unchanged by enqueues) until {@link PacketRing.finishTake} takes the first
   * `k` of them. Like {@link PacketRing.takeInPlace}, stops at the ring's end.
   *
   * @throws {@link BypassError} `ERR_STATE` when the previous `startTake` was not finished;
   *   `ERR_INVALID_ARGUMENT` when `count` is not a non-negative integer.
   * @example
   * ```ts
   * const n = ring.startTake(32);
   * const k = driver.xmit(ring.slotArray, ring.takenAt, n); // k <= n
   * ring.finishTake(k); // the other n - k stay first in the ring
   * ```
   */
  startTake(count: number): number {
    // DPDK lib/ring/rte_ring_peek_zc.h: rte_ring_dequeue_zc_burst_start, then _zc_finish(r, k <= n).
    if (this.reserved >= 0) throw this.takePending('startTake');
    if (count >>> 0 !== count) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `startTake(${count}): count must be a non-negative integer`,
      );
    }
    const avail = (this.head - this.tail) >>> 0;
    const at = this.tail & this.mask;
    let n = count < avail ? count : avail;
    if (n > this.size - at) n = this.size - at;
    this.taken = at;
    this.reserved = n;
    return n;
  }

  /**
   * Takes the first `count` of the handles the last {@link PacketRing.startTake} looked at; the
   * rest stay first in the ring. `count` may be 0 (takes none).
   *
   * @throws {@link BypassError} `ERR_STATE` without a `startTake` to finish;
   *   `ERR_INVALID_ARGUMENT` when `count` is not an integer in 0..(what `startTake` returned)
   *   (nothing changes then: finish again with a valid count).
   * @example
   * ```ts
   * const n = ring.startTake(ring.count);
   * ring.finishTake(Math.min(n, 4)); // takes at most 4 of them
   * ```
   */
  finishTake(count: number): void {
    const n = this.reserved;
    if (n < 0) {
      throw new BypassError(
        'ERR_STATE',
        `finishTake(${count}) without startTake: call startTake first`,
      );
    }
    if (count >>> 0 !== count || count > n) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `finishTake(${count}): startTake looked at ${n}, so take an integer in 0..${n}`,
      );
    }
    this.tail = (this.tail + count) >>> 0;
    this.reserved = -1;
  }

  /**
   * Where the handles of the last {@link PacketRing.takeInPlace} or {@link PacketRing.startTake}
   * start in `slotArray`.
   */
  get takenAt(): number {
    return this.taken;
  }

  /**
   * The ring's slots, for reading what {@link PacketRing.takeInPlace} took or
   * {@link PacketRing.startTake} looked at (never write them).
   */
  get slotArray(): Int32Array {
    return this.slots;
  }

  /** The handle `i` places from the consumer end, without taking it (-1 when absent). */
  peek(i = 0): number {
    if (i < 0 || i >= this.count) return -1;
    return this.slots[(this.tail + i) & this.mask] as number;
  }

  private takePending(op: string): BypassError {
    return new BypassError(
      'ERR_STATE',
      `${op} while a startTake is open: call finishTake first (finishTake(0) takes none)`,
    );
  }
}
