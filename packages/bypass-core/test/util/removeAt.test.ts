import test from 'ava';
import { removeAt } from '../../src/util/removeAt.js';

test('removeAt removes one element in place and keeps the order of the others', (t) => {
  const list = ['a', 'b', 'c', 'd'];
  const same = list;
  removeAt(list, 1);
  t.is(list, same);
  t.deepEqual(list, ['a', 'c', 'd']);
  removeAt(list, 2);
  t.deepEqual(list, ['a', 'c']);
  removeAt(list, 0);
  t.deepEqual(list, ['c']);
  removeAt(list, 0);
  t.deepEqual(list, []);
});

test('removeAt ignores an index outside the list (indexOf returned -1)', (t) => {
  const list = [1, 2, 3];
  removeAt(list, -1);
  removeAt(list, 3);
  removeAt(list, Number.NaN);
  t.deepEqual(list, [1, 2, 3]);
});
