import test from 'ava';
import { MacAddress } from '@bypass/core';
import {
  ETH_DEV_FLAG,
  ETH_OFFLOAD,
  EthDevRegistry,
  VfPmdPort,
  splitDevargs,
} from '../../src/dpdk/exports.js';
import { FakePort, fakeDriver } from './helpers/FakePort.js';
import { World, mac } from './helpers/world.js';

function fake(w: World, name = 'net_fake0'): FakePort {
  return new FakePort({ registry: w.registry, name }, w.pool);
}

test('ports get the lowest free id and are found by id and name', (t) => {
  const w = new World();
  const a = fake(w, 'net_fakeA');
  const b = fake(w, 'net_fakeB');
  t.is(a.portId, 0);
  t.is(b.portId, 1);
  t.is(w.registry.get(1), b);
  t.is(w.registry.getByName('net_fakeA'), a);
  a.close();
  t.is(a.state, 'unused');
  t.is(w.registry.get(0), undefined);
  t.is(fake(w, 'net_fakeC').portId, 0);
});

test('a second port with the same name is refused as DPDK does', (t) => {
  const w = new World();
  fake(w, 'net_fakeA');
  const e = t.throws(() => fake(w, 'net_fakeA'));
  t.is((e as { code?: string }).code, 'ERR_ALREADY_REGISTERED');
  t.regex(e.message, /Ethernet device with name net_fakeA already allocated/);
});

test('the registry refuses ports beyond maxPorts', (t) => {
  const registry = new EthDevRegistry({ maxPorts: 1 });
  const w = new World();
  new FakePort({ registry, name: 'net_fake0' }, w.pool);
  t.throws(() => new FakePort({ registry, name: 'net_fake1' }, w.pool), { code: 'ERR_BUSY' });
});

test('probe picks the driver by device name and emits new; unknown names are ERR_NOT_FOUND', (t) => {
  const w = new World();
  w.registry.registerDriver(fakeDriver(w.pool, new Set(['net_fakeX'])));
  const seen: string[] = [];
  w.registry.events.on('new', (p) => seen.push(p.name));
  w.registry.events.on('destroy', (p) => seen.push(`-${p.name}`));
  const p = w.registry.probe('net_fakeX,a=1');
  t.is(p.devargs, 'a=1');
  t.throws(() => w.registry.probe('net_fakeX'), { code: 'ERR_ALREADY_REGISTERED' });
  t.throws(() => w.registry.probe('net_unknown0'), { code: 'ERR_NOT_FOUND' });
  t.throws(() => w.registry.probe(',x=1'), { code: 'ERR_PARSE' });
  w.registry.remove(p);
  t.deepEqual(seen, ['net_fakeX', '-net_fakeX']);
});

test('splitDevargs splits the name at the first comma', (t) => {
  t.deepEqual(splitDevargs('net_failsafe0,dev(a,b=1),mac=x'), {
    name: 'net_failsafe0',
    args: 'dev(a,b=1),mac=x',
  });
  t.deepEqual(splitDevargs('0002:00:02.0'), { name: '0002:00:02.0', args: '' });
});

test('configure needs a stopped port and respects the queue limits', (t) => {
  const w = new World();
  const p = fake(w);
  t.throws(() => p.start(), { code: 'ERR_STATE' });
  t.throws(() => p.configure(17, 1), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /nb_rx_queues=17 > 16/,
  });
  p.configure(2, 2);
  p.start();
  t.throws(() => p.configure(1, 1), { message: /Port 0 must be stopped to allow configuration/ });
  t.throws(() => p.close(), {
    code: 'ERR_STATE',
    message: /Cannot close started device \(port 0\)/,
  });
  p.stop();
  p.close();
  t.throws(() => p.configure(1, 1), { code: 'ERR_NO_DEVICE' });
});

test('dev_conf: lsc and rmv need INTR_LSC / INTR_RMV in devFlags (rte_eth_dev_configure)', (t) => {
  const w = new World();
  const p = new FakePort({ registry: w.registry, name: 'net_fake0' }, w.pool, { devFlags: 0 });
  t.throws(() => p.configure(1, 1, { lsc: true }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /Driver net_fake does not support lsc .*configure it without lsc/,
  });
  t.throws(() => p.configure(1, 1, { rmv: true }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /Driver net_fake does not support rmv .*configure it without rmv/,
  });
  t.deepEqual(p.calls, [], 'the PMD was not asked');
  t.false(p.configured);
  p.configure(1, 1, { lsc: false, rmv: false });
  const q = new FakePort({ registry: w.registry, name: 'net_fake1' }, w.pool, {
    devFlags: ETH_DEV_FLAG.INTR_LSC | ETH_DEV_FLAG.INTR_RMV,
  });
  q.configure(1, 1, { lsc: true, rmv: true });
  t.deepEqual(q.devConf, { rxOffloads: 0, txOffloads: 0, lsc: true, rmv: true, mtu: 1500 });
});

