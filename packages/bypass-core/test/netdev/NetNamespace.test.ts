import test from 'ava';
import { isBypassError } from '../../src/errors/BypassError.js';
import { IFF, NETIF_F, PRIV_FLAG } from '../../src/netdev/NetDeviceFlags.js';
import type { NetdevEvent } from '../../src/netdev/NetdevEvent.js';
import { MacAddress } from '../../src/netdev/MacAddress.js';
import { NetNamespace } from '../../src/netdev/NetNamespace.js';
import { RX_HANDLER } from '../../src/netdev/RxHandler.js';
import { TestNic } from '../helpers/TestNic.js';
import { describeEvent, mac, makeNs, makePool } from '../helpers/world.js';

const pool = makePool(16);
const nic = (n: number, name?: string): TestNic =>
  new TestNic(name === undefined ? { pool, permAddr: mac(n) } : { pool, permAddr: mac(n), name });

test('register assigns ifindex from 1 and resolves the eth%d pattern to the lowest free name', (t) => {
  const { ns, log } = makeNs();
  const a = nic(1);
  const b = nic(2);
  const c = nic(3, 'ens10');
  ns.register(a);
  ns.register(b);
  ns.register(c);
  t.deepEqual([a.ifindex, b.ifindex, c.ifindex], [1, 2, 3]);
  t.deepEqual([a.name, b.name, c.name], ['eth0', 'eth1', 'ens10']);
  t.is(a.ns, ns);
  t.true(a.registered);
  t.is(ns.size, 3);
  t.deepEqual(log, [
    'post-init:eth0',
    'register:eth0',
    'post-init:eth1',
    'register:eth1',
    'post-init:ens10',
    'register:ens10',
  ]);
  t.deepEqual(ns.devices(), [a, b, c]);
});

test('register with an explicit name overrides the device pattern', (t) => {
  const { ns } = makeNs();
  const a = nic(1);
  ns.register(a, 'vf%d');
  t.is(a.name, 'vf0');
});

test('a freed name is reused by the pattern but an ifindex never is', (t) => {
  const { ns } = makeNs();
  const a = nic(1);
  const b = nic(2);
  ns.register(a);
  ns.register(b);
  ns.unregister(a);
  const c = nic(3);
  ns.register(c);
  t.is(c.name, 'eth0');
  t.is(c.ifindex, 3);
});

test('a duplicate name is refused with ERR_NAME_EXISTS and nothing changes', (t) => {
  const { ns, log } = makeNs();
  ns.register(nic(1, 'ens10'));
  const dup = nic(2, 'ens10');
  const err = t.throws(() => ns.register(dup));
  t.true(isBypassError(err, 'ERR_NAME_EXISTS'));
  t.is(dup.ns, null);
  t.is(dup.ifindex, 0);
  t.is(ns.size, 1);
  t.deepEqual(ns.getByPermAddr(mac(2)), []);
  t.deepEqual(log, ['post-init:ens10', 'register:ens10']);
  ns.register(nic(3));
  t.is(ns.getByName('eth0')?.ifindex, 2, 'the refused registration did not consume an ifindex');
});

test('invalid names are refused with ERR_NAME_INVALID', (t) => {
  const { ns, log } = makeNs();
  for (const bad of [
    'abcdefghijklmnop',
    'a/b',
    'a:b',
    'a b',
    'tab\there',
    '.',
    '..',
    '',
    'eth%d%d',
    'eth%s',
  ]) {
    const d = nic(1, bad);
    t.true(
      isBypassError(
        t.throws(() => ns.register(d)),
        'ERR_NAME_INVALID',
      ),
      bad,
    );
    t.is(d.ns, null);
  }
  t.is(ns.size, 0);
  t.deepEqual(log, []);
  const ok = nic(1, 'abcdefghijklmno');
  ns.register(ok);
  t.is(ok.name, 'abcdefghijklmno', '15 characters is the longest valid name');
});

