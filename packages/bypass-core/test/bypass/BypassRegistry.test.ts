import test from 'ava';
import type { BypassOps } from '../../src/bypass/BypassOps.js';
import type { BypassRegistryEvent } from '../../src/bypass/BypassRegistry.js';
import { BypassError } from '../../src/errors/BypassError.js';
import { MacAddress } from '../../src/netdev/MacAddress.js';
import { ARPHRD, PRIV_FLAG } from '../../src/netdev/NetDeviceFlags.js';
import { NetNamespace } from '../../src/netdev/NetNamespace.js';
import { RX_HANDLER } from '../../src/netdev/RxHandler.js';
import type { NetDevice } from '../../src/netdev/NetDevice.js';
import { MAC, OTHER_MAC, world } from './fixtures.js';

/** Ops that record every call, for checking the registry's own rules. */
function recordingOps(overrides: Partial<BypassOps> = {}) {
  const calls: string[] = [];
  const ops: BypassOps = {
    preRegister: (s) => {
      calls.push(`pre-register ${s.name}`);
      return null;
    },
    register: (s) => calls.push(`register ${s.name}`),
    preUnregister: (s) => {
      calls.push(`pre-unregister ${s.name}`);
      return null;
    },
    unregister: (s) => calls.push(`unregister ${s.name}`),
    linkChange: (s) => calls.push(`link ${s.name}`),
    nameChange: (s) => calls.push(`name ${s.name}`),
    ...overrides,
  };
  return { calls, ops };
}

function setup(overrides: Partial<BypassOps> = {}) {
  const w = world();
  const master = w.nic({ name: 'master0' });
  w.ns.register(master);
  const { calls, ops } = recordingOps(overrides);
  const events: BypassRegistryEvent[] = [];
  w.registry.events$.subscribe((e) => events.push(e));
  return { ...w, master, calls, ops, events };
}

test('a same-MAC device registered after the master is enslaved with rx handler, link and flags', (t) => {
  const s = setup();
  s.registry.register(s.master, s.ops);
  const vf = s.vf({ name: 'vf0' });
  s.ns.register(vf);
  t.is(vf.master, s.master);
  t.not(vf.rxHandler, null);
  t.is(vf.rxHandlerData, s.master);
  t.truthy(vf.privFlags & PRIV_FLAG.FAILOVER_SLAVE);
  // net/core/failover.c (6.2+): IFF_FAILOVER_SLAVE | IFF_NO_ADDRCONF, no IFF_LIVE_RENAME_OK.
  t.truthy(vf.privFlags & PRIV_FLAG.NO_ADDRCONF);
  t.is(vf.privFlags & PRIV_FLAG.LIVE_RENAME_OK, 0);
  t.truthy(s.master.privFlags & PRIV_FLAG.FAILOVER);
  t.deepEqual(s.calls, ['pre-register vf0', 'register vf0']);
  t.deepEqual(
    s.events.map((e) => e.type),
    ['slave-registered'],
  );
});

test('creating an instance scans existing devices of the master namespace in registration order', (t) => {
  const s = setup();
  const a = s.vf({ name: 'a' });
  const b = s.vf({ name: 'b' });
  s.ns.register(a);
  s.ns.register(b);
  s.registry.register(s.master, s.ops);
  t.deepEqual(s.calls, ['pre-register a', 'register a', 'pre-register b', 'register b']);
});

test('devices in another namespace are not paired, and are paired once moved in', (t) => {
  const s = setup();
  const other = new NetNamespace('other');
  const vf = s.vf({ name: 'vf0' });
  other.register(vf);
  s.registry.register(s.master, s.ops);
  const late = s.vf({ name: 'vf1' });
  other.register(late);
  t.is(vf.master, null);
  t.is(late.master, null);
  other.moveDevice(vf, s.ns);
  t.is(vf.master, s.master);
});

test('pairing uses the permanent MAC, not the current MAC', (t) => {
  const s = setup();
  s.registry.register(s.master, s.ops);
  const changed = s.vf({ name: 'vf0', permAddr: OTHER_MAC });
  changed.devAddr = MAC; // same current address, different permanent address
  s.ns.register(changed);
  t.is(changed.master, null);
  const same = s.vf({ name: 'vf1' });
  same.devAddr = OTHER_MAC;
  s.ns.register(same);
  t.is(same.master, s.master);
});

