import test from 'ava';
import {
  ETH_DEV_FLAG,
  ETHDEV_QUEUE_STAT_CNTRS,
  basicXstatNames,
  type FailsafePort,
  type TapPort,
  type VfPmdPort,
} from '../../src/dpdk/exports.js';
import { FakePort, fakeDriver } from './helpers/FakePort.js';
import { World, mac } from './helpers/world.js';
import { xstatsByName } from './helpers/xstatsByName.js';

const BASIC = [
  'rx_good_packets',
  'tx_good_packets',
  'rx_good_bytes',
  'tx_good_bytes',
  'rx_missed_errors',
  'rx_errors',
  'tx_errors',
  'rx_mbuf_allocation_errors',
];

const xstats = xstatsByName;

test('ethdev lists the 8 basic counters first, then the PMD own ones, ids being the indexes', (t) => {
  const w = new World();
  const port = new FakePort({ registry: w.registry, name: 'net_fake0' }, w.pool);
  port.ownXstats.set('link_flaps', 3);
  port.configure(1, 1);
  port.start();
  const pkts = w.frames(4, mac(9));
  t.is(port.txBurst(0, pkts, 0, 4), 4);
  t.deepEqual(port.xstatsGetNames(), [...BASIC, 'link_flaps']);
  const x = xstats(port);
  t.is(x.get('tx_good_packets'), 4);
  t.is(x.get('rx_good_packets'), 0);
  t.is(x.get('link_flaps'), 3);
  // rte_eth_xstats_get_id_by_name / rte_eth_xstats_get_by_id
  t.is(port.xstatsGetIdByName('link_flaps'), 8);
  t.deepEqual(port.xstatsGetById([8, 1]), [3, 4]);
  t.throws(() => port.xstatsGetIdByName('rx_q0_packets'), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /no xstat named "rx_q0_packets": pick one of xstatsGetNames\(\)/,
  });
  t.throws(() => port.xstatsGetById([9]), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /no xstat with id 9 \(ids are 0\.\.8/,
  });
  t.throws(() => port.xstatsGetById([1.5]), { code: 'ERR_INVALID_ARGUMENT' });
  port.xstatsReset();
  t.true(port.calls.includes('xstats_reset'));
  t.is(xstats(port).get('tx_good_packets'), 0);
  t.is(xstats(port).get('link_flaps'), 0);
});

test('a released port has no xstats (ERR_NO_DEVICE), as an invalid port id', (t) => {
  const w = new World();
  const port = new FakePort({ registry: w.registry, name: 'net_fake0' }, w.pool);
  port.close();
  t.is(port.state, 'unused');
  t.throws(() => port.xstatsGetNames(), { code: 'ERR_NO_DEVICE', message: /read the xstats/ });
  t.throws(() => port.xstatsGet(), { code: 'ERR_NO_DEVICE' });
  t.throws(() => port.xstatsReset(), { code: 'ERR_NO_DEVICE', message: /reset the xstats/ });
});

test('per-queue names come with AUTOFILL_QUEUE_XSTATS, at most 16 queues each way', (t) => {
  t.deepEqual(basicXstatNames(2, 1, false), BASIC);
  t.deepEqual(basicXstatNames(2, 1, true).slice(8), [
    'rx_q0_packets',
    'rx_q0_bytes',
    'rx_q0_errors',
    'rx_q1_packets',
    'rx_q1_bytes',
    'rx_q1_errors',
    'tx_q0_packets',
    'tx_q0_bytes',
  ]);
  const many = basicXstatNames(40, 40, true);
  t.is(many.length, 8 + ETHDEV_QUEUE_STAT_CNTRS * 5);
  t.true(many.includes('rx_q15_errors'));
  t.false(many.includes('rx_q16_packets'));
});

test('TAP: per-queue packets and bytes each way (tap_stats_get), reset by xstatsReset through stats_reset', (t) => {
  const w = new World();
  const eth1 = w.netvsc('eth1', mac(1));
  eth1.bindSink((_d, pkts, s, c) => w.pool.freeBurst(pkts, s, c));
  const tap = w.registry.probe('net_tap_vsc0,remote=eth1') as TapPort;
  t.not(tap.devInfo().devFlags & ETH_DEV_FLAG.AUTOFILL_QUEUE_XSTATS, 0);
  tap.configure(2, 2);
  tap.start();
  t.is(tap.txBurst(1, w.frames(3, mac(9), 100), 0, 3), 3);
  t.is(tap.txBurst(0, w.frames(1, mac(9)), 0, 1), 1);
  // what the kernel sends on the TAP netdev reaches RX queue 0
  tap.netdev.xmit(w.frames(2, mac(1), 80), 0, 2);
  const out = new Int32Array(8);
  t.is(tap.rxBurst(0, out, 0, 8), 2);
  w.pool.freeBurst(out, 0, 2);
  t.deepEqual(tap.xstatsGetNames(), basicXstatNames(2, 2, true)); // and nothing of its own
  const x = xstats(tap);
  t.is(x.get('tx_good_packets'), 4);
  t.is(x.get('tx_q0_packets'), 1);
  t.is(x.get('tx_q1_packets'), 3);
  t.is(x.get('tx_q1_bytes'), 300);
  t.is(x.get('rx_q0_packets'), 2);
  t.is(x.get('rx_q0_bytes'), 160);
  t.is(x.get('rx_q1_packets'), 0);
  t.is(x.get('rx_q0_errors'), 0); // tap fills no per-queue errors
  tap.xstatsReset(); // no xstats_reset op: rte_eth_stats_reset
  t.true([...xstats(tap).values()].every((v) => v === 0));
});