test('dev_conf: offloads must be within the capabilities; the PMD gets the checked conf', (t) => {
  const w = new World();
  const p = new FakePort({ registry: w.registry, name: 'net_fake0' }, w.pool, {
    rxOffloadCapa: ETH_OFFLOAD.VLAN_STRIP,
    txOffloadCapa: ETH_OFFLOAD.VLAN_INSERT,
  });
  t.throws(() => p.configure(1, 1, { rxOffloads: ETH_OFFLOAD.VLAN_STRIP | ETH_OFFLOAD.RSS_HASH }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /port_id=0 does not support Rx offloads 0x10: ask only for rxOffloadCapa 0x1/,
  });
  t.throws(() => p.configure(1, 1, { txOffloads: ETH_OFFLOAD.MULTI_SEGS }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /does not support Tx offloads 0x8/,
  });
  t.throws(() => p.configure(1, 1, { rxOffloads: -1 }), { code: 'ERR_INVALID_ARGUMENT' });
  t.deepEqual(p.calls, []);
  p.configure(1, 1, { rxOffloads: ETH_OFFLOAD.VLAN_STRIP, txOffloads: ETH_OFFLOAD.VLAN_INSERT });
  const want = { rxOffloads: 1, txOffloads: 4, lsc: false, rmv: false, mtu: 1500 };
  t.deepEqual(p.confs, [want]);
  t.deepEqual(p.devConfSeen, [want], 'data->dev_conf is already the new one in dev_configure');
  t.deepEqual(p.devConf, want);
  p.configure(1, 1);
  t.deepEqual(p.devConf, { rxOffloads: 0, txOffloads: 0, lsc: false, rmv: false, mtu: 1500 });
});

test('dev_conf: a configure the PMD refuses puts the previous conf back', (t) => {
  const w = new World();
  const p = fake(w);
  p.configure(1, 1, { lsc: true });
  p.refuse.add('configure');
  t.throws(() => p.configure(2, 2, { rmv: true }), { code: 'ERR_REFUSED' });
  t.true(p.devConfSeen[1]?.rmv, 'the PMD saw the requested conf');
  t.deepEqual(p.devConf, { rxOffloads: 0, txOffloads: 0, lsc: true, rmv: false, mtu: 1500 });
  // rte_eth_dev_configure reset_queues: a refusal of dev_configure leaves no queues
  t.is(p.nbRxQueues, 0);
});

test('a failed configure leaves the port unconfigured: start is refused until one succeeds', (t) => {
  const w = new World();
  const p = fake(w);
  p.configure(1, 1);
  t.true(p.configured);
  t.throws(() => p.configure(17, 1), { code: 'ERR_INVALID_ARGUMENT' });
  t.false(p.configured, 'rte_eth_dev_configure clears dev_configured before its checks');
  t.throws(() => p.start(), { code: 'ERR_STATE', message: /is not configured/ });
  p.refuse.add('configure');
  t.throws(() => p.configure(1, 1), { code: 'ERR_REFUSED' });
  t.false(p.configured);
  p.refuse.delete('configure');
  p.configure(1, 1);
  p.start();
  t.true(p.started);
  t.throws(() => p.configure(2, 2), { code: 'ERR_BUSY' });
  t.true(p.configured, 'a started port refused with EBUSY stays configured');
});

test('start: the PMD link update runs after dev_start without lsc, not with it (rte_eth_dev_start)', (t) => {
  const w = new World();
  const p = fake(w);
  p.configure(1, 1);
  p.start();
  t.is(p.linkUpdates, 1);
  p.stop();
  p.configure(1, 1, { lsc: true });
  p.start();
  t.is(p.linkUpdates, 1, "with lsc the link is the interrupt handler's");
});

test('the link is all zero until the PMD records one, then exactly what it recorded (rte_eth_linkstatus_set)', (t) => {
  const w = new World();
  const p = fake(w);
  // ethdev_driver.c rte_eth_dev_allocate zeroes the port data: down, no speed, half, fixed
  t.deepEqual(p.linkGet(), { status: false, speed: 0, fullDuplex: false, autoneg: false });
  p.setHwLink(true);
  t.deepEqual(p.linkGet(), { status: true, speed: 25_000, fullDuplex: true, autoneg: true });
  p.setHwLink(false); // this PMD keeps its speed with the link down: recorded as it says
  t.deepEqual(p.linkGet(), { status: false, speed: 25_000, fullDuplex: true, autoneg: true });
});

