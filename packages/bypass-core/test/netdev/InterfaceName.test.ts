import test from 'ava';
import { isBypassError } from '../../src/errors/BypassError.js';
import { InterfaceName } from '../../src/netdev/InterfaceName.js';

test('valid names pass, up to 15 characters', (t) => {
  for (const ok of ['eth0', 'ens10nsby', 'a', 'abcdefghijklmno', 'veth-1_x.2', 'é']) {
    t.notThrows(() => InterfaceName.validate(ok), ok);
  }
  t.is(InterfaceName.MAX_LENGTH, 15);
});

test('invalid names are refused with ERR_NAME_INVALID and a helpful message', (t) => {
  for (const bad of ['', '.', '..', 'abcdefghijklmnop', 'a/b', 'a:0', 'a b', 'a\nb', 'eth%d']) {
    const err = t.throws(() => InterfaceName.validate(bad));
    t.true(isBypassError(err, 'ERR_NAME_INVALID'), JSON.stringify(bad));
    t.regex(err?.message ?? '', /15 characters/);
  }
});

test('patterns need allowPattern and exactly one %d', (t) => {
  t.notThrows(() => InterfaceName.validate('eth%d', true));
  for (const bad of ['eth%d%d', 'eth%s', 'eth%', '%%d']) {
    t.true(
      isBypassError(
        t.throws(() => InterfaceName.validate(bad, true)),
        'ERR_NAME_INVALID',
      ),
      bad,
    );
  }
  t.true(InterfaceName.isPattern('vf%d'));
  t.false(InterfaceName.isPattern('vf0'));
});

test('expand picks the lowest free number', (t) => {
  const taken = new Set(['eth0', 'eth1', 'eth3']);
  t.is(
    InterfaceName.expand('eth%d', (n) => taken.has(n)),
    'eth2',
  );
  t.is(
    InterfaceName.expand('p%dns', () => false),
    'p0ns',
  );
});

test('expand fails with ERR_NAME_EXISTS when no number fits in 15 characters', (t) => {
  // 13 characters + the number: 0..99 fit, 100 would make 16.
  const err = t.throws(() => InterfaceName.expand('abcdefghijklm%d', () => true));
  t.true(isBypassError(err, 'ERR_NAME_EXISTS'));
  t.is(
    InterfaceName.expand('abcdefghijklm%d', (n) => n !== 'abcdefghijklm99'),
    'abcdefghijklm99',
  );
});
