import test from 'ava';
import { Ethernet, IFF, MacAddress } from '@bypass/core';
import { ETH_OFFLOAD, TapPort, emptyEthStats, type FailsafePort } from '../../src/dpdk/exports.js';
import { World, mac } from './helpers/world.js';

function setup() {
  const w = new World();
  const eth1 = w.netvsc('eth1', mac(1));
  const delivered: number[] = [];
  eth1.bindSink((_d, pkts, s, c) => {
    for (let i = s; i < s + c; i++) delivered.push(w.pool.mark[pkts[i] as number] as number);
    w.pool.freeBurst(pkts, s, c);
  });
  const tap = w.registry.probe('net_tap_vsc0,remote=eth1') as TapPort;
  return { w, eth1, tap, delivered };
}

test('a TAP with remote= copies the remote MAC and registers its own kernel netdev', (t) => {
  const { w, tap } = setup();
  t.true(tap instanceof TapPort);
  t.is(tap.macAddr.toString(), mac(1).toString());
  t.is(tap.netdev.name, 'dtap0');
  t.is(w.ns.getByName('dtap0'), tap.netdev);
  t.is(tap.remote?.name, 'eth1');
});

test('offloads as rte_eth_tap.c tap_dev_info reports them: multi-segment TX, no RX offload ETH_OFFLOAD names', (t) => {
  const { tap } = setup();
  const info = tap.devInfo();
  t.is(info.rxOffloadCapa, 0);
  t.is(info.txOffloadCapa, ETH_OFFLOAD.MULTI_SEGS);
  tap.configure(1, 1, { txOffloads: ETH_OFFLOAD.MULTI_SEGS });
  t.is(tap.devConf.txOffloads, ETH_OFFLOAD.MULTI_SEGS);
});

test('TAP devargs errors carry DPDK messages', (t) => {
  const w = new World();
  w.netvsc('eth1', mac(1));
  t.throws(() => w.registry.probe('net_tap0,remote=nosuch'), {
    code: 'ERR_NOT_FOUND',
    message: /net_tap0: failed to get nosuch if_index\./,
  });
  t.throws(() => w.registry.probe('net_tap0,remote=a/b'), {
    message: /TAP invalid remote interface name \(a\/b\)/,
  });
  t.throws(() => w.registry.probe('net_tap0,bogus=1'), { code: 'ERR_PARSE' });
  t.is(w.registry.getByName('net_tap0'), undefined);
});

test('TX of the TAP goes out through the remote netdev xmit', (t) => {
  const { w, eth1, tap } = setup();
  tap.configure(1, 1);
  tap.start();
  const pkts = w.frames(5, mac(9));
  t.is(tap.txBurst(0, pkts, 0, 5), 5);
  t.deepEqual(eth1.sent, [1, 2, 3, 4, 5]);
  t.is(tap.statsGet().opackets, 5);
  t.is(tap.statsGet().obytes, 5 * 64);
});

/** Marks of the frames on the TAP's RX queue 0, freed after reading. */
function drain(w: World, tap: TapPort): number[] {
  const out = new Int32Array(64);
  const n = tap.rxBurst(0, out, 0, 64);
  const marks = [...out.subarray(0, n)].map((h) => w.pool.mark[h] as number);
  w.pool.freeBurst(out, 0, n);
  return marks;
}

function receive(eth1: ReturnType<World['netvsc']>, ...groups: Int32Array[]): void {
  const burst = Int32Array.from(groups.flatMap((g) => [...g]));
  eth1.receive(burst, 0, burst.length);
}

const V6_GROUP = MacAddress.parse('33:33:00:00:00:01');
const V4_GROUP = MacAddress.parse('01:00:5e:00:00:01');

test('unicast to the TAP MAC is redirected: only DPDK gets it (tap_flow.c LOCAL_MAC, TCA_EGRESS_REDIR)', (t) => {
  const { w, eth1, tap, delivered } = setup();
  tap.configure(1, 1);
  tap.start();
  receive(eth1, w.frames(2, mac(1)), w.frames(2, mac(7)));
  t.deepEqual(drain(w, tap), [1, 2]);
  t.deepEqual(delivered, [3, 4], 'unicast to another MAC stays with the kernel only');
  t.is(tap.statsGet().ipackets, 2);
});

