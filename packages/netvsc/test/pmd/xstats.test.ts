import test from 'ava';
import { MacAddress } from '@bypass/core';
import { HN_STAT_NAMES } from '../../src/pmd/exports.js';
import { xstatsByName } from '../dpdk/helpers/xstatsByName.js';
import { PmdWorld } from './world.js';

/** The extended statistics of the world's port as name -> value. */
const xstats = (w: PmdWorld): Map<string, number> => xstatsByName(w.port);

test('names: ethdev basic and per-queue, then tx_q<i>_ and rx_q<i>_ hn_stat_strings (hn_dev_xstats_get_names)', (t) => {
  const w = new PmdWorld();
  const p = w.probe();
  p.configure(2, 2);
  const names = p.xstatsGetNames();
  // 8 basic + 2 RX queues x 3 + 2 TX queues x 2, then 4 queues x 15
  t.is(names.length, 8 + 6 + 4 + 4 * 15);
  t.is(names[18], 'tx_q0_good_packets');
  t.is(names[18 + 15], 'tx_q1_good_packets');
  t.is(names[18 + 30], 'rx_q0_good_packets');
  t.true(names.includes('tx_q0_ring full'));
  t.true(names.includes('rx_q1_channel full'));
  t.true(names.includes('rx_q1_size_1519_max_packets'));
  t.is(HN_STAT_NAMES.length, 15);
  t.is(p.xstatsGet().length, names.length);
});

test('TX: sizes and group frames when sent, packets and bytes at the host completion', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  const bcast = MacAddress.parse('ff:ff:ff:ff:ff:ff');
  const mcast = MacAddress.parse('01:00:5e:00:00:01');
  const pkts = new Int32Array([
    ...w.frames(2, 64), // copied into the send buffer
    ...w.frames(1, 60, bcast), // undersize, broadcast
    ...w.frames(1, 300, mcast),
    ...w.frames(1, 1500), // direct request
  ]);
  t.is(p.txBurst(0, pkts, 0, 5), 5);
  let x = xstats(w);
  t.is(x.get('tx_q0_size_64_packets'), 2);
  t.is(x.get('tx_q0_undersize_packets'), 1);
  t.is(x.get('tx_q0_size_256_511_packets'), 1);
  t.is(x.get('tx_q0_size_1024_1518_packets'), 1);
  t.is(x.get('tx_q0_broadcast_packets'), 1);
  t.is(x.get('tx_q0_multicast_packets'), 1);
  t.is(x.get('tx_q0_good_packets'), 0); // no completion read yet
  t.is(x.get('tx_good_packets'), 0);
  w.settle();
  w.receive(); // the poll reads the completions (hn_process_events)
  x = xstats(w);
  t.is(x.get('tx_q0_good_packets'), 5);
  t.is(x.get('tx_q0_good_bytes'), 64 * 2 + 60 + 300 + 1500);
  t.is(x.get('tx_good_packets'), 5);
  t.is(x.get('tx_q0_packets'), 5); // ethdev's per-queue copy
  t.is(x.get('tx_good_bytes'), x.get('tx_q0_good_bytes'));
  t.is(x.get('tx_q0_errors'), 0);
});

test('TX: a full VMBus ring counts `channel full`, no descriptor left `ring full`', (t) => {
  const w = new PmdWorld();
  const p = w.up('', { txDescriptors: 8 });
  w.host.pause();
  for (let i = 0; i < 50; i++) w.send(32, 1400);
  const x = xstats(w);
  t.is(x.get('tx_q0_channel full'), p.pmdStats.txChannelFull);
  t.is(x.get('tx_q0_ring full'), p.pmdStats.txNoDescriptor);
  t.true((x.get('tx_q0_channel full') ?? 0) + (x.get('tx_q0_ring full') ?? 0) > 0);
});

test('RX: packets, bytes and sizes counted per queue before the ring; ring full is imissed', (t) => {
  const w = new PmdWorld();
  w.up();
  w.deliver(3, 200);
  w.settle();
  t.is(w.receive().length, 3);
  const x = xstats(w);
  t.is(x.get('rx_q0_good_packets'), 3);
  t.is(x.get('rx_q0_good_bytes'), 600);
  t.is(x.get('rx_q0_size_128_255_packets'), 3);
  t.is(x.get('rx_q0_packets'), 3);
  t.is(x.get('rx_good_packets'), 3);
  t.is(x.get('rx_q0_ring full'), 0);
  t.is(x.get('rx_missed_errors'), 0);
});

test('xstatsReset without a VF resets the counters, then fails with -EINVAL (hn_vf_xstats_reset)', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  w.deliver(2);
  w.settle();
  w.receive();
  t.is(xstats(w).get('rx_q0_good_packets'), 2);
  t.throws(() => p.xstatsReset(), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /no VF attached.*-EINVAL.*use statsReset\(\)/,
  });
  t.true([...xstats(w).values()].every((v) => v === 0));
});

test('with a VF: its whole list follows as vf_*, its per-queue counters join the port ones, xstatsReset resets it', (t) => {
  const w = new PmdWorld();
  const { vf, vfPort } = w.vfReady();
  const p = w.up();
  w.settle();
  t.true(p.vfSwitched);
  t.is(w.send(4, 256), 4); // on the VF
  const wire = new Int32Array(8);
  t.is(vf.drainTx(0, wire, 0, 8), 4);
  w.pool.freeBurst(wire, 0, 4);
  w.deliver(3, 100); // the host delivers on the VF
  t.is(w.receive().length, 3);
  const names = p.xstatsGetNames();
  const vfNames = vfPort.xstatsGetNames();
  t.deepEqual(
    names.slice(-vfNames.length),
    vfNames.map((n) => `vf_${n}`),
  );
  t.true(names.includes('vf_rx_q0_packets'));
  let x = xstats(w);
  t.is(x.get('vf_tx_good_packets'), 4);
  t.is(x.get('vf_tx_q0_bytes'), 4 * 256);
  t.is(x.get('tx_good_packets'), 4); // the VF's share of the port's totals
  t.is(x.get('tx_q0_packets'), 4); // hn_vf_stats_get: the VF's per-queue counters
  t.is(x.get('rx_q0_packets'), 3);
  t.is(x.get('tx_q0_good_packets'), 0); // the synthetic queue carried nothing
  t.is(x.get('rx_q0_good_packets'), 0);
  p.xstatsReset();
  x = xstats(w);
  t.is(x.get('vf_tx_good_packets'), 0);
  t.is(x.get('tx_good_packets'), 0);
  t.is(x.get('tx_q0_packets'), 0);
});

test('a VF that was removed leaves the list; xstatsReset fails again without it', (t) => {
  const w = new PmdWorld();
  w.vfReady();
  const p = w.up();
  w.settle();
  t.true(p.xstatsGetNames().includes('vf_tx_good_packets'));
  w.unplugVf();
  w.settle(); // the removal alarm
  t.is(p.vfPort, null);
  t.false(p.xstatsGetNames().some((n) => n.startsWith('vf_')));
  t.is(p.xstatsGet().length, p.xstatsGetNames().length);
  t.throws(() => p.xstatsReset(), { code: 'ERR_INVALID_ARGUMENT' });
});