test('linkGet: with lsc on a started port the recorded link, without the PMD (rte_eth_link_get)', (t) => {
  const w = new World();
  const p = fake(w);
  p.configure(1, 1, { lsc: true });
  p.linkGet();
  t.is(p.linkUpdates, 1, 'not started: link_update runs');
  p.start();
  t.deepEqual([p.linkGet().status, p.linkGet().speed], [true, 25_000]);
  t.is(p.linkUpdates, 1, 'started with lsc: the recorded link, no link_update');
  p.stop();
  p.linkGet();
  t.is(p.linkUpdates, 2);
  p.configure(1, 1);
  p.start();
  t.is(p.linkUpdates, 3, 'start');
  p.linkGet();
  t.is(p.linkUpdates, 4, 'without lsc every linkGet asks the PMD');
});

test('configure refuses a conf that is not an object (the old bare-number RX offloads)', (t) => {
  const w = new World();
  const p = fake(w);
  t.throws(() => p.configure(1, 1, ETH_OFFLOAD.VLAN_FILTER as never), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /pass an EthConf object/,
  });
});

test('bursts return 0 on a stopped port or an unconfigured queue and never overrun the arrays', (t) => {
  const w = new World();
  const p = fake(w);
  p.configure(1, 1);
  const pkts = w.frames(4, mac(1));
  t.is(p.txBurst(0, pkts, 0, 4), 0);
  p.start();
  t.is(p.txBurst(1, pkts, 0, 4), 0);
  t.is(p.txBurst(-1, pkts, 0, 4), 0);
  t.is(p.txBurst(0, pkts, 2, 100), 2); // clipped to the array
  p.inject(0, pkts.subarray(0, 2));
  const out = new Int32Array(4);
  t.is(p.rxBurst(0, out, 3, 32), 1); // room for one
  t.is(p.rxBurst(0, out, 0, 0), 0);
  t.is(p.rxBurst(0, out, -1, 4), 0);
  t.is(p.rxBurst(0, out, 4, 4), 0); // start at the end: no room
  t.is(p.rxBurst(0, out, 9, 4), 0); // start past the end
  t.is(p.txBurst(0, pkts, 7, 2), 0);
  t.is(p.txBurst(0, pkts, 1.5, 2), 0);
});

test('the txBurst return value is what the PMD took; the caller keeps the rest', (t) => {
  const w = new World();
  const p = fake(w);
  p.configure(1, 1);
  p.start();
  p.txBudget = 3;
  const pkts = w.frames(5, mac(1));
  t.is(p.txBurst(0, pkts, 0, 5), 3);
  t.true(w.pool.isAllocated(pkts[3] as number));
  t.true(w.pool.isAllocated(pkts[4] as number));
});

test('MAC table: default, extra addresses in free slots, no removal of the default', (t) => {
  const w = new World();
  const p = new FakePort({ registry: w.registry, name: 'net_fake0' }, w.pool, { maxMacAddrs: 3 });
  p.setDefaultMacAddr(mac(1));
  p.macAddrAdd(mac(2));
  p.macAddrAdd(mac(2)); // already there
  p.macAddrAdd(mac(3));
  t.throws(() => p.macAddrAdd(mac(4)), { code: 'ERR_BUSY', message: /MAC address array full/ });
  t.throws(() => p.macAddrAdd(MacAddress.ZERO), { message: /Cannot add NULL MAC address/ });
  t.throws(() => p.macAddrRemove(mac(1)), { message: /Cannot remove default MAC address/ });
  t.throws(() => p.setDefaultMacAddr(MacAddress.BROADCAST), { code: 'ERR_INVALID_ARGUMENT' });
  p.macAddrRemove(mac(2));
  p.macAddrAdd(mac(4)); // reuses slot 1
  t.deepEqual(p.calls.slice(-1), ['mac+ 00:15:5d:00:00:04 1']);
  t.deepEqual(
    p.extraMacAddrs.map((m) => m.toString()),
    ['00:15:5d:00:00:04', '00:15:5d:00:00:03'],
  );
});