test('broadcast is mirrored: the remote kernel stack and DPDK both get it (tap_flow.c BROADCAST, TCA_EGRESS_MIRROR)', (t) => {
  const { w, eth1, tap, delivered } = setup();
  tap.configure(1, 1);
  tap.start();
  const inUse = w.pool.inUse;
  receive(eth1, w.frames(1, mac(1)), w.frames(2, MacAddress.BROADCAST), w.frames(1, mac(7)));
  t.deepEqual(delivered, [2, 3, 4], 'the kernel keeps its broadcasts (it still answers ARP)');
  t.deepEqual(drain(w, tap), [1, 2, 3], 'DPDK gets copies, in arrival order');
  t.is(tap.statsGet().ipackets, 3);
  t.is(w.pool.inUse, inUse, 'originals and copies are all freed');
  t.is(tap.mirrorDrops, 0);
});

test('33:33 for an unlisted group reaches the kernel but the TAP software filter drops it; listed or all-multicast it reaches both', (t) => {
  const { w, eth1, tap, delivered } = setup();
  tap.configure(1, 1);
  tap.start();
  receive(eth1, w.frames(1, V6_GROUP));
  t.deepEqual(delivered, [1], 'mirrored: the kernel keeps it');
  t.deepEqual(drain(w, tap), [], 'rte_eth_tap.c tap_mac_filter_match');
  t.is(w.drops.get('mac-filter-miss'), 1);
  t.is(tap.statsGet().ipackets + tap.statsGet().imissed + tap.statsGet().ierrors, 0);

  tap.setMcAddrList([V6_GROUP]);
  receive(eth1, w.frames(1, V6_GROUP), w.frames(1, MacAddress.parse('33:33:00:00:00:02')));
  t.deepEqual(delivered, [1, 2, 3]);
  t.deepEqual(drain(w, tap), [2], 'the listed group passes the filter');

  tap.setMcAddrList([]);
  tap.setAllmulticast(true);
  receive(eth1, w.frames(1, V6_GROUP));
  t.deepEqual(delivered, [1, 2, 3, 4]);
  t.deepEqual(drain(w, tap), [4], 'all-multicast passes the filter');
  t.is(w.drops.get('mac-filter-miss'), 2);
});

test('a listed IPv4 group stays with the kernel without all-multicast: the multicast list is no tc rule', (t) => {
  const { w, eth1, tap, delivered } = setup();
  tap.configure(1, 1);
  tap.start();
  tap.setMcAddrList([V4_GROUP]);
  receive(eth1, w.frames(1, V4_GROUP));
  t.deepEqual(delivered, [1]);
  t.deepEqual(drain(w, tap), []);
  tap.setAllmulticast(true); // tap_flow.c ALLMULTI: a mirror
  receive(eth1, w.frames(1, V4_GROUP));
  t.deepEqual(delivered, [1, 2]);
  t.deepEqual(drain(w, tap), [2]);
});

test('promiscuous and all-multicast mirror (the kernel keeps its copy) and set the remote flags, restored on close', (t) => {
  const { w, eth1, tap, delivered } = setup();
  tap.configure(1, 1);
  tap.start();
  tap.setAllmulticast(true);
  t.true((eth1.flags & IFF.ALLMULTI) !== 0);
  receive(eth1, w.frames(1, V4_GROUP));
  tap.setPromiscuous(true);
  t.true((eth1.flags & IFF.PROMISC) !== 0);
  receive(eth1, w.frames(1, mac(7)), w.frames(1, mac(1)));
  t.deepEqual(drain(w, tap), [1, 2, 3]);
  t.deepEqual(
    delivered,
    [1, 2],
    'mirrored frames reach the kernel; the TAP MAC is still redirected',
  );
  tap.stop();
  tap.close();
  t.is(eth1.flags & (IFF.PROMISC | IFF.ALLMULTI), 0);
  t.true(eth1.isUp); // it was up before the TAP came
  t.is(eth1.rxHandler, null);
  t.is(w.ns.getByName('dtap0'), undefined);
  const after = w.frames(1, mac(1));
  eth1.receive(after, 0, 1);
  t.deepEqual(delivered, [1, 2, w.pool.mark[after[0] as number]]); // the remote has its traffic back
});