test('registering a device twice is refused with ERR_ALREADY_REGISTERED, here or elsewhere', (t) => {
  const { ns } = makeNs();
  const other = new NetNamespace('other');
  const a = nic(1);
  ns.register(a);
  t.true(
    isBypassError(
      t.throws(() => ns.register(a)),
      'ERR_ALREADY_REGISTERED',
    ),
  );
  t.true(
    isBypassError(
      t.throws(() => other.register(a)),
      'ERR_ALREADY_REGISTERED',
    ),
  );
  t.is(ns.size, 1);
  t.is(other.size, 0);
});

test('lookup by ifindex, by name, and require', (t) => {
  const { ns } = makeNs('vm1');
  const a = nic(1);
  ns.register(a);
  t.is(ns.get(1), a);
  t.is(ns.get(2), undefined);
  t.is(ns.getByName('eth0'), a);
  t.is(ns.getByName('eth1'), undefined);
  t.is(ns.require('eth0'), a);
  const err = t.throws(() => ns.require('eth9'));
  t.true(isBypassError(err, 'ERR_NOT_FOUND'));
  t.regex(err?.message ?? '', /eth9.*vm1/);
  t.true(ns.has(a));
  t.false(ns.has(nic(2)));
});

test('lookup by permanent MAC returns every holder in registration order, never by current MAC', (t) => {
  const { ns } = makeNs();
  const a = nic(1);
  const b = nic(1);
  const c = nic(2);
  const d = nic(1);
  for (const x of [a, b, c, d]) ns.register(x);
  t.deepEqual(ns.getByPermAddr(mac(1)), [a, b, d]);
  t.deepEqual(ns.getByPermAddr(mac(1).value), [a, b, d]);
  c.setMacAddress(mac(1));
  t.deepEqual(ns.getByPermAddr(mac(1)), [a, b, d], 'the current address is not used');
  a.setMacAddress(mac(7));
  t.deepEqual(ns.getByPermAddr(mac(7)), []);
  t.deepEqual(ns.getByPermAddr(mac(1)), [a, b, d]);
  ns.unregister(b);
  t.deepEqual(ns.getByPermAddr(mac(1)), [a, d]);
  ns.unregister(a);
  ns.unregister(d);
  t.deepEqual(ns.getByPermAddr(mac(1)), []);
});

test('a list from getByPermAddr is a snapshot: devices that come and go later do not change it', (t) => {
  const { ns } = makeNs();
  const a = nic(1);
  const b = nic(1);
  ns.register(a);
  const before = ns.getByPermAddr(mac(1));
  ns.register(b);
  const both = ns.getByPermAddr(mac(1));
  ns.unregister(a);
  t.deepEqual(before, [a]);
  t.deepEqual(both, [a, b]);
  t.deepEqual(ns.getByPermAddr(mac(1)), [b]);
  // Walking a snapshot while its devices are unregistered visits each of them once.
  ns.register(a);
  const seen: string[] = [];
  for (const d of ns.getByPermAddr(mac(1))) {
    seen.push(d.name);
    ns.unregister(d);
  }
  t.deepEqual(seen, [b.name, a.name]);
  t.deepEqual(ns.getByPermAddr(mac(1)), []);
});

test('unregister closes an up device first: going-down, down, unregister, in that order', (t) => {
  const { ns, log } = makeNs();
  const a = nic(1);
  ns.register(a);
  a.open();
  log.length = 0;
  ns.unregister(a);
  t.deepEqual(log, ['going-down:eth0', 'down:eth0', 'unregister:eth0']);
  t.false(a.isUp);
  t.false(a.running);
  t.is(a.ns, null);
  t.is(ns.get(1), undefined);
  t.is(ns.getByName('eth0'), undefined);
  t.deepEqual(a.calls, ['open', 'rxmode', 'stop']);
});

test('unregister of a device that is down emits only unregister', (t) => {
  const { ns, log } = makeNs();
  const a = nic(1);
  ns.register(a);
  ns.unregister(a);
  t.deepEqual(log, ['post-init:eth0', 'register:eth0', 'unregister:eth0']);
});

