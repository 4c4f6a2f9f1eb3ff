import test from 'ava';
import { NS_PER_MS, NS_PER_S, type VfDevice } from '@bypass/core';
import { NetvscNicModel } from '../../src/guest/NetvscNicModel.js';
import { nicModelHarness, type NicModelHarness } from '../support/nicModelHarness.js';

/** A netvsc model with the VMBus bring-up done. */
function probed(h: NicModelHarness): NetvscNicModel {
  const m = new NetvscNicModel(h.ctx);
  h.scheduler.advanceBy(NS_PER_MS);
  if (m.dev === null) throw new Error('netvsc probe did not complete within 1 ms');
  return m;
}

/** Probed, a VF plugged and taken over (100 ms) with the datapath switched. */
function onVf(h: NicModelHarness): { m: NetvscNicModel; vf: VfDevice } {
  const m = probed(h);
  const { vf, fn } = h.makeVf();
  m.plugVf(vf, fn);
  h.scheduler.advanceBy(101 * NS_PER_MS);
  return { m, vf };
}

/** The host NIC takes what the VF queued for the wire; returns how many. */
function vfWire(h: NicModelHarness, vf: VfDevice): number {
  const out = new Int32Array(256);
  let total = 0;
  for (let q = 0; q < vf.numTxQueues; q++)
    for (let n; (n = vf.drainTx(q, out, 0, out.length)) > 0; total += n)
      h.pool.freeBurst(out, 0, n);
  return total;
}

test('netvsc: before the VMBus probe completes nothing is usable and every frame is dropped with a name', (t) => {
  const h = nicModelHarness();
  const m = new NetvscNicModel(h.ctx);
  t.is(m.datapath(), 'none');
  t.true(m.acceptsVf, 'Hyper-V may offer the VF before the bring-up completed');
  t.is(m.device('master'), null);
  const tx = h.framesFromNic(4);
  m.send(tx, 0, tx.length);
  const rx = h.framesToNic(3);
  m.fromHostParavirt(rx, 0, rx.length);
  t.is(h.drops.get('no-device'), 4);
  t.is(
    h.drops.get('dev-down'),
    3,
    'the host indicates nothing before the guest set a packet filter',
  );
  t.is(h.pool.inUse, 0);
  h.scheduler.advanceBy(NS_PER_MS);
  t.not(m.dev, null);
  m.dispose();
  t.false(m.acceptsVf);
});

