import test from 'ava';
import { ETH_P, Ethernet } from '@bypass/core';
import { NVSP_MSG } from '../../src/kernel/exports.js';
import { MAC, World } from './world.js';

/** netvsc probed and up, VF plugged, association sent, takeover done and switched. */
function accelerated(assocFirst = true): World {
  const w = new World();
  w.probe();
  if (assocFirst) w.host.sendVfAssociation(true, 1);
  w.plugVf();
  w.run(100);
  if (!assocFirst) w.host.sendVfAssociation(true, 1);
  w.scheduler.runUntilIdle();
  return w;
}

test('VF after netvsc, association first: takeover at 100 ms, switch with completion, then TX on the VF', (t) => {
  const w = new World();
  const dev = w.probe();
  w.host.sendVfAssociation(true, 1);
  const vf = w.plugVf();
  w.send(8);
  w.run(99);
  t.false(vf.isUp);
  w.run(1);
  t.true(vf.isUp); // takeover: opened because netvsc runs
  t.false(dev.datapath.dataPathIsVf); // the host has not completed yet
  w.send(8); // still synthetic: never dropped because of the VF
  w.scheduler.runUntilIdle();
  t.true(dev.datapath.dataPathIsVf);
  t.is(w.host.dataPath, 'vf');
  t.true(w.log.includes('eth0: Data path switched to VF: enP1s1'));
  w.send(8);
  t.is(w.drainVf(), 8);
  t.is(w.synthetic, 16);
  t.is(dev.ethtool.vfTxPackets, 8);
  t.is(dev.ethtool.vfTxBytes, 8 * 100);
  t.deepEqual(w.takeDrops(), {});
});

test('association after the PCI device: the switch waits for it', (t) => {
  const w = new World();
  const dev = w.probe();
  w.plugVf();
  w.run(100);
  w.scheduler.runUntilIdle();
  t.true(dev.datapath.waitingForAssociation);
  t.true(w.log.includes('eth0: Waiting for the VF association from host'));
  t.is(w.host.stats.switchRequests, 0);
  w.send(4);
  t.is(w.synthetic, 0); // not yet read by the host
  w.host.sendVfAssociation(true, 1);
  w.scheduler.runUntilIdle();
  t.is(w.synthetic, 4);
  t.true(dev.txOnVf);
  w.send(4);
  t.is(w.drainVf(), 4);
});

test('TX uses the VF only when present, running, with carrier and switched', (t) => {
  const w = accelerated();
  const dev = w.netvsc;
  const vf = w.vf!;
  t.true(dev.txOnVf);
  vf.setLink(false); // carrier lost: synthetic, nothing dropped
  t.false(dev.txOnVf);
  w.send(5);
  w.scheduler.runUntilIdle();
  t.is(w.synthetic, 5);
  t.is(w.host.dataPath, 'vf'); // carrier does not switch the datapath (netvsc_vf_changed)
  vf.setLink(true);
  w.send(5);
  t.is(w.drainVf(), 5);
  t.deepEqual(w.takeDrops(), {});
});

test('RX on the VF is delivered as netvsc and counted in vf_rx_*', (t) => {
  const w = accelerated();
  w.fromWire(6);
  t.is(w.received.length, 6);
  const s = w.netvsc.ethtoolStats();
  t.is(s['vf_rx_packets'], 6);
  // 100-byte frames: skb->len at the rx handler, after eth_type_trans pulled 14 bytes.
  t.is(s['vf_rx_bytes'], 6 * 86);
  t.is(w.netvsc.getStats64().rxBytes, 6 * 86);
  t.is(w.host.stats.toVfFrames, 6);
  t.is(w.netvsc.getStats64().rxPackets, 6);
});

test('vf_rx_bytes leaves out an in-band VLAN tag too (skb_vlan_untag runs before the rx handler)', (t) => {
  const w = accelerated();
  const b = new Int32Array(2);
  w.pool.allocBurst(b, 0, 2);
  for (let i = 0; i < 2; i++) {
    const h = b[i] as number;
    Ethernet.buildFrame(w.pool, h, MAC.value, 0x0000_5e00_0099, ETH_P.IPV4, 86);
    Ethernet.insertVlan(w.pool, h, 100);
  }
  w.vf!.injectRx(0, b, 0, 2);
  w.vf!.pollAll();
  t.is(w.received.length, 2);
  t.is(w.netvsc.ethtoolStats()['vf_rx_bytes'], 2 * 86);
});

