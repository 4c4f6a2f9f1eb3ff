import test from 'ava';
import {
  emptyStats,
  linkRates,
  pathFromCounters,
  pathFromRelation,
  type CounterReading,
  type EthtoolStatsReading,
  type FailoverPair,
  type LinkRecord,
  type LinkStats,
} from '../src/index.js';
import { link, stats } from './helpers/links.js';

const netvsc: FailoverPair = {
  id: 'netvsc:eth0',
  model: 'netvsc',
  mac: '00:0d:3a:00:00:01',
  master: 'eth0',
  backup: 'eth0',
  active: 'enP1s1',
  activeEnslaved: true,
};
const failover: FailoverPair = {
  id: 'net_failover:ens3',
  model: 'net_failover',
  mac: '52:54:00:00:00:01',
  master: 'ens3',
  backup: 'ens3nsby',
  active: 'ens4',
  activeEnslaved: true,
};

function byName(...links: LinkRecord[]): Map<string, LinkRecord> {
  return new Map(links.map((l) => [l.name, l]));
}

test('netvsc: the VF path is only expected (the data path switch is not visible over rtnetlink)', (t) => {
  const m = byName(
    link({ ifindex: 2, name: 'eth0', up: true, carrier: true }),
    link({ ifindex: 3, name: 'enP1s1', up: true, carrier: true, master: 2 }),
  );
  const v = pathFromRelation(netvsc, m);
  t.is(v.path, 'active');
  t.regex(v.reason, /^expected on the VF: .*not visible over rtnetlink/);
});

test('netvsc: a VF up without carrier leaves netvsc on the synthetic path (netvsc_xmit, >= 5.9)', (t) => {
  // This test asserted 'active' before: netvsc_xmit also requires netif_carrier_ok(vf).
  const m = byName(
    link({ ifindex: 2, name: 'eth0', up: true, carrier: true }),
    link({ ifindex: 3, name: 'enP1s1', up: true, carrier: false, master: 2 }),
  );
  t.deepEqual(pathFromRelation(netvsc, m), {
    path: 'backup',
    reason: 'VF enP1s1 has no carrier: netvsc sends on the synthetic path',
  });
});

test('netvsc without carrier: neither path sends (its TX queues are stopped)', (t) => {
  const m = byName(
    link({ ifindex: 2, name: 'eth0', up: true, carrier: false }),
    link({ ifindex: 3, name: 'enP1s1', up: true, carrier: true, master: 2 }),
  );
  t.deepEqual(pathFromRelation(netvsc, m), {
    path: 'none',
    reason: 'eth0 has no carrier: netvsc stops its TX queues, neither path sends',
  });
});

test('net_failover: primary when ready, else standby when ready, else none', (t) => {
  const master = link({ ifindex: 2, name: 'ens3', up: true, carrier: true });
  const sby = (up: boolean): LinkRecord =>
    link({ ifindex: 3, name: 'ens3nsby', up, carrier: up, master: 2 });
  const pri = (up: boolean): LinkRecord =>
    link({ ifindex: 4, name: 'ens4', up, carrier: up, master: 2 });
  t.is(pathFromRelation(failover, byName(master, sby(true), pri(true))).path, 'active');
  t.is(pathFromRelation(failover, byName(master, sby(true), pri(false))).path, 'backup');
  t.is(pathFromRelation(failover, byName(master, sby(false), pri(false))).path, 'none');
});

test('bond: the current active slave decides', (t) => {
  const pair: FailoverPair = {
    ...failover,
    id: 'bond:bond0',
    model: 'bond',
    master: 'bond0',
    backup: 'eth0',
    active: 'enP1s1',
  };
  const bond = (active: number): LinkRecord =>
    link({
      ifindex: 9,
      name: 'bond0',
      up: true,
      kind: 'bond',
      bond: { mode: 1, activeSlave: active },
    });
  const slaves = [
    link({ ifindex: 2, name: 'eth0', master: 9 }),
    link({ ifindex: 3, name: 'enP1s1', master: 9 }),
  ];
  t.is(pathFromRelation(pair, byName(bond(3), ...slaves)).path, 'active');
  t.is(pathFromRelation(pair, byName(bond(2), ...slaves)).path, 'backup');
  t.is(pathFromRelation(pair, byName(bond(0), ...slaves)).path, 'none');
});

