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
