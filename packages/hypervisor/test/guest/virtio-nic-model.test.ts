import test from 'ava';
import { VirtioNicModel } from '../../src/guest/VirtioNicModel.js';
import { nicModelHarness } from '../support/nicModelHarness.js';

test('virtio-backup: the master carries TX on virtio, then on the VF once plugged, back on virtio after a surprise removal', (t) => {
  const h = nicModelHarness();
  const m = new VirtioNicModel('virtio-backup', h.ctx);
  t.true(m.acceptsVf, 'BACKUP acknowledged: the VF may be plugged');
  t.is(m.datapath(), 'backup');
  const a = h.framesFromNic(8);
  m.send(a, 0, a.length);
  t.is(h.toHostParavirt, 8);
  const { vf, fn } = h.makeVf();
  m.plugVf(vf, fn);
  t.is(m.datapath(), 'active');
  const b = h.framesFromNic(8);
  m.send(b, 0, b.length);
  t.is(vf.txPending(0), 8);
  m.removeVf(true);
  t.is(h.drops.get('vf-ring-flushed'), 8);
  t.is(m.datapath(), 'backup');
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('virtio-backup: a guest that does not acknowledge BACKUP never sees the VF', (t) => {
  const h = nicModelHarness({ guest_accepts_backup: false });
  const m = new VirtioNicModel('virtio-backup', h.ctx);
  t.false(m.acceptsVf);
  t.is(m.datapath(), 'backup');
  m.dispose();
});

test('virtio-backup: RX from the host reaches the application through the master; an orderly eject loses nothing', (t) => {
  const h = nicModelHarness();
  const m = new VirtioNicModel('virtio-backup', h.ctx);
  const rx = h.framesToNic(16);
  m.fromHostParavirt(rx, 0, rx.length);
  t.is(h.delivered, 16);
  const { vf, fn } = h.makeVf();
  m.plugVf(vf, fn);
  const r2 = h.framesToNic(16);
  vf.injectRx(0, r2, 0, r2.length);
  m.drainVfRx();
  t.is(h.delivered, 32);
  m.removeVf(false);
  t.is(h.drops.size, 0);
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('virtio: plain virtio-net never takes a VF', (t) => {
  const h = nicModelHarness();
  const m = new VirtioNicModel('virtio', h.ctx);
  t.false(m.acceptsVf);
  t.is(m.device('master'), m.virtio);
  m.dispose();
});

test('virtio-backup: after a migration only QEMU sends (a RARP per round); the guest announce on the standby sends nothing', (t) => {
  // virtio_net.c notifies peers on the standby, which holds no address under failover.
  const h = nicModelHarness();
  const m = new VirtioNicModel('virtio-backup', h.ctx);
  const before = h.toHostParavirt;
  m.announce();
  t.is(h.toHostParavirt, before + 1, 'round 1: the RARP alone');
  t.regex(h.events.find((e) => e.kind === 'announce')?.detail ?? '', /holds no address/);
  h.scheduler.advanceBy(1_000_000_000);
  t.is(h.toHostParavirt, before + 5, 'five rounds, one RARP each');
  const s = m.stats();
  t.is(s['backup_garp_sent'], 0);
  t.is(s['backup_announce_no_address'], 5);
  t.is(s['announce_acks'], 5);
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('virtio: a plain virtio NIC holds the address, so each announce round sends the RARP and a gratuitous ARP', (t) => {
  const h = nicModelHarness();
  const m = new VirtioNicModel('virtio', h.ctx);
  const before = h.toHostParavirt;
  m.announce();
  t.is(h.toHostParavirt, before + 2);
  t.regex(h.events.find((e) => e.kind === 'announce')?.detail ?? '', /gratuitous ARP/);
  h.scheduler.advanceBy(1_000_000_000);
  t.is(h.toHostParavirt, before + 10);
  t.is(m.stats()['backup_garp_sent'], 5);
  m.dispose();
  t.is(h.pool.inUse, 0);
});
