import { NS_PER_MS, type VfDevice } from '@bypass/core';
import { VDEV_NETVSC_PROBE_MS } from '@bypass/netvsc';
import test from 'ava';
import { VfPmdPort } from '@bypass/netvsc';
import { FailsafeNicModel } from '../../src/guest/FailsafeNicModel.js';
import { nicModelHarness, type NicModelHarness } from '../support/nicModelHarness.js';

function send(h: NicModelHarness, m: FailsafeNicModel, n: number): void {
  const a = h.framesFromNic(n);
  m.send(a, 0, a.length);
}

function drainVfTx(h: NicModelHarness, vf: VfDevice): number {
  const out = new Int32Array(256);
  let total = 0;
  for (let n; (n = vf.drainTx(0, out, 0, out.length)) > 0; total += n) h.pool.freeBurst(out, 0, n);
  return total;
}

/** A fail-safe NIC with netvsc probed and the fail-safe port started on the TAP. */
function booted(pollMs = 2000): { h: NicModelHarness; m: FailsafeNicModel } {
  const h = nicModelHarness({ hotplug_poll: pollMs * NS_PER_MS });
  const m = new FailsafeNicModel(h.ctx);
  h.scheduler.advanceBy(NS_PER_MS);
  return { h, m };
}

/** Plugs a VF and advances 1 ms at a time until the fail-safe transmits on it; returns the ms. */
function plugAndWait(h: NicModelHarness, m: FailsafeNicModel): { vf: VfDevice; ms: number } {
  const { vf, fn } = h.makeVf();
  m.plugVf(vf, fn);
  let ms = 0;
  while (m.datapath() !== 'active' && ms < 20_000) {
    h.scheduler.advanceBy(NS_PER_MS);
    ms++;
  }
  return { vf, ms };
}

test('failsafe: vdev_netvsc creates the fail-safe port over the TAP with the hotplug_poll devarg', (t) => {
  const h = nicModelHarness({ hotplug_poll: 500 * NS_PER_MS });
  const m = new FailsafeNicModel(h.ctx);
  t.is(m.datapath(), 'none', 'netvsc still probing');
  send(h, m, 2);
  t.is(h.drops.get('failsafe-not-ready'), 2);
  h.scheduler.advanceBy(NS_PER_MS);
  t.not(m.port, null);
  t.is(m.port?.name, 'net_failsafe_vsc0');
  t.is(m.port?.hotplugPollMs, 500);
  t.is(m.datapath(), 'backup');
  t.is(m.device('master')?.name, 'eth0');
  send(h, m, 8);
  h.scheduler.advanceBy(NS_PER_MS);
  t.is(h.toHostParavirt, 8, 'TAP -> kernel netvsc -> VMBus -> host');
  const rx = h.framesToNic(6);
  m.fromHostParavirt(rx, 0, rx.length);
  h.scheduler.advanceBy(NS_PER_MS);
  m.service(0);
  t.is(h.delivered, 6, 'host -> netvsc -> TAP -> fail-safe -> application');
  m.dispose();
  h.scheduler.advanceBy(10 * NS_PER_MS);
  t.is(h.pool.inUse, 0);
  t.is(h.scheduler.pending, 0, 'no timer left');
});

test('failsafe: a plugged VF carries TX after at most 1 s + hotplug_poll; a shorter poll gets there sooner', (t) => {
  const slow = booted(2000);
  const a = plugAndWait(slow.h, slow.m);
  const fast = booted(200);
  const b = plugAndWait(fast.h, fast.m);
  t.true(a.ms <= VDEV_NETVSC_PROBE_MS + 2000, `${a.ms} ms`);
  t.true(b.ms <= VDEV_NETVSC_PROBE_MS + 200, `${b.ms} ms`);
  t.true(b.ms < a.ms);
  send(slow.h, slow.m, 5);
  t.is(drainVfTx(slow.h, a.vf), 5, 'TX on the VF PMD');
  for (const { h, m } of [slow, fast]) {
    m.dispose();
    t.is(h.pool.inUse, 0);
  }
});

