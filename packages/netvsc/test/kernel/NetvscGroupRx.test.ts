import test from 'ava';
import { IFF, MacAddress } from '@bypass/core';
import { NDIS_PACKET_TYPE, rndisRxFilter } from '../../src/kernel/exports.js';
import { MAC, World } from './world.js';

const BCAST = 0xffff_ffff_ffff;
const MCAST = 0x0100_5e00_0001; // 224.0.0.1
const MC_ADDR = MacAddress.fromNumber(MCAST);

test('rndis_set_multicast: DIRECTED|BROADCAST without a multicast list, +ALL_MULTICAST with one, PROMISCUOUS alone', (t) => {
  const w = new World();
  const dev = w.probe();
  w.scheduler.runUntilIdle();
  t.is(w.host.packetFilter, 0x9);
  dev.addMulticastAddress(MC_ADDR);
  w.scheduler.runUntilIdle();
  t.is(w.host.packetFilter, 0xd);
  dev.removeMulticastAddress(MC_ADDR);
  dev.setAllmulti(1);
  w.scheduler.runUntilIdle();
  t.is(w.host.packetFilter, 0xd);
  dev.setPromiscuity(1);
  w.scheduler.runUntilIdle();
  t.is(w.host.packetFilter, NDIS_PACKET_TYPE.PROMISCUOUS);
  dev.close();
  w.scheduler.runUntilIdle();
  t.is(w.host.packetFilter, 0);
});

test('rndisRxFilter follows the flags and the multicast list count', (t) => {
  t.is(rndisRxFilter(0, 0), NDIS_PACKET_TYPE.DIRECTED);
  t.is(rndisRxFilter(IFF.BROADCAST, 2), 0xd);
  t.is(rndisRxFilter(IFF.BROADCAST | IFF.ALLMULTI | IFF.PROMISC, 2), 0x20);
});

test('on the VF datapath broadcast and multicast still arrive on the synthetic path, counted as netvsc queue RX', (t) => {
  const w = World.accelerated();
  t.is(w.host.dataPath, 'vf');
  w.netvsc.addMulticastAddress(MC_ADDR);
  w.scheduler.runUntilIdle();
  const before = w.netvsc.ethtoolStats();
  w.fromWireTo([BCAST, MAC.value, MCAST]);
  w.scheduler.runUntilIdle();
  t.is(w.host.stats.toVfFrames, 1);
  t.is(w.host.stats.toGuestFrames, 2);
  // All three reach the stack as eth0 (only the VF one keeps its pool slot, and so its mark).
  t.is(w.received.length, 3);
  t.true(w.received.includes(1001));
  const s = w.netvsc.ethtoolStats();
  t.is((s['rx_queue_0_packets'] as number) - (before['rx_queue_0_packets'] as number), 2);
  t.is((s['vf_rx_packets'] as number) - (before['vf_rx_packets'] as number), 1);
  t.is(w.netvsc.getStats64().multicast, 2);
  t.deepEqual(w.takeDrops(), {});
});

test('a multicast frame the packet filter does not ask for is dropped by the host and counted', (t) => {
  const w = World.accelerated();
  t.is(w.host.packetFilter, 0x9); // no multicast list, no allmulti
  w.fromWireTo([MCAST, BCAST]);
  w.scheduler.runUntilIdle();
  t.is(w.host.stats.toGuestFiltered, 1);
  t.is(w.host.stats.toGuestFrames, 1);
  t.is(w.received.length, 1);
  t.deepEqual(w.takeDrops(), { 'mac-filter-miss': 1 });
});
