import test from 'ava';
import { BypassMaster } from '../../src/bypass/BypassMaster.js';
import type { BypassRegistryEvent } from '../../src/bypass/BypassRegistry.js';
import { BypassError } from '../../src/errors/BypassError.js';
import { MacAddress } from '../../src/netdev/MacAddress.js';
import { NETIF_F, PRIV_FLAG } from '../../src/netdev/NetDeviceFlags.js';
import { NetNamespace } from '../../src/netdev/NetNamespace.js';
import { DropReason, dropReasonName } from '../../src/packet/DropReason.js';
import { MAC, upWithCarrier, world } from './fixtures.js';

/** A master with its virtio backup registered (down), and helpers. */
function setup(opts: { multicastViaBackup?: boolean } = {}) {
  const w = world();
  const virtio = w.virtio({ name: 'virtio0', minMtu: 68, maxMtu: 9000 });
  const master = BypassMaster.create({
    registry: w.registry,
    backup: virtio,
    ns: w.ns,
    name: 'ens10',
    ...opts,
  });
  w.ns.register(virtio, 'ens10nsby');
  const rejections: BypassRegistryEvent[] = [];
  w.registry.events$.subscribe((e) => {
    if (e.type === 'slave-rejected') rejections.push(e);
  });
  const drops: string[] = [];
  w.pool.onDrop = (_p, _pk, _s, count, reason) => drops.push(`${dropReasonName(reason)}x${count}`);
  return { ...w, makeVirtio: w.virtio, virtio, master, rejections, drops };
}

test('the master is created from the backup: MAC, parent, MTU bounds, 16 queues, no carrier', (t) => {
  const s = setup();
  t.true(s.master.permAddr.equals(MAC));
  t.is(s.master.parent, s.virtioParent);
  t.is(s.master.minMtu, 68);
  t.is(s.master.maxMtu, 9000);
  t.is(s.master.numTxQueues, 16);
  t.false(s.master.carrier);
  t.truthy(s.master.privFlags & PRIV_FLAG.FAILOVER);
  t.is(s.master.driver, 'net_failover');
});

test('the backup registered after the master is enslaved by its own register event', (t) => {
  const s = setup();
  t.is(s.master.backup, s.virtio);
  t.is(s.virtio.master, s.master);
  t.is(s.master.active, null);
});

test('a VF present before the master is found by the existing-device scan', (t) => {
  const w = world();
  const vf = w.vf({ name: 'ens11' });
  w.ns.register(vf);
  const virtio = w.virtio();
  const master = BypassMaster.create({
    registry: w.registry,
    backup: virtio,
    ns: w.ns,
    name: 'ens10',
  });
  t.is(master.active, vf);
  w.ns.register(virtio);
  t.is(master.backup, virtio);
});

test('active and backup are told apart by parent device', (t) => {
  const s = setup();
  const vf = s.vf({ name: 'ens11' });
  s.ns.register(vf);
  t.is(s.master.active, vf);
  t.is(s.master.backup, s.virtio);
});

test('a second backup and a second active are refused as already present', (t) => {
  const s = setup();
  const vf = s.vf({ name: 'ens11' });
  s.ns.register(vf);
  const vf2 = s.vf({ name: 'ens12' });
  s.ns.register(vf2);
  const virtio2 = s.makeVirtio({ name: 'virtio9' });
  s.ns.register(virtio2);
  t.is(vf2.master, null);
  t.is(virtio2.master, null);
  t.deepEqual(
    s.rejections.map((e) => e.reason),
    [
      'pre-register: ens12 attempting to register as active when active already present',
      'pre-register: virtio9 attempting to register as backup when backup already present',
    ],
  );
});

test('an active slave whose parent is not a PCI device is refused', (t) => {
  const s = setup();
  const platform = s.nic({ name: 'usb0', parent: null });
  s.ns.register(platform);
  t.is(platform.master, null);
  t.regex(s.rejections[0]?.reason ?? '', /only a PCI device/);
});

