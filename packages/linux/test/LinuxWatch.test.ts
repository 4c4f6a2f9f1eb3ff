import test from 'ava';
import { NS_PER_MS, VirtualScheduler } from '@bypass/core';
import {
  formatWatchEvent,
  formatWatchTable,
  LinuxWatch,
  RealSysfsView,
  type WatchUpdate,
} from '../src/index.js';
import { FakeSource } from './helpers/fakeSource.js';
import { link, stats } from './helpers/links.js';
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

function setup(t: { teardown: (f: () => void) => void }) {
  const tree = hyperVTree();
  t.teardown(() => tree.remove());
  const source = new FakeSource();
  source.initial = [eth0, vf];
  source.links = [
    { ...eth0, stats64: stats(1000, 1000) },
    { ...vf, stats64: stats(900, 900) },
  ];
  const clock = new VirtualScheduler();
  const watch = new LinuxWatch({
    source,
    sysfs: new RealSysfsView(tree.root),
    scheduler: clock,
    intervalMs: 1000,
  });
  const updates: WatchUpdate[] = [];
  const lines: string[] = [];
  watch.updates$.subscribe((u) => updates.push(u));
  watch.ndjson$.subscribe((l) => lines.push(l));
  t.teardown(() => watch.close());
  return { source, clock, watch, updates, lines };
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
