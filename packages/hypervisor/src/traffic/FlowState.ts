import { defineDropReason, type PacketPool } from '@bypass/core';
import type { ScenarioFlow } from '../scenario/Scenario.js';
import { FlowFrameReader } from './FlowFrameReader.js';
import type { FlowFrameWriter } from './FlowFrameWriter.js';

/** Frames the generator could not allocate (the pool was exhausted): counted as sent and lost. */
export const POOL_EXHAUSTED = defineDropReason('pool-exhausted');
/** A flow's frame (not a flooded copy) that ended at an endpoint that is not its destination. */
export const FLOODED_ELSEWHERE = defineDropReason('flooded-elsewhere');

/** `pool.mark` of a flow frame: the flow index + 1 (0 = not a flow frame). */
export const FLOW_MARK_BASE = 1;

/**
 * The running state of one flow: its generator (constant rate, sequence numbers, real
 * Ethernet/IPv4/UDP frames) and what its destination saw (received, duplicates, reordering,
 * gaps, latency, per-bucket counts for the timeline) plus its drops by reason.
 *
 * @example
 * ```ts
 * const f = new FlowState(0, spec, writer, pool, bucketNs, buckets);
 * const n = f.generate(out, now, tickNs); // frames to send this tick
 * ```
 */
export class FlowState {
  sent = 0;
  received = 0;
  duplicated = 0;
  reordered = 0;
  /** Flooded copies that reached the destination (not counted as received). */
  copiesAtTarget = 0;
  /** Drops by reason code. */
  readonly drops: number[] = [];
  readonly perBucket: Float64Array;
  private acc = 0;
  private nextSeq = 0;
  private highest = -1;
  private seen: Uint8Array;
  /** One handle, for {@link FlowState.receive}. */
  private readonly one = new Int32Array(1);
  private lastRx: number;
  /** The timeline bucket of the last frame received and the times it covers, `[lo, hi)`. */
  private bucket = 0;
  private bucketLo = 0;
  private bucketHi = 0;
  longestGapNs = 0;
  latencyMin = Number.POSITIVE_INFINITY;
  latencyMax = 0;
  latencySum = 0;
  /** Set while the source cannot send (its VM is paused or down). */
  sourceStopped = false;

  constructor(
    readonly index: number,
    readonly spec: ScenarioFlow,
    private readonly writer: FlowFrameWriter,
    private readonly pool: PacketPool,
    private readonly bucketNs: number,
    buckets: number,
  ) {
    this.perBucket = new Float64Array(buckets);
    this.seen = new Uint8Array(1024);
    this.lastRx = spec.start;
  }

  /** Lost frames: the sum of the drops. */
  get lost(): number {
    let s = 0;
    for (const v of this.drops) s += v ?? 0;
    return s;
  }

  /**
   * Frames due in the tick `[now, now + tickNs)`, sent at its end: allocates and writes them
   * into `out[0..]` and returns how many, at most `out.length` (call again with `tickNs` 0 for
   * the rest of the same tick). A stopped source sends nothing (those frames are never sent).
   * Frames the pool cannot give are counted as sent and dropped as `pool-exhausted`.
   */
  generate(out: Int32Array, now: number, tickNs: number): number {
    const spec = this.spec;
    if (now < spec.start || now >= spec.stop) return 0;
    const end = now + tickNs < spec.stop ? now + tickNs : spec.stop;
    this.acc += ((end - now) * spec.pps) / 1e9;
    let want = Math.floor(this.acc);
    if (want <= 0) return 0;
    if (this.sourceStopped) {
      this.acc -= want;
      return 0;
    }
    // More than `out` holds stays due: the caller calls again with tickNs 0 for the rest.
    if (want > out.length) want = out.length;
    this.acc -= want;
    const got = this.pool.allocBurst(out, 0, want);
    // The writer tags each slot: mark = flow index + 1 (FLOW_MARK_BASE), timestamp = send time.
    this.writer.writeRun(this.pool, out, got, this.nextSeq, end);
    this.nextSeq += got;
    this.sent += want;
    if (got < want) {
      this.nextSeq += want - got;
      this.drops[POOL_EXHAUSTED] = (this.drops[POOL_EXHAUSTED] ?? 0) + (want - got);
    }
    return got;
  }

  /**
   * False when a further {@link FlowState.generate} call with `tickNs` 0 would return 0 and
   * change nothing: less than one whole frame is due (a call with `tickNs` 0 adds nothing to
   * the running total). True when frames were left due because `out` was full.
   */
  get moreDue(): boolean {
    return !(this.acc < 1);
  }

  /** Counts frame `h` (an original of this flow) as received at `now`. The caller frees it. */
  receive(h: number, now: number): void {
    this.one[0] = h;
    this.receiveRun(this.one, 0, 1, now);
  }

