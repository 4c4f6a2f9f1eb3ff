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

test('a gated interrupt is delivered at once while the guest runs, and held on its clock while it is stopped', (t) => {
  // The guest's clock: a scheduler whose jobs run only when the test lets the guest run.
  const guest = new VirtualScheduler();
  let stopped = false;
  let n = 0;
  const d = new Doorbell(() => n++, { gate: { stopped: () => stopped, clock: guest } });
  d.ring();
  t.is(n, 1, 'running: synchronous');
  stopped = true;
  d.ring();
  d.ring();
  t.is(n, 1, 'stopped: nothing reaches the guest');
  t.true(d.isPending);
  t.is(guest.pending, 1, 'one pending delivery: rings coalesce');
  stopped = false;
  guest.advanceBy(0);
  t.is(n, 2);
  t.is(d.rings, 3);
  t.is(d.deliveries, 2);
  t.false(d.isPending);
  // A reset while held drops the pending delivery from the guest's clock.
  stopped = true;
  d.ring();
  d.cancel();
  t.is(guest.pending, 0);
});
