import test from 'ava';
import { macHigh24, macIndexKey, macLow24 } from '../../src/netdev/macIndexKey.js';

test('macIndexKey is a small integer for every 48-bit address, and the halves rebuild it', (t) => {
  for (const mac of [
    0, 1, 0x40, 0x1_000_000, 0x5254_0000_0001, 0xffff_ffff_ffff, 0x0200_0001_86a0,
  ]) {
    const key = macIndexKey(mac);
    t.true(Number.isInteger(key) && key >= 0 && key < 2 ** 30, `key of ${mac.toString(16)}`);
    t.is(macHigh24(mac) * 0x100_0000 + macLow24(mac), mac);
  }
});

test('addresses differing only in one half never share a key', (t) => {
  const base = 0x5254_0000_0000;
  const low = new Set<number>();
  const high = new Set<number>();
  for (let i = 0; i < 4096; i++) {
    low.add(macIndexKey(base + i));
    high.add(macIndexKey(base + i * 0x100_0000));
  }
  t.is(low.size, 4096);
  t.is(high.size, 4096);
});
