import test from 'ava';
import { MacAddress, PRIV_FLAG, type BypassMaster } from '@bypass/core';
import { VIRTIO_F, VIRTIO_NET_F, featureMask } from '../../src/index.js';
import { MAC, PEER, seq, world } from '../helpers/world.js';

/** A guest whose virtio device offers BACKUP, probed and with its master open. */
function setup(opts: { vfFirst?: boolean; multicastViaBackup?: boolean } = {}) {
  const w = world();
  const vf0 = opts.vfFirst === true ? w.vf() : null;
  const backend = w.backend({ backup: true, maxQueuePairs: 2 });
  const nic = w.probe(
    backend,
    opts.multicastViaBackup === true ? { multicastViaBackup: true } : {},
  );
  const master = nic.bypassMaster as BypassMaster;
  const got = w.listen(master);
  master.open();
  return { ...w, backend, nic, master, got, vf0 };
}

test('BACKUP creates the master before virtio registers: virtio is enslaved by its own register event', (t) => {
  const s = setup();
  t.is(s.master.name, 'ens10');
  t.is(s.nic.name, 'ens10nsby');
  t.is(s.nic.physPortName, 'sby');
  t.is(s.master.backup, s.nic);
  t.is(s.nic.master, s.master);
  t.is(s.master.parent, s.nic.parent);
  t.true((s.nic.privFlags & PRIV_FLAG.FAILOVER_SLAVE) !== 0);
  t.true(s.nic.isUp);
  t.is(s.master.datapath, 'backup');
});

test('without BACKUP in the offer the driver is a plain NIC and no master exists', (t) => {
  const w = world();
  const nic = w.probe(w.backend({ maxQueuePairs: 1 }));
  t.is(nic.bypassMaster, null);
  t.is(nic.name, 'ens10');
  t.is(w.registry.instances().length, 0);
});

test('a VF present before virtio is found by the existing-device scan and becomes active', (t) => {
  const s = setup({ vfFirst: true });
  t.is(s.master.active, s.vf0);
  t.is(s.master.datapath, 'active');
  s.master.xmit(s.frames(8), 0, 8);
  t.deepEqual(s.drainVf(s.vf0!), seq(8));
  t.deepEqual(s.drainHost(s.backend), []);
});

test('a VF plugged after virtio with the same MAC becomes active; traffic moves to it', (t) => {
  const s = setup();
  s.master.xmit(s.frames(4), 0, 4);
  t.deepEqual(s.drainHost(s.backend), seq(4));
  const vf = s.vf();
  t.is(s.master.active, vf);
  t.is(s.master.datapath, 'active');
  s.master.xmit(s.frames(4, PEER.value, 64, 10), 0, 4);
  t.deepEqual(s.drainVf(vf), seq(4, 10));
  t.deepEqual(s.drainHost(s.backend), []);
});

test('a VF with another MAC is left alone', (t) => {
  const s = setup();
  s.vf(true, MacAddress.parse('52:54:00:00:00:42'));
  t.is(s.master.active, null);
});

test('VF unplug with traffic in flight: its ring is counted as dropped, later bursts go through virtio', (t) => {
  const s = setup();
  const vf = s.vf();
  s.master.xmit(s.frames(32), 0, 32); // in the VF's TX ring, not yet on the wire
  const flushed = vf.hotUnplug({ surprise: true });
  t.is(flushed, 32);
  t.is(s.drops['vf-ring-flushed'], 32);
  t.is(s.master.active, null);
  t.is(s.master.datapath, 'backup');
  s.master.xmit(s.frames(16, PEER.value, 64, 50), 0, 16);
  t.deepEqual(s.drainHost(s.backend), seq(16, 50));
  t.is(s.master.getStats64().txDropped, 32);
});

test('a VF coming back takes the traffic again', (t) => {
  const s = setup();
  s.vf().hotUnplug({ surprise: false });
  s.master.xmit(s.frames(2), 0, 2);
  t.deepEqual(s.drainHost(s.backend), seq(2));
  const vf2 = s.vf();
  t.is(s.master.active, vf2);
  s.master.xmit(s.frames(2, PEER.value, 64, 7), 0, 2);
  t.deepEqual(s.drainVf(vf2), seq(2, 7));
});

