import test from 'ava';
import { MacAddress, isBypassError } from '@bypass/core';
import { NDIS_PACKET_TYPE } from '../../src/kernel/exports.js';
import { NVSP_CAP, NVSP_MSG } from '../../src/nvsp/NvspConstants.js';
import type { NetvscPmdPort } from '../../src/pmd/exports.js';
import { PmdWorld, VF_ADDR } from './world.js';

test('VF arrives before: attached at init, switched only at start, TX and RX on the VF', (t) => {
  const w = new PmdWorld();
  const { vfPort } = w.vfReady();
  const p = w.probe();
  t.is(p.vfPort, vfPort);
  t.is(vfPort.owner, p.name);
  t.false(p.vfSwitched);
  t.is(w.host.stats.switchRequests, 0, 'no datapath switch before start');
  p.configure(1, 1);
  t.true(vfPort.configured);
  p.start();
  t.true(vfPort.started);
  t.true(p.vfSwitched);
  w.settle();
  t.is(w.host.dataPath, 'vf');
  t.is(w.send(10), 10);
  t.is(w.vfWire(), 10);
  t.is(w.hostRx.length, 0);
  t.is(p.pmdStats.txVf, 10);
  // hn_xmit_pkts hands the burst to the VF unchecked: a 42-byte ARP goes out too
  t.is(w.send(1, 42), 1);
  t.is(w.vfWire(), 1);
  w.deliver(4);
  t.deepEqual(w.receiveSeqs().length, 4);
  t.is(p.pmdStats.rxVf, 4);
  const s = p.statsGet();
  t.is(s.opackets, 11);
  t.is(s.ipackets, 4);
});

test('RX drains the synthetic ring before the VF, and every frame carries the netvsc port id', (t) => {
  const w = new PmdWorld();
  w.plugVf();
  w.probeVf();
  const p = w.up();
  w.deliver(2); // synthetic: the host has not switched yet
  w.host.sendVfAssociation(true, 1);
  w.settle();
  t.deepEqual(w.receive(1).length, 1); // poll: the association is seen, the switch sent
  w.settle();
  t.is(w.host.dataPath, 'vf');
  w.deliver(2); // now on the VF
  const hs = w.receive();
  const seqs = hs.map((h) => w.pool.view.getUint32(w.pool.start[h]! + 14));
  t.deepEqual(seqs, [2, 3, 4]);
  t.true(hs.every((h) => w.pool.port[h] === p.portId));
  w.pool.freeBurst(Int32Array.from(hs), 0, hs.length);
});

test('VF arrives after, association after the PCI device: hot-add probes it, the association switches', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  w.plugVf();
  w.advanceMs(999);
  t.is(w.registry.getByName(VF_ADDR), undefined, 'hot-add retries after 1 s');
  w.advanceMs(1);
  t.not(w.registry.getByName(VF_ADDR), undefined);
  t.is(p.vfPort, null, 'not attached before the host reports it');
  w.host.sendVfAssociation(true, 1);
  w.settle();
  w.send(1);
  t.not(p.vfPort, null);
  t.true(p.vfPort?.started);
  t.true(p.vfSwitched);
  t.is(p.vfState, 'started');
  w.settle();
  t.is(w.host.dataPath, 'vf');
  t.is(w.send(3), 3);
  // the frame whose burst read the association already went on the VF
  t.is(w.vfWire(), 4);
});

test('VF arrives after, association before the PCI device: attach waits for the hot-add', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  w.host.sendVfAssociation(true, 1);
  w.settle();
  w.receive();
  t.true(p.vfReported);
  t.is(p.vfPort, null);
  t.true(w.log.includes("info: Couldn't find port for VF"));
  w.plugVf();
  w.advanceMs(1000);
  t.true(p.vfSwitched);
  w.settle();
  t.is(w.host.dataPath, 'vf');
});

test('hot-add retries every second and gives up after 120 tries without a matching MAC', (t) => {
  const w = new PmdWorld();
  w.up();
  w.plugVf(VF_ADDR, MacAddress.parse('02:00:00:00:00:77'));
  w.advanceMs(119_500);
  t.is(w.log.filter((l) => l.includes('giving up')).length, 0);
  w.advanceMs(1000);
  t.true(w.log.includes('info: no matching MAC found after 120 retries, giving up'));
  t.is(w.registry.getByName(VF_ADDR), undefined);
  w.scheduler.runUntilIdle(); // no timer left
  t.pass();
});

test('a VF port owned by someone else is refused; traffic stays synthetic', (t) => {
  const w = new PmdWorld();
  w.plugVf();
  const vfPort = w.probeVf();
  vfPort.setOwner('net_failsafe');
  const p = w.up();
  w.host.sendVfAssociation(true, 1);
  w.settle();
  w.receive();
  t.is(p.vfPort, null);
  t.true(w.log.includes(`error: Port ${vfPort.portId} already owned by other device net_failsafe`));
  t.is(vfPort.owner, 'net_failsafe');
  t.is(w.send(2), 2);
  t.is(p.pmdStats.txCopied, 2);
});

