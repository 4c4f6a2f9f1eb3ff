import type { PacketPool } from '@bypass/core';
import { arrivalTimes, type WireClock } from '../world/DelayLink.js';
import type { FrameCapture } from './FrameCapture.js';

/**
 * A {@link FrameCapture} in front of another that records each frame a wire is handing over at
 * its own arrival time (the wire clock's per-frame times, on the scenario's clock, never before
 * 0) instead of the burst's time it is given; frames with no time of their own (a flooded copy,
 * a guest's burst) keep the time given. Frames are passed on in runs of equal times.
 *
 * @example
 * ```ts
 * sw.capture = new WireTimedCapture(new PcapCapture(), world.wire, () => world.origin);
 * ```
 */
export class WireTimedCapture implements FrameCapture {
  constructor(
    private readonly inner: FrameCapture,
    private readonly wire: WireClock,
    /** Scheduler time of the scenario's time 0. */
    private readonly origin: () => number,
  ) {}

  point(name: string): number {
    return this.inner.point(name);
  }

  record(
    point: number,
    pool: PacketPool,
    pkts: Int32Array,
    start: number,
    count: number,
    timeNs: number,
  ): void {
    const times = arrivalTimes(this.wire, pkts);
    if (times === null || count <= 0) {
      this.inner.record(point, pool, pkts, start, count, timeNs);
      return;
    }
    const origin = this.origin();
    const end = start + count;
    let runStart = start;
    let runAt = Math.max(0, (times[start] as number) - origin);
    for (let i = start + 1; i < end; i++) {
      const at = Math.max(0, (times[i] as number) - origin);
      if (at !== runAt) {
        this.inner.record(point, pool, pkts, runStart, i - runStart, runAt);
        runStart = i;
        runAt = at;
      }
    }
    this.inner.record(point, pool, pkts, runStart, end - runStart, runAt);
  }
}