test('MTU, multicast list and VLAN filter are validated before the PMD sees them', (t) => {
  const w = new World();
  const p = new FakePort({ registry: w.registry, name: 'net_fake0' }, w.pool, { rxOffloadCapa: 0 });
  p.configure(1, 1);
  t.throws(() => p.setMtu(9001), { code: 'ERR_MTU_RANGE' });
  p.setMtu(9000);
  t.is(p.mtu, 9000);
  t.throws(() => p.setMcAddrList([mac(1)]), { code: 'ERR_INVALID_ARGUMENT' });
  p.setMcAddrList([MacAddress.parse('01:00:5e:00:00:01')]);
  t.throws(() => p.vlanFilter(10, true), {
    code: 'ERR_NOT_SUPPORTED',
    message: /VLAN-filtering disabled/,
  });
  const q = fake(w, 'net_fake1');
  q.configure(1, 1, { rxOffloads: ETH_OFFLOAD.VLAN_FILTER });
  t.throws(() => q.vlanFilter(4096, true), { code: 'ERR_INVALID_ARGUMENT' });
  q.vlanFilter(100, true);
  q.vlanFilter(10, true);
  t.deepEqual(q.vlanIds, [10, 100]);
});

test('MTU set: refused before the first configure, then passed to the PMD even when unchanged (rte_eth_dev_set_mtu)', (t) => {
  const w = new World();
  const p = fake(w);
  t.throws(() => p.setMtu(1400), {
    code: 'ERR_STATE',
    message: /must be configured before MTU set/,
  });
  t.deepEqual(p.calls, [], 'the PMD saw nothing');
  p.configure(1, 1);
  p.setMtu(1500);
  p.setMtu(1500);
  t.deepEqual(p.calls.slice(1), ['mtu 1500', 'mtu 1500'], 'no shortcut for the same MTU');
  // the range is checked before the configured state: a bad MTU is a range error either way
  const q = fake(w, 'net_fake1');
  t.throws(() => q.setMtu(67), {
    code: 'ERR_MTU_RANGE',
    message: /MTU \(67\) < device min MTU \(68\)/,
  });
});

test('MTU: the frame it makes must fit max_rx_pktlen, with the overhead the limits imply (eth_dev_validate_mtu)', (t) => {
  const w = new World();
  // max_mtu unstated (UINT16_MAX): 18 bytes of header and CRC, so 1522 allows 1504 at most
  const tap = new FakePort({ registry: w.registry, name: 'net_fakeT' }, w.pool, {
    maxMtu: 0xffff,
    maxRxPktLen: 1522,
  });
  tap.configure(1, 1);
  tap.setMtu(1504);
  t.throws(() => tap.setMtu(1505), {
    code: 'ERR_MTU_RANGE',
    message: /Frame size \(1523\) > device max frame size \(1522\)/,
  });
  // a stated max_mtu below max_rx_pktlen: the difference is the overhead (here 26 bytes)
  const vlan = new FakePort({ registry: w.registry, name: 'net_fakeV' }, w.pool, {
    maxMtu: 9000,
    maxRxPktLen: 9026,
  });
  vlan.configure(1, 1);
  vlan.setMtu(9000);
  t.throws(() => vlan.setMtu(9001), { code: 'ERR_MTU_RANGE', message: /> device max MTU/ });
  t.is(vlan.mtu, 9000);
});

test('configure sets the MTU from rxmode.mtu without the PMD mtu_set: default min(max_mtu, 1500), checked, put back on failure', (t) => {
  const w = new World();
  const p = fake(w);
  p.configure(1, 1);
  t.is(p.mtu, 1500);
  p.setMtu(9000);
  p.configure(1, 1); // an MTU set earlier does not survive a configure that leaves mtu out
  t.is(p.mtu, 1500);
  p.configure(1, 1, { mtu: 4000 });
  t.is(p.mtu, 4000);
  t.is(p.devConf.mtu, 4000);
  t.deepEqual(
    p.calls.filter((c) => c.startsWith('mtu')),
    ['mtu 9000'],
    'configure never calls mtu_set',
  );
  t.throws(() => p.configure(1, 1, { mtu: 9001 }), { code: 'ERR_MTU_RANGE' });
  t.is(p.mtu, 4000, 'a refused MTU leaves the previous one');
  p.refuse.add('configure');
  t.throws(() => p.configure(1, 1, { mtu: 2000 }), { code: 'ERR_REFUSED' });
  t.is(p.mtu, 4000, 'the PMD refused the configure: the old MTU is back');
  // a port whose max_mtu is below 1500 gets its max_mtu
  const small = new FakePort({ registry: w.registry, name: 'net_fakeS' }, w.pool, {
    maxMtu: 1400,
  });
  small.configure(1, 1);
  t.is(small.mtu, 1400);
});

