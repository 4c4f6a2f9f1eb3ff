import test from 'ava';
import { MacAddress } from '@bypass/core';
import { PmdWorld } from './world.js';

// Hyper-V keeps broadcast/multicast on the synthetic path after SWITCH_DATA_PATH(VF); DPDK's
// hn_recv_pkts polls the VMBus ring as well as the VF, so the PMD still gets them.
test('netvsc PMD on the VF datapath: broadcast arrives through the VMBus ring, unicast through the VF', (t) => {
  const w = new PmdWorld();
  w.plugVf();
  w.probeVf();
  const p = w.up();
  w.host.sendVfAssociation(true, 1);
  w.settle();
  w.receive(1);
  w.settle();
  t.is(w.host.dataPath, 'vf');
  const before = p.statsGet().ipackets;
  const bcast = w.frames(1, 128, MacAddress.fromNumber(0xffff_ffff_ffff));
  w.host.deliver(bcast, 0, 1);
  w.deliver(1);
  const hs = w.receive();
  t.is(hs.length, 2);
  t.is(w.host.stats.toGuestFrames, 1);
  t.is(w.host.stats.toVfFrames, 1);
  t.is(p.statsGet().ipackets - before, 2);
  w.pool.freeBurst(Int32Array.from(hs), 0, hs.length);
});
