import { BypassError, defineDropReason, type PacketPool } from '@bypass/core';
import type { LinkSpec } from '../scenario/Scenario.js';

/** Frames dropped because a link's queue was full (the sender outran its bandwidth). */
export const LINK_QUEUE_FULL = defineDropReason('link-queue-full');

/**
 * Bytes an Ethernet frame costs on the wire beyond the pool's frame (which holds no FCS):
 * preamble and SFD 8, FCS 4, minimum inter-frame gap 12 (IEEE 802.3 clauses 3.1.1 and 4.4.2).
 * A 60-byte pool frame (a 64-byte frame with its FCS) takes 84 bytes of line time, so a 10
 * Gbit/s link carries at most 14.88 Mpps of them.
 */
export const ETHERNET_OVERHEAD_BYTES = 24;

/**
 * The time on the wire while links hand frames over: set by {@link DelayLink.pull} for the
 * duration of its sink's call, so the next hop starts from there (several short hops can
 * complete within one simulation tick).
 *
 * A burst is handed over at once, but each of its frames keeps its own arrival time:
 * `times[k]` is the arrival time of the frame at `timesFor[k]`. A consumer handed
 * `(pkts, start, count)` reads `times[i]` for `pkts[i]` when `timesFor === pkts` (a switch
 * forwards runs of the array it was given, so the mapping survives the hop), and `now`
 * otherwise (a frame copied into another array, a guest's own burst). `now` is the burst's
 * latest arrival time.
 *
 * @example
 * ```ts
 * const wire: WireClock = { now: 0, times: null, timesFor: null };
 * const link = new DelayLink(pool, spec, (p, s, n) => next.push(p, s, n, wire.now), 1 << 14, wire);
 * // in a sink: const times = arrivalTimes(wire, pkts); const t = times === null ? wire.now : times[i];
 * ```
 */
export interface WireClock {
  /** Arrival time of the burst being handed over (its latest frame's), or the tick's time. */
  now: number;
  /** Per-frame arrival times, index for index with {@link WireClock.timesFor}; null if none. */
  times: Float64Array | null;
  /** The handle array `times` belongs to; null when no burst is being handed over. */
  timesFor: Int32Array | null;
}

/**
 * The per-frame arrival times that go with `pkts` (index for index), or null when the wire
 * clock has none for that array: a frame copied elsewhere or a guest's own burst, which count
 * at `wire.now`.
 *
 * @example
 * ```ts
 * const times = arrivalTimes(wire, pkts);
 * const t = times === null ? wire.now : times[i];
 * ```
 */
