import test from 'ava';
import { SplitVirtqueueLayout, vringNeedEvent } from '../../src/index.js';

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

test('the ring layout matches the spec formulas for every queue size', (t) => {
  for (let q = 1; q <= 32768; q *= 2) {
    const l = new SplitVirtqueueLayout(q);
    t.is(l.descOffset, 0);
    t.is(l.descBytes, 16 * q);
    t.is(l.availOffset, 16 * q);
    t.is(l.availBytes, 6 + 2 * q);
    t.is(l.usedOffset, align(16 * q + 6 + 2 * q, 4));
    t.is(l.usedBytes, 6 + 8 * q);
    t.is(l.totalBytes, l.usedOffset + 6 + 8 * q);
    t.is(l.availOffset % 2, 0);
    t.is(l.usedOffset % 4, 0);
  }
});

test('field offsets inside the rings follow struct vring_desc, vring_avail and vring_used', (t) => {
  const l = new SplitVirtqueueLayout(256);
  t.deepEqual([l.descAddr(3), l.descLen(3), l.descFlags(3), l.descNext(3)], [48, 56, 60, 62]);
  t.deepEqual(
    [l.availFlags, l.availIdx, l.availRing(0), l.availRing(255), l.usedEvent],
    [4096, 4098, 4100, 4610, 4612],
  );
  t.is(l.usedOffset, 4616);
  t.deepEqual(
    [l.usedFlags, l.usedIdx, l.usedRing(0), l.usedRing(1), l.availEvent],
    [4616, 4618, 4620, 4628, 4620 + 8 * 256],
  );
  t.is(l.totalBytes, 6670);
});

test('the legacy layout aligns the used ring to a page, as vring_size does', (t) => {
  const l = new SplitVirtqueueLayout(256, { usedAlign: 4096 });
  t.is(l.usedOffset, 8192);
  t.is(l.totalBytes, 10246); // vring_size(256, 4096)
});

test('queue sizes that are not powers of two up to 32768 are refused', (t) => {
  for (const bad of [0, 3, 65536, 1.5, -4]) {
    t.throws(() => new SplitVirtqueueLayout(bad), { code: 'ERR_INVALID_ARGUMENT' }, String(bad));
  }
  t.throws(() => new SplitVirtqueueLayout(8, { usedAlign: 2 }), { code: 'ERR_INVALID_ARGUMENT' });
});

test('vring_need_event fires when the index crosses the event, modulo 2^16', (t) => {
  t.true(vringNeedEvent(0, 1, 0));
  t.false(vringNeedEvent(5, 3, 2));
  t.true(vringNeedEvent(4, 6, 2));
  t.true(vringNeedEvent(0xffff, 1, 0xfffe));
  t.false(vringNeedEvent(10, 1, 0xfffe));
});
