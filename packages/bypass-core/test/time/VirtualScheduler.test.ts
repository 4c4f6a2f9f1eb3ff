import test from 'ava';
import fc from 'fast-check';
import { VirtualScheduler } from '../../src/time/VirtualScheduler.js';
import { NS_PER_MS } from '../../src/time/Scheduler.js';
import { isBypassError } from '../../src/errors/BypassError.js';

test('callbacks due at the same instant run in scheduling order', (t) => {
  const s = new VirtualScheduler();
  const seen: number[] = [];
  for (let i = 0; i < 10; i++) s.runAt(100, () => seen.push(i));
  s.advanceTo(100);
  t.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('callbacks run in due-time order and see now() equal to their due time', (t) => {
  const s = new VirtualScheduler();
  const seen: Array<[string, number]> = [];
  s.runAfter(3 * NS_PER_MS, () => seen.push(['c', s.now()]));
  s.runAfter(1 * NS_PER_MS, () => seen.push(['a', s.now()]));
  s.runAfter(2 * NS_PER_MS, () => seen.push(['b', s.now()]));
  s.advanceBy(10 * NS_PER_MS);
  t.deepEqual(seen, [
    ['a', 1 * NS_PER_MS],
    ['b', 2 * NS_PER_MS],
    ['c', 3 * NS_PER_MS],
  ]);
  t.is(s.now(), 10 * NS_PER_MS);
  t.is(s.pending, 0);
});

test('advanceTo runs callbacks due exactly at the target and leaves later ones pending', (t) => {
  const s = new VirtualScheduler();
  let ran = 0;
  s.runAt(50, () => ran++);
  s.runAt(51, () => ran++);
  s.advanceTo(50);
  t.is(ran, 1);
  t.is(s.pending, 1);
  t.is(s.nextDueTime(), 51);
  t.is(s.now(), 50);
});

test('callbacks scheduled inside the window by other callbacks also run', (t) => {
  const s = new VirtualScheduler();
  const seen: number[] = [];
  s.runAt(10, () => {
    seen.push(s.now());
    s.runAfter(5, () => seen.push(s.now()));
    s.runAfter(0, () => seen.push(s.now()));
  });
  s.advanceTo(20);
  t.deepEqual(seen, [10, 10, 15]);
});

test('runAfter(0) inside a callback runs after what is already due at that instant', (t) => {
  const s = new VirtualScheduler();
  const seen: string[] = [];
  s.runAt(5, () => {
    seen.push('first');
    s.runAfter(0, () => seen.push('zero-delay'));
  });
  s.runAt(5, () => seen.push('second'));
  s.advanceTo(5);
  t.deepEqual(seen, ['first', 'second', 'zero-delay']);
});

test('runAt with a time in the past runs at now', (t) => {
  const s = new VirtualScheduler();
  s.advanceTo(1000);
  let at = -1;
  s.runAt(10, () => (at = s.now()));
  t.is(s.nextDueTime(), 1000);
  t.true(s.runNext());
  t.is(at, 1000);
});

test('cancel removes a pending callback and keeps pending exact', (t) => {
  const s = new VirtualScheduler();
  let ran = false;
  const a = s.runAfter(10, () => (ran = true));
  s.runAfter(20, () => {});
  t.is(s.pending, 2);
  t.true(s.cancel(a));
  t.is(s.pending, 1);
  t.false(s.cancel(a), 'a second cancel returns false');
  t.false(s.cancel(12345), 'an unknown id returns false');
  s.advanceBy(100);
  t.false(ran);
  t.is(s.pending, 0);
});

test('cancel of a callback that already ran returns false', (t) => {
  const s = new VirtualScheduler();
  const id = s.runAfter(1, () => {});
  s.advanceBy(1);
  t.false(s.cancel(id));
});

test('a callback can cancel a later callback due at the same instant', (t) => {
  const s = new VirtualScheduler();
  const seen: string[] = [];
  let b = 0;
  s.runAt(7, () => {
    seen.push('a');
    s.cancel(b);
  });
  b = s.runAt(7, () => seen.push('b'));
  s.advanceTo(7);
  t.deepEqual(seen, ['a']);
  t.is(s.pending, 0);
});

test('mass cancellation compacts the heap without losing live callbacks', (t) => {
  const s = new VirtualScheduler();
  const ids: number[] = [];
  const seen: number[] = [];
  for (let i = 0; i < 1000; i++) ids.push(s.runAt(i, () => seen.push(i)));
  for (let i = 0; i < 1000; i++) if (i % 10 !== 0) s.cancel(ids[i] as number);
  t.is(s.pending, 100);
  t.is(s.nextDueTime(), 0);
  s.advanceTo(1000);
  t.deepEqual(
    seen,
    Array.from({ length: 100 }, (_, k) => k * 10),
  );
});

test('cancelAll cancels everything and reports how many were pending', (t) => {
  const s = new VirtualScheduler();
  let ran = 0;
  s.runAfter(1, () => ran++);
  s.runAfter(2, () => ran++);
  t.is(s.cancelAll(), 2);
  t.is(s.pending, 0);
  t.is(s.nextDueTime(), undefined);
  s.advanceBy(10);
  t.is(ran, 0);
});

test('runNext runs exactly one callback and returns false when idle', (t) => {
  const s = new VirtualScheduler();
  const seen: number[] = [];
  s.runAt(30, () => seen.push(30));
  s.runAt(20, () => seen.push(20));
  t.true(s.runNext());
  t.deepEqual(seen, [20]);
  t.is(s.now(), 20);
  t.true(s.runNext());
  t.false(s.runNext());
  t.deepEqual(seen, [20, 30]);
});

test('runUntilIdle runs everything and returns the count', (t) => {
  const s = new VirtualScheduler();
  let n = 0;
  const chain = (): void => {
    n++;
    if (n < 5) s.runAfter(100, chain);
  };
  s.runAfter(100, chain);
  t.is(s.runUntilIdle(), 5);
  t.is(s.now(), 500);
  t.is(s.pending, 0);
});

test('runUntilIdle throws ERR_STATE instead of hanging on a periodic timer', (t) => {
  const s = new VirtualScheduler();
  const tick = (): void => {
    s.runAfter(NS_PER_MS, tick);
  };
  s.runAfter(NS_PER_MS, tick);
  const err = t.throws(() => s.runUntilIdle(1000));
  t.true(isBypassError(err, 'ERR_STATE'));
  t.regex(err.message, /still pending/);
  t.is(s.pending, 1);
  t.is(s.now(), 1000 * NS_PER_MS);
});

test('invalid delays and times throw ERR_INVALID_ARGUMENT', (t) => {
  const s = new VirtualScheduler();
  const fn = (): void => {};
  for (const bad of [-1, Number.NaN, 1.5, Number.POSITIVE_INFINITY]) {
    t.true(
      isBypassError(
        t.throws(() => s.runAfter(bad, fn)),
        'ERR_INVALID_ARGUMENT',
      ),
      `delay ${bad}`,
    );
    t.true(
      isBypassError(
        t.throws(() => s.runAt(bad, fn)),
        'ERR_INVALID_ARGUMENT',
      ),
      `time ${bad}`,
    );
    t.true(
      isBypassError(
        t.throws(() => s.advanceBy(bad)),
        'ERR_INVALID_ARGUMENT',
      ),
      `by ${bad}`,
    );
  }
  s.advanceTo(100);
  t.true(
    isBypassError(
      t.throws(() => s.advanceTo(99)),
      'ERR_INVALID_ARGUMENT',
    ),
    'backwards',
  );
  t.is(s.pending, 0);
});

test('a throwing callback propagates and leaves the scheduler consistent', (t) => {
  const s = new VirtualScheduler();
  const seen: string[] = [];
  s.runAt(10, () => seen.push('a'));
  s.runAt(20, () => {
    throw new Error('boom');
  });
  s.runAt(20, () => seen.push('b'));
  s.runAt(30, () => seen.push('c'));
  t.throws(() => s.advanceTo(100), { message: 'boom' });
  t.deepEqual(seen, ['a']);
  t.is(s.now(), 20);
  t.is(s.pending, 2);
  s.advanceTo(100);
  t.deepEqual(seen, ['a', 'b', 'c']);
  t.is(s.now(), 100);
});

test('driving the scheduler from inside a callback throws ERR_STATE', (t) => {
  const s = new VirtualScheduler();
  let err: unknown;
  s.runAt(1, () => {
    try {
      s.advanceBy(1);
    } catch (e) {
      err = e;
    }
  });
  s.advanceTo(5);
  t.true(isBypassError(err, 'ERR_STATE'));
  t.is(s.now(), 5);
});

test('property: callbacks run in the order of a stable sort by due time', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ time: fc.integer({ min: 0, max: 50 }), cancel: fc.boolean() }), {
        maxLength: 200,
      }),
      (items) => {
        const s = new VirtualScheduler();
        const seen: number[] = [];
        const ids = items.map((it, i) => s.runAt(it.time, () => seen.push(i)));
        items.forEach((it, i) => {
          if (it.cancel) s.cancel(ids[i] as number);
        });
        const expected = items
          .map((it, i) => ({ ...it, i }))
          .filter((it) => !it.cancel)
          .sort((a, b) => a.time - b.time || a.i - b.i)
          .map((it) => it.i);
        if (s.pending !== expected.length) return false;
        s.advanceTo(50);
        return s.pending === 0 && seen.join() === expected.join();
      },
    ),
  );
  t.pass();
});
