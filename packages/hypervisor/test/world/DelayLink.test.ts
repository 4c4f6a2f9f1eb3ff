import test from 'ava';
import { PacketPool } from '@bypass/core';
import { DelayLink, ETHERNET_OVERHEAD_BYTES, type WireClock } from '../../src/world/DelayLink.js';

const SPEC = { bandwidth: 8e9, latency: 1000 }; // 1 ns per byte

interface Arrival {
  readonly h: number;
  readonly at: number;
  readonly call: number;
}

/** Pushes `bursts` bursts of `size` frames through a link of `capacity` and records arrivals. */
function run(capacity: number, bursts: number, size: number): Arrival[] {
  const pool = new PacketPool({ slots: 256 });
  const wire: WireClock = { now: 0, times: null, timesFor: null };
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

/** A wire clock and a sink that records each frame's arrival time as the wire clock gives it. */
function timedSink(
  pool: PacketPool,
  wire: WireClock,
  seen: number[],
): (pkts: Int32Array, start: number, count: number) => void {
  return (pkts, start, count) => {
    for (let i = start; i < start + count; i++) {
      seen.push(wire.timesFor === pkts ? (wire.times?.[i] as number) : wire.now);
      pool.free(pkts[i] as number);
    }
  };
}

test('the next hop serializes each frame of a burst from its own arrival, not the burst last', (t) => {
  const pool = new PacketPool({ slots: 64 });
  const wire: WireClock = { now: 0, times: null, timesFor: null };
  const seen: number[] = [];
  const b = new DelayLink(
    pool,
    { bandwidth: 16e9, latency: 500 },
    timedSink(pool, wire, seen),
    64,
    wire,
  );
  const a = new DelayLink(pool, SPEC, (p, s, n) => b.push(p, s, n, wire.now), 64, wire);
  const frames = new Int32Array(4);
  pool.allocBurst(frames, 0, 4);
  for (const h of frames) pool.setLength(h, 100);
  a.push(frames, 0, 4, 0);
  // On a: out at 100, 200, 300, 400, in at b 1000 later; b takes 50 ns each and 500 more.
  t.is(a.pull(5_000), 4);
  t.is(b.pull(10_000), 4);
  t.deepEqual(seen, [1650, 1750, 1850, 1950]);
  // Handed over, the wire clock is back as it was.
  t.is(wire.times, null);
  t.is(wire.timesFor, null);
});

test('a flush hands what is due with its own times, the rest at the flush time', (t) => {
  const pool = new PacketPool({ slots: 64 });
  const wire: WireClock = { now: 0, times: null, timesFor: null };
  const seen: number[] = [];
  const link = new DelayLink(pool, SPEC, timedSink(pool, wire, seen), 64, wire);
  const frames = new Int32Array(4);
  pool.allocBurst(frames, 0, 4);
  for (const h of frames) pool.setLength(h, 100);
  link.push(frames, 0, 4, 0); // due 1100, 1200, 1300, 1400
  t.is(link.flush(1_250), 4);
  t.deepEqual(seen, [1100, 1200, 1250, 1250]);
});

test('an Ethernet link counts 24 bytes per frame more: 60-byte frames at 10 Gbit/s top out at 14.88 Mpps', (t) => {
  const pool = new PacketPool({ slots: 1 << 15 });
  const frames = new Int32Array(16_000);
  const got = pool.allocBurst(frames, 0, frames.length);
  for (let i = 0; i < got; i++) pool.setLength(frames[i] as number, 60);
  const link = new DelayLink(
    pool,
    { bandwidth: 10e9, latency: 0 },
    (p, s, n) => pool.freeBurst(p, s, n),
    1 << 14,
    null,
    ETHERNET_OVERHEAD_BYTES,
  );
  link.push(frames, 0, got, 0);
  // 84 bytes of line time = 67.2 ns a frame: 14 880 in the first millisecond (10e9 / 672).
  t.is(link.pull(1_000_000), 14_880);
  // (the 14 881st at 1 000 003.2 ns, to within the rounding of 14 881 sums)
  t.true(Math.abs(link.nextDue() - 1_000_003.2) < 1e-6);
});