test('a mirrored frame: the TAP keeps the original, the kernel gets a clone; a clone the pool cannot make is counted in mirrorDrops', (t) => {
  const { w, eth1, tap, delivered } = setup();
  tap.configure(1, 1);
  tap.start();
  const copies: Array<[number, number]> = [];
  w.pool.onClone = (_p, original, copy) => copies.push([original, copy]);
  const first = w.frames(1, MacAddress.BROADCAST);
  receive(eth1, first);
  const out = new Int32Array(4);
  t.is(tap.rxBurst(0, out, 0, 4), 1);
  t.is(out[0], first[0], 'the TAP got the original handle');
  t.deepEqual(copies, [[first[0], copies[0]?.[1]]], 'the kernel got the clone');
  t.deepEqual(delivered, [1]);
  w.pool.freeBurst(out, 0, 1);
  const bcast = w.frames(2, MacAddress.BROADCAST);
  const held: number[] = [];
  for (let h = w.pool.alloc(); h >= 0; h = w.pool.alloc()) held.push(h);
  receive(eth1, bcast);
  t.is(tap.mirrorDrops, 2, 'no slot for the kernel copies');
  t.deepEqual(delivered, [1], 'the kernel missed them');
  t.deepEqual(drain(w, tap), [2, 3], 'the TAP got both');
  t.is(w.drops.size, 0, 'nothing dropped: a copy not made is no lost frame');
  w.pool.freeBurst(Int32Array.from(held), 0, held.length);
});

test('promiscuous survives stop/start: the restore sets the flags again without stacking references', (t) => {
  const { eth1, tap } = setup();
  tap.configure(1, 1);
  tap.start();
  tap.setPromiscuous(true);
  tap.setAllmulticast(true);
  for (let i = 0; i < 3; i++) {
    tap.stop();
    tap.start();
  }
  t.true(tap.promiscuous);
  t.is(eth1.promiscuity, 1);
  t.is(tap.netdev.promiscuity, 1);
  tap.setPromiscuous(false);
  tap.setAllmulticast(false);
  t.is(eth1.flags & (IFF.PROMISC | IFF.ALLMULTI), 0);
  t.is(tap.netdev.promiscuity, 0);
});

test('starting the TAP brings a down remote up and closing takes it down again', (t) => {
  const w = new World();
  const eth1 = w.netvsc('eth1', mac(1));
  eth1.close();
  const tap = w.registry.probe('net_tap0,remote=eth1');
  tap.configure(1, 1);
  tap.start();
  t.true(eth1.isUp);
  t.true(tap.linkGet().status);
  tap.stop();
  t.true(eth1.isUp); // link down is local only
  t.false(tap.linkGet().status);
  tap.close();
  t.false(eth1.isUp);
});

for (const lsc of [false, true]) {
  test(`the TAP link follows the remote carrier and, as DPDK's TAP PMD, raises no intr_lsc (lsc ${lsc})`, (t) => {
    const { eth1, tap } = setup();
    tap.configure(1, 1, { lsc });
    tap.start();
    let events = 0;
    tap.on('intr_lsc', () => events++);
    const seen: boolean[] = [];
    eth1.carrierOff();
    seen.push(tap.linkGet().status);
    eth1.carrierOn();
    seen.push(tap.linkGet().status);
    t.deepEqual(seen, [false, true]);
    t.is(events, 0, 'rte_eth_tap.c only refreshes dev_link');
  });
}

test('the TAP link is 10G, full duplex, fixed, down or up: only its status changes (rte_eth_tap.c pmd_link, tap_link_update)', (t) => {
  const { eth1, tap } = setup();
  const fixed10G = { speed: 10_000, fullDuplex: true, autoneg: false };
  t.deepEqual(tap.storedLink, { status: false, ...fixed10G }, 'eth_dev_tap_create: pmd_link');
  tap.configure(1, 1);
  tap.start();
  t.deepEqual(tap.linkGet(), { status: true, ...fixed10G });
  eth1.carrierOff();
  t.deepEqual(tap.linkGet(), { status: false, ...fixed10G });
  tap.stop();
  t.deepEqual(tap.linkGet(), { status: false, ...fixed10G });
});

