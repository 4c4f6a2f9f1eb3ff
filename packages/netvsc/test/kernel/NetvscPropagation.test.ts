import test from 'ava';
import { BypassError, ETH_P, Ethernet, IFF, MacAddress, isBypassError } from '@bypass/core';
import { NDIS_PACKET_TYPE, NVSP_VERSION, nvspCapabilities } from '../../src/kernel/exports.js';
import { MAC, World } from './world.js';

test('the takeover syncs MTU, promisc, allmulti and address lists to the VF', (t) => {
  const w = new World();
  const dev = w.probe();
  dev.setMtu(9000);
  dev.setPromiscuity(1);
  dev.setAllmulti(1);
  dev.addMulticastAddress(MacAddress.parse('01:00:5e:00:00:fb'));
  dev.addUnicastAddress(MacAddress.parse('00:15:5d:00:00:42'));
  const vf = w.plugVf();
  t.is(vf.mtu, 1500);
  w.run(100);
  t.is(vf.mtu, 9000);
  t.true((vf.flags & IFF.PROMISC) !== 0);
  t.true((vf.flags & IFF.ALLMULTI) !== 0);
  t.true((vf.flags & IFF.SLAVE) !== 0);
  t.is(vf.mc.size, 1);
  t.is(vf.uc.size, 1);
  t.true(vf.isUp);
});

test('a takeover while netvsc is down leaves the VF down', (t) => {
  const w = new World();
  w.probe({}, false);
  const vf = w.plugVf();
  w.run(100);
  t.false(vf.isUp);
  t.true((vf.flags & IFF.SLAVE) !== 0);
});

test('a VF brought up in the takeover window while netvsc is down is closed by the takeover (dev_change_flags copies IFF_UP); the datapath ends synthetic', (t) => {
  const w = new World();
  const dev = w.probe({}, false);
  w.host.sendVfAssociation(true, 1);
  const vf = w.plugVf();
  vf.open(); // udev or a script brings the VF up before the takeover
  w.run(100);
  // the takeover closes it; the close completes once the host switched back to synthetic
  w.scheduler.runUntilIdle();
  t.false(vf.isUp);
  t.false(vf.closing);
  t.false(dev.datapath.dataPathIsVf);
  t.is(w.host.dataPath, 'synthetic');
  t.false(dev.txOnVf);
});

test("MTU changes go to the VF first; a VF refusal fails netvsc's change", (t) => {
  const w = World.accelerated();
  const dev = w.netvsc;
  dev.setMtu(4000);
  t.is(w.vf!.mtu, 4000);
  w.scheduler.runUntilIdle();
  t.is(w.host.guestMtu, 4000);
  t.is(w.host.guestCapabilities, nvspCapabilities(NVSP_VERSION.V61));
  const err = t.throws(() => dev.setMtu(9500)); // the VF's max is 9000
  t.true(isBypassError(err, 'ERR_MTU_RANGE'));
  t.is(dev.mtu, 4000);
  t.is(w.vf!.mtu, 4000);
  t.true(err instanceof BypassError);
});

test('promisc and allmulti changes propagate as increments; the RNDIS filter follows', (t) => {
  const w = World.accelerated();
  const dev = w.netvsc;
  const vf = w.vf!;
  dev.setPromiscuity(1);
  t.is(vf.promiscuity, 1);
  w.scheduler.runUntilIdle();
  t.true((w.host.packetFilter & NDIS_PACKET_TYPE.PROMISCUOUS) !== 0);
  vf.setPromiscuity(1); // someone else's reference on the VF stays
  dev.setPromiscuity(-1);
  t.is(vf.promiscuity, 1);
  dev.setAllmulti(1);
  t.is(vf.allmulti, 1);
  w.scheduler.runUntilIdle();
  t.is(w.host.packetFilter & NDIS_PACKET_TYPE.PROMISCUOUS, 0);
  t.true((w.host.packetFilter & NDIS_PACKET_TYPE.ALL_MULTICAST) !== 0);
});

test('address list and MAC changes propagate to the VF', (t) => {
  const w = World.accelerated();
  const dev = w.netvsc;
  dev.addMulticastAddress(MacAddress.parse('33:33:00:00:00:01'));
  t.is(w.vf!.mc.size, 1);
  const mac = MacAddress.parse('00:15:5d:00:00:77');
  dev.setMacAddress(mac);
  t.true(w.vf!.devAddr.equals(mac));
});

