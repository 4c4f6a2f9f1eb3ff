import test from 'ava';
import fc from 'fast-check';
import { formatDuration, parseDuration } from '../../src/time/Duration.js';
import { isBypassError } from '../../src/errors/BypassError.js';

test('parseDuration reads every unit', (t) => {
  t.is(parseDuration('250ns'), 250);
  t.is(parseDuration('250us'), 250_000);
  t.is(parseDuration('250µs'), 250_000);
  t.is(parseDuration('100ms'), 100_000_000);
  t.is(parseDuration('2s'), 2_000_000_000);
  t.is(parseDuration('2m'), 120_000_000_000);
  t.is(parseDuration('1h'), 3_600_000_000_000);
});

test('parseDuration reads decimals exactly', (t) => {
  t.is(parseDuration('1.5s'), 1_500_000_000);
  t.is(parseDuration('1.1s'), 1_100_000_000);
  t.is(parseDuration('0.5us'), 500);
  t.is(parseDuration('2.000000001s'), 2_000_000_001);
  t.is(parseDuration('1.5m'), 90_000_000_000);
  t.is(parseDuration('1.000ns'), 1);
});

test('parseDuration accepts surrounding spaces, a space before the unit, and bare 0', (t) => {
  t.is(parseDuration(' 100 ms '), 100_000_000);
  t.is(parseDuration('0'), 0);
  t.is(parseDuration('0s'), 0);
});

test('parseDuration takes a number as nanoseconds', (t) => {
  t.is(parseDuration(42), 42);
  t.is(parseDuration(0), 0);
  t.true(
    isBypassError(
      t.throws(() => parseDuration(-1)),
      'ERR_PARSE',
    ),
  );
  t.true(
    isBypassError(
      t.throws(() => parseDuration(1.5)),
      'ERR_PARSE',
    ),
  );
});

test('malformed durations throw ERR_PARSE showing the input and a valid example', (t) => {
  for (const bad of ['', '100', 'ms', '-5ms', '5 parsecs', '1.5ns', '1e3ms', '1,5s', '.5s', '5S']) {
    const err = t.throws(() => parseDuration(bad), undefined, bad);
    t.true(isBypassError(err, 'ERR_PARSE'), bad);
    t.true(err.message.includes(JSON.stringify(bad)), err.message);
    t.regex(err.message, /such as 100ms/);
  }
  t.regex(t.throws(() => parseDuration('100')).message, /unit is missing/);
  t.regex(t.throws(() => parseDuration('1.5ns')).message, /resolution is 1 ns/);
});

test('parseDuration refuses values beyond 2^53 ns', (t) => {
  t.true(
    isBypassError(
      t.throws(() => parseDuration('10000000h')),
      'ERR_PARSE',
    ),
  );
});

test('formatDuration picks the largest unit that is at least 1', (t) => {
  t.is(formatDuration(0), '0s');
  t.is(formatDuration(1), '1ns');
  t.is(formatDuration(999), '999ns');
  t.is(formatDuration(250_000), '250us');
  t.is(formatDuration(1_500), '1.5us');
  t.is(formatDuration(100_000_000), '100ms');
  t.is(formatDuration(1_500_001), '1.500001ms');
  t.is(formatDuration(2_000_000_000), '2s');
  t.is(formatDuration(2_000_100_000), '2.0001s');
  t.is(formatDuration(3_600_000_000_000), '3600s');
});

test('formatDuration keeps sub-microsecond precision for seconds', (t) => {
  t.is(formatDuration(2_000_000_001), '2.000000001s');
});

test('formatDuration prefixes negative values and refuses non-integers', (t) => {
  t.is(formatDuration(-1_500_000), '-1.5ms');
  t.true(
    isBypassError(
      t.throws(() => formatDuration(1.5)),
      'ERR_INVALID_ARGUMENT',
    ),
  );
  t.true(
    isBypassError(
      t.throws(() => formatDuration(Number.NaN)),
      'ERR_INVALID_ARGUMENT',
    ),
  );
});

test('property: formatDuration round-trips through parseDuration', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.nat(), fc.maxSafeNat(), fc.nat({ max: 10_000_000_000 })), (ns) => {
      return parseDuration(formatDuration(ns)) === ns;
    }),
  );
  t.pass();
});

test('property: parseDuration of <n><unit> is n times the unit, or ERR_PARSE beyond 2^53 ns', (t) => {
  const units: Array<[string, number]> = [
    ['ns', 1],
    ['us', 1e3],
    ['ms', 1e6],
    ['s', 1e9],
    ['m', 60e9],
    ['h', 3600e9],
  ];
  fc.assert(
    fc.property(fc.nat({ max: 1_000_000 }), fc.constantFrom(...units), (n, [unit, mult]) => {
      const text = `${n}${unit}`;
      if (n * mult <= Number.MAX_SAFE_INTEGER) return parseDuration(text) === n * mult;
      try {
        parseDuration(text);
        return false;
      } catch (err) {
        return isBypassError(err, 'ERR_PARSE');
      }
    }),
  );
  t.pass();
});
