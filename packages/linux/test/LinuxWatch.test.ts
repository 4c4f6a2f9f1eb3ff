import test from 'ava';
import { NS_PER_MS, VirtualScheduler } from '@bypass/core';
import {
  formatWatchEvent,
  formatWatchTable,
  LinuxWatch,
  RealSysfsView,
  type EthtoolStatsReading,
  type EthtoolStatsSource,
  type WatchUpdate,
} from '../src/index.js';
import { FakeSource } from './helpers/fakeSource.js';
import { bondSlave, link, stats } from './helpers/links.js';
import { HV_MAC, hyperVTree } from './helpers/sysfsFixtures.js';

const eth0 = link({ ifindex: 2, name: 'eth0', address: HV_MAC, up: true, carrier: true });
const vf = link({
  ifindex: 3,
  name: 'enP1s1',
  address: HV_MAC,
  up: true,
  carrier: true,
  master: 2,
});

/** An `ethtool -S` source driven by hand: what `read` answers, and which devices were read. */
class FakeEthtool implements EthtoolStatsSource {
  answer: EthtoolStatsReading = { ok: false, why: 'ethtool is not installed' };
  readonly reads: string[] = [];
  read(dev: string): Promise<EthtoolStatsReading> {
    this.reads.push(dev);
    return Promise.resolve(this.answer);
  }
}

/** netvsc's ethtool -S counters with one synthetic channel. */
function nv(vfRx: number, vfTx: number, synRx: number, synTx: number): EthtoolStatsReading {
  return {
    ok: true,
    stats: new Map([
      ['vf_rx_packets', vfRx],
      ['vf_tx_packets', vfTx],
      ['rx_queue_0_packets', synRx],
      ['tx_queue_0_packets', synTx],
    ]),
  };
}