test('revoke with traffic in flight: association withdrawn, synthetic first, then removal flushes the VF rings (counted)', (t) => {
  const w = new PmdWorld();
  const { vfPort } = w.vfReady();
  const p = w.up();
  w.settle();
  t.is(w.send(6), 6); // in the VF's TX ring, not yet on the wire
  w.deliver(3); // in the VF's RX ring, not yet polled
  // host servicing: the VF is revoked, then the PCI device goes away
  w.host.sendVfAssociation(false, 1);
  w.settle();
  t.is(w.send(2), 2); // reading the ring: back to synthetic, VF kept
  t.false(p.vfSwitched);
  t.is(p.vfPort, vfPort);
  t.is(p.pmdStats.txCopied, 2);
  w.settle();
  t.is(w.host.dataPath, 'synthetic');
  w.unplugVf();
  t.is(w.drops.get('vf-ring-flushed'), 9);
  w.settle(); // the 1 us removal alarm
  t.is(p.vfPort, null);
  t.is(p.vfState, 'removed');
  t.is(vfPort.state, 'unused');
  t.is(w.registry.getByName(VF_ADDR), undefined);
  t.deepEqual([...w.drops.keys()], ['vf-ring-flushed']);
  // the VF's counters stay in the port's totals; the 2 synthetic frames count once the poll
  // inside the next send reads their completions, the frame it sends when its own comes
  t.is(p.statsGet().opackets, 6);
  t.is(w.send(1), 1);
  t.is(p.statsGet().opackets, 8);
  w.settle();
  w.receive();
  t.is(p.statsGet().opackets, 9);
});

test('surprise removal while switched: TX falls back to synthetic after the removal alarm', (t) => {
  const w = new PmdWorld();
  w.vfReady();
  const p = w.up();
  w.unplugVf();
  t.is(w.send(2), 0, 'the VF took nothing: the application keeps them');
  w.settle();
  t.is(w.send(2), 2);
  t.is(p.pmdStats.txCopied, 2);
  t.true(w.log.some((l) => l.includes('Removing VF portid')));
});

test('VF back after removal: hot-added, associated, switched again', (t) => {
  const w = new PmdWorld();
  w.vfReady();
  const p = w.up();
  w.host.sendVfAssociation(false, 1);
  w.settle();
  w.receive();
  w.unplugVf();
  w.settle();
  t.is(p.vfPort, null);
  w.plugVf();
  w.host.sendVfAssociation(true, 2);
  w.settle();
  w.receive();
  w.advanceMs(1000);
  t.true(p.vfSwitched);
  w.settle();
  t.is(w.host.dataPath, 'vf');
  t.is(w.send(4), 4);
  t.is(w.vfWire(), 4);
});

test('down/up: stop switches to synthetic before stopping the VF; start switches back', (t) => {
  const w = new PmdWorld();
  const { vfPort } = w.vfReady();
  const p = w.up();
  const stop = vfPort.stop.bind(vfPort);
  const switchedAtVfStop: boolean[] = [];
  vfPort.stop = () => {
    switchedAtVfStop.push(p.vfSwitched);
    stop();
  };
  const before = p.pmdStats.datapathSwitches;
  p.stop();
  t.deepEqual(switchedAtVfStop, [false]);
  t.is(p.pmdStats.datapathSwitches, before + 1);
  t.false(vfPort.started);
  t.is(p.vfState, 'configured', 'hn_vf_stop leaves vf_state alone');
  w.settle();
  t.is(w.host.dataPath, 'synthetic');
  p.start();
  t.true(vfPort.started);
  t.true(p.vfSwitched);
  w.settle();
  t.is(w.host.dataPath, 'vf');
});

test('MTU: refused while started; stopped, the VF and the host follow (fixed DPDK quirk: VF MTU also when not switched)', (t) => {
  const w = new PmdWorld();
  const { vfPort } = w.vfReady();
  const p = w.up();
  const err = t.throws(() => p.setMtu(4000));
  t.true(isBypassError(err, 'ERR_BUSY'));
  t.regex(err?.message ?? '', /Device must be stopped before changing MTU/);
  p.stop();
  p.setMtu(4000);
  t.is(p.mtu, 4000);
  t.is(vfPort.mtu, 4000);
  w.settle();
  t.is(w.host.guestMtu, 4000);
  p.start();
  t.true(p.vfSwitched);
});

test('NDIS config from the PMD announces 802.1Q and SR-IOV, at connect and after an MTU change (hn_nvs_conf_ndis)', (t) => {
  const w = new PmdWorld();
  w.vfReady();
  const p = w.up();
  t.is(w.host.guestCapabilities, NVSP_CAP.IEEE8021Q | NVSP_CAP.SRIOV); // no teaming, no RSC
  p.stop();
  p.setMtu(4000);
  w.settle();
  t.is(w.host.guestMtu, 4000);
  t.is(w.host.guestCapabilities, NVSP_CAP.IEEE8021Q | NVSP_CAP.SRIOV); // not 0: SR-IOV kept
});