test('a joining slave takes the master MTU; a refusal rejects it with nothing left behind', (t) => {
  const s = setup();
  s.master.setMtu(4000);
  const vf = s.vf({ name: 'ens11' });
  s.ns.register(vf);
  t.is(vf.mtu, 4000);
  s.ns.unregister(vf);
  const stubborn = s.vf({ name: 'ens12' });
  stubborn.refuseMtu = true;
  s.ns.register(stubborn);
  t.is(stubborn.master, null);
  t.is(stubborn.mtu, 1500);
  t.regex(s.rejections[0]?.reason ?? '', /register-failed/);
});

test('a joining slave is opened when the master runs; a busy open is tolerated and the rename opens it', (t) => {
  const s = setup();
  upWithCarrier(s.master);
  const vf = s.vf({ name: 'ens11' });
  vf.refuseOpen = new BypassError('ERR_BUSY', 'udev is renaming it');
  s.ns.register(vf);
  t.is(s.master.active, vf);
  t.false(vf.isUp);
  vf.refuseOpen = null;
  vf.rename('enp0s11');
  t.true(vf.isUp);
});

test('a slave that fails to open for another reason is refused and its MTU restored', (t) => {
  const s = setup();
  s.master.setMtu(3000);
  upWithCarrier(s.master);
  const vf = s.vf({ name: 'ens11' });
  vf.refuseOpen = new BypassError('ERR_REFUSED', 'firmware error');
  s.ns.register(vf);
  t.is(vf.master, null);
  t.is(vf.mtu, 1500);
});

test('addresses and VLANs of the master are synced to a joining slave and a VLAN failure rolls back', (t) => {
  const s = setup();
  const group = MacAddress.parse('01:00:5e:00:00:fb');
  s.master.addMulticastAddress(group);
  s.master.vlanVidAdd(100);
  upWithCarrier(s.master);
  const vf = s.vf({ name: 'ens11' });
  vf.carrierOn();
  s.ns.register(vf);
  t.true(vf.mc.has(group.value));
  t.deepEqual(vf.vlanIds, [100]);
  s.ns.unregister(vf);
  t.false(vf.mc.has(group.value));
  t.deepEqual(vf.vlanIds, []);
  const bad = s.vf({ name: 'ens12' });
  bad.refuseVlan = true;
  s.ns.register(bad);
  t.is(bad.master, null);
  t.false(bad.mc.has(group.value));
  t.false(bad.isUp);
});

test('opening the master opens the active then the backup; a backup failure closes the active again', (t) => {
  const s = setup();
  const vf = s.vf({ name: 'ens11' });
  s.ns.register(vf);
  const order: string[] = [];
  s.ns.events$.subscribe((e) => {
    if (e.type === 'up') order.push(e.dev.name);
  });
  s.virtio.refuseOpen = new BypassError('ERR_REFUSED', 'no queues');
  t.throws(() => s.master.open());
  t.false(vf.isUp);
  t.false(s.master.isUp);
  s.virtio.refuseOpen = null;
  s.master.open();
  t.deepEqual(order, ['ens11', 'ens11', 'ens10nsby', 'ens10']);
});

test('a backup that fails to open closes the active even when it was up before, as net_failover_open', (t) => {
  const s = setup();
  const vf = s.vf({ name: 'ens11' });
  s.ns.register(vf);
  vf.open();
  s.virtio.refuseOpen = new BypassError('ERR_REFUSED', 'no queues');
  t.throws(() => s.master.open());
  t.false(vf.isUp);
});

test('the master carrier is active ready OR backup ready', (t) => {
  const s = setup();
  const vf = s.vf({ name: 'ens11' });
  s.ns.register(vf);
  s.master.open();
  t.false(s.master.carrier);
  s.virtio.carrierOn();
  t.true(s.master.carrier);
  vf.carrierOn();
  s.virtio.carrierOff();
  t.true(s.master.carrier);
  vf.close();
  t.false(s.master.carrier);
  vf.open();
  t.true(s.master.carrier);
});

