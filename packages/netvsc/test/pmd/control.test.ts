import test from 'ava';
import { MacAddress } from '@bypass/core';
import { NDIS_PACKET_TYPE } from '../../src/kernel/exports.js';
import { PmdWorld } from './world.js';

test('start leaves the RNDIS filter at directed + broadcast (config restore); stop clears it', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  w.settle();
  // hn_dev_start sets directed|broadcast|all-multicast, then eth_dev_config_restore's
  // all-multicast step (off) sets directed|broadcast
  t.is(w.host.packetFilter, NDIS_PACKET_TYPE.DIRECTED | NDIS_PACKET_TYPE.BROADCAST);
  p.stop();
  w.settle();
  t.is(w.host.packetFilter, 0);
  p.setAllmulticast(true);
  p.start();
  w.settle();
  t.is(
    w.host.packetFilter,
    NDIS_PACKET_TYPE.DIRECTED | NDIS_PACKET_TYPE.BROADCAST | NDIS_PACKET_TYPE.ALL_MULTICAST,
  );
});

test('promiscuous survives stop/start: the VF stays promiscuous, the host filter ends as DPDK leaves it', (t) => {
  const w = new PmdWorld();
  const { vfPort } = w.vfReady();
  const p = w.up();
  p.setPromiscuous(true);
  w.settle();
  t.is(w.host.packetFilter, NDIS_PACKET_TYPE.PROMISCUOUS);
  p.stop();
  p.start();
  w.settle();
  t.true(p.promiscuous);
  t.true(vfPort.promiscuous);
  t.is(vfPort.vf.promiscuity, 1);
  // DPDK: the promiscuous restore sets PROMISCUOUS, the all-multicast restore (off) that follows
  // writes directed|broadcast over it (hn_dev_allmulticast_disable)
  t.is(w.host.packetFilter, NDIS_PACKET_TYPE.DIRECTED | NDIS_PACKET_TYPE.BROADCAST);
  // the VF holds one promiscuity reference however often the port restarted
  p.stop();
  p.start();
  p.setPromiscuous(false);
  t.is(vfPort.vf.promiscuity, 0);
});

test('promiscuous and all-multicast go to the host filter and cascade to the VF', (t) => {
  const w = new PmdWorld();
  const { vfPort } = w.vfReady();
  const p = w.up();
  p.setPromiscuous(true);
  w.settle();
  t.is(w.host.packetFilter, NDIS_PACKET_TYPE.PROMISCUOUS);
  t.true(vfPort.promiscuous);
  p.setAllmulticast(true);
  p.setPromiscuous(false);
  w.settle();
  t.is(
    w.host.packetFilter,
    NDIS_PACKET_TYPE.DIRECTED | NDIS_PACKET_TYPE.BROADCAST | NDIS_PACKET_TYPE.ALL_MULTICAST,
  );
  t.false(vfPort.promiscuous);
  t.true(vfPort.allmulticast);
  const group = MacAddress.parse('01:00:5e:00:00:01');
  p.setMcAddrList([group]);
  t.deepEqual(
    vfPort.mcAddrs.map((m) => m.toString()),
    [group.toString()],
  );
});

test('device info: one MAC, no VLAN filter, VLAN strip; merged with the VF (fewest queues, common offloads)', (t) => {
  const w = new PmdWorld();
  const p = w.probe('', { maxQueues: 4 });
  const alone = p.devInfo();
  t.is(alone.driverName, 'net_netvsc');
  t.is(alone.maxRxQueues, 4);
  t.is(alone.maxMacAddrs, 1);
  t.throws(() => p.vlanFilter(10, true), { message: /VLAN-filtering disabled/ });
  const w2 = new PmdWorld();
  w2.vfReady(2);
  const p2 = w2.probe('', { maxQueues: 4 });
  t.not(p2.vfPort, null);
  t.is(p2.devInfo().maxRxQueues, 2);
  t.is(p2.devInfo().maxTxQueues, 2);
  t.true((p2.devInfo().rxOffloadCapa & 0x1) !== 0);
});

test('the VF counters stay in the port totals after the VF leaves and never go down', (t) => {
  const w = new PmdWorld();
  w.vfReady();
  const p = w.up();
  w.send(5);
  w.vfWire();
  const during = p.statsGet().opackets;
  t.is(during, 5);
  w.host.sendVfAssociation(false, 1);
  w.settle();
  w.receive();
  w.unplugVf();
  w.settle();
  t.is(p.vfPort, null);
  t.is(p.statsGet().opackets, 5);
  p.statsReset();
  t.is(p.statsGet().opackets, 0);
});

test('stats reset leaves the attached VF counters (hn_dev_stats_reset); xstats reset clears them too', (t) => {
  const w = new PmdWorld();
  const { vfPort } = w.vfReady();
  const p = w.up();
  w.settle();
  t.is(w.send(5), 5);
  t.is(w.vfWire(), 5);
  t.is(p.pmdStats.txVf, 5);
  p.statsReset();
  t.is(p.pmdStats.txVf, 0);
  t.is(p.statsGet().opackets, 5, "the VF's live counters are still added");
  t.is(vfPort.statsGet().opackets, 5);
  p.xstatsReset();
  t.is(p.statsGet().opackets, 0);
  t.is(vfPort.statsGet().opackets, 0, 'hn_vf_xstats_reset resets the VF port');
  t.is(w.send(2), 2);
  t.is(p.statsGet().opackets, 2);
});

test('multi-queue with a VF: TX queue 1 goes to the VF queue with the same index', (t) => {
  const w = new PmdWorld();
  const { vf } = w.vfReady();
  const p = w.probe();
  p.configure(2, 2);
  p.start();
  t.is(p.vfPort?.nbTxQueues, 2);
  const pkts = w.frames(3);
  t.is(p.txBurst(1, pkts, 0, 3), 3);
  t.is(vf.txPending(1), 3);
  t.is(vf.txPending(0), 0);
});

test('the VF losing its link does not change the netvsc link (only ring events do)', (t) => {
  const w = new PmdWorld();
  const { vf } = w.vfReady();
  const p = w.up();
  vf.setLink(false);
  w.receive();
  t.true(p.linkGet().status);
  // the VF's PMD posts whatever the link (mlx4_tx_burst); the VF loses the frames
  t.is(w.send(2), 2);
  t.is(w.drops.get('no-carrier'), 2);
});
