import test from 'ava';
import type { PacketPool } from '@bypass/core';
import { BypassError, IFF, NS_PER_MS, VirtualScheduler, dropReasonName } from '@bypass/core';
import { LinuxNetDevice, LinuxNetNamespace, type LinuxLinkEvent } from '../src/index.js';
import { FakeSource } from './helpers/fakeSource.js';
import { link, stats } from './helpers/links.js';

function setup(): {
  source: FakeSource;
  lns: LinuxNetNamespace;
  events: LinuxLinkEvent[];
  clock: VirtualScheduler;
} {
  const source = new FakeSource();
  const clock = new VirtualScheduler();
  const lns = new LinuxNetNamespace({
    source,
    scheduler: clock,
    driverOf: (n) => (n === 'enP1s1' ? 'mlx5_core' : null),
  });
  const events: LinuxLinkEvent[] = [];
  lns.events$.subscribe({ next: (e) => events.push(e), error: () => undefined });
  lns.start();
  return { source, lns, events, clock };
}

const brief = (e: LinuxLinkEvent): string =>
  `${e.phase} ${e.type} ${e.name}${e.upper === undefined ? '' : ` ${e.linking === true ? '+' : '-'}${e.upper}`}${e.detail === undefined ? '' : ` ${e.detail}${e.carrier === undefined ? '' : `=${e.carrier}`}`}`;

const MAC = '00:0d:3a:12:34:56';
const eth0 = link({ ifindex: 2, name: 'eth0', address: MAC, up: true, carrier: true });
const vf = link({ ifindex: 3, name: 'enP1s1', address: MAC, up: true, carrier: true, master: 2 });

test('the first dump registers every link with its kernel ifindex, state and master', async (t) => {
  const { source, lns, events } = setup();
  t.is(source.started, 1);
  // The slave comes before its master in the dump: the link is made when the master appears.
  const bond = link({ ifindex: 9, name: 'bond0', kind: 'bond', address: MAC });
  source.dump([eth0, link({ ...vf, master: 9 }), bond]);
  await lns.whenSynced(100);
  t.deepEqual(events.map(brief), [
    'sync register eth0',
    'sync up eth0',
    'sync change eth0 carrier=true',
    'sync register enP1s1',
    'sync up enP1s1',
    'sync change enP1s1 carrier=true',
    'sync register bond0',
    'sync changeupper enP1s1 +bond0',
  ]);
  const dev = lns.device(3);
  t.true(dev instanceof LinuxNetDevice);
  t.is(dev?.ifindex, 3);
  t.is(dev?.driver, 'mlx5_core');
  t.is(dev?.master?.name, 'bond0');
  t.is(lns.ns.getByName('bond0')?.ifindex, 9);
  t.deepEqual(
    lns.links().map((l) => l.name),
    ['eth0', 'enP1s1', 'bond0'],
  );
});

test('live kernel changes become core events in order, timestamped by the scheduler', async (t) => {
  const { source, lns, events, clock } = setup();
  source.dump([eth0, link({ ...vf, master: 0 })]);
  await lns.whenSynced(100);
  events.length = 0;
  clock.advanceBy(5 * NS_PER_MS);
  source.push({ ...vf, name: 'vf0', mtu: 9000, master: 2 });
  source.push({ ...vf, name: 'vf0', mtu: 9000, master: 2, carrier: false });
  source.push({
    ...vf,
    name: 'vf0',
    mtu: 9000,
    master: 0,
    carrier: false,
    up: false,
    address: '02:00:00:00:00:09',
  });
  source.push({
    ...vf,
    name: 'vf0',
    mtu: 9000,
    master: 0,
    carrier: false,
    up: false,
    address: '02:00:00:00:00:09',
    flags: IFF.PROMISC,
  });
  source.del({ ...eth0 });
  t.deepEqual(events.map(brief), [
    'live changename vf0',
    'live changemtu vf0',
    'live changeupper vf0 +eth0',
    'live change vf0 carrier=false',
    'live changeupper vf0 -eth0',
    'live changeaddr vf0',
    'live going-down vf0',
    'live down vf0',
    'live change vf0 flags',
    'live going-down eth0',
    'live down eth0',
    'live unregister eth0',
  ]);
  t.like(events[0], { oldName: 'enP1s1', ifindex: 3, time: 5 * NS_PER_MS });
  t.like(events[1], { mtu: 9000, oldMtu: 1500 });
  t.like(events[5], { address: '02:00:00:00:00:09', oldAddress: MAC });
  t.is(lns.ns.getByName('eth0'), undefined);
  t.is(lns.ns.leakedLinks, 0);
});