test('host RX stays synthetic until the guest switched', (t) => {
  const w = new World();
  w.probe();
  w.plugVf();
  w.fromWire(3);
  w.scheduler.runUntilIdle();
  t.is(w.received.length, 3);
  t.is(w.netvsc.ethtool.rxQueuePackets[0], 3);
  t.is(w.netvsc.ethtool.vfRxPackets, 0);
});

test('surprise removal with traffic in flight: the ring is flushed, the path goes synthetic, nothing else is lost', (t) => {
  const w = accelerated();
  const dev = w.netvsc;
  w.send(32); // in the VF's TX ring, not yet on the wire
  w.unplugVf();
  t.false(dev.datapath.dataPathIsVf); // blocked at once
  t.is(dev.vf, null);
  t.deepEqual(w.takeDrops(), { 'vf-ring-flushed': 32 });
  w.send(10);
  w.scheduler.runUntilIdle();
  t.is(w.host.dataPath, 'synthetic');
  t.is(w.synthetic, 10);
  t.true(w.log.includes('eth0: Data path switched from VF: enP1s1'));
  t.deepEqual(w.takeDrops(), {});
  t.is(dev.getStats64().txPackets, 42); // the VF's 32 are kept after it left
});

test('revoke of the VF by the host (association removed, then PCI removal) and the VF coming back', (t) => {
  const w = accelerated();
  const dev = w.netvsc;
  w.host.sendVfAssociation(false, 1);
  w.scheduler.runUntilIdle();
  t.true(w.log.includes('eth0: VF slot 1 removed'));
  w.unplugVf(false);
  w.scheduler.runUntilIdle();
  t.false(dev.txOnVf);
  w.host.sendVfAssociation(true, 2);
  w.plugVf({ serial: 2 });
  w.run(100);
  w.scheduler.runUntilIdle();
  t.true(dev.txOnVf);
  t.is(dev.datapath.switches, 3); // to VF, from VF, to VF
  w.send(3);
  t.is(w.drainVf(), 3);
});

test('the VF going down switches to synthetic before it stops (GOING_DOWN counts as down)', (t) => {
  const w = accelerated();
  const dev = w.netvsc;
  const onVfWhileGoingDown: boolean[] = [];
  w.ns.events$.subscribe((e) => {
    if (e.type === 'going-down' && e.dev === w.vf) onVfWhileGoingDown.push(dev.txOnVf);
  });
  w.vf!.close();
  t.deepEqual(onVfWhileGoingDown, [false]);
  w.scheduler.runUntilIdle();
  t.is(w.host.dataPath, 'synthetic');
  w.vf!.open();
  w.scheduler.runUntilIdle();
  t.is(w.host.dataPath, 'vf');
});

test('the VF going down waits for the host to complete the switch back: frames the host still steers to it arrive, none is dropped', (t) => {
  const w = accelerated();
  const dev = w.netvsc;
  w.host.pause(); // a busy host: the switch request stays unread for a while
  w.vf!.close();
  t.false(dev.txOnVf, 'TX left the VF at once');
  t.true(w.vf!.isUp && w.vf!.running && w.vf!.closing, 'the VF is still up, waiting');
  w.fromWire(3); // the host still steers to the VF
  t.deepEqual(w.takeDrops(), {});
  t.is(w.received.length, 3);
  w.host.resume();
  w.scheduler.runUntilIdle();
  t.is(w.host.dataPath, 'synthetic');
  t.false(w.vf!.isUp || w.vf!.closing, 'down once the host completed');
  w.fromWire(2);
  w.scheduler.runUntilIdle();
  t.deepEqual(w.takeDrops(), {});
  t.is(w.received.length, 5, 'now through VMBus');
});

