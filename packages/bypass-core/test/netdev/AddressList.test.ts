import test from 'ava';
import { AddressList } from '../../src/netdev/AddressList.js';

test('add and remove are reference counted; they report when the address enters or leaves', (t) => {
  const l = new AddressList();
  t.true(l.add(1));
  t.false(l.add(1));
  t.true(l.add(2));
  t.is(l.size, 2);
  t.deepEqual(l.values(), [1, 2]);
  t.false(l.remove(1));
  t.true(l.has(1));
  t.true(l.remove(1));
  t.false(l.has(1));
  t.false(l.remove(1), 'removing an absent address changes nothing');
  t.is(l.size, 1);
});

test('syncTo pushes every address once and reports whether the lower list changed', (t) => {
  const upper = new AddressList();
  const lower = new AddressList();
  upper.add(10);
  upper.add(10);
  upper.add(20);
  t.true(upper.syncTo(lower));
  t.deepEqual(lower.values(), [10, 20]);
  t.false(upper.syncTo(lower), 'a second sync with nothing new changes nothing');
  t.is(upper.syncedTargets(), 1);
});

test('a later sync adds what is new and removes what left the upper list', (t) => {
  const upper = new AddressList();
  const lower = new AddressList();
  upper.add(10);
  upper.add(20);
  upper.syncTo(lower);
  upper.remove(10);
  upper.add(30);
  t.true(upper.syncTo(lower));
  t.deepEqual(lower.values().sort(), [20, 30]);
});

test('addresses the lower list had itself survive sync and unsync', (t) => {
  const upper = new AddressList();
  const lower = new AddressList();
  lower.add(10);
  upper.add(10);
  t.false(upper.syncTo(lower), 'the lower already had it: only a reference was added');
  t.true(upper.unsyncFrom(lower) === false);
  t.true(lower.has(10));
  upper.syncTo(lower);
  upper.remove(10);
  upper.syncTo(lower);
  t.true(lower.has(10));
});

test('unsyncFrom removes exactly what was pushed, per lower list', (t) => {
  const upper = new AddressList();
  const a = new AddressList();
  const b = new AddressList();
  upper.add(1);
  upper.add(2);
  upper.syncTo(a);
  upper.syncTo(b);
  t.is(upper.syncedTargets(), 2);
  t.true(upper.unsyncFrom(a));
  t.is(a.size, 0);
  t.deepEqual(b.values(), [1, 2]);
  t.is(upper.syncedTargets(), 1);
  t.false(upper.unsyncFrom(a), 'nothing left to unsync');
  t.false(new AddressList().unsyncFrom(b));
});