test('same-mac: unknown when both are ready (no master decides)', (t) => {
  const pair: FailoverPair = {
    ...netvsc,
    id: 'same-mac:tap0',
    model: 'same-mac',
    master: null,
    backup: 'tap0',
    active: 'vf0',
    activeEnslaved: false,
  };
  const both = byName(
    link({ ifindex: 2, name: 'tap0', up: true, carrier: true }),
    link({ ifindex: 3, name: 'vf0', up: true, carrier: true }),
  );
  t.is(pathFromRelation(pair, both).path, 'unknown');
  const one = byName(
    link({ ifindex: 2, name: 'tap0' }),
    link({ ifindex: 3, name: 'vf0', up: true, carrier: true }),
  );
  t.is(pathFromRelation(pair, one).path, 'active');
});

const IFINDEX: Record<string, number> = { eth0: 2, enP1s1: 3, ens3: 2, ens3nsby: 3, ens4: 4 };

/** Readings by name: stats64 (null = all zero), ifindex from IFINDEX unless given. */
function m(
  entries: Record<string, LinkStats | null>,
  extra: { ethtool?: EthtoolStatsReading | null; ifindex?: Record<string, number> } = {},
): Map<string, CounterReading> {
  return new Map(
    Object.entries(entries).map(([name, st]): [string, CounterReading] => [
      name,
      {
        ifindex: extra.ifindex?.[name] ?? IFINDEX[name] ?? 1,
        stats64: st ?? emptyStats(),
        ethtool: name === 'eth0' ? (extra.ethtool ?? null) : null,
      },
    ]),
  );
}

/** netvsc's ethtool -S counters: VF skbs and two synthetic channels. */
function nvEthtool(vfRx: number, vfTx: number, synRx: number, synTx: number): EthtoolStatsReading {
  return {
    ok: true,
    stats: new Map([
      ['vf_rx_packets', vfRx],
      ['vf_tx_packets', vfTx],
      ['tx_queue_0_packets', synTx],
      ['rx_queue_0_packets', synRx],
      ['tx_queue_1_packets', 0],
      ['rx_queue_1_packets', 0],
    ]),
  };
}

function withMulticast(st: LinkStats | null, multicast: number): LinkStats {
  return { ...(st ?? emptyStats()), multicast };
}

test('counters (netvsc, ethtool): GSO/GRO make the VF count 10x more than netvsc; synthetic traffic still shows', (t) => {
  // netvsc counts VF skbs (vf_*), the VF driver counts wire frames: under TCP bulk traffic the
  // VF's own stats64 grow ~10x faster. The synthetic channels moved 300 packets too.
  const before = m(
    { eth0: stats(10_000, 10_000), enP1s1: stats(50_000, 50_000) },
    { ethtool: nvEthtool(9000, 9000, 1000, 1000) },
  );
  const after = m(
    // netvsc stats64 = synthetic (+300/+300) + vf_* (+1000/+1000)
    { eth0: stats(11_300, 11_300), enP1s1: stats(60_000, 60_000) },
    { ethtool: nvEthtool(10_000, 10_000, 1300, 1300) },
  );
  t.deepEqual(pathFromCounters(netvsc, before, after), {
    path: 'both',
    reason: 'by TX: TX 1000/300, unicast RX 1000/300 on enP1s1/eth0',
    source: 'ethtool',
  });
  // The same stats64 without ethtool: netvsc's growth minus the VF's hides the synthetic share.
  const noEthtool = { ok: false, why: 'ethtool is not installed' } as const;
  const v = pathFromCounters(
    netvsc,
    m({ eth0: stats(10_000, 10_000), enP1s1: stats(50_000, 50_000) }, { ethtool: noEthtool }),
    m({ eth0: stats(11_300, 11_300), enP1s1: stats(60_000, 60_000) }, { ethtool: noEthtool }),
  );
  t.is(v.path, 'active');
  t.is(v.source, 'stats64');
  t.regex(
    v.reason,
    /ethtool -S unavailable \(ethtool is not installed\): synthetic share estimated/,
  );
});

test('counters (netvsc, ethtool): all on the VF is active, all on the channels is backup', (t) => {
  const st = { eth0: stats(0, 0), enP1s1: stats(0, 0) };
  const before = m(st, { ethtool: nvEthtool(0, 0, 0, 0) });
  t.like(pathFromCounters(netvsc, before, m(st, { ethtool: nvEthtool(500, 500, 0, 0) })), {
    path: 'active',
    source: 'ethtool',
  });
  t.like(pathFromCounters(netvsc, before, m(st, { ethtool: nvEthtool(0, 0, 500, 500) })), {
    path: 'backup',
    source: 'ethtool',
  });
});