test("the VF leaving takes netvsc's addresses and flags with it", (t) => {
  const w = World.accelerated();
  const dev = w.netvsc;
  dev.addMulticastAddress(MacAddress.parse('33:33:00:00:00:01'));
  const vf = w.vf!;
  w.ns.unregister(vf);
  t.is(dev.vf, null);
  t.is(vf.mc.size, 0);
  // netvsc_unregister_vf leaves IFF_SLAVE (and IFF_NO_ADDRCONF) set.
  t.is(vf.flags & IFF.SLAVE, IFF.SLAVE);
  t.is(vf.master, null);
  t.true(w.log.includes('eth0: VF unregistering: enP1s1'));
});

test('stats64 include what the VF did while enslaved; ethtool shows the VF counters by name', (t) => {
  const w = World.accelerated();
  const dev = w.netvsc;
  w.send(10);
  w.drainVf();
  w.fromWire(4);
  w.unplugVf(false);
  w.send(5);
  w.scheduler.runUntilIdle();
  const s = dev.getStats64();
  t.is(s.txPackets, 15);
  t.is(s.rxPackets, 4);
  const e = dev.ethtoolStats();
  t.deepEqual(Object.keys(e).slice(0, 16), [
    'tx_scattered',
    'tx_no_memory',
    'tx_no_space',
    'tx_too_big',
    'tx_busy',
    'tx_send_full',
    'rx_comp_busy',
    'rx_no_memory',
    'stop_queue',
    'wake_queue',
    'vlan_error',
    'vf_rx_packets',
    'vf_rx_bytes',
    'vf_tx_packets',
    'vf_tx_bytes',
    'vf_tx_dropped',
  ]);
  t.is(e['vf_tx_packets'], 10);
  t.is(e['vf_rx_packets'], 4);
  t.is(e['tx_queue_0_packets'], 5);
  t.is(e['rx_queue_15_xdp_drop'], 0);
  t.false('tx_queue_16_packets' in e);
  // netvsc_get_strings (6.x): 8 counters per queue, in this order.
  const keys = Object.keys(e);
  const q0 = keys.indexOf('tx_queue_0_packets');
  t.deepEqual(keys.slice(q0, q0 + 9), [
    'tx_queue_0_packets',
    'tx_queue_0_bytes',
    'tx_queue_0_xdp_xmit',
    'rx_queue_0_packets',
    'rx_queue_0_bytes',
    'rx_queue_0_xdp_drop',
    'rx_queue_0_xdp_redirect',
    'rx_queue_0_xdp_tx',
    'tx_queue_1_packets',
  ]);
  t.is(keys.length - q0, 16 * 8);
});

test('stats64 add only the VF traffic netvsc moved itself (netvsc_get_stats64 reads vf_stats), not the VF own counters', (t) => {
  const w = World.accelerated();
  const dev = w.netvsc;
  const vf = w.vf!;
  // Frames sent on the VF device directly (a packet socket bound to it) bypass netvsc.
  const b = new Int32Array(3);
  w.pool.allocBurst(b, 0, 3);
  for (let i = 0; i < 3; i++)
    Ethernet.buildFrame(w.pool, b[i] as number, 0x0000_5e00_0053, MAC.value, ETH_P.IPV4, 86);
  vf.xmit(b, 0, 3, 0);
  t.is(vf.getStats64().txPackets, 3);
  w.send(300); // through netvsc: the VF's TX ring (256) takes 253 of them
  w.drainVf();
  const e = dev.ethtoolStats();
  const s = dev.getStats64();
  t.is(s.txPackets, e['vf_tx_packets'] as number);
  t.is(s.txPackets, 253);
  t.is(s.txBytes, e['vf_tx_bytes'] as number);
  t.is(s.txDropped, e['vf_tx_dropped'] as number);
  t.is(s.txDropped, 47);
  w.takeDrops();
});

test('frames the VF refuses are counted in vf_tx_dropped', (t) => {
  const w = World.accelerated();
  w.send(300); // the VF's TX ring holds 256
  const e = w.netvsc.ethtoolStats();
  t.is(e['vf_tx_packets'], 256);
  t.is(e['vf_tx_dropped'], 44);
  t.deepEqual(w.takeDrops(), { 'ring-full': 44 });
});

test('synthetic TX spreads over the channels by queue', (t) => {
  const w = new World();
  const dev = w.probe({ channels: 4 });
  w.send(3, 0);
  w.send(2, 5); // 4 queues in use: queue 5 wraps to channel 1
  w.scheduler.runUntilIdle();
  t.is(dev.channels, 4);
  t.is(w.synthetic, 5);
  t.is(dev.ethtool.txQueuePackets[0], 3);
  t.is(dev.ethtool.txQueuePackets[1], 2);
});

test('VLAN filters added on netvsc follow to its VF', (t) => {
  const w = World.accelerated();
  w.netvsc.vlanVidAdd(100);
  t.deepEqual(w.vf!.vlanIds, [100]);
  w.netvsc.vlanVidDel(100);
  t.deepEqual(w.vf!.vlanIds, []);
});