test('RX on the VF reaches the master; on virtio while a VF is active only exact listeners get it', (t) => {
  const s = setup();
  const vf = s.vf();
  vf.injectRx(0, s.frames(3, MAC.value), 0, 3);
  vf.pollAll();
  t.deepEqual(s.got, seq(3));
  s.backend.receive(0, s.frames(2, MAC.value, 64, 20), 0, 2);
  t.deepEqual(s.got, seq(3)); // not delivered on the master
  t.is(s.nic.stats.rxNohandler, 2);
});

test('virtio link flaps: with a VF traffic stays on it; without, the master loses carrier', (t) => {
  const s = setup();
  s.backend.setLink(false);
  t.false(s.nic.carrier);
  t.false(s.master.carrier);
  t.is(s.master.datapath, 'none');
  s.master.xmit(s.frames(2), 0, 2);
  t.is(s.drops['no-path-ready'], 2);
  s.backend.setLink(true);
  t.true(s.master.carrier);
  const vf = s.vf();
  s.backend.setLink(false);
  t.true(s.master.carrier);
  t.is(s.master.datapath, 'active');
  s.master.xmit(s.frames(2, PEER.value, 64, 9), 0, 2);
  t.deepEqual(s.drainVf(vf), seq(2, 9));
});

test('VF link flaps: traffic falls back to virtio and returns when the VF link is back', (t) => {
  const s = setup();
  const vf = s.vf();
  const switches: string[] = [];
  s.master.events.on('datapath-switched', (to) => switches.push(to));
  vf.setLink(false);
  s.master.xmit(s.frames(3), 0, 3);
  t.deepEqual(s.drainHost(s.backend), seq(3));
  vf.setLink(true);
  s.master.xmit(s.frames(3, PEER.value, 64, 4), 0, 3);
  t.deepEqual(s.drainVf(vf), seq(3, 4));
  t.deepEqual(switches, ['backup', 'active']);
});

test('an MTU change on the master goes to the VF and to virtio, within virtio config MTU', (t) => {
  const w = world(1024, 8192);
  const b = w.backend({ backup: true, mtu: 4000 });
  const nic = w.probe(b);
  const master = nic.bypassMaster as BypassMaster;
  master.open();
  const vf = w.vf();
  master.setMtu(3000);
  t.is(vf.mtu, 3000);
  t.is(nic.mtu, 3000);
  t.throws(() => master.setMtu(4500), { code: 'ERR_MTU_RANGE' }); // VF bounds 68..9000, virtio max 4000
  t.is(vf.mtu, 3000); // rolled back
  t.is(nic.mtu, 3000);
});

test('the virtio netdev refuses MAC changes with BACKUP', (t) => {
  const s = setup();
  t.throws(() => s.nic.setMacAddress(MacAddress.parse('52:54:00:00:00:77')), {
    code: 'ERR_NOT_SUPPORTED',
  });
  t.true(s.nic.devAddr.equals(MAC));
});

test('renaming a slave while the master runs re-opens it; names follow', (t) => {
  const s = setup();
  const vf = s.vf();
  vf.close();
  vf.rename('ens11v');
  t.true(vf.isUp);
  s.nic.rename('ens10sby2');
  t.is(s.ns.getByName('ens10sby2'), s.nic);
  t.true(s.nic.isUp);
});

test('master down closes both slaves; up reopens them and virtio refills its RX ring', (t) => {
  const s = setup();
  const vf = s.vf();
  s.master.close();
  t.false(vf.isUp);
  t.false(s.nic.isUp);
  t.false(s.master.carrier);
  s.master.open();
  t.true(vf.isUp && s.nic.isUp);
  t.is(s.master.datapath, 'active');
  s.backend.receive(0, s.frames(2, MAC.value), 0, 2); // virtio still receives (exact listeners only)
  t.is(s.backend.stats.rxPackets, 2);
});

test('remove with a VF present: virtio and the master go away, the VF stays as a plain netdev', (t) => {
  const s = setup();
  const vf = s.vf();
  s.master.xmit(s.frames(2), 0, 2);
  s.nic.remove();
  t.false(s.master.registered);
  t.false(s.nic.registered);
  t.true(vf.registered);
  t.is(vf.master, null);
  t.is(vf.rxHandler, null);
  t.is(s.registry.instances().length, 0);
  t.is(s.ns.leakedLinks, 0);
  s.drainVf(vf);
  vf.hotUnplug();
  s.drainHost(s.backend);
  t.is(s.pool.inUse, 0);
});