test('a non-Ethernet device with the same MAC is ignored', (t) => {
  const s = setup();
  s.registry.register(s.master, s.ops);
  const ib = s.vf({ name: 'ib0', type: ARPHRD.INFINIBAND });
  s.ns.register(ib);
  t.is(ib.master, null);
  t.deepEqual(s.calls, []);
});

test('a pre-register refusal leaves the device untouched and reports the reason', (t) => {
  const s = setup({ preRegister: () => 'not today' });
  s.registry.register(s.master, s.ops);
  const vf = s.vf({ name: 'vf0' });
  s.ns.register(vf);
  t.is(vf.master, null);
  t.is(vf.rxHandler, null);
  t.is(vf.privFlags & PRIV_FLAG.FAILOVER_SLAVE, 0);
  t.deepEqual(
    s.events.map((e) => [e.type, e.reason]),
    [['slave-rejected', 'pre-register: not today']],
  );
});

test('a device that already has an rx handler (bridge or bond port) is rejected', (t) => {
  const s = setup();
  s.registry.register(s.master, s.ops);
  const vf = s.vf({ name: 'vf0' });
  const handler = () => RX_HANDLER.PASS;
  vf.registerRxHandler(handler, null);
  s.ns.register(vf);
  t.is(vf.master, null);
  t.is(vf.rxHandler, handler);
  t.is(s.events[0]?.reason, 'rx-handler-busy');
  t.false(s.calls.includes('register vf0'));
});

test('a device that already has a master is rejected and no rx handler is left behind', (t) => {
  const s = setup();
  s.registry.register(s.master, s.ops);
  const upper = s.nic({ name: 'bond0', permAddr: OTHER_MAC });
  s.ns.register(upper);
  const vf = s.vf({ name: 'vf0' });
  s.ns.register(vf, 'vf0');
  // Enslaved already: release it, give it another master, then re-run pairing by hand.
  s.registry.slaveUnregister(vf);
  vf.linkMaster(upper);
  t.false(s.registry.slaveRegister(vf));
  t.is(vf.master, upper);
  t.is(vf.rxHandler, null);
  t.is(s.events.at(-1)?.reason, 'has-master');
});

test('a failing register rolls back the rx handler, the master link and the flags', (t) => {
  const s = setup({
    register: () => {
      throw new Error('no room');
    },
  });
  s.registry.register(s.master, s.ops);
  const vf = s.vf({ name: 'vf0' });
  s.ns.register(vf);
  t.is(vf.master, null);
  t.is(vf.rxHandler, null);
  t.is(vf.privFlags & (PRIV_FLAG.FAILOVER_SLAVE | PRIV_FLAG.NO_ADDRCONF), 0);
  t.deepEqual(s.master.lowers, []);
  t.is(s.events[0]?.reason, 'register-failed: no room');
});

test('link and name events of a slave are dropped while the master is down', (t) => {
  const s = setup();
  s.registry.register(s.master, s.ops);
  const vf = s.vf({ name: 'vf0' });
  s.ns.register(vf);
  vf.carrierOn();
  vf.open();
  vf.close();
  vf.rename('vf9');
  t.deepEqual(s.calls, ['pre-register vf0', 'register vf0']);
  t.deepEqual(
    s.events.filter((e) => e.type === 'event-dropped').map((e) => e.reason),
    ['linkChange', 'linkChange', 'linkChange', 'nameChange'],
  );
});

test('link events reach the ops while the master runs; going-down, MTU and address changes do not', (t) => {
  const s = setup();
  s.registry.register(s.master, s.ops);
  s.master.carrierOn();
  s.master.open();
  const vf = s.vf({ name: 'vf0' });
  s.ns.register(vf);
  s.calls.length = 0;
  vf.carrierOn(); // change
  vf.open(); // up
  vf.setMtu(1400); // changemtu: ignored
  vf.setMacAddress(MacAddress.parse('02:00:00:00:00:09')); // changeaddr: ignored
  vf.close(); // going-down (ignored), down
  t.deepEqual(s.calls, ['link vf0', 'link vf0', 'link vf0']);
});