test('netvsc: the probe registers the netvsc netdev; RX over VMBus reaches the application, TX reaches the host', (t) => {
  const h = nicModelHarness();
  const m = probed(h);
  const dev = m.dev;
  t.is(h.ns.getByName('eth0'), dev ?? undefined);
  t.is(m.device('master'), dev, '2-netdev model: netvsc is the master');
  t.is(m.device('backup'), dev, '... and the synthetic (backup) device too');
  t.is(m.datapath(), 'backup');
  t.true(h.events.some((e) => e.kind === 'features-negotiated'));
  const tx = h.framesFromNic(8);
  m.send(tx, 0, tx.length);
  const rx = h.framesToNic(16);
  m.fromHostParavirt(rx, 0, rx.length);
  h.scheduler.advanceBy(NS_PER_MS);
  t.is(h.toHostParavirt, 8);
  t.is(h.delivered, 16);
  const s = m.stats();
  t.is(s['tx_packets'], 8);
  t.is(s['rx_packets'], 16);
  t.is(s['host_from_guest_frames'], 8);
  t.is(s['host_to_guest_frames'], 16);
  t.is(h.drops.size, 0);
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('netvsc: after plugVf and the 100 ms takeover, TX goes on the VF and host RX to the VF wire', (t) => {
  const h = nicModelHarness();
  const m = probed(h);
  const { vf, fn } = h.makeVf();
  m.plugVf(vf, fn);
  t.is(vf.name, 'enP0s1', 'the VF netdev is named after its slot serial');
  t.is(vf.master, m.dev, 'netvsc enslaved it');
  h.scheduler.advanceBy(99 * NS_PER_MS);
  t.is(m.datapath(), 'backup', 'not before the takeover');
  const early = h.framesToNic(4);
  m.fromHostParavirt(early, 0, early.length);
  h.scheduler.advanceBy(2 * NS_PER_MS);
  t.is(m.datapath(), 'active');
  t.true(m.side.onVf, 'the host completed SWITCH_DATA_PATH');
  t.is(m.device('vf'), vf);
  const tx = h.framesFromNic(8);
  m.send(tx, 0, tx.length);
  t.is(vfWire(h, vf), 8);
  const rx = h.framesToNic(6);
  m.fromHostParavirt(rx, 0, rx.length);
  t.is(h.toGuestVf, 6, 'host RX on the VF wire after the switch');
  const wire = h.framesToNic(5);
  vf.injectRx(0, wire, 0, wire.length);
  m.service(0);
  t.is(h.delivered, 4 + 5);
  const s = m.stats();
  t.is(s['vf_tx_packets'], 8);
  t.is(s['vf_rx_packets'], 5);
  t.is(s['host_to_vf_frames'], 6);
  t.is(s['datapath_switches'], 1);
  t.is(h.drops.size, 0);
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('netvsc: prepareVfRemoval moves host RX back to VMBus before the eject; an orderly removal loses nothing', (t) => {
  const h = nicModelHarness();
  const { m, vf } = onVf(h);
  const inFlight = h.framesToNic(4);
  vf.injectRx(0, inFlight, 0, inFlight.length); // already on the VF when the host decides
  m.prepareVfRemoval();
  t.false(m.side.onVf, 'host RX is synthetic at once');
  t.true(h.events.some((e) => e.kind === 'vf-association' && e.detail?.includes('removed')));
  const rx = h.framesToNic(8);
  m.fromHostParavirt(rx, 0, rx.length);
  h.scheduler.advanceBy(NS_PER_MS);
  t.is(h.toGuestVf, 0);
  t.is(h.delivered, 8, 'over VMBus');
  // Linux only records the withdrawal (netvsc_send_vf): TX stays on the working VF until the eject.
  t.is(m.datapath(), 'active');
  const tx = h.framesFromNic(8);
  m.send(tx, 0, tx.length);
  m.drainVfRx();
  t.is(h.delivered, 12);
  t.is(vfWire(h, vf), 8);
  m.removeVf(false);
  t.is(m.datapath(), 'backup', 'synthetic once the VF goes down');
  const after = h.framesFromNic(8);
  m.send(after, 0, after.length);
  h.scheduler.advanceBy(NS_PER_MS);
  t.is(h.toHostParavirt, 8);
  t.is(h.drops.size, 0, 'nothing lost');
  t.is(m.device('vf'), null);
  t.is(h.bus.get(vf.parent?.id ?? ''), undefined, 'the PCI function is gone');
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('netvsc: a surprise removal loses at most the VF ring contents', (t) => {
  const h = nicModelHarness();
  const { m, vf } = onVf(h);
  const tx = h.framesFromNic(8);
  m.send(tx, 0, tx.length); // in the VF's TX ring
  const rx = h.framesToNic(4);
  vf.injectRx(0, rx, 0, rx.length); // received, not polled yet
  m.removeVf(true);
  t.deepEqual([...h.drops], [['vf-ring-flushed', 12]]);
  t.is(m.datapath(), 'backup');
  t.false(m.side.onVf);
  const tx2 = h.framesFromNic(8);
  m.send(tx2, 0, tx2.length);
  const rx2 = h.framesToNic(8);
  m.fromHostParavirt(rx2, 0, rx2.length);
  h.scheduler.advanceBy(NS_PER_MS);
  t.is(h.toHostParavirt, 8);
  t.is(h.delivered, 8);
  t.is(h.toGuestVf, 0);
  t.deepEqual([...h.drops], [['vf-ring-flushed', 12]]);
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('netvsc: a VF plugged while the probe runs is associated once the guest is up', (t) => {
  const h = nicModelHarness();
  const m = new NetvscNicModel(h.ctx);
  const { vf, fn } = h.makeVf();
  m.plugVf(vf, fn);
  h.scheduler.advanceBy(NS_PER_MS);
  t.not(m.dev, null);
  t.is(vf.master, m.dev, 'the registry paired the VF already present');
  h.scheduler.advanceBy(101 * NS_PER_MS);
  t.is(m.datapath(), 'active');
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('netvsc: link steps: the VF carrier, and the host media indications (rate-limited by netvsc)', (t) => {
  const h = nicModelHarness();
  const { m } = onVf(h);
  t.true(m.setLink('vf', false));
  t.is(m.datapath(), 'backup', 'TX needs the VF carrier');
  t.true(m.setLink('vf', true));
  t.is(m.datapath(), 'active');
  t.true(m.setLink('master', false));
  h.scheduler.advanceBy(NS_PER_MS);
  t.false(m.dev?.carrier);
  t.true(m.setLink('backup', true));
  h.scheduler.advanceBy(3 * NS_PER_S);
  t.true(m.dev?.carrier);
  t.false(m.setLink('nonexistent', false));
  m.dispose();
  t.false(m.setLink('master', true), 'no host link once disposed');
});

test('netvsc: announce is the host MEDIA_CONNECT; netvsc, up, answers with one gratuitous ARP through the synthetic path', (t) => {
  const h = nicModelHarness();
  const m = probed(h);
  m.announce();
  t.is(h.toHostParavirt, 0, 'the indication crosses VMBus first');
  h.scheduler.advanceBy(NS_PER_MS);
  t.is(h.toHostParavirt, 1);
  t.regex(h.events.find((e) => e.kind === 'announce')?.detail ?? '', /RNDIS MEDIA_CONNECT/);
  t.is(m.stats()['garp_frames'], 1);
  // netvsc_link_change: a second connect within LINKCHANGE_INT (2 s) waits for it.
  m.announce();
  h.scheduler.advanceBy(NS_PER_MS);
  t.is(m.stats()['garp_frames'], 1);
  h.scheduler.advanceBy(2000 * NS_PER_MS);
  t.is(m.stats()['garp_frames'], 2);
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('netvsc: dispose leaves no timer and no frame behind (mid-probe, and with a switch in flight)', (t) => {
  const h = nicModelHarness();
  const baseline = h.scheduler.pending;
  const early = new NetvscNicModel(h.ctx);
  h.scheduler.advanceBy(50_000);
  early.dispose();
  h.scheduler.advanceBy(NS_PER_MS);
  t.is(early.dev, null);
  t.is(h.scheduler.pending, baseline);
  t.is(h.ns.getByName('eth0'), undefined);

  const h2 = nicModelHarness();
  const m = probed(h2);
  const { vf, fn } = h2.makeVf();
  m.plugVf(vf, fn);
  h2.scheduler.advanceBy(100 * NS_PER_MS); // the takeover fires, the switch request is in flight
  const tx = h2.framesFromNic(4);
  m.send(tx, 0, tx.length);
  m.dispose();
  m.send(h2.framesFromNic(2), 0, 2);
  m.fromHostParavirt(h2.framesToNic(2), 0, 2);
  h2.scheduler.advanceBy(NS_PER_MS);
  t.is(h2.scheduler.pending, 0);
  t.is(h2.pool.inUse, 0);
  t.is(h2.ns.size, 0, 'netvsc and its VF are unregistered');
  for (const name of h2.drops.keys()) t.notRegex(name, /^unknown/);
});

test('netvsc: ringFrames sees the frames on the VMBus rings (not pool slots) without taking them', (t) => {
  const h = nicModelHarness();
  const m = probed(h);
  const tx = h.framesFromNic(8);
  m.send(tx, 0, tx.length);
  const rx = h.framesToNic(5);
  m.fromHostParavirt(rx, 0, rx.length);
  t.is(h.pool.inUse, 0, 'copied into the rings');
  const lengths: number[] = [];
  t.is(
    m.ringFrames((f) => lengths.push(h.pool.length[f] as number)),
    13,
  );
  t.deepEqual(lengths, new Array<number>(13).fill(64));
  t.is(h.pool.inUse, 0);
  h.scheduler.advanceBy(NS_PER_MS);
  t.is(h.toHostParavirt, 8, 'still there for the host');
  t.is(h.delivered, 5, 'and for the guest');
  t.is(
    m.ringFrames(() => {}),
    0,
  );
  m.dispose();
});
