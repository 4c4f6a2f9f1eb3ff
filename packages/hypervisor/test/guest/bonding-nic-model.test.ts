import { NS_PER_MS, type VfDevice } from '@bypass/core';
import test from 'ava';
import { BondingNicModel, DEFAULT_ENSLAVE_DELAY_NS } from '../../src/guest/BondingNicModel.js';
import { nicModelHarness, type NicModelHarness } from '../support/nicModelHarness.js';

function sendBurst(h: NicModelHarness, m: BondingNicModel, n: number): void {
  const a = h.framesFromNic(n);
  m.send(a, 0, a.length);
}

/** The VF's TX ring drained by the host NIC (the world does this every tick). */
function drainVfTx(m: BondingNicModel, h: NicModelHarness): number {
  const vf = m.device('vf') as VfDevice | null;
  if (vf === null) return 0;
  const out = new Int32Array(256);
  let total = 0;
  for (let n; (n = vf.drainTx(0, out, 0, out.length)) > 0; total += n) h.pool.freeBurst(out, 0, n);
  return total;
}

function plugged(options: Parameters<typeof nicModelHarness>[0] = {}) {
  const h = nicModelHarness(options);
  const m = new BondingNicModel(h.ctx);
  const { vf, fn } = h.makeVf();
  m.plugVf(vf, fn);
  h.scheduler.advanceBy(DEFAULT_ENSLAVE_DELAY_NS);
  drainVfTx(m, h); // the failover GARP
  return { h, m, vf };
}