test('counters (netvsc): broadcasts still arriving on the synthetic path are not traffic', (t) => {
  // netvsc_get_stats64 folds broadcast into `multicast`, from the synthetic channels only.
  const before = m(
    { eth0: withMulticast(stats(0, 0), 0), enP1s1: stats(0, 0) },
    { ethtool: nvEthtool(0, 0, 0, 0) },
  );
  const after = m(
    { eth0: withMulticast(stats(40, 0), 40), enP1s1: stats(0, 0) },
    { ethtool: nvEthtool(0, 0, 40, 0) },
  );
  t.like(pathFromCounters(netvsc, before, after), { path: 'idle', source: 'ethtool' });
});

test('counters: TX decides; RX noise on the backup does not make "both"', (t) => {
  // net_failover_handle_frame drops what the standby receives while a primary exists, but the
  // standby's stats count it.
  const before = m({ ens3: null, ens3nsby: stats(0, 0), ens4: stats(0, 0) });
  const after = m({ ens3: null, ens3nsby: stats(200, 0), ens4: stats(0, 300) });
  t.like(pathFromCounters(failover, before, after), {
    path: 'active',
    reason: 'by TX: TX 300/0, unicast RX 0/200 on ens4/ens3nsby',
  });
});

test('counters: below the minimum per interval is idle, not backup; the minimum is an option', (t) => {
  const before = m({ ens3: null, ens3nsby: stats(0, 0), ens4: stats(0, 0) });
  const fiveOnStandby = m({ ens3: null, ens3nsby: stats(5, 0), ens4: stats(0, 0) });
  t.like(pathFromCounters(failover, before, fiveOnStandby), {
    path: 'idle',
    reason: 'fewer than 10 packets: TX 0/0, unicast RX 0/5 on ens4/ens3nsby',
  });
  t.is(pathFromCounters(failover, before, fiveOnStandby, { minPackets: 5 }).path, 'backup');
  t.throws(() => pathFromCounters(failover, before, fiveOnStandby, { minPackets: 0 }), {
    code: 'ERR_INVALID_ARGUMENT',
  });
});

test('counters: multicast a slave driver counts is not unicast RX', (t) => {
  const before = m({ ens3: null, ens3nsby: stats(0, 0), ens4: stats(0, 0) });
  const after = m({ ens3: null, ens3nsby: withMulticast(stats(30, 0), 30), ens4: stats(0, 0) });
  t.like(pathFromCounters(failover, before, after), { path: 'idle' });
});

test('counters: a member replaced under the same name (new ifindex) gives unknown, not a reset', (t) => {
  const before = m({ eth0: stats(1000, 1000), enP1s1: stats(900, 900) });
  // The VF was hot-removed and re-added: a new ifindex, its counters restarted.
  const after = m({ eth0: stats(2000, 2000), enP1s1: stats(10, 10) }, { ifindex: { enP1s1: 7 } });
  t.deepEqual(pathFromCounters(netvsc, before, after), {
    path: 'unknown',
    reason: 'enP1s1 was replaced (ifindex 3 -> 7): its counters restarted',
    source: 'stats64',
  });
});

test("counters (netvsc, stats64 only): the synthetic share is netvsc's growth minus the VF's", (t) => {
  const before = m({ eth0: stats(1000, 1000), enP1s1: stats(900, 900) });
  const onVf = m({ eth0: stats(2000, 2000), enP1s1: stats(1900, 1900) });
  t.like(pathFromCounters(netvsc, before, onVf), { path: 'active', source: 'stats64' });
  const synthetic = m({ eth0: stats(2000, 2000), enP1s1: stats(900, 900) });
  t.is(pathFromCounters(netvsc, before, synthetic).path, 'backup');
  t.is(pathFromCounters(netvsc, before, before).path, 'idle');
});

test('counters: traffic on both slaves is "both"; a missing reading is "unknown"; resets count as zero', (t) => {
  const before = m({ ens3: null, ens3nsby: stats(0, 0), ens4: stats(500, 500) });
  const after = m({ ens3: null, ens3nsby: stats(100, 100), ens4: stats(600, 600) });
  t.is(pathFromCounters(failover, before, after).path, 'both');
  t.is(pathFromCounters(failover, before, m({ ens3nsby: stats(1, 1) })).path, 'unknown');
  const reset = m({ ens3: null, ens3nsby: stats(0, 0), ens4: stats(10, 10) });
  t.is(pathFromCounters(failover, before, reset).path, 'idle');
});

test('rates are per second over the interval, bytes as bits', (t) => {
  const r = linkRates(stats(100, 200) as LinkStats, stats(300, 600) as LinkStats, 2);
  t.deepEqual(r, { rxPps: 100, txPps: 200, rxBps: 100 * 100 * 8, txBps: 200 * 100 * 8 });
});
