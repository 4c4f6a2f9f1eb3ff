import test from 'ava';
import { RealTimeScheduler } from '../../src/time/RealTimeScheduler.js';
import { NS_PER_MS } from '../../src/time/Scheduler.js';
import { isBypassError } from '../../src/errors/BypassError.js';

test('now() starts near zero and never goes backwards', (t) => {
  const s = new RealTimeScheduler();
  const a = s.now();
  const b = s.now();
  t.true(a >= 0);
  t.true(b >= a);
  t.true(Number.isInteger(b));
  s.dispose();
});

test('a 5 ms timer fires, not before it is due', async (t) => {
  const s = new RealTimeScheduler();
  const due = s.now() + 5 * NS_PER_MS;
  const firedAt = await new Promise<number>((resolve) => {
    s.runAt(due, () => resolve(s.now()));
  });
  t.true(firedAt >= due);
  t.is(s.pending, 0);
  s.dispose();
});

test('callbacks due at the same instant run in scheduling order', async (t) => {
  const s = new RealTimeScheduler();
  const due = s.now() + 2 * NS_PER_MS;
  const seen: number[] = [];
  await new Promise<void>((resolve) => {
    for (let i = 0; i < 5; i++) s.runAt(due, () => seen.push(i));
    s.runAt(due, () => resolve());
  });
  t.deepEqual(seen, [0, 1, 2, 3, 4]);
  s.dispose();
});

test('a cancelled timer does not fire', async (t) => {
  const s = new RealTimeScheduler();
  let cancelledRan = false;
  const id = s.runAfter(2 * NS_PER_MS, () => (cancelledRan = true));
  t.true(s.cancel(id));
  t.false(s.cancel(id));
  await new Promise<void>((resolve) => s.runAfter(10 * NS_PER_MS, resolve));
  t.false(cancelledRan);
  s.dispose();
});

test('dispose cancels everything and refuses new work', (t) => {
  const s = new RealTimeScheduler();
  s.runAfter(1000 * NS_PER_MS, () => t.fail('must not run'));
  s.runAfter(2000 * NS_PER_MS, () => t.fail('must not run'));
  s.dispose();
  t.is(s.pending, 0);
  t.true(
    isBypassError(
      t.throws(() => s.runAfter(0, () => {})),
      'ERR_STATE',
    ),
  );
});

test('invalid delays throw ERR_INVALID_ARGUMENT', (t) => {
  const s = new RealTimeScheduler();
  for (const bad of [-1, Number.NaN, 0.5]) {
    t.true(
      isBypassError(
        t.throws(() => s.runAfter(bad, () => {})),
        'ERR_INVALID_ARGUMENT',
      ),
    );
  }
  s.dispose();
});