test('bonding: TX on virtio until the VF is enslaved after the delay, then on the VF (primary)', (t) => {
  const h = nicModelHarness();
  const m = new BondingNicModel(h.ctx);
  t.is(m.datapath(), 'backup');
  t.is(m.device('master')?.name, 'eth0');
  t.is(m.device('backup')?.name, 'eth0v');
  sendBurst(h, m, 8);
  t.is(h.toHostParavirt, 8);
  const { vf, fn } = h.makeVf();
  m.plugVf(vf, fn);
  t.is(m.datapath(), 'backup', 'registered, not yet enslaved');
  t.is(vf.name, 'eth0vf');
  // RX the host's filter already sends to the VF is lost while it is down and not enslaved.
  const early = h.framesToNic(4);
  vf.injectRx(0, early, 0, early.length);
  t.is(h.drops.get('dev-down'), 4);
  h.scheduler.advanceBy(DEFAULT_ENSLAVE_DELAY_NS - NS_PER_MS);
  t.is(m.datapath(), 'backup');
  h.scheduler.advanceBy(NS_PER_MS);
  t.is(m.datapath(), 'active');
  t.true(h.events.some((e) => e.kind === 'vf-enslave'));
  t.is(m.stats()['bond_garps'], 1, 'num_grat_arp = 1 on failover');
  t.is(drainVfTx(m, h), 1, 'the GARP went out on the VF');
  sendBurst(h, m, 8);
  t.is(drainVfTx(m, h), 8);
  t.is(h.toHostParavirt, 8);
  const rx = h.framesToNic(5);
  vf.injectRx(0, rx, 0, rx.length);
  m.service(0);
  t.is(h.delivered, 5);
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('bonding: frames on the inactive slave are not delivered (active-backup exact match)', (t) => {
  const { h, m } = plugged();
  const rx = h.framesToNic(6);
  m.fromHostParavirt(rx, 0, rx.length);
  t.is(h.delivered, 0);
  t.is(h.drops.get('rx-nohandler'), 6);
  m.dispose();
  t.is(h.pool.inUse, 0);
});

/** Carrier loss on the VF at 1 ms past a miimon round, 1 frame per ms until the bond fails over. */
function carrierLoss(miimonMs: number): { lost: number; failedOverAfterMs: number } {
  const { h, m } = plugged({ miimon: miimonMs * NS_PER_MS });
  // align: advance to just after a monitor round
  h.scheduler.advanceBy(
    miimonMs * NS_PER_MS - (h.scheduler.now() % (miimonMs * NS_PER_MS)) + NS_PER_MS,
  );
  m.setLink('vf', false);
  let ms = 0;
  while (m.datapath() === 'active' && ms < 10_000) {
    sendBurst(h, m, 1);
    h.scheduler.advanceBy(NS_PER_MS);
    ms++;
  }
  const lost = h.drops.get('no-carrier') ?? 0;
  const vfDropped = m.stats()['vf_tx_dropped'];
  m.dispose();
  if (h.pool.inUse !== 0 || vfDropped !== lost) throw new Error('leak or miscount');
  return { lost, failedOverAfterMs: ms };
}

test('bonding: VF carrier loss loses TX until miimon notices, in proportion to miimon', (t) => {
  const slow = carrierLoss(100);
  const fast = carrierLoss(10);
  t.true(slow.lost > 0);
  t.true(fast.lost > 0);
  t.true(slow.failedOverAfterMs <= 100);
  t.true(fast.failedOverAfterMs <= 10);
  t.true(slow.lost >= 5 * fast.lost, `${slow.lost} vs ${fast.lost}`);
});

test('bonding: after carrier loss TX goes on virtio with a GARP; the VF is back as active when its link returns', (t) => {
  const { h, m } = plugged();
  m.setLink('vf', false);
  h.scheduler.advanceBy(100 * NS_PER_MS);
  t.is(m.datapath(), 'backup');
  t.is(m.stats()['bond_failovers'], 2, 'virtio -> VF at enslave, VF -> virtio now');
  t.is(m.stats()['bond_garps'], 2);
  const before = h.toHostParavirt;
  sendBurst(h, m, 3);
  t.is(h.toHostParavirt, before + 3);
  m.setLink('vf', true);
  h.scheduler.advanceBy(100 * NS_PER_MS);
  t.is(m.datapath(), 'active');
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('bonding: a surprise hot-unplug fails over at once; what was in the VF rings is lost and named', (t) => {
  const { h, m, vf } = plugged();
  sendBurst(h, m, 7);
  t.is(vf.txPending(0), 7);
  const failovers = m.stats()['bond_failovers'] ?? 0;
  const garps = m.stats()['bond_garps'] ?? 0;
  const seen = h.events.length;
  m.removeVf(true);
  t.is(m.datapath(), 'backup', 'released on unregister, no miimon wait');
  // bond_main.c __bond_release_one: to none (no failover notification, no GARP), then reselect
  t.deepEqual(
    h.events
      .slice(seen)
      .filter((e) => e.kind === 'bond-active')
      .map((e) => e.detail),
    ['eth0vf -> none', 'none -> eth0v'],
  );
  t.is(m.stats()['bond_failovers'], failovers + 1);
  t.is(m.stats()['bond_garps'], garps + 1);
  t.is(h.drops.get('vf-ring-flushed'), 7);
  t.is(m.device('vf'), null);
  const before = h.toHostParavirt;
  sendBurst(h, m, 4);
  t.true(h.toHostParavirt >= before + 4);
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('bonding: removing the VF before the enslave delay cancels the enslavement', (t) => {
  const h = nicModelHarness();
  const m = new BondingNicModel(h.ctx, { enslaveDelay: 50 * NS_PER_MS });
  const { vf, fn } = h.makeVf();
  m.plugVf(vf, fn);
  m.removeVf(false);
  h.scheduler.advanceBy(100 * NS_PER_MS);
  t.is(m.datapath(), 'backup');
  t.false(h.events.some((e) => e.kind === 'vf-enslave'));
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('bonding: after a migration QEMU sends its RARP; the guest announce on the virtio slave sends nothing (no address)', (t) => {
  const h = nicModelHarness();
  const m = new BondingNicModel(h.ctx);
  const before = h.toHostParavirt;
  m.announce();
  const e = h.events.find((x) => x.kind === 'announce');
  t.regex(e?.detail ?? '', /holds no address/);
  t.is(h.toHostParavirt, before + 1, 'the RARP alone went out on the paravirtual path');
  m.dispose();
  t.is(h.pool.inUse, 0);
});