  /**
   * Counts frames `pkts[start .. end)` (originals of this flow), in order: a frame whose flow
   * header does not check is skipped; then sequence (duplicates, reordering), the gap since the
   * last frame, latency, and the timeline bucket. Frame `pkts[i]` arrived at `times[i] - origin`
   * when `times` is given (its own arrival time on the wire, from the wire clock), else
   * every frame at `now`. The running figures are kept in locals for the run and stored once
   * (the latency sum adds the same values in the same order as frame by frame; a bucket's count
   * is an integer-valued double, so `+ k` is `k` times `+ 1`; the bucket is recomputed only when
   * a time leaves the current one). The caller frees the frames.
   */
  receiveRun(
    pkts: Int32Array,
    start: number,
    end: number,
    now: number,
    times: Float64Array | null = null,
    origin = 0,
  ): void {
    const pool = this.pool;
    const view = pool.view;
    const stamps = pool.timestamp;
    const lengths = pool.length;
    const starts = pool.start;
    const size = pool.bytes.length;
    const perBucket = this.perBucket;
    // The running figures as numbers (`+`) for V8's optimizing compiler: the fields assigned in
    // the constructor start as `undefined` (class-field semantics), so V8 stores them tagged, and
    // a loop variable that starts from such a field or from an unchecked parameter (`now`) would
    // be boxed on every change, a heap number allocated per frame.
    const bucketNs = +this.bucketNs;
    let seen = this.seen;
    let received = this.received;
    let duplicated = this.duplicated;
    let reordered = this.reordered;
    let highest = +this.highest;
    let lastRx = +this.lastRx;
    let longestGap = +this.longestGapNs;
    let latMin = +this.latencyMin;
    let latMax = +this.latencyMax;
    let latSum = +this.latencySum;
    // The current bucket, the times it covers [lo, hi), and frames counted in it not yet stored.
    let bucket = +this.bucket;
    let bucketLo = +this.bucketLo;
    let bucketHi = +this.bucketHi;
    let counted = 0;
    const nowNs = +now;
    for (let i = start; i < end; i++) {
      const h = pkts[i] as number;
      // FlowFrameReader.headerOffset with the pool's fields in locals.
      const len = lengths[h];
      if (len === undefined) continue;
      const p = FlowFrameReader.headerAt(view, starts[h] as number, len, size);
      if (p < 0) continue;
      const seq = view.getUint32(p + 8);
      received++;
      if (seq >= seen.length * 8) {
        this.grow(seq);
        seen = this.seen;
      }
      const byte = seq >>> 3;
      const bit = 1 << (seq & 7);
      if (((seen[byte] as number) & bit) !== 0) {
        duplicated++;
        continue;
      }
      seen[byte] = (seen[byte] as number) | bit;
      if (seq < highest) reordered++;
      else highest = seq;
      const at = times === null ? nowNs : (times[i] as number) - origin;
      const gap = at - lastRx;
      if (gap > longestGap) longestGap = gap;
      lastRx = at;
      const stamp = stamps[h] as number;
      const sentAt = stamp > 0 ? stamp : FlowFrameReader.sendTimeNs(view.getUint32(p + 12), at);
      const lat = at - sentAt;
      if (lat < latMin) latMin = lat;
      if (lat > latMax) latMax = lat;
      latSum += lat;
      if (!(at >= bucketLo && at < bucketHi)) {
        if (counted > 0 && bucket < perBucket.length)
          perBucket[bucket] = (perBucket[bucket] as number) + counted;
        counted = 0;
        bucket = Math.floor(at / bucketNs);
        bucketLo = bucket * bucketNs;
        bucketHi = bucketLo + bucketNs;
      }
      counted++;
    }
    this.received = received;
    this.duplicated = duplicated;
    this.reordered = reordered;
    this.highest = highest;
    this.lastRx = lastRx;
    this.longestGapNs = longestGap;
    this.latencyMin = latMin;
    this.latencyMax = latMax;
    this.latencySum = latSum;
    this.bucket = bucket;
    this.bucketLo = bucketLo;
    this.bucketHi = bucketHi;
    if (counted > 0 && bucket < perBucket.length)
      perBucket[bucket] = (perBucket[bucket] as number) + counted;
  }

  /** Counts `count` drops of this flow's frames with `reason`. */
  countDrop(reason: number, count: number): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + count;
  }

  /** Closes the books at `end`: the gap from the last frame to the end of sending counts too. */
  finish(end: number): void {
    const stop = this.spec.stop < end ? this.spec.stop : end;
    if (this.sent > 0 && stop - this.lastRx > this.longestGapNs)
      this.longestGapNs = stop - this.lastRx;
  }

  /** Unique frames received. */
  get uniqueReceived(): number {
    return this.received - this.duplicated;
  }

  private grow(seq: number): void {
    let n = this.seen.length;
    while (n * 8 <= seq) n *= 2;
    const s = new Uint8Array(n);
    s.set(this.seen);
    this.seen = s;
  }
}
