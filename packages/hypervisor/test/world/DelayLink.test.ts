import test from 'ava';
import { PacketPool } from '@bypass/core';
import { DelayLink, type WireClock } from '../../src/world/DelayLink.js';

const SPEC = { bandwidth: 8e9, latency: 1000 }; // 1 ns per byte

interface Arrival {
  readonly h: number;
  readonly at: number;
  readonly call: number;
}

/** Pushes `bursts` bursts of `size` frames through a link of `capacity` and records arrivals. */
function run(capacity: number, bursts: number, size: number): Arrival[] {
  const pool = new PacketPool({ slots: 256 });
  const wire: WireClock = { now: 0 };
  const seen: Arrival[] = [];
  let calls = 0;
  const link = new DelayLink(
    pool,
    SPEC,
    (pkts, start, count) => {
      calls++;
      for (let i = start; i < start + count; i++) {
        const h = pkts[i] as number;
        seen.push({ h, at: wire.now, call: calls });
        pool.free(h);
      }
    },
    capacity,
    wire,
  );
  const out = new Int32Array(size);
  for (let b = 0; b < bursts; b++) {
    const got = pool.allocBurst(out, 0, size);
    for (let i = 0; i < got; i++) pool.setLength(out[i] as number, 100);
    link.push(out, 0, got, b * 10_000);
    link.pull(b * 10_000 + 5_000);
  }
  link.flush(bursts * 10_000);
  return seen;
}

test('chunks read in place and chunks that wrap around the ring arrive the same', (t) => {
  // A ring of 16 wraps every few bursts of 7 frames (chunks across its end are copied), a ring
  // of 1024 never does: the same frames, times and chunks either way.
  const small = run(16, 20, 7);
  const large = run(1024, 20, 7);
  t.is(small.length, 140);
  t.deepEqual(small, large);
});

test('a sink that puts frames back on its own link over the slots it reads is refused', (t) => {
  const pool = new PacketPool({ slots: 64 });
  const frames = new Int32Array(8);
  pool.allocBurst(frames, 0, 8);
  for (const h of frames) pool.setLength(h, 64);
  let link: DelayLink | null = null;
  let reentered = 0;
  link = new DelayLink(
    pool,
    SPEC,
    (pkts, start, count) => {
      // Hands the frames straight back: a full ring's worth lands on the slots being read.
      reentered++;
      if (reentered === 1) link?.push(pkts, start, count, 0);
    },
    8,
    null,
  );
  link.push(frames, 0, 8, 0);
  const err = t.throws(() => link?.flush(0));
  t.regex(err?.message ?? '', /own link/);
});

test('a sink may put a few frames back on its own link while it reads in place', (t) => {
  const pool = new PacketPool({ slots: 64 });
  const frames = new Int32Array(4);
  pool.allocBurst(frames, 0, 4);
  for (const h of frames) pool.setLength(h, 64);
  const got: number[] = [];
  let link: DelayLink | null = null;
  link = new DelayLink(
    pool,
    SPEC,
    (pkts, start, count) => {
      for (let i = start; i < start + count; i++) got.push(pkts[i] as number);
      // The first frame goes round once more; the ring has room away from the slots read.
      if (got.length === 4) link?.push(pkts, start, 1, 0);
    },
    16,
    null,
  );
  link.push(frames, 0, 4, 0);
  link.flush(0);
  link.flush(0);
  t.deepEqual(got, [...frames, frames[0] as number]);
});
