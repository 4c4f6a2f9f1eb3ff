import test from 'ava';
import {
  dropReasonName,
  Ethernet,
  ETH_P,
  MacAddress,
  PacketPool,
  VirtualScheduler,
} from '@bypass/core';
import {
  NDIS_PACKET_TYPE,
  NetvspHost,
  rndisFilterAccepts,
  VmbusChannel,
} from '../../src/kernel/exports.js';

const MAC = MacAddress.parse('00:15:5d:00:00:01');
const BCAST = 0xffff_ffff_ffff;
const MCAST = 0x3333_0000_0001;

function world() {
  const scheduler = new VirtualScheduler();
  const pool = new PacketPool({ slots: 4096 });
  const channel = new VmbusChannel({ scheduler, ringPages: 64 });
  const host = new NetvspHost({ channel, pool, scheduler, mac: MAC });
  const toVf: number[] = [];
  host.vfSink = (pkts, s, n) => {
    for (let i = s; i < s + n; i++) toVf.push(pool.mark[pkts[i] as number] as number);
    pool.freeBurst(pkts, s, n);
  };
  const drops: string[] = [];
  pool.onDrop = (_p, _k, _s, n, r) => drops.push(`${dropReasonName(r)}:${n}`);
  return { pool, host, toVf, drops };
}

function burst(pool: PacketPool, dsts: readonly number[]): Int32Array {
  const b = new Int32Array(dsts.length);
  pool.allocBurst(b, 0, dsts.length);
  dsts.forEach((d, i) => {
    Ethernet.buildFrame(pool, b[i] as number, d, 0x0000_5e00_0099, ETH_P.IPV4, 50);
    pool.mark[b[i] as number] = i;
  });
  return b;
}

test('on the VF datapath the host sends only unicast to the VF; group frames go into the guest ring', (t) => {
  const w = world();
  w.host.dataPath = 'vf';
  w.host.packetFilter =
    NDIS_PACKET_TYPE.DIRECTED | NDIS_PACKET_TYPE.BROADCAST | NDIS_PACKET_TYPE.ALL_MULTICAST;
  const got = w.host.deliver(burst(w.pool, [BCAST, MAC.value, MCAST]), 0, 3);
  t.is(got, 2);
  t.is(w.host.stats.toVfFrames, 1);
  t.is(w.host.stats.toGuestFrames, 2);
  t.deepEqual(w.toVf, [1]);
  t.deepEqual(w.drops, []);
});

test('a burst longer than the split scratch keeps the unicast order and loses nothing', (t) => {
  const w = world();
  w.host.dataPath = 'vf';
  w.host.packetFilter = NDIS_PACKET_TYPE.DIRECTED | NDIS_PACKET_TYPE.BROADCAST;
  const dsts = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? BCAST : MAC.value));
  const inUse = w.pool.inUse;
  const got = w.host.deliver(burst(w.pool, dsts), 0, dsts.length);
  t.is(got, 100);
  t.deepEqual(
    w.toVf,
    dsts.flatMap((d, i) => (d === BCAST ? [] : [i])),
  );
  t.is(w.host.stats.toGuestFrames + w.host.stats.toVfFrames, 300);
  t.is(w.pool.inUse, inUse); // every slot went back (ring copies, VF sink freed)
});

test('group frames the guest filter refuses are counted and dropped; unicast is not filtered by the host', (t) => {
  const w = world();
  w.host.packetFilter = NDIS_PACKET_TYPE.DIRECTED;
  const got = w.host.deliver(burst(w.pool, [MCAST, BCAST, MAC.value]), 0, 3);
  t.is(got, 1);
  t.is(w.host.stats.toGuestFiltered, 2);
  t.deepEqual(w.drops, ['mac-filter-miss:2']);
});

test('with no filter set yet, group frames are dropped as dev-down (the guest indicates nothing)', (t) => {
  const w = world();
  w.host.deliver(burst(w.pool, [BCAST]), 0, 1);
  t.deepEqual(w.drops, ['dev-down:1']);
});

test('rndisFilterAccepts: NDIS packet types by destination', (t) => {
  const { pool } = world();
  const [uc, bc, mc] = burst(pool, [MAC.value, BCAST, MCAST]) as unknown as number[];
  const F = NDIS_PACKET_TYPE;
  t.true(rndisFilterAccepts(F.DIRECTED, pool, uc as number));
  t.false(rndisFilterAccepts(F.BROADCAST, pool, uc as number));
  t.true(rndisFilterAccepts(F.BROADCAST, pool, bc as number));
  t.false(rndisFilterAccepts(F.ALL_MULTICAST, pool, bc as number));
  t.true(rndisFilterAccepts(F.ALL_MULTICAST, pool, mc as number));
  t.false(rndisFilterAccepts(F.MULTICAST, pool, mc as number)); // no multicast list OID here
  t.true(rndisFilterAccepts(F.PROMISCUOUS, pool, mc as number));
});
