import test from 'ava';
import {
  emptyStats,
  linkRates,
  pathFromCounters,
  pathFromRelation,
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

function m(entries: Record<string, LinkStats | null>): Map<string, LinkStats> {
  return new Map(Object.entries(entries).map(([k, v]) => [k, v ?? emptyStats()]));
}

test('counters: netvsc totals include the VF, so the synthetic share is the difference', (t) => {
  const before = m({ eth0: stats(1000, 1000), enP1s1: stats(900, 900) });
  const onVf = m({ eth0: stats(2000, 2000), enP1s1: stats(1900, 1900) });
  t.is(pathFromCounters(netvsc, before, onVf).path, 'active');
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