test('events of bypass masters themselves are ignored', (t) => {
  const s = setup();
  s.registry.register(s.master, s.ops);
  s.master.carrierOn();
  s.master.open();
  s.master.close();
  t.deepEqual(s.calls, []);
});

test('a slave whose master throws in a link hook is reported and the chain goes on', (t) => {
  const s = setup({
    linkChange: () => {
      throw new Error('boom');
    },
  });
  s.registry.register(s.master, s.ops);
  s.master.open();
  const vf = s.vf({ name: 'vf0' });
  s.ns.register(vf);
  t.notThrows(() => vf.carrierOn());
  t.is(vf.carrier, true);
  t.is(s.events.at(-1)?.type, 'op-failed');
  t.is(s.events.at(-1)?.reason, 'linkChange: boom');
});

test('unregistering a slave device releases it: rx handler, link and flags', (t) => {
  const s = setup();
  s.registry.register(s.master, s.ops);
  const vf = s.vf({ name: 'vf0' });
  s.ns.register(vf);
  s.ns.unregister(vf);
  t.is(vf.master, null);
  t.is(vf.rxHandler, null);
  t.is(vf.privFlags & PRIV_FLAG.FAILOVER_SLAVE, 0);
  t.true(s.calls.includes('unregister vf0'));
  t.is(s.ns.leakedLinks, 0);
});

test('a pre-unregister refusal keeps the slave', (t) => {
  const s = setup({ preUnregister: () => 'still needed' });
  s.registry.register(s.master, s.ops);
  const vf = s.vf({ name: 'vf0' });
  s.ns.register(vf);
  t.false(s.registry.slaveUnregister(vf));
  t.is(vf.master, s.master);
  t.is(s.events.at(-1)?.type, 'unregister-refused');
});

test('unregistering an instance does not release its slaves but stops new pairing', (t) => {
  const s = setup();
  const inst = s.registry.register(s.master, s.ops);
  const vf = s.vf({ name: 'vf0' });
  s.ns.register(vf);
  s.registry.unregister(inst);
  t.is(vf.master, s.master);
  t.is(s.master.privFlags & PRIV_FLAG.FAILOVER, 0);
  const late = s.vf({ name: 'vf1' });
  s.ns.register(late);
  t.is(late.master, null);
  t.is(s.registry.followedNamespaces, 0);
  s.registry.slaveUnregister(vf); // no instance any more: nothing happens
  t.is(vf.master, s.master);
});

test('with two masters of the same MAC, the first registered wins', (t) => {
  const s = setup();
  const second = s.nic({ name: 'master1' });
  s.ns.register(second);
  s.registry.register(s.master, s.ops);
  const other = recordingOps();
  s.registry.register(second, other.ops);
  const vf = s.vf({ name: 'vf0' });
  s.ns.register(vf);
  t.is(vf.master, s.master);
  t.deepEqual(other.calls, []);
});

test('a master must be an Ethernet device registered in a namespace, and only once', (t) => {
  const s = setup();
  const ib = s.nic({ name: 'ib0', type: ARPHRD.INFINIBAND });
  s.ns.register(ib);
  t.throws(() => s.registry.register(ib, s.ops), {
    instanceOf: BypassError,
    code: 'ERR_NOT_ETHERNET',
  });
  const loose = s.nic({ name: 'loose0' });
  t.throws(() => s.registry.register(loose, s.ops), {
    instanceOf: BypassError,
    code: 'ERR_NOT_REGISTERED',
  });
  const inst = s.registry.register(s.master, s.ops);
  t.throws(() => s.registry.register(s.master, s.ops), {
    instanceOf: BypassError,
    code: 'ERR_ALREADY_REGISTERED',
  });
  s.registry.unregister(inst);
  t.throws(() => s.registry.unregister(inst), { instanceOf: BypassError, code: 'ERR_NOT_FOUND' });
});