test('unregister refuses devices that are not registered here', (t) => {
  const { ns } = makeNs();
  const other = new NetNamespace('other');
  const a = nic(1);
  t.true(
    isBypassError(
      t.throws(() => ns.unregister(a)),
      'ERR_NOT_REGISTERED',
    ),
  );
  other.register(a);
  t.true(
    isBypassError(
      t.throws(() => ns.unregister(a)),
      'ERR_WRONG_NAMESPACE',
    ),
  );
  t.is(a.ns, other);
});

test('events are synchronous and nested events reach every subscriber first (Linux order)', (t) => {
  const ns = new NetNamespace();
  const first: string[] = [];
  const second: string[] = [];
  const b = nic(2);
  ns.events$.subscribe((e) => {
    first.push(describeEvent(e));
    // A notifier that opens another device while handling register (like a bypass master
    // opening its new slave) raises nested events.
    if (e.type === 'register' && e.dev.name === 'eth1') b.open();
  });
  ns.events$.subscribe((e) => second.push(describeEvent(e)));
  const a = nic(1);
  ns.register(a);
  ns.register(b);
  t.deepEqual(first, [
    'post-init:eth0',
    'register:eth0',
    'post-init:eth1',
    'register:eth1',
    'up:eth1',
  ]);
  t.deepEqual(second, [
    'post-init:eth0',
    'register:eth0',
    'post-init:eth1',
    'up:eth1',
    'register:eth1',
  ]);
  t.true(b.isUp, 'the nested open happened before register() returned');
});

test('notify refuses an event whose device or namespace is another one', (t) => {
  const { ns, log } = makeNs();
  const other = new NetNamespace('other');
  const a = nic(1);
  other.register(a);
  t.true(
    isBypassError(
      t.throws(() => ns.notify({ type: 'join', dev: a, ns })),
      'ERR_WRONG_NAMESPACE',
    ),
  );
  t.true(
    isBypassError(
      t.throws(() => ns.notify({ type: 'join', dev: a, ns: other })),
      'ERR_WRONG_NAMESPACE',
    ),
  );
  const unregistered = nic(2);
  t.true(
    isBypassError(
      t.throws(() => ns.notify({ type: 'join', dev: unregistered, ns })),
      'ERR_WRONG_NAMESPACE',
    ),
  );
  t.deepEqual(log, []);
  const mine = nic(3);
  ns.register(mine);
  ns.notify({ type: 'join', dev: mine, ns });
  t.deepEqual(log, ['post-init:eth0', 'register:eth0', 'join:eth0']);
});

test('moving a device emits unregister in the source and register in the target, keeping a free ifindex', (t) => {
  const src = makeNs('src');
  const dst = makeNs('dst');
  const a = nic(1);
  src.ns.register(nic(9));
  src.ns.register(a);
  a.open();
  src.log.length = 0;
  src.ns.moveDevice(a, dst.ns);
  t.deepEqual(src.log, ['going-down:eth1@src', 'down:eth1@src', 'unregister:eth1@src']);
  t.deepEqual(dst.log, ['register:eth1@dst']);
  t.is(a.ns, dst.ns);
  t.is(a.ifindex, 2);
  t.false(a.isUp, 'a moved device arrives down');
  t.is(src.ns.getByName('eth1'), undefined);
  t.is(dst.ns.get(2), a);
  t.deepEqual(dst.ns.getByPermAddr(mac(1)), [a]);
  t.deepEqual(src.ns.getByPermAddr(mac(1)), []);
  dst.ns.register(nic(5));
  t.is(dst.ns.getByName('eth0')?.ifindex, 3, 'allocation continues past the kept index');
});

test('moving a device whose ifindex is taken in the target allocates a new one', (t) => {
  const src = new NetNamespace('src');
  const dst = new NetNamespace('dst');
  const a = nic(1);
  src.register(a); // ifindex 1
  dst.register(nic(2), 'ens3'); // ifindex 1 in dst
  src.moveDevice(a, dst);
  t.is(a.ifindex, 2);
  t.is(a.name, 'eth0');
});