export function arrivalTimes(wire: WireClock | null, pkts: Int32Array): Float64Array | null {
  return wire !== null && wire.timesFor === pkts ? wire.times : null;
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
 * Each frame's serialization starts when the link is free and the frame itself has arrived
 * (its own time in {@link WireClock.times}, else `now`), and costs its bytes plus the link's
 * per-frame `overhead` ({@link ETHERNET_OVERHEAD_BYTES} on an Ethernet wire).
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
  /** Arrival times of a chunk copied into `out`, index for index. */
  private readonly outDue = new Float64Array(64);
  /** Bytes each frame costs on the wire beyond its own (preamble, FCS, inter-frame gap). */
  private readonly overhead: number;
  /** Counter of the first slot lent to the sink in place during its call; -1 when none. */
  private lentFrom = -1;

  /**
   * @param pool - the frames' pool
   * @param spec - bandwidth (bits/s, > 0) and latency (ns, >= 0)
   * @param sink - where arrivals go (replaceable: {@link DelayLink.sink})
   * @param capacity - queued frames at most (a power of two)
   * @param wire - the shared wire clock: arrival times of what this link is handed and of what
   *   it hands over
   * @param overhead - bytes each frame costs on the wire beyond its own (default 0, a DMA or
   *   memory copy; {@link ETHERNET_OVERHEAD_BYTES} for an Ethernet link)
   */
  constructor(
    private readonly pool: PacketPool,
    spec: LinkSpec,
    public sink: LinkSink,
    capacity = 1 << 14,
    private readonly wire: WireClock | null = null,
    overhead = 0,
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
    if (!(overhead >= 0)) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `a link's per-frame overhead must be >= 0 bytes, got ${overhead}`,
      );
    }
    this.overhead = overhead;
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
   * Puts `pkts[start .. start+count)` on the wire; the link owns them from then on. Each frame
   * is there at its own arrival time when the wire clock has one for it (`pkts` is the array
   * being handed over), else at `now`. Frames beyond the queue's capacity are dropped as
   * `link-queue-full`.
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
    const overhead = this.overhead;
    let head = this.head;
    // `+now`: a number for V8's optimizing compiler. An unchecked parameter merged into the
    // loop's running time would make it a boxed value, a heap number allocated per frame.
    const from = +now;
    let t = this.busyUntil > from ? this.busyUntil : from;
    const wire = this.wire;
    const times = arrivalTimes(wire, pkts);
    if (times === null) {
      for (let i = 0; i < n; i++) {
        const h = pkts[start + i] as number;
        t += ((length[h] as number) + overhead) * nsPerByte;
        const slot = head & mask;
        handles[slot] = h;
        due[slot] = t + latency;
        head++;
      }
    } else {
      // Store-and-forward per frame: each one starts when the link is free and it has arrived.
      t = this.busyUntil;
      for (let i = 0; i < n; i++) {
        const h = pkts[start + i] as number;
        const at = times[start + i] as number;
        if (at > t) t = at;
        t += ((length[h] as number) + overhead) * nsPerByte;
        const slot = head & mask;
        handles[slot] = h;
        due[slot] = t + latency;
        head++;
      }
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
    const due = this.due;
    const mask = this.mask;
    const cap = this.out.length;
    // Due times never decrease along the queue (a frame cannot start before the previous one
    // left, and the latency is the link's): when the last frame of a chunk is due, so is the
    // whole chunk, and its latest arrival is that last frame's.
    while (this.tail !== this.head && (due[this.tail & mask] as number) <= limit) {
      const tail = this.tail;
      const queued = this.head - tail;
      let n = queued < cap ? queued : cap;
      // A flush hands over at `now` what is not due yet: the frames due by `now` first, with
      // their own times, then the rest, all at `now`.
      const cut = (due[tail & mask] as number) > now ? limit : limit < now ? limit : now;
      let latest = due[(tail + n - 1) & mask] as number;
      if (latest > cut) {
        // Only part of the chunk is due: find where it ends (binary search on sorted times).
        let lo = 1;
        let hi = n - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >>> 1;
          if ((due[(tail + mid - 1) & mask] as number) <= cut) lo = mid;
          else hi = mid - 1;
        }
        n = lo;
        latest = due[(tail + n - 1) & mask] as number;
      }
      this.tail = tail + n;
      total += n;
      this.handOver(tail, n, latest <= now ? latest : now, latest <= now);
    }
    this.delivered += total;
    return total;
  }

  /**
   * Hands `n` frames from ring counter `tail` to the sink at `at` (their latest arrival), each
   * with its own arrival time on the wire clock when `ownTimes` (else all at `at`): in place
   * when they do not wrap around the ring's end, else through `out` (times in `outDue`).
   * Deliveries nest: the previous times come back afterwards.
   */
  private handOver(tail: number, n: number, at: number, ownTimes: boolean): void {
    const mask = this.mask;
    const handles = this.handles;
    const wire = this.wire;
    const prevTimes = wire === null ? null : wire.times;
    const prevFor = wire === null ? null : wire.timesFor;
    if (wire !== null) wire.now = at;
    const first = tail & mask;
    // Nested deliveries keep the outermost (lowest) lent slot: the check covers them all.
    const lent = this.lentFrom;
    try {
      if (first + n <= mask + 1) {
        if (wire !== null) {
          wire.times = ownTimes ? this.due : null;
          wire.timesFor = ownTimes ? handles : null;
        }
        if (lent < 0) this.lentFrom = tail;
        this.sink(handles, first, n);
      } else {
        const out = this.out;
        const due = this.due;
        const outDue = this.outDue;
        for (let i = 0; i < n; i++) {
          const slot = (tail + i) & mask;
          out[i] = handles[slot] as number;
          outDue[i] = due[slot] as number;
        }
        if (wire !== null) {
          wire.times = ownTimes ? outDue : null;
          wire.timesFor = ownTimes ? out : null;
        }
        this.sink(out, 0, n);
      }
    } finally {
      this.lentFrom = lent;
      if (wire !== null) {
        wire.times = prevTimes;
        wire.timesFor = prevFor;
      }
    }
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
