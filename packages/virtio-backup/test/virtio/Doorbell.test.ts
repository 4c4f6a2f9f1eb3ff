import test from 'ava';
import { VirtualScheduler } from '@bypass/core';
import { Doorbell } from '../../src/index.js';

test('a doorbell without a scheduler delivers at once, every time', (t) => {
  let n = 0;
  const d = new Doorbell(() => n++);
  d.ring();
  d.ring();
  t.is(n, 2);
  t.is(d.deliveries, 2);
});

test('a delayed doorbell delivers after the latency and coalesces rings while pending', (t) => {
  const s = new VirtualScheduler();
  const at: number[] = [];
  const d = new Doorbell(() => at.push(s.now()), { scheduler: s, latencyNs: 1_000 });
  d.ring();
  d.ring();
  t.true(d.isPending);
  s.advanceBy(999);
  t.deepEqual(at, []);
  s.advanceBy(1);
  t.deepEqual(at, [1_000]);
  t.is(d.rings, 2);
  t.is(d.deliveries, 1);
  d.ring();
  d.cancel();
  s.advanceBy(5_000);
  t.deepEqual(at, [1_000]);
  t.is(s.pending, 0);
});

test('a latency needs a scheduler and must be a non-negative integer', (t) => {
  t.throws(() => new Doorbell(() => {}, { latencyNs: 10 }), { code: 'ERR_INVALID_ARGUMENT' });
  t.throws(() => new Doorbell(() => {}, { scheduler: new VirtualScheduler(), latencyNs: -1 }), {
    code: 'ERR_INVALID_ARGUMENT',
  });
});