test('VF PMD (as mlx4): each queue counts its share of the VF counters; no PMD xstats of its own', (t) => {
  const w = new World();
  const vf = w.plugVf('0002:00:02.0', mac(1));
  const port = w.registry.probe('0002:00:02.0') as VfPmdPort;
  port.configure(2, 2);
  port.start();
  t.is(port.txBurst(1, w.frames(5, mac(9), 128), 0, 5), 5);
  const wire = new Int32Array(5);
  t.is(vf.drainTx(1, wire, 0, 5), 5);
  vf.injectRx(0, wire, 0, 5);
  const out = new Int32Array(8);
  t.is(port.rxBurst(0, out, 0, 8), 5);
  w.pool.freeBurst(out, 0, 5);
  t.is(port.xstatsGetNames().length, 8 + 2 * 3 + 2 * 2);
  const x = xstats(port);
  t.is(x.get('tx_q1_packets'), 5);
  t.is(x.get('tx_q1_bytes'), 5 * 128);
  t.is(x.get('tx_q0_packets'), 0);
  t.is(x.get('rx_q0_packets'), 5);
  t.is(x.get('rx_q0_bytes'), 5 * 128);
  t.is(x.get('rx_good_packets'), 5);
  port.statsReset();
  t.is(xstats(port).get('tx_q1_packets'), 0);
});

function failsafe() {
  const w = new World();
  const live = new Set(['net_fakeA', 'net_fakeB']);
  w.registry.registerDriver(fakeDriver(w.pool, live));
  const fs = w.registry.probe('net_failsafe0,dev(net_fakeA),dev(net_fakeB)') as FailsafePort;
  const sub = (name: string) => w.registry.getByName(name) as FakePort;
  fs.configure(1, 1);
  fs.start();
  return { w, fs, sub, live };
}

test('fail-safe: its own per-queue counters stay 0, then each active sub-device list renamed subN', (t) => {
  const { w, fs, sub } = failsafe();
  sub('net_fakeB').ownXstats.set('link_flaps', 2);
  t.is(fs.txBurst(0, w.frames(3, mac(9)), 0, 3), 3); // on the preferred sub-device, A
  const names = fs.xstatsGetNames();
  t.deepEqual(names.slice(0, 13), [
    ...BASIC,
    'rx_q0_packets',
    'rx_q0_bytes',
    'rx_q0_errors',
    'tx_q0_packets',
    'tx_q0_bytes',
  ]);
  // failsafe_ops.c __fs_xstats_get_names: rx_/tx_ keep their place, others get subN_ in front
  t.deepEqual(names.slice(13, 21), [
    'rx_sub0_good_packets',
    'tx_sub0_good_packets',
    'rx_sub0_good_bytes',
    'tx_sub0_good_bytes',
    'rx_sub0_missed_errors',
    'rx_sub0_errors',
    'tx_sub0_errors',
    'rx_sub0_mbuf_allocation_errors',
  ]);
  t.is(names[21], 'rx_sub1_good_packets');
  t.is(names.at(-1), 'sub1_link_flaps');
  t.is(names.length, 13 + 8 + 9);
  const x = xstats(fs);
  t.is(x.get('tx_good_packets'), 3);
  t.is(x.get('tx_q0_packets'), 0); // fs_stats_get fills no per-queue counters
  t.is(x.get('tx_sub0_good_packets'), 3);
  t.is(x.get('tx_sub1_good_packets'), 0);
  t.is(x.get('sub1_link_flaps'), 2);
});

test('fail-safe: xstatsReset resets each active sub-device and stops at the first that fails', (t) => {
  const { w, fs, sub } = failsafe();
  t.is(fs.txBurst(0, w.frames(2, mac(9)), 0, 2), 2);
  sub('net_fakeB').ownXstats.set('link_flaps', 2);
  sub('net_fakeA').refuse.add('xstats_reset');
  t.throws(() => fs.xstatsReset(), { code: 'ERR_REFUSED', message: /refuses xstats_reset/ });
  t.false(sub('net_fakeB').calls.includes('xstats_reset'));
  t.is(xstats(fs).get('sub1_link_flaps'), 2);
  sub('net_fakeA').refuse.clear();
  fs.xstatsReset();
  const x = xstats(fs);
  t.is(x.get('tx_sub0_good_packets'), 0);
  t.is(x.get('sub1_link_flaps'), 0);
  t.is(x.get('tx_good_packets'), 0);
});

test('fail-safe: a sub-device removed leaves the list; what it counted stays in the totals', (t) => {
  const { w, fs, sub, live } = failsafe();
  t.is(fs.txBurst(0, w.frames(2, mac(9)), 0, 2), 2);
  const before = fs.xstatsGetNames().length;
  live.delete('net_fakeA'); // not probed again
  sub('net_fakeA').unplug();
  w.advanceMs(2000); // the removal
  t.is(fs.subDevices[0]?.port, null);
  const names = fs.xstatsGetNames();
  t.is(names.length, before - 8);
  t.false(names.some((n) => n.includes('sub0')));
  t.is(names[13], 'rx_sub1_good_packets');
  const x = xstats(fs);
  t.is(x.get('tx_good_packets'), 2); // the fail-safe's accumulator
  t.is(x.get('tx_sub1_good_packets'), 0);
});