test('a refused operation leaves the recorded value unchanged', (t) => {
  const w = new World();
  const p = fake(w);
  p.configure(1, 1);
  p.refuse.add('mtu');
  t.throws(() => p.setMtu(9000), { code: 'ERR_REFUSED' });
  t.is(p.mtu, 1500);
  p.refuse.add('promiscuous');
  t.throws(() => p.setPromiscuous(true));
  t.false(p.promiscuous);
});

test('configured with lsc and rmv, link changes emit intr_lsc once per change and removal intr_rmv once', (t) => {
  const w = new World();
  const p = fake(w);
  p.configure(1, 1, { lsc: true, rmv: true });
  const events: string[] = [];
  p.on('intr_lsc', () => events.push(`lsc ${p.linkGet().status}`));
  p.on('intr_rmv', () => events.push('rmv'));
  p.setHwLink(true);
  p.setHwLink(true);
  p.setHwLink(false);
  p.unplug();
  p.unplug();
  t.deepEqual(events, ['lsc true', 'lsc false', 'rmv']);
  t.is(p.state, 'removed');
});

test('owners: a port claimed by one owner is refused to another', (t) => {
  const w = new World();
  const p = fake(w);
  p.setOwner('net_failsafe');
  t.throws(() => p.setOwner('net_netvsc'), { code: 'ERR_BUSY' });
  p.unsetOwner('net_netvsc');
  t.is(p.owner, 'net_failsafe');
  p.unsetOwner('net_failsafe');
  p.setOwner('net_netvsc');
  t.is(p.owner, 'net_netvsc');
});

test('VfPmdPort moves bursts through the VF rings and counts the 8 basic counters', (t) => {
  const w = new World();
  const vf = w.plugVf('0002:00:02.0', mac(1));
  const port = w.registry.probe('0002:00:02.0') as VfPmdPort;
  t.true(port instanceof VfPmdPort);
  t.is(port.macAddr.toString(), mac(1).toString());
  port.configure(2, 2);
  port.start();
  t.true(port.linkGet().status);
  const pkts = w.frames(8, mac(9));
  t.is(port.txBurst(1, pkts, 0, 8), 8);
  const wire = new Int32Array(8);
  t.is(vf.drainTx(1, wire, 0, 8), 8);
  vf.injectRx(0, wire, 0, 8);
  const out = new Int32Array(8);
  t.is(port.rxBurst(0, out, 0, 8), 8);
  const s = port.statsGet();
  t.is(s.opackets, 8);
  t.is(s.ipackets, 8);
  t.is(s.obytes, 8 * 64);
  port.statsReset();
  t.is(port.statsGet().ipackets, 0);
  w.pool.freeBurst(out, 0, 8);
});

test('VfPmdPort configured with lsc and rmv raises intr_lsc on carrier changes and intr_rmv when its PCI function leaves', (t) => {
  const w = new World();
  w.plugVf('0002:00:02.0', mac(1));
  const port = w.registry.probe('0002:00:02.0');
  port.configure(1, 1, { lsc: true, rmv: true });
  port.start();
  const events: string[] = [];
  port.on('intr_lsc', () => events.push('lsc'));
  port.on('intr_rmv', () => events.push('rmv'));
  w.setVfLink('0002:00:02.0', false);
  // no link: taken all the same (mlx4_tx_burst does not look at it), and lost by the VF
  t.is(port.txBurst(0, w.frames(2, mac(9)), 0, 2), 2);
  t.is(w.drops.get('no-carrier'), 2);
  // with lsc linkGet returns the recorded link: the link interrupt recorded the carrier loss
  t.false(port.linkGet().status);
  w.setVfLink('0002:00:02.0', true);
  const pkts = w.frames(4, mac(9));
  t.is(port.txBurst(0, pkts, 0, 4), 4); // in flight in the TX ring
  w.unplugVf('0002:00:02.0');
  t.deepEqual(events, ['lsc', 'lsc', 'lsc', 'rmv']); // down, up, down with the removal, removed
  t.is(port.state, 'removed');
  t.is(w.drops.get('vf-ring-flushed'), 4);
  t.is(port.txBurst(0, w.frames(1, mac(9)), 0, 1), 0);
});

test('a VF still bound to its kernel driver cannot be probed by a PMD', (t) => {
  const w = new World();
  const vf = w.plugVf('0002:00:02.0', mac(1));
  w.ns.register(vf, 'enP2s2');
  t.throws(() => w.registry.probe('0002:00:02.0'), { code: 'ERR_BUSY' });
  t.throws(() => w.registry.probe('0002:00:03.0'), {
    code: 'ERR_NO_DEVICE',
    message: /Cannot find PCI device/,
  });
});
