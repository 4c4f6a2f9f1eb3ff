import test from 'ava';
import fc from 'fast-check';
import { parseRate } from '../../src/time/Rate.js';
import { isBypassError } from '../../src/errors/BypassError.js';

test('packet rates are parsed into packets per second', (t) => {
  t.deepEqual(parseRate('100pps'), { kind: 'pps', value: 100 });
  t.deepEqual(parseRate('10kpps'), { kind: 'pps', value: 10_000 });
  t.deepEqual(parseRate('1.5Mpps'), { kind: 'pps', value: 1_500_000 });
  t.deepEqual(parseRate('0.5pps'), { kind: 'pps', value: 0.5 });
});

test('bit rates are parsed into bits per second', (t) => {
  t.deepEqual(parseRate('64kbps'), { kind: 'bps', value: 64_000 });
  t.deepEqual(parseRate('100Mbps'), { kind: 'bps', value: 100_000_000 });
  t.deepEqual(parseRate('10Gbps'), { kind: 'bps', value: 10_000_000_000 });
  t.deepEqual(parseRate('9600bps'), { kind: 'bps', value: 9600 });
});

test('prefixes are case-insensitive and decimals stay exact', (t) => {
  t.deepEqual(parseRate('100mbps'), { kind: 'bps', value: 100_000_000 });
  t.deepEqual(parseRate('1.1kpps'), { kind: 'pps', value: 1100 });
  t.deepEqual(parseRate(' 2.5 Gbps '), { kind: 'bps', value: 2_500_000_000 });
});

test('malformed rates throw ERR_PARSE showing the input and a valid example', (t) => {
  for (const bad of ['', '100', 'pps', '-5pps', '10Tbps', '10 kpp', '1e3pps', '0pps', '0.0Mbps']) {
    const err = t.throws(() => parseRate(bad), undefined, bad);
    t.true(isBypassError(err, 'ERR_PARSE'), bad);
    t.true(err.message.includes(JSON.stringify(bad)), err.message);
    t.regex(err.message, /such as 10kpps/);
  }
});

test('property: <n><prefix>pps is n times the prefix', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.constantFrom<[string, number]>(['', 1], ['k', 1e3], ['M', 1e6], ['G', 1e9]),
      fc.constantFrom<'pps' | 'bps'>('pps', 'bps'),
      (n, [prefix, mult], kind) => {
        const r = parseRate(`${n}${prefix}${kind}`);
        return r.kind === kind && r.value === n * mult;
      },
    ),
  );
  t.pass();
});