test('moving into a name clash needs a new name; without one it fails with nothing changed', (t) => {
  const src = makeNs('src');
  const dst = new NetNamespace('dst');
  const a = nic(1);
  src.ns.register(a);
  a.open();
  dst.register(nic(2));
  const err = t.throws(() => src.ns.moveDevice(a, dst));
  t.true(isBypassError(err, 'ERR_NAME_EXISTS'));
  t.is(a.ns, src.ns);
  t.true(a.isUp);
  t.deepEqual(src.log, ['post-init:eth0@src', 'register:eth0@src', 'up:eth0@src']);
  src.ns.moveDevice(a, dst, 'eth%d');
  t.is(a.name, 'eth1');
  t.is(a.ns, dst);
});

test('a NETNS_LOCAL device cannot move (ERR_NOT_SUPPORTED); a move to the same namespace is a no-op', (t) => {
  const { ns, log } = makeNs();
  const other = new NetNamespace('other');
  const a = new TestNic({ pool, permAddr: mac(1), features: NETIF_F.NETNS_LOCAL });
  ns.register(a);
  t.true(
    isBypassError(
      t.throws(() => ns.moveDevice(a, other)),
      'ERR_NOT_SUPPORTED',
    ),
  );
  t.is(a.ns, ns);
  ns.moveDevice(a, ns);
  t.deepEqual(log, ['post-init:eth0', 'register:eth0']);
  const stranger = nic(2);
  other.register(stranger);
  t.true(
    isBypassError(
      t.throws(() => ns.moveDevice(stranger, other)),
      'ERR_WRONG_NAMESPACE',
    ),
  );
});

test('rename emits changename with the old name and updates the name index', (t) => {
  const { ns, events } = makeNs();
  const a = nic(1);
  ns.register(a);
  a.rename('ens10');
  const e = events.at(-1) as NetdevEvent;
  t.is(e.type, 'changename');
  t.is(e.oldName, 'eth0');
  t.is(a.name, 'ens10');
  t.is(ns.getByName('ens10'), a);
  t.is(ns.getByName('eth0'), undefined);
  a.rename('ens10');
  t.is(
    events.length,
    3,
    'renaming to the same name does nothing (post-init, register, changename)',
  );
  ns.register(nic(2, 'ens11'));
  t.true(
    isBypassError(
      t.throws(() => a.rename('ens11')),
      'ERR_NAME_EXISTS',
    ),
  );
  t.true(
    isBypassError(
      t.throws(() => a.rename('a/b')),
      'ERR_NAME_INVALID',
    ),
  );
  t.is(a.name, 'ens10');
  t.true(
    isBypassError(
      t.throws(() => nic(3).rename('x')),
      'ERR_NOT_REGISTERED',
    ),
  );
});

test('a device that is up can be renamed, with no LIVE_RENAME_OK (Linux 6.2+, bd039b5ea2a9)', (t) => {
  const { ns } = makeNs();
  const a = nic(1);
  ns.register(a);
  a.open();
  const seen: string[] = [];
  ns.events$.subscribe((e) => {
    if (e.type === 'changename') seen.push(`${e.oldName} -> ${e.dev.name}`);
  });
  t.is(a.privFlags & PRIV_FLAG.LIVE_RENAME_OK, 0);
  a.rename('ens10');
  t.is(a.name, 'ens10');
  t.true(a.isUp);
  t.deepEqual(seen, ['eth0 -> ens10']);
  t.is(ns.getByName('ens10'), a);
  t.is(ns.getByName('eth0'), undefined);
});

