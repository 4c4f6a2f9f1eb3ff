import { BypassError, defineDropReason, type PacketPool } from '@bypass/core';
import type { LinkSpec } from '../scenario/Scenario.js';

/** Frames dropped because a link's queue was full (the sender outran its bandwidth). */
export const LINK_QUEUE_FULL = defineDropReason('link-queue-full');

/**
 * The time on the wire while links hand frames over: set by {@link DelayLink.pull} to the
 * arrival time of the burst it delivers, so the next hop starts from there (several short hops
 * can complete within one simulation tick).
 *
 * @example
 * ```ts
 * const wire: WireClock = { now: 0 };
 * const link = new DelayLink(pool, spec, (p, s, n) => next.push(p, s, n, wire.now), 1 << 14, wire);
 * ```
 */
export interface WireClock {
  now: number;
}

/**
 * Where a link hands the frames that arrived: `(pkts, start, count)`, ownership of the frames
 * moves; `pkts` itself is the link's (read it during the call, do not keep it).
 */
export type LinkSink = (pkts: Int32Array, start: number, count: number) => void;

/**
 * A one-way wire with bandwidth and latency: frames are serialized one after another at
 * `bandwidth` bits/s (a frame cannot start before the previous one left) and arrive `latency`
 * ns after their last bit. Arrivals are handed to the sink in bursts by {@link DelayLink.pull}
 * once their time has come. A full queue drops the excess as `link-queue-full` (counted).
 *
 * Two parallel rings (handles and due times) hold the queue: no allocation per frame. A chunk
 * that does not wrap around the ring's end is handed to the sink in place (the ring's own array
 * at the chunk's offset), one that does through a copy: a sink therefore must not put more
 * frames on the same link than leave the chunk's slots alone ({@link DelayLink.push} throws
 * rather than overwrite them; no wiring of the world does it at all).
 *
 * @example
 * ```ts
 * const link = new DelayLink(pool, { bandwidth: 10e9, latency: 30_000 }, (p, s, n) => sw.ingress(port, p, s, n));
 * link.push(pkts, 0, n, scheduler.now());
 * link.pull(scheduler.now()); // delivers what is due
 * ```
 */
export class DelayLink {
  /** Frames that went through. */
  delivered = 0;
  /** Frames dropped because the queue was full. */
  overflowed = 0;
  private readonly handles: Int32Array;
  private readonly due: Float64Array;
  private readonly mask: number;
  private head = 0;
  private tail = 0;
  private busyUntil = 0;
  private readonly nsPerByte: number;
  private readonly out = new Int32Array(64);
  /** Counter of the first slot lent to the sink in place during its call; -1 when none. */
  private lentFrom = -1;