test('MTU changes on the TAP apply to the remote, within the remote range', (t) => {
  const { eth1, tap } = setup();
  tap.configure(1, 1);
  tap.setMtu(4000);
  t.is(eth1.mtu, 4000);
  t.is(tap.netdev.mtu, 4000);
  t.throws(() => tap.setMtu(9100), { code: 'ERR_MTU_RANGE' }); // remote max 9000
  t.is(tap.mtu, 4000);
});

test('frames redirected while the TAP is stopped, or beyond a full RX ring, are dropped with a reason but in no ethdev counter (tap_stats_get has no imissed)', (t) => {
  const { w, eth1, tap } = setup();
  tap.configure(1, 1);
  const f = w.frames(3, mac(1));
  eth1.receive(f, 0, 3);
  t.is(w.drops.get('dev-down'), 3);
  tap.start();
  // the RX ring holds 512 frames
  const flood = w.frames(520, mac(1));
  eth1.receive(flood, 0, flood.length);
  t.is(w.drops.get('ring-full'), 8);
  t.deepEqual(tap.statsGet(), emptyEthStats(), 'no imissed: the drops are counted on the pool');
  tap.stop();
});

test('a fail-safe port over a TAP shows no imissed for the TAP ring-full drops (fs_stats_get adds tap_stats_get)', (t) => {
  const w = new World();
  const eth1 = w.netvsc('eth1', mac(1));
  const fs = w.registry.probe('net_failsafe0,dev(net_tap_vsc0,remote=eth1)') as FailsafePort;
  fs.configure(1, 1);
  fs.start();
  const flood = w.frames(515, mac(1));
  eth1.receive(flood, 0, flood.length);
  t.is(w.drops.get('ring-full'), 3);
  t.is(fs.statsGet().imissed, 0);
  const out = new Int32Array(512);
  const n = fs.rxBurst(0, out, 0, 512);
  t.is(n, 512);
  w.pool.freeBurst(out, 0, n);
  t.is(fs.statsGet().ipackets, 512);
});

test('TX: a frame longer than MTU + 22 ends the burst; it and the rest stay with the caller, each an oerror (rte_eth_tap.c pmd_tx_burst)', (t) => {
  const { w, eth1, tap } = setup();
  tap.configure(1, 1);
  tap.start();
  const inUse = w.pool.inUse;
  // MTU 1500: 1522 bytes is the longest frame TX takes (header, CRC and a VLAN tag)
  const burst = Int32Array.from([
    ...w.frames(1, mac(9), 1522),
    ...w.frames(1, mac(9)),
    ...w.frames(1, mac(9), 1523),
    ...w.frames(1, mac(9)),
  ]);
  t.is(tap.txBurst(0, burst, 0, 4), 2);
  t.deepEqual(eth1.sent, [1, 2]);
  const s = tap.statsGet();
  t.is(s.opackets, 2);
  t.is(s.obytes, 1522 + 64);
  t.is(s.oerrors, 2);
  t.is(w.drops.get('mtu-exceeded'), undefined, 'the PMD frees nothing it did not take');
  t.is(w.pool.inUse, inUse + 2, "the two frames not taken are still the caller's");
  t.deepEqual(
    [...burst.subarray(2)].map((h) => w.pool.mark[h]),
    [3, 4],
  );
  // the caller retries without the long frame: the rest goes out
  t.is(tap.txBurst(0, burst, 3, 1), 1);
  t.deepEqual(eth1.sent, [1, 2, 4]);
  w.pool.freeBurst(burst, 2, 1);
});

test('the remote unregistering ends the takeover and takes the link down', (t) => {
  const { w, eth1, tap } = setup();
  tap.configure(1, 1);
  tap.start();
  w.ns.unregister(eth1);
  t.is(tap.remote, null);
  t.false(tap.linkGet().status);
  t.is(w.ns.leakedLinks, 0);
});

test('without remote, TX reaches the TAP netdev stack and what it sends arrives on RX', (t) => {
  const w = new World();
  const tap = w.registry.probe('net_tap0,iface=dtap9') as TapPort;
  tap.configure(1, 1);
  tap.start();
  const got: number[] = [];
  tap.netdev.bindSink((_d, pkts, s, c) => {
    for (let i = s; i < s + c; i++) got.push(pkts[i] as number);
  });
  const pkts = w.frames(2, mac(9));
  tap.txBurst(0, pkts, 0, 2);
  t.deepEqual(got, [...pkts]);
  const own = w.frames(2, tap.macAddr);
  tap.netdev.xmit(own, 0, 2);
  const out = new Int32Array(4);
  t.is(tap.rxBurst(0, out, 0, 4), 2);
  t.is(Ethernet.dst(w.pool, out[0] as number), tap.macAddr.value);
  w.pool.freeBurst(out, 0, 2);
});

