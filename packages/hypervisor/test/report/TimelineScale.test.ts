import test from 'ava';
import { escapeXml, niceCeil, num, ratePoints, timeTicks } from '../../src/report/TimelineScale.js';

test('ratePoints converts frames per bucket to pps', (t) => {
  // 10 ms buckets: 1000 frames in one is 100 kpps.
  t.deepEqual(ratePoints([1000, 0, 5], 10_000_000), [
    { startNs: 0, endNs: 10_000_000, pps: 100_000 },
    { startNs: 10_000_000, endNs: 20_000_000, pps: 0 },
    { startNs: 20_000_000, endNs: 30_000_000, pps: 500 },
  ]);
});

test('ratePoints sums groups of buckets down to the limit; the last group uses its own width', (t) => {
  const points = ratePoints([1, 2, 3, 4, 5, 6, 7], 1_000_000_000, 3);
  t.deepEqual(points, [
    { startNs: 0, endNs: 3e9, pps: 2 },
    { startNs: 3e9, endNs: 6e9, pps: 5 },
    { startNs: 6e9, endNs: 7e9, pps: 7 },
  ]);
  const many = ratePoints(new Array<number>(123_456).fill(1), 1000);
  t.true(many.length <= 1000 && many.length > 990, `${many.length} points`);
  t.true(many.every((p) => p.pps === 1e6));
  t.deepEqual(ratePoints([Number.NaN, -3, 2], 1e9), [
    { startNs: 0, endNs: 1e9, pps: 0 },
    { startNs: 1e9, endNs: 2e9, pps: 0 },
    { startNs: 2e9, endNs: 3e9, pps: 2 },
  ]);
  t.deepEqual(ratePoints([], 1e9), []);
});

test('niceCeil rounds up to a round multiple of a power of ten', (t) => {
  t.is(niceCeil(0), 1);
  t.is(niceCeil(100_000), 100_000);
  t.is(niceCeil(100_001), 150_000);
  t.is(niceCeil(50_001), 60_000);
  t.is(niceCeil(8_000_001), 10_000_000);
  t.is(niceCeil(2100), 2500);
  t.is(niceCeil(3.5), 4);
  t.is(niceCeil(0.35), 0.4);
  t.is(niceCeil(Number.NaN), 1);
});

test('timeTicks are round steps covering the run', (t) => {
  t.deepEqual(timeTicks(10e9), [0, 2e9, 4e9, 6e9, 8e9, 10e9]);
  t.deepEqual(timeTicks(1.5e9), [0, 0.2e9, 0.4e9, 0.6e9, 0.8e9, 1e9, 1.2e9, 1.4e9]);
  t.deepEqual(timeTicks(5), [0, 1, 2, 3, 4, 5]);
  t.deepEqual(timeTicks(0), [0]);
});

test('num rounds to one decimal; escapeXml escapes markup and control characters', (t) => {
  t.is(num(12.345), '12.3');
  t.is(num(-0.01), '0');
  t.is(num(7), '7');
  t.is(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  t.is(escapeXml('a\u0001b'), 'a\uFFFDb');
});
