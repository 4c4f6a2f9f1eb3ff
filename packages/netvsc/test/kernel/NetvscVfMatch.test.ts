import test from 'ava';
import { IFF, MacAddress, NetNamespace } from '@bypass/core';
import { NetvspHost, VmbusChannel } from '../../src/kernel/exports.js';
import { MAC, World } from './world.js';

/**
 * Which device is netvsc's VF: Linux `netvsc_drv.c` get_netvsc_byslot (from netvsc_prepare_bonding
 * at NETDEV_POST_INIT and netvsc_register_vf at NETDEV_REGISTER) and `netvsc.c` netvsc_send_vf,
 * which only records an association.
 */

test('a same-MAC PCI function without a slot is not the VF: not flagged, not joined, logged, and not paired when an association arrives', (t) => {
  const w = new World();
  const dev = w.probe();
  const vf = w.plugVf({ serial: null, name: 'enP1p31' });
  t.is(dev.vf, null);
  t.is(vf.flags & IFF.SLAVE, 0); // netvsc_prepare_bonding: get_netvsc_byslot gave NULL
  t.like(dev.vfs.lookup(vf), { ok: false, code: 'no-slot' });
  t.true(w.log.includes('eth0: enP1p31: no PCI slot information'));
  t.true(
    w.log.includes(
      'bypass slave-rejected enP1p31 (pre-register: enP1p31 has no PCI slot information)',
    ),
  );
  w.host.sendVfAssociation(true, 1);
  w.scheduler.runUntilIdle();
  t.is(dev.vf, null);
  t.is(vf.master, null);
});

test('a slot whose serial is not a decimal u32 is not the VF ("Invalid vf serial")', (t) => {
  for (const serial of [-1, 2 ** 32, 1.5]) {
    const w = new World();
    const dev = w.probe();
    const vf = w.plugVf({ serial, name: 'enP1s9' });
    t.is(dev.vf, null, String(serial));
    t.like(dev.vfs.lookup(vf), { ok: false, code: 'invalid-serial' });
    t.true(w.log.includes(`eth0: enP1s9: Invalid vf serial:${serial}`), String(serial));
    t.is(vf.flags & IFF.SLAVE, 0);
  }
});

test('the first pass needs the announced serial and the permanent MAC; otherwise the MAC fallback, association or not', (t) => {
  const w = new World();
  const dev = w.probe();
  const vf = w.plugVf({ serial: 4 });
  t.is(dev.vf, vf); // no association yet: paired by MAC
  t.like(dev.vfs.lookup(vf), { ok: true, by: 'mac', serial: 4 });
  w.host.sendVfAssociation(true, 4);
  w.scheduler.runUntilIdle();
  t.like(dev.vfs.lookup(vf), { ok: true, by: 'serial', serial: 4 });
  w.host.sendVfAssociation(false, 4);
  w.scheduler.runUntilIdle();
  t.like(dev.vfs.lookup(vf), { ok: true, by: 'mac' }); // withdrawn: vf_alloc is 0
  t.is(dev.vf, vf); // the withdrawal is only recorded
});

test('the MAC fallback also matches the current MAC (a device before registration: perm_addr not yet copied)', (t) => {
  const w = new World();
  const dev = w.probe();
  const other = MacAddress.parse('00:15:5d:00:00:42');
  let flagged = false;
  w.plugVf({
    mac: other,
    before: (vf) => {
      vf.setMacAddress(MAC);
      t.like(dev.vfs.lookup(vf), { ok: true, by: 'mac' });
      flagged = dev.prepareVf(vf);
      vf.setMacAddress(other);
      t.like(dev.vfs.lookup(vf), { ok: false, code: 'other-mac' });
    },
  });
  t.true(flagged);
});

test('a second same-MAC VF while one is present: flagged IFF_SLAVE at post-init (Linux does not check), not joined, and not paired later when the association arrives', (t) => {
  const w = new World();
  const dev = w.probe();
  w.host.sendVfAssociation(true, 1);
  w.scheduler.runUntilIdle();
  const first = w.plugVf({ serial: 1 });
  const fn1 = w.fn;
  const second = w.plugVf({ serial: 2 });
  t.is(dev.vf, first);
  t.is(second.master, null);
  t.not(second.flags & IFF.SLAVE, 0); // netvsc_prepare_bonding flags it all the same
  t.like(dev.vfs.check(second), { ok: false, code: 'vf-present' });
  // The first VF goes away; the host announces the second one.
  first.hotUnplug({ surprise: true });
  if (fn1 !== null) w.bus.remove(fn1, { surprise: true });
  t.is(dev.vf, null);
  w.host.sendVfAssociation(true, 2);
  w.scheduler.runUntilIdle();
  t.true(w.log.includes('eth0: VF slot 2 added'));
  t.is(dev.vf, null); // before: paired here (pairWaitingVf); netvsc_send_vf only records it
  t.is(second.master, null);
});

test('with the namespace option, a VF refused elsewhere while one was present is not moved in when the association arrives', (t) => {
  const w = new World();
  const other = new NetNamespace('init');
  const dev = w.probe({ vfNamespaces: [other] });
  const first = w.plugVf({ serial: 1 });
  const fn1 = w.fn;
  const second = w.plugVf({ serial: 2, ns: other });
  t.is(second.ns, other); // netvsc_register_vf: a VF present, NOTIFY_DONE before any move
  first.hotUnplug({ surprise: true });
  if (fn1 !== null) w.bus.remove(fn1, { surprise: true });
  w.host.sendVfAssociation(true, 2);
  w.scheduler.runUntilIdle();
  t.is(second.ns, other); // before: moved in and paired (the watch re-scanned on the association)
  t.is(dev.vf, null);
});

test('deliberate difference: of two netvscs with one MAC (Hyper-V never presents that), the first registered gets the VF, whatever the serials', (t) => {
  const w = new World();
  const a = w.probe();
  const channel = new VmbusChannel({
    scheduler: w.scheduler,
    ringPages: 32,
    signalLatencyNs: 20_000,
  });
  const host = new NetvspHost({ channel, pool: w.pool, scheduler: w.scheduler, mac: MAC });
  const second = w.probe({ channel, name: 'eth1' }, false); // on its own channel and host
  host.sendVfAssociation(true, 2);
  w.scheduler.runUntilIdle();
  const vf = w.plugVf({ serial: 2 });
  // Linux's get_netvsc_byslot would pick the second (vf_alloc, serial 2, same perm_addr); the
  // bypass registry offers a VF to the first same-MAC master registered, and it takes it
  // through the MAC fallback.
  t.is(a.vf, vf);
  t.is(second.vf, null);
});