  /**
   * @param pool - the frames' pool
   * @param spec - bandwidth (bits/s, > 0) and latency (ns, >= 0)
   * @param sink - where arrivals go (replaceable: {@link DelayLink.sink})
   * @param capacity - queued frames at most (a power of two)
   */
  constructor(
    private readonly pool: PacketPool,
    spec: LinkSpec,
    public sink: LinkSink,
    capacity = 1 << 14,
    private readonly wire: WireClock | null = null,
  ) {
    if (!(spec.bandwidth > 0) || !(spec.latency >= 0)) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `a link needs bandwidth > 0 and latency >= 0, got ${spec.bandwidth} bit/s and ${spec.latency} ns`,
      );
    }
    if ((capacity & (capacity - 1)) !== 0 || capacity < 2) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `link capacity must be a power of two, got ${capacity}`,
      );
    }
    this.latency = spec.latency;
    this.nsPerByte = 8e9 / spec.bandwidth;
    this.handles = new Int32Array(capacity);
    this.due = new Float64Array(capacity);
    this.mask = capacity - 1;
  }

  /** Latency in ns. */
  readonly latency: number;

  /** Frames on the wire now. */
  get queued(): number {
    return this.head - this.tail;
  }

  /**
   * Puts `pkts[start .. start+count)` on the wire at `now`; the link owns them from then on.
   * Frames beyond the queue's capacity are dropped as `link-queue-full`.
   */
  push(pkts: Int32Array, start: number, count: number, now: number): void {
    const room = this.mask + 1 - (this.head - this.tail);
    const n = count < room ? count : room;
    if (this.lentFrom >= 0 && this.head + n > this.lentFrom + this.mask + 1) {
      throw new BypassError(
        'ERR_STATE',
        'a link sink put frames on its own link over the slots it is reading',
      );
    }
    const length = this.pool.length;
    // The ring's fields in locals for the loop (stored once after it): the same arithmetic in
    // the same order, so the same due times to the bit.
    const handles = this.handles;
    const due = this.due;
    const mask = this.mask;
    const nsPerByte = this.nsPerByte;
    const latency = this.latency;
    let head = this.head;
    let t = this.busyUntil > now ? this.busyUntil : now;
    for (let i = 0; i < n; i++) {
      const h = pkts[start + i] as number;
      t += (length[h] as number) * nsPerByte;
      const slot = head & mask;
      handles[slot] = h;
      due[slot] = t + latency;
      head++;
    }
    this.head = head;
    this.busyUntil = t;
    if (n < count) {
      this.overflowed += count - n;
      this.pool.drop(pkts, start + n, count - n, LINK_QUEUE_FULL);
    }
  }

  /** Hands every frame due at or before `now` to the sink, in bursts; returns how many. */
  pull(now: number): number {
    return this.deliverUntil(now, now);
  }

  /** Hands everything on the wire to the sink at `now`, due or not (an orderly quiesce). */
  flush(now: number): number {
    return this.deliverUntil(Number.POSITIVE_INFINITY, now);
  }

  private deliverUntil(limit: number, now: number): number {
    let total = 0;
    const out = this.out;
    const due = this.due;
    const handles = this.handles;
    const mask = this.mask;
    const cap = out.length;
    // Due times never decrease along the queue (a frame cannot start before the previous one
    // left, and the latency is the link's): when the last frame of a chunk is due, so is the
    // whole chunk, and its latest arrival is that last frame's.
    while (this.tail !== this.head && (due[this.tail & mask] as number) <= limit) {
      const tail = this.tail;
      const queued = this.head - tail;
      let n = queued < cap ? queued : cap;
      let latest = due[(tail + n - 1) & mask] as number;
      if (latest > limit) {
        // Only part of the chunk is due: find where it ends (binary search on sorted times).
        let lo = 1;
        let hi = n - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >>> 1;
          if ((due[(tail + mid - 1) & mask] as number) <= limit) lo = mid;
          else hi = mid - 1;
        }
        n = lo;
        latest = due[(tail + n - 1) & mask] as number;
      }
      this.tail = tail + n;
      total += n;
      if (this.wire !== null) {
        this.wire.now = latest < now ? latest : now;
      }
      // The same chunks either way; one that does not wrap is read in place, not copied.
      const first = tail & mask;
      if (first + n <= mask + 1) {
        // Nested deliveries keep the outermost (lowest) lent slot: the check covers them all.
        const lent = this.lentFrom;
        if (lent < 0) this.lentFrom = tail;
        try {
          this.sink(handles, first, n);
        } finally {
          this.lentFrom = lent;
        }
      } else {
        for (let i = 0; i < n; i++) out[i] = handles[(tail + i) & mask] as number;
        this.sink(out, 0, n);
      }
    }
    this.delivered += total;
    return total;
  }

  /** Drops everything on the wire with `reason` (the far end vanished); returns how many. */
  discard(reason: number): number {
    let total = 0;
    const out = this.out;
    while (this.tail !== this.head) {
      let n = 0;
      while (n < out.length && this.tail !== this.head) {
        out[n++] = this.handles[this.tail & this.mask] as number;
        this.tail++;
      }
      total += n;
      this.pool.drop(out, 0, n, reason);
    }
    return total;
  }

  /** Time the next frame arrives, or +Infinity when the wire is empty. */
  nextDue(): number {
    return this.tail === this.head
      ? Number.POSITIVE_INFINITY
      : (this.due[this.tail & this.mask] as number);
  }
}
