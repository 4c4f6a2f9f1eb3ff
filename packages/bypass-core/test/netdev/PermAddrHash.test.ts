import test from 'ava';
import fc from 'fast-check';
import { MacAddress } from '../../src/netdev/MacAddress.js';
import { PermAddrHash } from '../../src/netdev/PermAddrHash.js';
import { macIndexKey } from '../../src/netdev/macIndexKey.js';
import { PacketPool } from '../../src/packet/PacketPool.js';
import { TestNic } from '../helpers/TestNic.js';

const pool = new PacketPool({ slots: 1 });

function nic(value: number, order: number): TestNic {
  const d = new TestNic({ pool, permAddr: MacAddress.fromNumber(value) });
  d.listOrder = order;
  return d;
}

test('find returns the devices of one address in listing order, whatever the chain order', (t) => {
  const hash = new PermAddrHash();
  const a = nic(0x0200_0000_0001, 1);
  const other = nic(0x0200_0000_0002, 2);
  const b = nic(0x0200_0000_0001, 3);
  for (const d of [a, other, b]) hash.add(d);
  t.deepEqual(hash.find(0x0200_0000_0001), [a, b]);
  t.deepEqual(hash.find(0x0200_0000_0002), [other]);
  t.deepEqual(hash.find(0x0200_0000_0003), []);
  t.is(hash.size, 3);
});

test('addresses that share a key are told apart', (t) => {
  // macIndexKey folds 48 bits into fewer: these two differ but fold to the same key.
  const x = 0x0000_0100_0000;
  const y = 0x0000_0000_0040;
  t.is(macIndexKey(x), macIndexKey(y));
  const hash = new PermAddrHash();
  const dx = nic(x, 1);
  const dy = nic(y, 2);
  hash.add(dx);
  hash.add(dy);
  t.deepEqual(hash.find(x), [dx]);
  t.deepEqual(hash.find(y), [dy]);
  t.true(hash.remove(dx));
  t.deepEqual(hash.find(y), [dy]);
});

test('remove unlinks a device from anywhere in its chain and refuses one it does not hold', (t) => {
  const hash = new PermAddrHash();
  const ds = [1, 2, 3, 4].map((i) => nic(0x0200_0000_0001, i));
  for (const d of ds) hash.add(d);
  t.true(hash.remove(ds[1] as TestNic)); // middle of the chain
  t.true(hash.remove(ds[3] as TestNic)); // head (the newest)
  t.true(hash.remove(ds[0] as TestNic)); // tail
  t.false(hash.remove(ds[0] as TestNic));
  t.is((ds[0] as TestNic).permHashNext, null);
  t.deepEqual(hash.find(0x0200_0000_0001), [ds[2]]);
  t.is(hash.size, 1);
});

test('the table grows and shrinks with its devices and keeps every one of them', (t) => {
  const hash = new PermAddrHash();
  const ds = Array.from({ length: 1000 }, (_, i) => nic(0x0200_0000_0000 + (i % 400), i));
  for (const d of ds) hash.add(d);
  t.is(hash.size, 1000);
  t.true(hash.buckets >= 1000);
  for (let i = 0; i < 400; i++) {
    t.deepEqual(
      hash.find(0x0200_0000_0000 + i),
      ds.filter((_, k) => k % 400 === i),
    );
  }
  for (const d of ds.slice(0, 990)) t.true(hash.remove(d));
  t.is(hash.size, 10);
  t.true(hash.buckets <= 128, `${hash.buckets} buckets for 10 devices`);
  for (const d of ds.slice(990)) t.deepEqual(hash.find(d.permAddr.value), [d]);
});

test('property: after any adds and removes, find agrees with a plain list', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 })), { maxLength: 300 }),
      (ops) => {
        const hash = new PermAddrHash();
        const pool40 = Array.from({ length: 41 }, (_, i) =>
          nic(0x0200_0000_0000 + (i % 7) * 0x0100_0000, i),
        );
        const inTable = new Set<TestNic>();
        for (const [add, i] of ops) {
          const d = pool40[i] as TestNic;
          if (add && !inTable.has(d)) {
            hash.add(d);
            inTable.add(d);
          } else if (!add) {
            if (hash.remove(d) !== inTable.delete(d)) return false;
          }
        }
        if (hash.size !== inTable.size) return false;
        for (let k = 0; k < 7; k++) {
          const value = 0x0200_0000_0000 + k * 0x0100_0000;
          const want = [...inTable]
            .filter((d) => d.permAddr.value === value)
            .sort((a, b) => a.listOrder - b.listOrder);
          const got = hash.find(value);
          if (got.length !== want.length || got.some((d, j) => d !== want[j])) return false;
        }
        return true;
      },
    ),
  );
  t.pass();
});
