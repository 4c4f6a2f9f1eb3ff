/** Self-test of the fuzz oracle: what it lets through and what it reports. */
import test from 'ava';
import { BypassError, type BypassErrorCode } from '@bypass/core';
import {
  OracleViolation,
  applyByteOps,
  applyStrOps,
  fromHex,
  refusedOrOk,
  toHex,
} from './harness.js';

test('the oracle accepts a typed refusal with a known code', (t) => {
  const err = refusedOrOk(() => {
    throw new BypassError('ERR_PARSE', 'bad');
  });
  t.is(err?.code, 'ERR_PARSE');
  t.is(
    refusedOrOk(() => {}),
    null,
  );
});

test('the oracle reports any other exception, and a BypassError with an unknown code', (t) => {
  const bad: (() => void)[] = [
    () => {
      throw new TypeError('Cannot read properties of undefined');
    },
    () => {
      throw new RangeError('Offset is outside the bounds of the DataView');
    },
    () => {
      throw new BypassError('ERR_SOMETHING_NEW' as BypassErrorCode, 'x');
    },
    () => {
      throw 'a string';
    },
  ];
  for (const fn of bad) t.throws(() => refusedOrOk(fn), { instanceOf: OracleViolation });
});

test('mutators are deterministic and keep within their input', (t) => {
  const base = fromHex('0001020304050607');
  t.is(toHex(applyByteOps(base, [{ op: 'u32', at: 4, value: 0xffffffff }])), '00010203ffffffff');
  t.is(toHex(applyByteOps(base, [{ op: 'delete', at: 2, n: 100 }])), '0001');
  t.is(toHex(applyByteOps(base, [{ op: 'insert', at: 8, bytes: [9] }])), '000102030405060709');
  t.is(toHex(applyByteOps(new Uint8Array(0), [{ op: 'u16', at: 3, value: 1 }])), '');
  t.is(applyStrOps('iface=eth1', [{ op: 'replace', at: 6, n: 4, text: '' }]), 'iface=');
  t.is(applyStrOps('ab', [{ op: 'dup', at: 0, n: 2 }]), 'abab');
});