function setup(t: { teardown: (f: () => void) => void }, minPackets?: number) {
  const tree = hyperVTree();
  t.teardown(() => tree.remove());
  const source = new FakeSource();
  source.initial = [eth0, vf];
  source.links = [
    { ...eth0, stats64: stats(1000, 1000) },
    { ...vf, stats64: stats(900, 900) },
  ];
  const clock = new VirtualScheduler();
  const ethtool = new FakeEthtool();
  const watch = new LinuxWatch({
    source,
    sysfs: new RealSysfsView(tree.root),
    scheduler: clock,
    intervalMs: 1000,
    ethtool,
    ...(minPackets === undefined ? {} : { minPackets }),
  });
  const updates: WatchUpdate[] = [];
  const lines: string[] = [];
  watch.updates$.subscribe((u) => updates.push(u));
  watch.ndjson$.subscribe((l) => lines.push(l));
  t.teardown(() => watch.close());
  return { source, clock, watch, updates, lines, ethtool };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('the first snapshot shows the Hyper-V pair on the VF path', async (t) => {
  const { watch, updates } = setup(t);
  await watch.start();
  const snap = updates.find((u) => u.type === 'snapshot');
  t.like(snap, { type: 'snapshot', t: 0 });
  const row = snap?.type === 'snapshot' ? snap.pairs[0] : undefined;
  t.like(row, {
    id: 'netvsc:eth0',
    master: 'eth0',
    active: 'enP1s1',
    pathByRelation: { path: 'active' },
    pathByCounters: null,
  });
  t.regex(formatWatchTable(watch.table()), /^netvsc:eth0 +netvsc +eth0 +eth0 +enP1s1 +active +- /m);
});

test('a VF going down is an event and a path change, at the time it happened', async (t) => {
  const { source, clock, watch, updates } = setup(t);
  await watch.start();
  updates.length = 0;
  clock.advanceBy(250 * NS_PER_MS);
  source.push({ ...vf, up: false, carrier: false });
  t.deepEqual(
    updates.filter((u) => u.type !== 'snapshot').map((u) => formatWatchEvent(u)),
    [
      '0.250s enP1s1: going-down',
      '0.250s enP1s1: down',
      '0.250s enP1s1: carrier off',
      '0.250s netvsc:eth0: path (relation) active -> backup: VF enP1s1 is down: synthetic path',
    ],
  );
  t.like(updates.at(-1), { type: 'snapshot', t: 250 });
});

test('counter samples every interval give rates and the path by counters', async (t) => {
  const { source, clock, watch, updates, lines } = setup(t);
  await watch.start();
  t.is(source.reads, 1);
  source.links = [
    { ...eth0, stats64: stats(3000, 3000) },
    { ...vf, stats64: stats(2900, 2900) },
  ];
  clock.advanceBy(1000 * NS_PER_MS);
  await flush();
  t.is(source.reads, 2);
  const snap = updates.at(-1);
  t.like(snap, { type: 'snapshot', t: 1000 });
  const row = snap?.type === 'snapshot' ? snap.pairs[0] : undefined;
  t.like(row?.pathByCounters, { path: 'active' });
  t.deepEqual(row?.rates['enP1s1'], {
    rxPps: 2000,
    txPps: 2000,
    rxBps: 2000 * 800,
    txBps: 2000 * 800,
  });
  t.like(
    updates.find((u) => u.type === 'path' && u.by === 'counters'),
    { from: null, to: 'active' },
  );
  t.deepEqual(
    lines.map((l) => JSON.parse(l) as unknown),
    JSON.parse(JSON.stringify(updates)) as unknown,
  );
  // The synthetic path takes over: the counters show it at the next sample.
  source.links = [
    { ...eth0, stats64: stats(4000, 4000) },
    { ...vf, stats64: stats(2900, 2900) },
  ];
  clock.advanceBy(1000 * NS_PER_MS);
  await flush();
  t.like(
    updates.findLast((u) => u.type === 'path'),
    { by: 'counters', from: 'active', to: 'backup' },
  );
});

test('netvsc pairs are sampled through ethtool -S of netvsc: vf_* and channel counters decide', async (t) => {
  const { source, clock, watch, ethtool } = setup(t);
  ethtool.answer = nv(900, 900, 100, 100);
  await watch.start();
  t.deepEqual(ethtool.reads, ['eth0'], 'only the netvsc master is read, once per sample');
  // The VF's own stats64 grow 10x faster (frames vs netvsc's skbs); the channels moved too.
  source.links = [
    { ...eth0, stats64: stats(2300, 2300) },
    { ...vf, stats64: stats(10_900, 10_900) },
  ];
  ethtool.answer = nv(1900, 1900, 400, 400);
  clock.advanceBy(1000 * NS_PER_MS);
  await flush();
  t.deepEqual(ethtool.reads, ['eth0', 'eth0']);
  t.like(watch.table()[0]?.pathByCounters, {
    path: 'both',
    source: 'ethtool',
    reason: 'by TX: TX 1000/300, unicast RX 1000/300 on enP1s1/eth0',
  });
});

test('without ethtool the counter verdict falls back to stats64 and says why', async (t) => {
  const { source, clock, watch } = setup(t);
  await watch.start();
  source.links = [
    { ...eth0, stats64: stats(3000, 3000) },
    { ...vf, stats64: stats(2900, 2900) },
  ];
  clock.advanceBy(1000 * NS_PER_MS);
  await flush();
  const v = watch.table()[0]?.pathByCounters;
  t.like(v, { path: 'active', source: 'stats64' });
  t.regex(v?.reason ?? '', /ethtool -S unavailable \(ethtool is not installed\)/);
});

test('light traffic stays idle below minPackets; the minimum is an option', async (t) => {
  for (const [min, expected] of [
    [undefined, 'idle'],
    [5, 'active'],
  ] as const) {
    const { source, clock, watch } = setup(t, min);
    await watch.start();
    source.links = [
      { ...eth0, stats64: stats(1006, 1006) },
      { ...vf, stats64: stats(906, 906) },
    ];
    clock.advanceBy(1000 * NS_PER_MS);
    await flush();
    t.is(watch.table()[0]?.pathByCounters?.path, expected, `minPackets ${min ?? 'default'}`);
    watch.close();
  }
  t.throws(
    () =>
      new LinuxWatch({
        source: new FakeSource(),
        scheduler: new VirtualScheduler(),
        minPackets: 0,
      }),
    {
      code: 'ERR_INVALID_ARGUMENT',
    },
  );
});

test('a VF replaced under the same name (new ifindex) gets no rate and no counter verdict from restarted counters', async (t) => {
  const { source, clock, watch } = setup(t);
  await watch.start();
  // Host servicing: the VF is hot-removed and re-added, same udev name, new ifindex, counters at 0.
  const vf2 = { ...vf, ifindex: 7 };
  source.del(vf);
  source.push(vf2);
  source.links = [
    { ...eth0, stats64: stats(3000, 3000) },
    { ...vf2, stats64: stats(20, 20) },
  ];
  clock.advanceBy(1000 * NS_PER_MS);
  await flush();
  const row = watch.table()[0];
  t.like(row?.pathByCounters, {
    path: 'unknown',
    reason: 'enP1s1 was replaced (ifindex 3 -> 7): its counters restarted',
  });
  t.is(row?.rates['enP1s1'], undefined);
  t.not(row?.rates['eth0'], undefined);
  // The next interval compares the new device with itself.
  source.links = [
    { ...eth0, stats64: stats(4000, 4000) },
    { ...vf2, stats64: stats(1020, 1020) },
  ];
  clock.advanceBy(1000 * NS_PER_MS);
  await flush();
  t.like(watch.table()[0]?.pathByCounters, { path: 'active' });
});

test('a VF held by another master that moves to a third one is a new snapshot naming it', async (t) => {
  const tree = hyperVTree({ enslaved: false });
  t.teardown(() => tree.remove());
  const source = new FakeSource();
  const bond0 = link({ ifindex: 9, name: 'bond0', address: HV_MAC, kind: 'bond' });
  const br0 = link({ ifindex: 10, name: 'br0', address: HV_MAC, kind: 'bridge' });
  const heldVf = bondSlave({ ifindex: 3, name: 'enP1s1', address: HV_MAC, master: 9 });
  source.initial = [eth0, heldVf, bond0, br0];
  const watch = new LinuxWatch({
    source,
    sysfs: new RealSysfsView(tree.root),
    scheduler: new VirtualScheduler(),
    intervalMs: 0,
    ethtool: null,
  });
  t.teardown(() => watch.close());
  const snapshots: WatchUpdate[] = [];
  watch.updates$.subscribe((u) => {
    if (u.type === 'snapshot') snapshots.push(u);
  });
  await watch.start();
  t.like(watch.table()[0], { active: 'enP1s1', activeEnslaved: false, activeMaster: 'bond0' });
  snapshots.length = 0;
  // Only the holder changes: same VF, still not netvsc's.
  source.push({ ...heldVf, master: 10, slaveKind: 'bridge' });
  t.like(watch.table()[0], { activeMaster: 'br0' });
  t.is(snapshots.length, 1);
});

test('the async iterator yields updates and ends when the watch closes', async (t) => {
  const { source, watch } = setup(t);
  await watch.start();
  const seen: string[] = [];
  const done = (async () => {
    for await (const u of watch)
      seen.push(u.type === 'event' ? `${u.event.type} ${u.event.name}` : u.type);
  })();
  await flush();
  source.push({ ...vf, mtu: 4000 }); // no pair or path change: an event, no snapshot
  source.push({ ...vf, mtu: 4000, up: false });
  watch.close();
  await done;
  t.deepEqual(seen, ['changemtu enP1s1', 'going-down enP1s1', 'down enP1s1', 'path', 'snapshot']);
  t.true(source.closed);
});

test('a bad sampling interval is refused', (t) => {
  t.throws(
    () =>
      new LinuxWatch({
        source: new FakeSource(),
        scheduler: new VirtualScheduler(),
        intervalMs: -1,
      }),
    {
      code: 'ERR_INVALID_ARGUMENT',
    },
  );
});

test('a kernel that never answers the dump fails start() within the timeout and releases the source', async (t) => {
  const source = new FakeSource();
  const watch = new LinuxWatch({ source, scheduler: new VirtualScheduler(), syncTimeoutMs: 30 });
  let failed: unknown = null;
  watch.updates$.subscribe({ error: (err: unknown) => (failed = err) });
  await t.throwsAsync(watch.start(), { code: 'ERR_STATE', message: /within 30 ms/ });
  t.true(source.closed);
  t.not(failed, null);
});