test('pairing looks up the MAC index instead of walking the masters', (t) => {
  const s = setup();
  // Many masters with other MACs: a VF still pairs with its own, and only its own ops run.
  const others: NetDevice[] = [];
  for (let i = 0; i < 500; i++) {
    const m = s.nic({ name: `m${i}`, permAddr: MacAddress.fromNumber(0x020000000000 + i + 10) });
    s.ns.register(m);
    s.registry.register(m, {
      register: () => t.fail('wrong master'),
      unregister: () => t.fail('wrong master'),
    });
    others.push(m);
  }
  s.registry.register(s.master, s.ops);
  const vf = s.vf({ name: 'vf0' });
  s.ns.register(vf);
  t.is(vf.master, s.master);
  t.is(s.registry.instances().length, 501);
});

test('addresses that share an index key are told apart: only the exact MAC pairs', (t) => {
  // 00:00:00:00:00:40 and 00:00:01:00:00:00 fold to the same key (macIndexKey)
  const a = MacAddress.parse('00:00:00:00:00:40');
  const b = MacAddress.parse('00:00:01:00:00:00');
  const w = world();
  const masterA = w.nic({ name: 'mA', permAddr: a });
  const masterB = w.nic({ name: 'mB', permAddr: b });
  w.ns.register(masterA);
  w.ns.register(masterB);
  const { ops } = recordingOps();
  const instA = w.registry.register(masterA, ops);
  const instB = w.registry.register(masterB, ops);
  const vfB = w.vf({ name: 'vfB', permAddr: b });
  const vfA = w.vf({ name: 'vfA', permAddr: a });
  w.ns.register(vfB);
  w.ns.register(vfA);
  t.is(vfA.master, masterA);
  t.is(vfB.master, masterB);
  t.is(w.registry.findByMaster(masterA), instA);
  t.is(w.registry.findByMaster(masterB), instB);
  t.true(instA.pairsOn(a.value));
  t.false(instA.pairsOn(b.value));
  w.registry.slaveUnregister(vfA);
  w.registry.unregister(instA);
  t.is(w.registry.findByMaster(masterA), undefined);
  t.is(w.registry.findByMaster(masterB), instB);
  t.deepEqual(w.registry.instances(), [instB]);
});

test('masters that share a key stay chained in registration order through any unregister order', (t) => {
  // Three masters on one key: two addresses that fold together, one of them in two namespaces.
  const a = MacAddress.parse('00:00:00:00:00:40');
  const b = MacAddress.parse('00:00:01:00:00:00');
  const w = world();
  const other = new NetNamespace('other');
  const m1 = w.nic({ name: 'm1', permAddr: a });
  const m2 = w.nic({ name: 'm2', permAddr: b });
  const m3 = w.nic({ name: 'm3', permAddr: a });
  w.ns.register(m1);
  w.ns.register(m2);
  other.register(m3);
  const { ops } = recordingOps();
  const [i1, i2, i3] = [m1, m2, m3].map((m) => w.registry.register(m, ops));
  t.deepEqual(w.registry.instances(), [i1, i2, i3]);
  t.throws(() => w.registry.register(m2, ops), {
    instanceOf: BypassError,
    code: 'ERR_ALREADY_REGISTERED',
  });
  w.registry.unregister(i2 as NonNullable<typeof i2>); // the middle of the chain
  t.deepEqual(w.registry.instances(), [i1, i3]);
  const vf = w.vf({ name: 'vf', permAddr: a });
  other.register(vf);
  t.is(vf.master, m3, 'the master of the same address in the same namespace');
  w.registry.slaveUnregister(vf);
  w.registry.unregister(i1 as NonNullable<typeof i1>); // the first
  t.deepEqual(w.registry.instances(), [i3]);
  t.is(w.registry.findByMaster(m3), i3);
  t.throws(() => w.registry.unregister(i1 as NonNullable<typeof i1>), {
    instanceOf: BypassError,
    code: 'ERR_NOT_FOUND',
  });
  w.registry.unregister(i3 as NonNullable<typeof i3>); // the last one
  t.deepEqual(w.registry.instances(), []);
  t.is(w.registry.findByMaster(m3), undefined);
  w.registry.register(m2, ops);
  t.is(w.registry.instances().length, 1, 'a key can be used again');
});