test('TX goes to the active when ready, else the backup, else it is dropped and counted', (t) => {
  const s = setup();
  const vf = s.vf({ name: 'ens11' });
  s.ns.register(vf);
  s.master.open();
  vf.carrierOn();
  s.virtio.carrierOn();
  t.is(s.master.xmit(s.frames(4), 0, 4), 4);
  t.deepEqual(vf.sentMarks, [1, 2, 3, 4]);
  vf.carrierOff();
  s.master.xmit(s.frames(2), 0, 2);
  t.deepEqual(s.virtio.sentMarks, [1, 2]);
  s.virtio.carrierOff();
  t.is(s.master.xmit(s.frames(3), 0, 3), 0);
  t.is(s.master.stats.txDropped, 3);
  t.deepEqual(s.drops, [`${dropReasonName(DropReason.NO_PATH)}x3`]);
  t.is(s.pool.inUse, 0);
});

test('a detached VF keeps the TX path until it is unregistered, as in net_failover', (t) => {
  const s = setup();
  const vf = s.vf({ name: 'ens11' });
  s.ns.register(vf);
  s.master.open();
  vf.carrierOn();
  s.virtio.carrierOn();
  vf.detach();
  // net_failover_xmit_ready: running and carrier, presence is not looked at.
  t.is(s.master.datapath, 'active');
  s.master.xmit(s.frames(2), 0, 2);
  t.deepEqual(s.virtio.sentMarks, []);
  t.deepEqual(s.drops, [`${dropReasonName(DropReason.NO_DEVICE)}x2`]);
  s.ns.unregister(vf);
  s.master.xmit(s.frames(2), 0, 2);
  t.deepEqual(s.virtio.sentMarks, [1, 2]);
});

test('the master starts at MTU 1500 and brings a larger-MTU backup down to it, as net_failover', (t) => {
  const w = world();
  const virtio = w.virtio({ name: 'virtio0', minMtu: 68, maxMtu: 9000, mtu: 9000 });
  const master = BypassMaster.create({
    registry: w.registry,
    backup: virtio,
    ns: w.ns,
    name: 'ens10',
  });
  t.is(master.mtu, 1500);
  t.is(master.maxMtu, 9000);
  w.ns.register(virtio, 'ens10nsby');
  t.is(virtio.master, master);
  t.is(virtio.mtu, 1500);
});

test('a backup whose largest MTU is below 1500 cannot join: the master stays at 1500 (net_failover_create)', (t) => {
  // register_netdevice does not check the MTU against max_mtu, and net_failover_slave_register's
  // dev_set_mtu(standby, 1500) fails: "unable to change mtu ... register failed".
  const w = world();
  const virtio = w.virtio({ name: 'virtio0', minMtu: 68, maxMtu: 1400, mtu: 1400 });
  const master = BypassMaster.create({
    registry: w.registry,
    backup: virtio,
    ns: w.ns,
    name: 'ens10',
  });
  const events: BypassRegistryEvent[] = [];
  w.registry.events$.subscribe((e) => events.push(e));
  t.is(master.mtu, 1500);
  t.is(master.maxMtu, 1400);
  w.ns.register(virtio, 'ens10nsby');
  t.is(master.backup, null);
  t.is(virtio.master, null);
  t.is(virtio.mtu, 1400);
  t.is(virtio.privFlags & PRIV_FLAG.FAILOVER_SLAVE, 0);
  t.is(events.length, 1);
  t.is(events[0]?.type, 'slave-rejected');
  t.regex(events[0]?.reason ?? '', /^register-failed: .*1500/);
  // The user can bring the master into range; the backup joins when it registers again.
  master.setMtu(1400);
  w.ns.unregister(virtio);
  w.ns.register(virtio, 'ens10nsby');
  t.is(master.backup, virtio);
});

test("the master has net_failover's offloads and is never VLAN challenged", (t) => {
  const s = setup();
  const want =
    NETIF_F.SG | NETIF_F.HW_CSUM | NETIF_F.TSO | NETIF_F.TSO6 | NETIF_F.HW_VLAN_CTAG_FILTER;
  t.is(s.master.features & want, want);
  const vf = s.vf({ name: 'ens11', features: NETIF_F.VLAN_CHALLENGED });
  s.ns.register(vf);
  t.is(vf.master, s.master);
  t.is(s.master.features & NETIF_F.VLAN_CHALLENGED, 0);
});