test('VF recovering: synthetic with the VF kept; recovered: back on the VF', (t) => {
  const w = new PmdWorld();
  const { vfPort } = w.vfReady();
  const p = w.up();
  p.vfRecovering();
  t.true(p.vfSwitched, 'handled from a 1 us alarm');
  w.settle();
  t.false(p.vfSwitched);
  t.is(p.vfPort, vfPort);
  t.is(w.host.dataPath, 'synthetic');
  t.is(w.send(1), 1);
  t.is(p.pmdStats.txCopied, 1);
  p.vfRecovered();
  w.settle();
  t.true(p.vfSwitched);
  t.is(w.host.dataPath, 'vf');
  p.vfRecoveryFailed();
  w.settle();
  t.is(p.vfPort, null);
  t.is(vfPort.state, 'unused');
});

test('close releases the VF port and the hot-add timers', (t) => {
  const w = new PmdWorld();
  const { vfPort } = w.vfReady();
  const p = w.up();
  p.stop();
  p.close();
  t.is(vfPort.state, 'unused');
  t.is(p.state, 'unused');
  w.scheduler.runUntilIdle();
  t.pass();
});

test('channel rescinded (host servicing): removed, link down, intr_lsc only with lsc, synthetic TX takes nothing', (t) => {
  const w = new PmdWorld();
  const p = w.probe();
  p.configure(1, 1, { lsc: true }); // a VMBus port cannot be configured with rmv
  p.start();
  const events: string[] = [];
  p.on('intr_lsc', () => events.push('lsc'));
  p.on('intr_rmv', () => events.push('rmv'));
  w.send(2, 600); // direct requests held until completion
  w.host.revoke();
  // deliberate difference (DPDK has no rescind handling): the link event, no removal event
  t.deepEqual(events, ['lsc']);
  t.is(p.state, 'removed');
  t.false(p.storedLink.status);
  t.is(w.send(1), 0);
  t.is(w.drops.get('no-device'), 2);
  t.is(p.statsGet().oerrors, 2);
});

/** Makes the port's NVSP SWITCH_DATA_PATH sends fail (ring full) while `failing()` says so. */
function failSwitch(p: NetvscPmdPort, failing: () => boolean): void {
  const post = p.client.post.bind(p.client);
  p.client.post = (msg) =>
    msg.type === NVSP_MSG.SWITCH_DATA_PATH && failing() ? 'full' : post(msg);
}

test('start fails when the switch to the VF cannot be sent: VF stopped, filter 0 (hn_vf_start, hn_dev_start)', (t) => {
  const w = new PmdWorld();
  const { vfPort } = w.vfReady();
  const p = w.probe();
  p.configure(1, 1);
  failSwitch(p, () => true);
  t.throws(() => p.start(), { code: 'ERR_BUSY', message: /Failed to switch to VF/ });
  t.false(p.started);
  t.false(vfPort.started);
  t.false(p.vfSwitched);
  w.settle();
  t.is(w.host.packetFilter, 0);
});

test('stop whose switch to synthetic cannot be sent stays switched; the next start sends no switch (hn_vf_stop)', (t) => {
  const w = new PmdWorld();
  const { vfPort } = w.vfReady();
  const p = w.up();
  t.true(p.vfSwitched);
  let failing = true;
  failSwitch(p, () => failing);
  p.stop();
  t.false(vfPort.started);
  t.true(p.vfSwitched, 'vf_vsc_switched is cleared only when the message went out');
  failing = false;
  const before = p.pmdStats.datapathSwitches;
  p.start();
  t.is(p.pmdStats.datapathSwitches, before, 'already switched: no NVSP 129');
  t.true(vfPort.started);
  w.settle();
  t.is(w.host.packetFilter, NDIS_PACKET_TYPE.DIRECTED | NDIS_PACKET_TYPE.BROADCAST);
});

test('hot-add gate on vf_state: after a VF whose hot-add start failed (state configured), a PCI add is ignored', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  w.plugVf();
  w.advanceMs(1000);
  const vfPort = w.registry.getByName(VF_ADDR);
  t.not(vfPort, undefined);
  (vfPort as NonNullable<typeof vfPort>).start = () => {
    throw new Error('VF refuses to start');
  };
  w.host.sendVfAssociation(true, 1);
  w.settle();
  w.send(1);
  t.is(p.vfPort, null, 'detached after the failed start');
  t.is(p.vfState, 'configured', 'hn_vf_configure set it; the detach leaves it');
  w.plugVf('0002:00:03.0');
  w.advanceMs(2000);
  t.is(
    w.registry.getByName('0002:00:03.0'),
    undefined,
    'netvsc_hotadd_callback: vf_state > vf_removed',
  );
});
