import test from 'ava';
import { NS_PER_MS, NS_PER_S, NS_PER_US, type VfDevice } from '@bypass/core';
import { ETH_OFFLOAD, VfPmdPort } from '@bypass/netvsc';
import { NetvscPmdNicModel } from '../../src/guest/NetvscPmdNicModel.js';
import type { NicOptions } from '../../src/scenario/Scenario.js';
import { nicModelHarness, type NicModelHarness } from '../support/nicModelHarness.js';

/** A netvsc-pmd model whose port is probed and started. */
function started(h: NicModelHarness): NetvscPmdNicModel {
  const m = new NetvscPmdNicModel(h.ctx);
  h.scheduler.advanceBy(NS_PER_MS);
  if (m.port === null) throw new Error('netvsc PMD probe did not complete within 1 ms');
  return m;
}

/** Lets time pass in steps of `stepNs`, the application polling after each. */
function run(h: NicModelHarness, m: NetvscPmdNicModel, ns: number, stepNs = NS_PER_MS): void {
  for (let t = 0; t < ns; t += stepNs) {
    h.scheduler.advanceBy(stepNs);
    m.service(h.scheduler.now());
  }
}

/** Started, a VF plugged, hot-added by the PMD (1 s) and switched. */
function onVf(h: NicModelHarness): { m: NetvscPmdNicModel; vf: VfDevice } {
  const m = started(h);
  const { vf, fn } = h.makeVf();
  m.plugVf(vf, fn);
  run(h, m, 1010 * NS_PER_MS);
  return { m, vf };
}

function vfWire(h: NicModelHarness, vf: VfDevice): number {
  const out = new Int32Array(256);
  let total = 0;
  for (let n; (n = vf.drainTx(0, out, 0, out.length)) > 0; total += n) h.pool.freeBurst(out, 0, n);
  return total;
}