test('RFC v2 option: broadcast goes through virtio while unicast uses the VF', (t) => {
  const s = setup({ multicastViaBackup: true });
  const vf = s.vf();
  const burst = new Int32Array([
    ...s.frames(2),
    ...s.frames(2, MacAddress.BROADCAST.value, 64, 30),
  ]);
  s.master.xmit(burst, 0, 4);
  t.deepEqual(s.drainVf(vf), seq(2));
  t.deepEqual(s.drainHost(s.backend), seq(2, 30));
});

test('a feature set the driver restricts without BACKUP gives a plain NIC even if the host offers it', (t) => {
  const w = world();
  const b = w.backend({ backup: true });
  const nic = w.probe(b, {
    driverFeatures: featureMask(VIRTIO_F.VERSION_1, VIRTIO_NET_F.MAC, VIRTIO_NET_F.STATUS),
  });
  t.is(nic.bypassMaster, null);
});

test('STANDBY offered without MAC is turned off: a plain NIC with a random address, no master', (t) => {
  const w = world();
  const b = w.backend({
    features: featureMask(VIRTIO_F.VERSION_1, VIRTIO_NET_F.STATUS, VIRTIO_NET_F.BACKUP),
  });
  const nic = w.probe(b);
  t.true(nic.standbyDisabled);
  t.is(nic.bypassMaster, null);
  t.is(nic.physPortName, null);
  t.is(nic.name, 'ens10');
  t.is(b.negotiatedFeatures & featureMask(VIRTIO_NET_F.BACKUP), 0n);
  t.true(nic.permAddr.isLocallyAdministered);
  t.is(w.registry.instances().length, 0);
});

test('BACKUP without a registry fails probe with a message naming the option', (t) => {
  const w = world();
  const b = w.backend({ backup: true });
  t.throws(() => w.probe(b, { registry: undefined as never }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /registry/,
  });
});

test('RFC v2 option: broadcast received on virtio reaches the master while the VF is active', (t) => {
  const s = setup({ multicastViaBackup: true });
  s.vf();
  s.backend.receive(0, s.frames(2, MacAddress.BROADCAST.value, 64, 40), 0, 2);
  s.backend.receive(0, s.frames(1, MAC.value, 64, 60), 0, 1);
  t.deepEqual(s.got, seq(2, 40)); // unicast on the backup stays with exact listeners
});

test('the master queue index wraps onto the virtio queue pairs in use', (t) => {
  const s = setup();
  t.is(s.nic.curQueuePairs, 2);
  s.master.xmit(s.frames(3), 0, 3, 5);
  t.is(s.backend.txPending(1), 3);
  t.is(s.nic.ethtoolStats()['tx_queue_1_packets'], 3);
  s.drainHost(s.backend);
});

test("an announce on a failover standby sends nothing (its addresses are the master's) and is acked", (t) => {
  // virtio_net.c notifies peers on the standby netdev, which holds no address under failover.
  const s = setup();
  const vf = s.vf();
  s.nic.ipv4 = 0x0a000005; // even with an address set on it
  t.true(s.backend.announce());
  t.is(s.nic.garpSent, 0);
  t.is(s.nic.announcesWithoutAddress, 1);
  t.is(s.nic.ethtoolStats()['announce_no_address'], 1);
  t.is(s.drainVf(vf).length, 0);
  t.is(s.drainHost(s.backend).length, 0);
  t.is(s.backend.announceAcks, 1);
});

test('a config MTU below 1500 keeps the standby out of the failover: the master is 1500 and the join fails', (t) => {
  // virtnet_probe sets the standby's mtu and max_mtu to the config MTU before net_failover_create;
  // the master keeps alloc_etherdev's 1500 and net_failover_slave_register's
  // dev_set_mtu(standby, 1500) fails ("unable to change mtu of ... register failed").
  const w = world();
  const reasons: string[] = [];
  w.registry.events$.subscribe((e) => reasons.push(`${e.type} ${e.reason ?? ''}`));
  const b = w.backend({ backup: true, mtu: 1400 });
  const nic = w.probe(b);
  const master = nic.bypassMaster as BypassMaster;
  t.is(master.mtu, 1500);
  t.is(master.maxMtu, 1400);
  t.is(nic.mtu, 1400);
  t.is(master.backup, null);
  t.is(nic.master, null);
  t.is(reasons.length, 1);
  t.regex(reasons[0] ?? '', /^slave-rejected register-failed/);
  // A VF still joins as active: the master runs on it alone.
  master.open();
  const vf = w.vf();
  t.is(master.active, vf);
  t.is(master.datapath, 'active');
});