test('without remote, the software filter drops what the TAP netdev sends to another MAC unless promiscuous (tap_mac_filter_match)', (t) => {
  const w = new World();
  const tap = w.registry.probe('net_tap0,iface=dtap9') as TapPort;
  tap.configure(1, 1);
  tap.start();
  const out = new Int32Array(8);
  const other = w.frames(2, mac(9));
  tap.netdev.xmit(other, 0, 2);
  t.is(tap.rxBurst(0, out, 0, 8), 0);
  t.is(w.drops.get('mac-filter-miss'), 2);
  const zero = w.frames(1, MacAddress.fromNumber(0));
  tap.netdev.xmit(zero, 0, 1);
  t.is(w.drops.get('mac-filter-miss'), 3, 'a zero destination is refused');
  const bcast = w.frames(1, MacAddress.BROADCAST);
  tap.netdev.xmit(bcast, 0, 1);
  t.is(tap.rxBurst(0, out, 0, 8), 1, 'broadcast passes');
  w.pool.freeBurst(out, 0, 1);
  tap.setPromiscuous(true);
  const again = w.frames(2, mac(9));
  tap.netdev.xmit(again, 0, 2);
  t.is(tap.rxBurst(0, out, 0, 8), 2);
  w.pool.freeBurst(out, 0, 2);
});

test('the software filter takes unicast for every address of the 16-entry table; the redirect rule stays on the default MAC', (t) => {
  const w = new World();
  const tap = w.registry.probe('net_tap0,iface=dtap9') as TapPort;
  t.is(tap.devInfo().maxMacAddrs, 16);
  tap.configure(1, 1);
  tap.start();
  tap.macAddrAdd(mac(9));
  const out = new Int32Array(8);
  tap.netdev.xmit(w.frames(2, mac(9)), 0, 2);
  t.is(tap.rxBurst(0, out, 0, 8), 2, 'an added address passes the filter');
  w.pool.freeBurst(out, 0, 2);
  tap.macAddrRemove(mac(9));
  tap.netdev.xmit(w.frames(1, mac(9)), 0, 1);
  t.is(tap.rxBurst(0, out, 0, 8), 0, 'removed, it no longer does');
  t.is(w.drops.get('mac-filter-miss'), 1);
  for (let i = 10; i < 25; i++) tap.macAddrAdd(mac(i));
  t.throws(() => tap.macAddrAdd(mac(25)), { code: 'ERR_BUSY', message: /MAC address array full/ });
  // with remote=: only the default MAC is redirected; an added one stays with the kernel
  const { w: w2, eth1, tap: vsc, delivered } = setup();
  vsc.configure(1, 1);
  vsc.start();
  vsc.macAddrAdd(mac(7));
  receive(eth1, w2.frames(1, mac(1)), w2.frames(1, mac(7)));
  t.deepEqual(drain(w2, vsc), [1]);
  t.deepEqual(delivered, [2]);
});

test('unequal RX and TX queue counts are refused with DPDK text (tap_dev_configure)', (t) => {
  const { tap } = setup();
  t.throws(() => tap.configure(2, 1), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /number of rx queues 2 must be equal to number of tx queues 1/,
  });
  t.false(tap.configured);
  tap.configure(2, 2);
  t.true(tap.configured);
});

test('set link up/down record UP/DOWN; with lsc a start over a down remote reads UP (tap_link_set_up)', (t) => {
  const { eth1, tap } = setup();
  eth1.carrierOff();
  tap.configure(1, 1, { lsc: true });
  tap.start();
  t.true(tap.linkGet().status, 'no link_update with lsc: the status set_link_up wrote');
  tap.setLink(false);
  t.false(tap.linkGet().status);
  tap.stop();
  tap.configure(1, 1);
  tap.start();
  t.false(tap.linkGet().status, 'without lsc, link_update reads the remote carrier');
});