test('frames on the backup while an active exists reach only listeners bound exactly to the backup', (t) => {
  const s = setup();
  const vf = s.vf({ name: 'ens11' });
  s.ns.register(vf);
  const onMaster = s.listen(s.master);
  s.virtio.rx(s.frames(2), 2);
  t.deepEqual(onMaster, []);
  t.is(s.virtio.stats.rxNohandler, 2);
  const exact = s.listen(s.virtio, true);
  s.virtio.rx(s.frames(1), 1);
  t.deepEqual(exact, [1]);
  vf.rx(s.frames(3), 3);
  t.deepEqual(onMaster, [1, 2, 3]);
  s.ns.unregister(vf);
  s.virtio.bindSink(null);
  s.virtio.rx(s.frames(1), 1);
  t.deepEqual(onMaster, [1, 2, 3, 1]);
  t.is(s.pool.inUse, 0);
});

test('MTU changes go to the active then the backup, and a backup refusal rolls the active back', (t) => {
  const s = setup();
  const vf = s.vf({ name: 'ens11' });
  s.ns.register(vf);
  s.master.setMtu(2000);
  t.deepEqual([vf.mtu, s.virtio.mtu, s.master.mtu], [2000, 2000, 2000]);
  s.virtio.refuseMtu = true;
  t.throws(() => s.master.setMtu(3000), { instanceOf: BypassError, code: 'ERR_REFUSED' });
  t.deepEqual([vf.mtu, s.virtio.mtu, s.master.mtu], [2000, 2000, 2000]);
});

test('the active slave MTU bounds become the master bounds and revert to the backup ones when it leaves', (t) => {
  const s = setup();
  const vf = s.vf({ name: 'ens11', minMtu: 128, maxMtu: 4000 });
  s.ns.register(vf);
  t.deepEqual([s.master.minMtu, s.master.maxMtu], [128, 4000]);
  t.throws(() => s.master.setMtu(5000), { instanceOf: BypassError, code: 'ERR_MTU_RANGE' });
  s.ns.unregister(vf);
  t.deepEqual([s.master.minMtu, s.master.maxMtu], [68, 9000]);
});

test('master stats fold the slaves, survive removal and counter resets, and never decrease', (t) => {
  const s = setup();
  const vf = s.vf({ name: 'ens11' });
  s.ns.register(vf);
  s.master.open();
  vf.carrierOn();
  s.master.xmit(s.frames(5), 0, 5);
  t.is(s.master.getStats64().txPackets, 5);
  vf.stats.reset(); // a driver that zeroes its counters on down/up
  t.is(s.master.getStats64().txPackets, 5);
  s.master.xmit(s.frames(2), 0, 2);
  t.is(s.master.getStats64().txPackets, 7);
  s.ns.unregister(vf);
  t.is(s.master.getStats64().txPackets, 7);
  s.virtio.carrierOn();
  s.master.xmit(s.frames(1), 0, 1);
  t.is(s.master.getStats64().txPackets, 8);
});

test('traffic a slave carried before it joined is not counted on the master', (t) => {
  const s = setup();
  const vf = s.vf({ name: 'ens11' });
  vf.stats.txPackets = 1000;
  s.ns.register(vf);
  t.is(s.master.getStats64().txPackets, 0);
});

test('32-bit slave counters that wrap are folded correctly', (t) => {
  const s = setup();
  const vf = s.vf({ name: 'ens11' });
  vf.stats.rxPackets = 2 ** 32 - 2;
  s.ns.register(vf);
  vf.stats.rxPackets = 3; // wrapped past 2^32
  t.is(s.master.getStats64().rxPackets, 5);
});

test('fixed Linux oddity: removing the last ready slave turns the master carrier off', (t) => {
  const s = setup();
  const vf = s.vf({ name: 'ens11' });
  s.ns.register(vf);
  s.master.open();
  vf.carrierOn();
  t.true(s.master.carrier);
  // Unregister does close+unregister; Linux would leave the master carrier on here.
  s.ns.unregister(vf);
  t.false(s.master.carrier);
  t.is(s.master.datapath, 'none');
});