test('netvsc-pmd: the devargs come from the NIC options; nothing is usable before the port is started', (t) => {
  const h = nicModelHarness({ latency: 20 * NS_PER_US, tx_copybreak: 0 } as Partial<NicOptions>);
  const m = new NetvscPmdNicModel(h.ctx);
  t.is(m.datapath(), 'none');
  t.true(m.acceptsVf, 'Hyper-V may offer the VF before the port started');
  m.send(h.framesFromNic(4), 0, 4);
  m.fromHostParavirt(h.framesToNic(3), 0, 3);
  t.is(h.drops.get('no-device'), 4);
  t.is(h.drops.get('dev-down'), 3);
  h.scheduler.advanceBy(NS_PER_MS);
  const port = m.port;
  if (port === null) return t.fail('not probed');
  t.true(port.started);
  t.is(port.args.latencyUs, 20);
  t.is(port.args.txCopybreak, 0);
  t.is(
    port.devConf.rxOffloads,
    ETH_OFFLOAD.VLAN_STRIP,
    'tags stay in metadata for the guest stack',
  );
  t.is(m.datapath(), 'backup');
  t.is(m.device('master'), null, 'a DPDK port is no netdev');
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('netvsc-pmd: RX over VMBus reaches the application through its polling; TX reaches the host', (t) => {
  const h = nicModelHarness();
  const m = started(h);
  const tx = h.framesFromNic(8);
  m.send(tx, 0, tx.length);
  const rx = h.framesToNic(16);
  m.fromHostParavirt(rx, 0, rx.length);
  h.scheduler.advanceBy(NS_PER_MS);
  t.is(h.toHostParavirt, 8);
  t.is(h.delivered, 0, 'no interrupts: the frames wait for the poll');
  t.is(
    m.ringFrames(() => {}),
    16,
    'in the VMBus ring until then',
  );
  m.service(h.scheduler.now());
  t.is(h.delivered, 16);
  t.is(
    m.ringFrames(() => {}),
    0,
  );
  const s = m.stats();
  t.is(s['tx_packets'], 8);
  t.is(s['rx_packets'], 16);
  t.is(s['pmd_tx_copied'], 8, 'short frames are copied (tx_copybreak 512)');
  t.is(h.drops.size, 0);
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('netvsc-pmd: a plugged VF is hot-added by the PMD after 1 s, then TX goes on it and host RX to the VF wire', (t) => {
  const h = nicModelHarness();
  const m = started(h);
  const { vf, fn } = h.makeVf();
  m.plugVf(vf, fn);
  t.false(vf.registered, 'bound to the PMD, not a kernel netdev');
  run(h, m, 990 * NS_PER_MS);
  t.is(m.datapath(), 'backup', 'the hot-add retries after 1 s');
  run(h, m, 20 * NS_PER_MS);
  t.is(m.datapath(), 'active');
  t.true(m.side.onVf, 'the host took the switch');
  const tx = h.framesFromNic(8);
  m.send(tx, 0, tx.length);
  t.is(vfWire(h, vf), 8);
  const rx = h.framesToNic(6);
  m.fromHostParavirt(rx, 0, rx.length);
  t.is(h.toGuestVf, 6);
  const wire = h.framesToNic(5);
  vf.injectRx(0, wire, 0, wire.length);
  m.service(h.scheduler.now());
  t.is(h.delivered, 5);
  const s = m.stats();
  t.is(s['vf_tx_packets'], 8);
  t.is(s['vf_rx_packets'], 5);
  t.is(s['pmd_datapath_switches'], 1);
  t.is(h.drops.size, 0);
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('netvsc-pmd: prepareVfRemoval switches back to synthetic at the next poll, before the removal; nothing lost', (t) => {
  const h = nicModelHarness();
  const { m, vf } = onVf(h);
  const inFlight = h.framesToNic(4);
  vf.injectRx(0, inFlight, 0, inFlight.length);
  m.prepareVfRemoval();
  t.false(m.side.onVf, 'host RX is synthetic at once');
  const rx = h.framesToNic(8);
  m.fromHostParavirt(rx, 0, rx.length);
  t.is(h.toGuestVf, 0);
  m.service(h.scheduler.now()); // reads the VF one last time, and the withdrawal
  t.is(m.datapath(), 'backup', 'the PMD switched to synthetic (hn_vf_remove_unlocked)');
  t.is(h.delivered, 12);
  const tx = h.framesFromNic(8);
  m.send(tx, 0, tx.length);
  h.scheduler.advanceBy(NS_PER_MS);
  t.is(h.toHostParavirt, 8, 'TX on VMBus before the VF goes');
  t.is(vfWire(h, vf), 0);
  m.drainVfRx();
  m.removeVf(false);
  run(h, m, NS_PER_MS);
  t.is(m.port?.vfPort, null, 'the VF port was closed');
  t.is(h.drops.size, 0, 'nothing lost');
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('netvsc-pmd: a surprise removal loses at most the VF ring contents; the next burst goes synthetic', (t) => {
  const h = nicModelHarness();
  const { m, vf } = onVf(h);
  const tx = h.framesFromNic(8);
  m.send(tx, 0, tx.length); // in the VF's TX ring
  const rx = h.framesToNic(4);
  vf.injectRx(0, rx, 0, rx.length);
  m.removeVf(true);
  t.deepEqual([...h.drops], [['vf-ring-flushed', 12]]);
  // The host withdrew the association with the removal: the next burst reads it and goes synthetic.
  const tx2 = h.framesFromNic(8);
  m.send(tx2, 0, tx2.length);
  t.is(m.stats()['app_tx_backlog'], 0);
  t.is(m.datapath(), 'backup');
  const rx2 = h.framesToNic(8);
  m.fromHostParavirt(rx2, 0, rx2.length);
  t.is(h.toGuestVf, 0, 'the host moved RX to VMBus when it took the VF');
  run(h, m, NS_PER_MS, 10 * NS_PER_US);
  t.is(m.port?.vfPort, null, 'the VF port was closed (intr_rmv, 1 us alarm)');
  t.is(h.toHostParavirt, 8);
  t.is(h.delivered, 8);
  t.deepEqual([...h.drops], [['vf-ring-flushed', 12]]);
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('netvsc-pmd: a VF plugged before the port started is probed at start and used once associated', (t) => {
  const h = nicModelHarness();
  const m = new NetvscPmdNicModel(h.ctx);
  const { vf, fn } = h.makeVf();
  m.plugVf(vf, fn);
  h.scheduler.advanceBy(NS_PER_MS);
  t.not(m.port, null);
  run(h, m, NS_PER_MS);
  t.is(m.datapath(), 'active');
  t.is(m.port?.vfPort?.name, fn.pci?.address);
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('netvsc-pmd: frames the port cannot take wait in the app, then are dropped as ring-full; none leaked', (t) => {
  const h = nicModelHarness();
  const m = started(h);
  m.side.host.pause(); // a busy host stops reading the ring: TX descriptors and ring fill up
  let sent = 0;
  for (let i = 0; i < 100; i++) {
    const tx = h.framesFromNic(64);
    sent += tx.length;
    m.send(tx, 0, tx.length);
  }
  const ringFull = h.drops.get('ring-full') ?? 0;
  t.true(ringFull > 0);
  t.is(m.stats()['app_tx_backlog'], 1024);
  m.side.host.resume();
  run(h, m, 10 * NS_PER_MS);
  t.is(h.toHostParavirt + ringFull + m.stats()['app_tx_backlog']!, sent);
  m.dispose();
  t.is(h.pool.inUse, 0);
  for (const name of h.drops.keys()) t.notRegex(name, /^unknown/);
});

test('netvsc-pmd: link indications reach the port; announce sends a gratuitous ARP', (t) => {
  const h = nicModelHarness();
  const { m, vf } = onVf(h);
  vfWire(h, vf);
  t.true(m.setLink('master', false));
  run(h, m, NS_PER_MS);
  t.false(m.port?.linkGet().status);
  t.true(m.setLink('master', true));
  run(h, m, NS_PER_MS);
  t.true(m.port?.linkGet().status);
  t.true(m.setLink('vf', false));
  t.false(m.setLink('eth9', false));
  m.setLink('vf', true);
  m.announce();
  t.true(h.events.some((e) => e.kind === 'announce'));
  t.is(m.stats()['vf_tx_packets'], 1, 'on the VF while switched');
  t.is(h.drops.size, 0);
  const out = new Int32Array(4);
  t.is(vf.drainTx(0, out, 0, 4), 1);
  t.is(h.pool.length[out[0] as number], 60, 'as built (ETH_ZLEN): no padding to 64 for the PMD');
  h.pool.free(out[0] as number);
  m.dispose();
  t.is(h.pool.inUse, 0);
});

test('netvsc-pmd: dispose leaves no timer and no frame behind (mid-probe, and with a hot-add pending)', (t) => {
  const h = nicModelHarness();
  const early = new NetvscPmdNicModel(h.ctx);
  h.scheduler.advanceBy(50_000);
  early.dispose();
  h.scheduler.advanceBy(NS_PER_MS);
  t.is(early.port, null);
  t.is(h.scheduler.pending, 0);

  const h2 = nicModelHarness();
  const m = started(h2);
  const { vf, fn } = h2.makeVf();
  m.plugVf(vf, fn); // the hot-add retry timer is armed
  m.send(h2.framesFromNic(4), 0, 4);
  m.fromHostParavirt(h2.framesToNic(4), 0, 4);
  h2.scheduler.advanceBy(NS_PER_MS);
  m.dispose();
  m.send(h2.framesFromNic(2), 0, 2);
  m.fromHostParavirt(h2.framesToNic(2), 0, 2);
  h2.scheduler.advanceBy(2 * NS_PER_S);
  t.is(h2.scheduler.pending, 0);
  t.is(h2.pool.inUse, 0);
  t.is(m.registry.ports().length, 0, 'every port closed');
  for (const name of h2.drops.keys()) t.notRegex(name, /^unknown/);
});

test('netvsc-pmd: the VF port (rmv, no lsc, as hn_vf_configure) keeps its link until link_get after a VF link change', (t) => {
  const h = nicModelHarness();
  const { m, vf } = onVf(h);
  const port = m.registry.ports().find((p) => p instanceof VfPmdPort);
  if (!(port instanceof VfPmdPort)) return t.fail('no VF PMD port');
  t.like(port.devConf, { lsc: false, rmv: true });
  t.true(port.storedLink.status);
  t.true(m.setLink('vf', false));
  m.send(h.framesFromNic(3), 0, 3);
  run(h, m, 2 * NS_PER_MS);
  // the VF PMD took them whatever the link (tx_burst does not read it) and the VF lost them
  t.is(vfWire(h, vf), 0);
  t.is(h.drops.get('no-carrier'), 3);
  // no interrupt handler without intr_conf.lsc, and a burst does not read the link
  t.true(port.storedLink.status);
  t.false(port.linkGet().status);
  m.dispose();
  t.is(h.pool.inUse, 0);
});