test('deleting a master releases its slaves first (no leaked links)', async (t) => {
  const { source, lns, events } = setup();
  source.dump([eth0, vf]);
  await lns.whenSynced(100);
  events.length = 0;
  source.del(eth0);
  t.deepEqual(events.map(brief).slice(0, 1), ['live changeupper enP1s1 -eth0']);
  t.is(lns.device(3)?.master, null);
  t.is(lns.ns.leakedLinks, 0);
});

test('a resync drops links the dump no longer has and survives swapped names', async (t) => {
  const { source, lns, events } = setup();
  const a = link({ ifindex: 4, name: 'a', address: '02:00:00:00:00:04' });
  const b = link({ ifindex: 5, name: 'b', address: '02:00:00:00:00:05' });
  source.dump([eth0, a, b]);
  await lns.whenSynced(100);
  events.length = 0;
  source.dump([
    { ...a, name: 'b' },
    { ...b, name: 'a' },
  ]);
  t.deepEqual(
    lns.links().map((l) => `${l.ifindex}:${l.name}`),
    ['4:b', '5:a'],
  );
  t.is(lns.ns.getByName('a')?.ifindex, 5);
  t.true(events.some((e) => e.type === 'unregister' && e.name === 'eth0' && e.phase === 'sync'));
});

test('stats64 are read on demand into the devices', async (t) => {
  const { source, lns } = setup();
  source.dump([eth0]);
  await lns.whenSynced(100);
  source.links = [{ ...eth0, stats64: stats(5, 7) }];
  await lns.refreshStats();
  t.like(lns.device(2)?.getStats64(), { rxPackets: 5, txPackets: 7, rxBytes: 500 });
});

test('a mirror device refuses the data plane with a counted drop and control changes with ERR_NOT_SUPPORTED', async (t) => {
  const { source, lns } = setup();
  source.dump([eth0]);
  await lns.whenSynced(100);
  const dev = lns.device(2) as LinuxNetDevice;
  const pool = dev.pool as PacketPool;
  const reasons: string[] = [];
  pool.onDrop = (_p, _k, _s, count, reason) => reasons.push(`${count} ${dropReasonName(reason)}`);
  const pkts = new Int32Array([pool.alloc(), pool.alloc()].filter((h) => h >= 0));
  t.is(dev.xmit(pkts, 0, pkts.length), 0);
  t.is(dev.refusedFrames, pkts.length);
  t.deepEqual(reasons, [`${pkts.length} linux-mirror`]);
  const err = t.throws(() => dev.setMtu(9000), { instanceOf: BypassError });
  t.is(err?.code, 'ERR_NOT_SUPPORTED');
  t.regex(err?.message ?? '', /ip link set eth0 mtu 9000/);
  dev.close();
  t.throws(() => dev.open(), { code: 'ERR_NOT_SUPPORTED' });
});

test('whenSynced is bounded, and a source failure reaches the waiters', async (t) => {
  const { source, lns } = setup();
  await t.throwsAsync(lns.whenSynced(20), { code: 'ERR_STATE', message: /within 20 ms/ });
  const wait = lns.whenSynced(1000);
  source.subject.error(new BypassError('ERR_STATE', 'socket gone'));
  await t.throwsAsync(wait, { message: 'socket gone' });
});
