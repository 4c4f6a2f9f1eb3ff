import test from 'ava';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { SubDevState, type FailsafePort } from '../../src/dpdk/exports.js';
import { type FakePort, fakeDriver } from '../dpdk/helpers/FakePort.js';
import { World as DpdkWorld, mac } from '../dpdk/helpers/world.js';
import { World } from '../kernel/world.js';

/**
 * VF churn faults (issue 7): surprise removal in the middle of a burst, and a VF that comes and
 * goes 1000 times under traffic, for the kernel netvsc and for fail-safe. Pool counters must end
 * exactly where they started; the heap is compared after a forced GC (`gc` obtained through
 * `v8.setFlagsFromString('--expose-gc')`, since ava's node arguments are the root config's).
 */

function gcFunction(): (() => void) | null {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

test('kernel netvsc: VF surprise-removed from inside the RX sink mid-burst, with TX in its ring: every frame is delivered or counted', (t) => {
  const w = World.accelerated();
  const dev = w.netvsc;
  t.true(dev.txOnVf);
  const base = w.pool.inUse;
  let delivered = 0;
  dev.bindSink((_d, pkts, s, n) => {
    delivered += n;
    w.pool.freeBurst(pkts, s, n);
    if (w.vf !== null) w.unplugVf(true); // the device vanishes while its burst is delivered
  });
  w.send(24); // in the VF TX ring, not yet on the wire
  t.notThrows(() => w.fromWire(100)); // the host puts 100 frames on the VF; its poll delivers
  t.false(dev.txOnVf);
  t.true(delivered >= 1);
  t.is(delivered + sum(w.drops), 100 + 24);
  t.is(w.drops.get('vf-ring-flushed'), 124 - delivered);
  w.scheduler.runUntilIdle();
  const before = w.synthetic;
  w.send(6);
  w.scheduler.runUntilIdle();
  t.is(w.synthetic - before, 6);
  t.is(w.pool.inUse, base);
});

test('kernel netvsc: a VF that comes, flaps and goes 1000 times under traffic leaves pool, timers, links and heap where they started', (t) => {
  const w = new World();
  const dev = w.probe();
  w.host.sendVfAssociation(true, 1);
  w.scheduler.runUntilIdle();
  const gc = gcFunction();
  const cycle = (i: number): void => {
    const vf = w.plugVf();
    w.run(100); // takeover
    w.scheduler.runUntilIdle(); // switched
    w.send(16);
    w.fromWire(8);
    vf.setLink(false); // a link flap in the middle
    w.send(4);
    vf.setLink(true);
    w.scheduler.runUntilIdle();
    if (i % 3 === 0) w.drainVf();
    w.unplugVf(i % 2 === 0);
    w.send(8);
    w.scheduler.runUntilIdle();
  };
  for (let i = 0; i < 20; i++) cycle(i);
  w.received.length = 0;
  w.log.length = 0;
  const pool0 = w.pool.inUse;
  const pending0 = w.scheduler.pending;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  for (let i = 0; i < 1000; i++) cycle(i);
  w.received.length = 0; // the test's own records
  w.log.length = 0;
  gc?.();
  const heap1 = process.memoryUsage().heapUsed;
  t.is(w.pool.inUse, pool0);
  t.is(w.pool.allocFailures, 0);
  t.is(w.scheduler.pending, pending0);
  t.is(dev.lowers.length, 0);
  t.is(w.ns.size, 1);
  t.is(w.ns.leakedLinks, 0);
  t.is(w.registry.instances().length, 1);
  t.true(dev.datapath.switches >= 2000); // to the VF and back, each cycle
  t.log(
    `heap ${((heap1 - heap0) / 1e6).toFixed(2)} MB after 1000 cycles (gc ${gc ? 'on' : 'off'})`,
  );
  if (gc !== null) t.true(heap1 - heap0 < 8e6, `heap grew by ${heap1 - heap0} bytes`);
});

test('fail-safe: a VF sub-device announced, removed mid-burst and re-plugged 1000 times under traffic leaves pool, ports, timers and heap where they started', (t) => {
  const w = new DpdkWorld();
  const live = new Set(['net_fakeB']);
  w.registry.registerDriver(fakeDriver(w.pool, live));
  const { fd, pipe } = w.pipes.open();
  const fs = w.registry.probe(`net_failsafe0,fd(${fd}),dev(net_fakeB)`) as FailsafePort;
  fs.configure(1, 1);
  fs.start();
  fs.setMtu(4000);
  fs.setPromiscuous(true);
  const out = new Int32Array(64);
  const gc = gcFunction();
  let taken = 0;
  let offered = 0;
  const send = (n: number): void => {
    const pkts = w.frames(n, mac(0x99));
    const k = fs.txBurst(0, pkts, 0, n);
    w.pool.freeBurst(pkts, k, n - k); // DPDK: the application keeps what was not taken
    taken += k;
    offered += n;
  };
  const cycle = (i: number): void => {
    live.add('net_fakeA');
    pipe.write('net_fakeA\n');
    w.advanceMs(2000); // probed, configuration replayed, started, TX back on it
    const a = w.registry.getByName('net_fakeA') as FakePort;
    if (fs.txSubDevice?.sid !== 0 || a.mtu !== 4000 || !a.promiscuous)
      throw new Error(`cycle ${i}: VF not back with the fail-safe's configuration`);
    send(16);
    a.inject(0, w.frames(8, mac(1)));
    for (let k; (k = fs.rxBurst(0, out, 0, out.length)) > 0;) w.pool.freeBurst(out, 0, k);
    live.delete('net_fakeA');
    if (i % 2 === 0) {
      a.duringBurst = () => a.unplug(); // RMV while a TX burst is inside the sub-device
      send(8);
    } else a.unplug();
    send(8); // already on sub-device 1
    w.advanceMs(2000); // removal completes
    if (fs.subDevices[0]?.state !== SubDevState.UNDEFINED)
      throw new Error(`cycle ${i}: removal did not complete`);
  };
  for (let i = 0; i < 10; i++) cycle(i);
  const pool0 = w.pool.inUse;
  const ports0 = w.registry.ports().length;
  const pending0 = w.scheduler.pending;
  w.logs.length = 0;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  for (let i = 0; i < 1000; i++) cycle(i);
  w.logs.length = 0;
  gc?.();
  const heap1 = process.memoryUsage().heapUsed;
  t.is(w.pool.inUse, pool0);
  t.is(w.pool.doubleFrees + w.pool.invalidFrees, 0);
  t.is(w.registry.ports().length, ports0);
  t.is(w.scheduler.pending, pending0);
  t.is(taken, offered); // sub-device 1 was always there: nothing refused
  t.is(fs.statsGet().opackets, taken);
  t.log(
    `heap ${((heap1 - heap0) / 1e6).toFixed(2)} MB after 1000 cycles (gc ${gc ? 'on' : 'off'})`,
  );
  if (gc !== null) t.true(heap1 - heap0 < 8e6, `heap grew by ${heap1 - heap0} bytes`);
  fs.stop();
  fs.close();
  t.is(w.scheduler.pending, 0);
  t.is(w.registry.ports().length, 0);
  t.is(w.pool.inUse, 0);
});
