import test from 'ava';
import fc from 'fast-check';
import { NetDeviceStats, STATS64_FIELDS, foldStats64 } from '../../src/netdev/NetDeviceStats.js';
import { PacketPool } from '../../src/packet/PacketPool.js';

const TWO_32 = 0x1_0000_0000;

test('STATS64_FIELDS lists the 24 rtnl_link_stats64 counters, all present and zero', (t) => {
  t.is(STATS64_FIELDS.length, 24);
  t.is(new Set(STATS64_FIELDS).size, 24);
  const s = new NetDeviceStats();
  for (const f of STATS64_FIELDS) t.is(s[f], 0, f);
});

test('copyFrom, add, clone, reset and toJSON cover every counter', (t) => {
  const a = new NetDeviceStats();
  STATS64_FIELDS.forEach((f, i) => (a[f] = i + 1));
  const b = a.clone();
  t.not(b, a);
  t.deepEqual(b.toJSON(), a.toJSON());
  b.add(a);
  STATS64_FIELDS.forEach((f, i) => t.is(b[f], 2 * (i + 1)));
  b.reset();
  for (const f of STATS64_FIELDS) t.is(b[f], 0);
  t.is(b.copyFrom(a), b);
  t.deepEqual(JSON.parse(JSON.stringify(b)), a.toJSON());
});

test('isZero is false as soon as any one counter is not zero', (t) => {
  t.true(new NetDeviceStats().isZero());
  for (const f of STATS64_FIELDS) {
    const s = new NetDeviceStats();
    s[f] = 1;
    t.false(s.isZero(), f);
    s[f] = 0;
    t.true(s.isZero(), f);
  }
});

test('foldStats64 adds growth and updates the snapshot', (t) => {
  const acc = new NetDeviceStats();
  const before = new NetDeviceStats();
  const now = new NetDeviceStats();
  now.txPackets = 10;
  now.rxBytes = 5 * TWO_32; // a 64-bit counter
  foldStats64(acc, now, before);
  t.is(acc.txPackets, 10);
  t.is(acc.rxBytes, 5 * TWO_32);
  t.deepEqual(before.toJSON(), now.toJSON());
  now.txPackets = 15;
  now.rxBytes = 5 * TWO_32 + 7;
  foldStats64(acc, now, before);
  t.is(acc.txPackets, 15);
  t.is(acc.rxBytes, 5 * TWO_32 + 7);
});

test('foldStats64 ignores a negative delta (counter reset) and still takes the new snapshot', (t) => {
  const acc = new NetDeviceStats();
  acc.rxPackets = 100;
  const before = new NetDeviceStats();
  before.rxPackets = 50;
  const now = new NetDeviceStats();
  now.rxPackets = 3; // the driver zeroed its counters on down/up, then counted 3
  foldStats64(acc, now, before);
  t.is(acc.rxPackets, 100);
  t.is(before.rxPackets, 3);
  now.rxPackets = 8;
  foldStats64(acc, now, before);
  t.is(acc.rxPackets, 105, 'growth after the reset is counted from the new snapshot');
  const big = new NetDeviceStats();
  big.txBytes = 10 * TWO_32;
  const after = new NetDeviceStats();
  after.txBytes = 2 * TWO_32; // a 64-bit reset
  foldStats64(acc, after, big);
  t.is(acc.txBytes, 0);
});

test('foldStats64 handles a 32-bit counter that wrapped', (t) => {
  const acc = new NetDeviceStats();
  const before = new NetDeviceStats();
  before.txBytes = TWO_32 - 16;
  const now = new NetDeviceStats();
  now.txBytes = 16;
  foldStats64(acc, now, before);
  t.is(acc.txBytes, 32);
});

/** One fold step of a counter: the value the driver reports next. */
const counterValue = fc.oneof(
  fc.nat({ max: 2 * TWO_32 }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);

test('property: the accumulator never decreases and the snapshot always equals now', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(...STATS64_FIELDS), counterValue), { maxLength: 60 }),
      (steps) => {
        const acc = new NetDeviceStats();
        const before = new NetDeviceStats();
        const now = new NetDeviceStats();
        for (const [field, value] of steps) {
          const prev = acc.toJSON();
          now[field] = value;
          foldStats64(acc, now, before);
          for (const f of STATS64_FIELDS) if (acc[f] < prev[f]) return false;
          for (const f of STATS64_FIELDS) if (before[f] !== now[f]) return false;
        }
        return true;
      },
    ),
  );
  t.pass();
});

test('property: a wrapping 32-bit counter folds to the true total growth', (t) => {
  fc.assert(
    fc.property(
      fc.nat({ max: TWO_32 - 1 }),
      fc.array(fc.nat({ max: 0x7fff_ffff }), { maxLength: 50 }),
      (start, growths) => {
        const acc = new NetDeviceStats();
        const before = new NetDeviceStats();
        const now = new NetDeviceStats();
        before.rxPackets = start;
        let truth = start;
        let total = 0;
        for (const g of growths) {
          truth += g;
          total += g;
          now.rxPackets = truth % TWO_32;
          foldStats64(acc, now, before);
        }
        return acc.rxPackets === total;
      },
    ),
  );
  t.pass();
});

test('copyFrom, add and foldStats64 cover every stats64 field (the unrolled lists cannot drift)', (t) => {
  const src = new NetDeviceStats();
  STATS64_FIELDS.forEach((f, i) => (src[f] = 1000 + i));
  const copy = new NetDeviceStats().copyFrom(src);
  const sum = new NetDeviceStats().add(src).add(src);
  const acc = new NetDeviceStats();
  const before = new NetDeviceStats();
  foldStats64(acc, src, before);
  for (const [i, f] of STATS64_FIELDS.entries()) {
    t.is(copy[f], 1000 + i, `copyFrom ${f}`);
    t.is(sum[f], 2 * (1000 + i), `add ${f}`);
    t.is(acc[f], 1000 + i, `foldStats64 ${f}`);
    t.is(before[f], 1000 + i, `foldStats64 snapshot ${f}`);
  }
});

test('countRx and countTx count a burst: packets, bytes, and group-addressed frames as multicast', (t) => {
  const pool = new PacketPool({ slots: 8 });
  const pkts = new Int32Array(3);
  pool.allocBurst(pkts, 0, 3);
  [60, 100, 1514].forEach((len, i) => pool.setLength(pkts[i] as number, len));
  pool.bytes[pool.start[pkts[1] as number] as number] = 0x01; // 01:.. multicast
  pool.bytes[pool.start[pkts[2] as number] as number] = 0xff; // broadcast counts too
  const s = new NetDeviceStats();
  t.is(s.countRx(pool, pkts, 0, 3), 1674);
  t.deepEqual([s.rxPackets, s.rxBytes, s.multicast], [3, 1674, 2]);
  t.is(s.countTx(pool, pkts, 1, 2), 1614);
  t.deepEqual([s.txPackets, s.txBytes], [2, 1614]);
});