test('fixed Linux oddity: closing the master drops its carrier', (t) => {
  const s = setup();
  s.master.open();
  s.virtio.carrierOn();
  t.true(s.master.carrier);
  s.master.close();
  t.false(s.master.carrier);
  s.master.open();
  t.true(s.master.carrier);
});

test('fixed Linux oddity: a VLAN-challenged slave is refused while the master has VLANs', (t) => {
  const s = setup();
  s.master.vlanVidAdd(10);
  const vf = s.vf({ name: 'ens11', features: NETIF_F.VLAN_CHALLENGED });
  s.ns.register(vf);
  t.is(vf.master, null);
  t.regex(s.rejections[0]?.reason ?? '', /VLAN challenged/);
});

test('multicast via backup (RFC v2): unicast on the active, group frames on the backup', (t) => {
  const s = setup({ multicastViaBackup: true });
  const vf = s.vf({ name: 'ens11' });
  s.ns.register(vf);
  s.master.open();
  vf.carrierOn();
  s.virtio.carrierOn();
  const burst = s.frames(4);
  MacAddress.BROADCAST.writeTo(s.pool.bytes, s.pool.start[burst[1] as number]);
  MacAddress.parse('01:00:5e:00:00:01').writeTo(s.pool.bytes, s.pool.start[burst[3] as number]);
  t.is(s.master.xmit(burst, 0, 4), 4);
  t.deepEqual(vf.sentMarks, [1, 3]);
  t.deepEqual(s.virtio.sentMarks, [2, 4]);
  s.virtio.carrierOff();
  const more = s.frames(1, MacAddress.BROADCAST.value);
  s.master.xmit(more, 0, 1);
  t.deepEqual(vf.sentMarks, [1, 3, 1]);
});

test('multicast via backup (RFC v2): group frames received on the backup reach the master', (t) => {
  const s = setup({ multicastViaBackup: true });
  const vf = s.vf({ name: 'ens11' });
  s.ns.register(vf);
  const onMaster = s.listen(s.master);
  const exact = s.listen(s.virtio, true);
  const burst = s.frames(3);
  MacAddress.BROADCAST.writeTo(s.pool.bytes, s.pool.start[burst[2] as number]);
  s.virtio.rx(burst, 3);
  t.deepEqual(onMaster, [3]);
  t.deepEqual(exact, [1, 2]);
});

test('datapath-switched events follow the unicast path', (t) => {
  const s = setup();
  const seen: string[] = [];
  s.master.events.on('datapath-switched', (to, from) => seen.push(`${from}->${to}`));
  s.master.open();
  s.virtio.carrierOn();
  const vf = s.vf({ name: 'ens11' });
  vf.carrierOn();
  s.ns.register(vf);
  s.ns.unregister(vf);
  s.master.close();
  t.deepEqual(seen, ['none->backup', 'backup->active', 'active->backup', 'backup->none']);
});

test('the master address cannot be changed and the master cannot leave its namespace', (t) => {
  const s = setup();
  t.throws(() => s.master.setMacAddress(MacAddress.parse('02:00:00:00:00:01')), {
    instanceOf: BypassError,
    code: 'ERR_NOT_SUPPORTED',
  });
  t.throws(() => s.ns.moveDevice(s.master, new NetNamespace('x')), {
    instanceOf: BypassError,
    code: 'ERR_NOT_SUPPORTED',
  });
});

test('destroy releases both slaves, the instance and the master netdev', (t) => {
  const s = setup();
  const vf = s.vf({ name: 'ens11' });
  s.ns.register(vf);
  s.master.open();
  s.master.destroy();
  t.is(vf.master, null);
  t.is(s.virtio.master, null);
  t.is(vf.rxHandler, null);
  t.false(s.ns.has(s.master));
  t.is(s.registry.instances().length, 0);
  t.is(s.registry.followedNamespaces, 0);
  t.is(s.ns.leakedLinks, 0);
  t.notThrows(() => s.master.destroy());
});

test('create needs a namespace when the backup is not registered yet', (t) => {
  const w = world();
  const virtio = w.virtio();
  t.throws(() => BypassMaster.create({ registry: w.registry, backup: virtio }), {
    instanceOf: BypassError,
    code: 'ERR_INVALID_ARGUMENT',
  });
});