test('netvsc down closes the VF and goes synthetic; up reopens it and switches back', (t) => {
  const w = accelerated();
  const dev = w.netvsc;
  dev.close();
  w.scheduler.runUntilIdle();
  t.false(w.vf!.isUp);
  t.is(w.host.dataPath, 'synthetic');
  dev.open();
  t.true(w.vf!.isUp);
  w.scheduler.runUntilIdle();
  t.is(w.host.dataPath, 'vf');
  w.send(2);
  t.is(w.drainVf(), 2);
});

test('a switch the host never completes leaves the synthetic path in use and is logged', (t) => {
  const w = new World();
  const dev = w.probe();
  w.host.switchPolicy = 'refuse'; // the host ignores the request: no completion ever comes
  w.host.sendVfAssociation(true, 1);
  w.plugVf();
  w.run(100);
  w.scheduler.runUntilIdle();
  t.false(dev.txOnVf);
  t.true(w.log.includes('eth0: Data path failed to switch to VF: enP1s1, err: timeout'));
  w.send(3);
  w.scheduler.runUntilIdle();
  t.is(w.synthetic, 3);
  t.is(dev.datapath.failures, 1);
});

test('a busy host delays the switch with bounded retries; traffic stays synthetic meanwhile', (t) => {
  const w = new World();
  const dev = w.probe();
  w.host.sendVfAssociation(true, 1);
  w.scheduler.runUntilIdle();
  w.plugVf();
  w.host.pause();
  while (dev.client.post({ type: NVSP_MSG.SEND_NDIS_VER, ndisMajor: 6, ndisMinor: 30 }) === 'ok');
  w.run(100); // takeover: VF up, switch attempted on a full ring
  w.run(30);
  t.true(dev.client.stats.switchRetries >= 3);
  t.false(dev.txOnVf);
  w.host.resume();
  w.run(20);
  t.true(dev.txOnVf);
});

test('the host rescinding the channel removes netvsc (netvsc_remove): netdev gone, VF released standalone, no SWITCH_DATA_PATH', (t) => {
  const w = accelerated();
  const dev = w.netvsc;
  const vf = w.vf!;
  const switches = w.host.stats.switchRequests;
  let rescinded = 0;
  dev.events.on('rescind', () => rescinded++);
  w.host.revoke();
  w.scheduler.runUntilIdle();
  t.is(rescinded, 1);
  t.is(w.ns.getByName('eth0'), undefined);
  t.is(dev.ns, null);
  t.is(dev.vf, null);
  t.is(vf.master, null);
  t.is(vf.rxHandler, null);
  t.true(vf.isUp); // left as it was, outside any bypass
  t.is(w.host.stats.switchRequests, switches);
  t.is(w.scheduler.pending, 0);
});

test('a host that stays busy exhausts the 2000 retries; netvsc stays synthetic and says so', (t) => {
  const w = new World();
  const dev = w.probe();
  w.host.sendVfAssociation(true, 1);
  w.scheduler.runUntilIdle();
  w.plugVf();
  w.host.pause();
  while (dev.client.post({ type: NVSP_MSG.SEND_NDIS_VER, ndisMajor: 6, ndisMinor: 30 }) === 'ok');
  w.run(100);
  w.run(25_000); // 2000 retries 5-10 ms apart take 10-20 s
  t.is(dev.client.stats.switchRetries, 2000);
  t.true(w.log.includes('eth0: Data path failed to switch to VF: enP1s1, err: -11'));
  t.false(dev.txOnVf);
  t.is(w.scheduler.pending, 0);
});

test('removing netvsc with its VF on the datapath sends no SWITCH_DATA_PATH and leaves no timer (netvsc_remove -> netvsc_unregister_vf)', (t) => {
  const w = accelerated();
  const dev = w.netvsc;
  t.true(dev.txOnVf);
  const requests = w.host.stats.switchRequests;
  const logged = w.log.length;
  dev.remove();
  t.is(dev.vf, null);
  t.false(dev.datapath.inFlight);
  w.scheduler.runUntilIdle(); // what the removal itself wrote to the channel lands
  t.is(w.scheduler.pending, 0);
  t.is(w.host.stats.switchRequests, requests);
  t.false(w.log.slice(logged).some((l) => l.includes('Data path')));
});