test('leakedLinks counts master links, slave links and rx handlers cut at unregister', (t) => {
  const { ns } = makeNs();
  const master = nic(1);
  const s1 = nic(2);
  const s2 = nic(3);
  const lone = nic(4);
  for (const d of [master, s1, s2, lone]) ns.register(d);
  s1.linkMaster(master);
  s2.linkMaster(master);
  ns.unregister(master);
  t.is(ns.leakedLinks, 2);
  t.is(s1.master, null);
  t.is(s2.master, null);
  t.deepEqual(master.lowers, []);
  s1.linkMaster(s2);
  ns.unregister(s1);
  t.is(ns.leakedLinks, 3);
  t.deepEqual(s2.lowers, []);
  lone.registerRxHandler(() => RX_HANDLER.PASS, null);
  ns.unregister(lone);
  t.is(ns.leakedLinks, 4);
  t.is(lone.rxHandler, null);
  ns.unregister(s2);
  t.is(ns.leakedLinks, 4, 'a device released properly leaks nothing');
});

test('dispose completes the event stream', (t) => {
  const ns = new NetNamespace();
  let completed = false;
  ns.events$.subscribe({ complete: () => (completed = true) });
  ns.dispose();
  t.true(completed);
});

test('register emits post-init just before register, and a move between namespaces does not', (t) => {
  const src = makeNs('src');
  const dst = makeNs('dst');
  const a = nic(1);
  let flaggedAtPostInit = false;
  src.ns.events$.subscribe((e) => {
    // A driver claiming the device at post-init (netvsc's netvsc_prepare_bonding) is seen by
    // every later listener of register.
    if (e.type === 'post-init') e.dev.flags |= IFF.SLAVE;
    if (e.type === 'register') flaggedAtPostInit = (e.dev.flags & IFF.SLAVE) !== 0;
  });
  src.ns.register(a);
  t.true(flaggedAtPostInit);
  t.deepEqual(src.log, ['post-init:eth0@src', 'register:eth0@src']);
  src.ns.moveDevice(a, dst.ns);
  t.deepEqual(dst.log, ['register:eth0@dst']);
});

test('getByPermAddr tells apart addresses that share an index key', (t) => {
  const { ns } = makeNs();
  // 00:00:00:00:00:40 and 00:00:01:00:00:00 fold to the same key (macIndexKey)
  const a = MacAddress.parse('00:00:00:00:00:40');
  const b = MacAddress.parse('00:00:01:00:00:00');
  const da = new TestNic({ pool, permAddr: a, name: 'a0' });
  const db = new TestNic({ pool, permAddr: b, name: 'b0' });
  const da2 = new TestNic({ pool, permAddr: a, name: 'a1' });
  ns.register(da);
  ns.register(db);
  ns.register(da2);
  t.deepEqual(ns.getByPermAddr(a), [da, da2]);
  t.deepEqual(ns.getByPermAddr(b.value), [db]);
  ns.unregister(da);
  t.deepEqual(ns.getByPermAddr(a), [da2]);
  ns.unregister(da2);
  t.deepEqual(ns.getByPermAddr(a), []);
  t.deepEqual(ns.getByPermAddr(b), [db]);
});

test('devices() lists in listing order even when a device moved in keeps a lower ifindex', (t) => {
  const a = new NetNamespace('a');
  const b = new NetNamespace('b');
  const mover = nic(1, 'mover');
  a.register(mover); // ifindex 1 in a
  const x = nic(2, 'x');
  const y = nic(3, 'y');
  const z = nic(4, 'z');
  b.register(x);
  b.register(y);
  b.register(z);
  b.unregister(x); // ifindex 1 of b is free again
  a.moveDevice(mover, b);
  t.is(mover.ifindex, 1);
  t.deepEqual(b.devices(), [y, z, mover]);
  t.is(b.get(1), mover);
  t.is(b.get(2), y);
  t.is(b.get(0), undefined);
  t.is(b.get(1.5), undefined);
  t.is(b.get(-1), undefined);
  t.is(b.size, 3);
  t.true(b.has(mover));
  t.false(a.has(mover));
  t.is(a.size, 0);
  t.deepEqual(a.devices(), []);
});