test('failsafe: the kernel netvsc switches the data path to the VF; RX reaches the app the kernel way, then through the PMD', (t) => {
  const { h, m } = booted(2000);
  const { vf, fn } = h.makeVf();
  m.plugVf(vf, fn);
  h.scheduler.advanceBy(150 * NS_PER_MS); // takeover (100 ms) + switch round trip
  t.is(m.host.dataPath, 'vf');
  t.is(m.datapath(), 'backup', 'the fail-safe has not noticed the VF yet');
  const early = h.framesToNic(4);
  vf.injectRx(0, early, 0, early.length); // the world puts host RX on the VF wire
  m.service(0);
  t.is(h.delivered, 4, 'kernel VF -> netvsc -> TAP: nothing lost before the PMD runs');
  t.is(m.stats()['kernel_vf_rx'], 4);
  h.scheduler.advanceBy(3000 * NS_PER_MS);
  t.is(m.datapath(), 'active');
  const late = h.framesToNic(5);
  vf.injectRx(0, late, 0, late.length);
  m.service(0);
  t.is(h.delivered, 9);
  t.is(m.stats()['kernel_vf_rx'], 4, 'the PMD took these, not the kernel');
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('failsafe: a surprise removal moves TX to the TAP at once (RMV); what was in the VF ring is lost and named', (t) => {
  const { h, m } = booted(2000);
  const { vf } = plugAndWait(h, m);
  send(h, m, 7);
  t.is(vf.txPending(0), 7);
  m.removeVf(true);
  t.is(h.drops.get('vf-ring-flushed'), 7);
  t.is(m.datapath(), 'backup', 'intr_rmv switched TX before the next upkeep');
  const before = h.toHostParavirt;
  send(h, m, 4);
  h.scheduler.advanceBy(NS_PER_MS);
  t.is(h.toHostParavirt - before, 4, 'on the TAP, nothing refused');
  t.is(h.drops.get('failsafe-tx-refused'), undefined);
  t.is(m.host.dataPath, 'synthetic', 'netvsc switched host RX back');
  h.scheduler.advanceBy(2000 * NS_PER_MS); // the upkeep completes the removal
  t.is(m.port?.subDevices[0]?.port, null);
  // plugged back: noticed again
  const again = plugAndWait(h, m);
  t.true(again.ms <= VDEV_NETVSC_PROBE_MS + 2000);
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('failsafe: VF carrier loss is not a failover: TX stays on the VF, whose PMD still takes it, and the VF loses it as no-carrier (never on the wire)', (t) => {
  const { h, m } = booted(100);
  const { vf } = plugAndWait(h, m);
  m.setLink('vf', false);
  send(h, m, 6);
  t.is(m.datapath(), 'active');
  t.is(h.drops.get('no-carrier'), 6, 'mlx4/mlx5 tx_burst post whatever the link');
  t.is(vf.txPending(0), 0, 'nothing waits for the host NIC');
  t.is(h.drops.get('failsafe-tx-refused'), undefined);
  t.is(m.stats()['tx_refused'], 0);
  m.setLink('vf', true);
  send(h, m, 3);
  t.is(vf.txPending(0), 3);
  t.is(h.drops.get('no-carrier'), 6);
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('failsafe: an orderly removal after the host withdrew the association loses nothing', (t) => {
  const { h, m } = booted(2000);
  const { vf } = plugAndWait(h, m);
  m.prepareVfRemoval();
  t.is(m.host.dataPath, 'synthetic');
  send(h, m, 5);
  t.is(drainVfTx(h, vf), 5); // the world pumps the VF's ring before the eject
  m.drainVfRx();
  m.removeVf(false);
  t.is(m.datapath(), 'backup');
  t.is(h.drops.size, 0);
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('failsafe: announce after a migration is the host MEDIA_CONNECT, which the kernel netvsc answers with one gratuitous ARP (no carrier bounce)', (t) => {
  const { h, m } = booted(2000);
  const before = h.toHostParavirt;
  m.announce();
  h.scheduler.advanceBy(NS_PER_MS);
  t.true(m.netvsc?.carrier ?? false, 'the carrier stays up');
  t.is(h.toHostParavirt, before + 1, 'one gratuitous ARP on the synthetic path');
  t.true(h.events.some((e) => e.kind === 'announce' && (e.detail ?? '').includes('MEDIA_CONNECT')));
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('failsafe: a VF plugged before netvsc finished probing is associated when it has; the data path switches to it', (t) => {
  const h = nicModelHarness({ hotplug_poll: 2000 * NS_PER_MS });
  const m = new FailsafeNicModel(h.ctx);
  const { vf, fn } = h.makeVf();
  m.plugVf(vf, fn); // the host offers the VF while the guest still runs the NVSP handshake
  h.scheduler.advanceBy(150 * NS_PER_MS); // probe, association, takeover (100 ms), switch
  t.is(m.host.dataPath, 'vf', 'netvsc got the association and switched');
  t.false(h.events.some((e) => (e.detail ?? '').includes('Waiting for the VF association')));
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('failsafe: a VF plugged while the fail-safe still holds the removed VF port takes RX the kernel way at line rate', (t) => {
  const { h, m } = booted(2000);
  const first = plugAndWait(h, m); // right after an upkeep: the next one is ~2 s away
  m.prepareVfRemoval();
  m.drainVfRx();
  m.removeVf(false);
  t.is(m.port?.subDevices[0]?.port?.started, true, 'the detach waits for the next upkeep');
  const { vf, fn } = h.makeVf(1);
  t.not(vf, first.vf);
  m.plugVf(vf, fn);
  h.scheduler.advanceBy(150 * NS_PER_MS); // takeover + switch: host RX on the new VF
  t.is(m.host.dataPath, 'vf');
  t.is(m.datapath(), 'backup');
  // 100 kpps in 50 us ticks: 5 frames per tick, 400 ticks (more than the 256-slot VF ring).
  for (let i = 0; i < 400; i++) {
    const rx = h.framesToNic(5);
    vf.injectRx(0, rx, 0, rx.length);
    h.scheduler.advanceBy(50_000);
    m.service(0);
  }
  t.is(h.delivered, 2000, 'kernel VF -> netvsc -> TAP -> fail-safe: nothing left in the VF ring');
  t.is(h.drops.get('ring-full'), undefined);
  t.is(m.stats()['kernel_vf_rx'], 2000);
  t.is(vf.rxPending(0), 0);
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('failsafe: vdev_netvsc failing to create the port is reported with its DPDK log message', (t) => {
  const h = nicModelHarness({ hotplug_poll: 500 * NS_PER_MS });
  const m = new FailsafeNicModel(h.ctx);
  m.ethdevs.probe('net_failsafe_vsc0,dev(net_tap_other)'); // the name vdev_netvsc generates is taken
  h.scheduler.advanceBy(NS_PER_MS);
  t.is(m.port, null);
  const failed = h.events.find((e) => e.kind === 'failsafe-failed');
  t.regex(failed?.detail ?? '', /net_failsafe_vsc0/);
  t.true(
    m.log.some((l) => l.startsWith('error: net_vdev_netvsc: cannot create "net_failsafe_vsc0"')),
  );
  m.dispose();
});

test('failsafe: the VF PMD port hears a VF link change as an interrupt, and keeps its link until link_get when configured without lsc', (t) => {
  const { h, m } = booted(200);
  const { vf } = plugAndWait(h, m);
  const port = m.ethdevs.ports().find((p) => p instanceof VfPmdPort);
  if (!(port instanceof VfPmdPort)) return t.fail('no VF PMD port');
  t.false(port.devConf.lsc, 'the fail-safe configures its VF sub-device without lsc');
  t.true(port.storedLink.status);
  t.true(m.setLink('vf', false));
  // mlx4 without intr_conf.lsc: no handler; traffic does not read the link either
  send(h, m, 3);
  h.scheduler.advanceBy(NS_PER_MS);
  drainVfTx(h, vf);
  t.true(port.storedLink.status, 'recorded link unchanged until link_get');
  t.false(port.linkGet().status, 'link_get reads the VF down');
  // the same port configured with lsc handles the interrupt at once, with no traffic
  const events: string[] = [];
  port.stop();
  port.configure(1, 1, { lsc: true, rmv: true });
  port.on('intr_lsc', () => events.push('lsc'));
  t.true(m.setLink('vf', true));
  t.deepEqual(events, ['lsc']);
  t.true(port.storedLink.status);
  m.dispose();
});
