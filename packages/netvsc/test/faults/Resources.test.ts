import test from 'ava';
import { ETH_P, Ethernet } from '@bypass/core';
import { SubDevState, type FailsafePort } from '../../src/dpdk/exports.js';
import { type FakePort, fakeDriver } from '../dpdk/helpers/FakePort.js';
import { World as DpdkWorld, mac } from '../dpdk/helpers/world.js';
import { MAC, World } from '../kernel/world.js';
import { PmdWorld } from '../pmd/world.js';

/**
 * Resource faults (issue 7): full rings (VMBus, a VF TX ring, a fail-safe sub-device that takes
 * nothing) and an exhausted packet pool. Nothing throws, what is lost is in a named counter, and
 * traffic recovers once the resource is back.
 */

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

test('kernel netvsc: VMBus ring full (host not reading): the queue stops, the qdisc holds what follows (qdisc-drop beyond 1000), nothing throws, the backlog goes out when the host reads', (t) => {
  const w = new World();
  const dev = w.probe();
  w.host.pause();
  let offered = 0;
  for (let i = 0; i < 40; i++) {
    t.notThrows(() => w.send(64));
    offered += 64;
  }
  const written = dev.client.stats.txFrames;
  t.true(written < offered, 'the ring filled up');
  t.true(dev.ethtool.stopQueue >= 1);
  t.true(dev.txQueues.isStopped(0));
  t.is(dev.txQueues.backlog(0), 1000);
  t.deepEqual([...w.drops.keys()], ['qdisc-drop']);
  t.is(sum(w.drops), offered - written - 1000); // every frame that did not fit is in a counter
  t.is(dev.getStats64().txDropped, 0, 'qdisc drops are not tx_dropped');
  t.is(dev.getStats64().txPackets, 0, 'sent frames count at their completion');
  w.host.resume();
  w.scheduler.runUntilIdle();
  t.is(w.synthetic, written + 1000);
  t.is(dev.txQueues.backlog(0), 0);
  t.is(dev.getStats64().txPackets, written + 1000);
  t.true(dev.ethtool.wakeQueue >= 1);
  w.send(10);
  w.scheduler.runUntilIdle();
  t.is(w.synthetic, written + 1010);
});

test('kernel netvsc: VF TX ring full: the excess is counted in vf_tx_dropped and ring-full; draining recovers', (t) => {
  const w = new World();
  const dev = w.probe();
  w.host.sendVfAssociation(true, 1);
  w.plugVf(); // ring of 256
  w.run(100);
  w.scheduler.runUntilIdle();
  t.true(dev.txOnVf);
  w.send(200);
  w.send(200);
  t.is(dev.ethtool.vfTxDropped, 144);
  t.is(w.drops.get('ring-full'), 144);
  t.is(w.drainVf(), 256);
  w.send(10);
  t.is(w.drainVf(), 10);
});

test('fail-safe: a sub-device whose TX ring is full takes nothing; the application keeps the frames and sends them later', (t) => {
  const w = new DpdkWorld();
  const live = new Set(['net_fakeA', 'net_fakeB']);
  w.registry.registerDriver(fakeDriver(w.pool, live));
  const fs = w.registry.probe('net_failsafe0,dev(net_fakeA),dev(net_fakeB)') as FailsafePort;
  fs.configure(1, 1);
  fs.start();
  const a = w.registry.getByName('net_fakeA') as FakePort;
  a.txBudget = 5;
  const pkts = w.frames(20, mac(9));
  const n = fs.txBurst(0, pkts, 0, 20);
  t.is(n, 5);
  t.is(w.drops.size, 0); // DPDK semantics: not a drop, the caller still owns the rest
  t.true(w.pool.isAllocated(pkts[5] as number));
  t.is(fs.txBurst(0, pkts, 5, 15), 0); // still full
  a.txBudget = Infinity;
  t.is(fs.txBurst(0, pkts, 5, 15), 15);
  t.is(a.sent.length, 20);
  t.is(fs.statsGet().opackets, 20);
  t.is(fs.subDevices[0]?.state, SubDevState.STARTED); // a full ring is not a failure
});

test('kernel netvsc: pool exhausted while the host delivers: rx_no_memory counted (fixed: ethtool showed 0), nothing throws, RX recovers when slots come back', (t) => {
  const w = new World();
  const dev = w.probe();
  const host = w.pool.capacity;
  const hostFrames = new Int32Array(64);
  t.is(w.pool.allocBurst(hostFrames, 0, 64), 64);
  for (const h of hostFrames)
    Ethernet.buildFrame(w.pool, h, MAC.value, 0x5e0000_0099, ETH_P.IPV4, 86);
  const held: number[] = [];
  for (let h; (h = w.pool.alloc()) >= 0;) held.push(h);
  t.is(w.pool.available, 0);
  const received = w.received.length;
  t.notThrows(() => {
    // The host copies into the guest's ring and frees its frames; the guest allocates for RX,
    // and the test's application grabs every slot freed meanwhile.
    w.host.deliver(hostFrames, 0, 32);
    for (let h; (h = w.pool.alloc()) >= 0;) held.push(h);
    w.scheduler.runUntilIdle();
  });
  t.true(dev.client.stats.rxNoMemory > 0);
  t.is(dev.ethtoolStats()['rx_no_memory'], dev.client.stats.rxNoMemory);
  t.is(w.received.length - received + dev.client.stats.rxNoMemory, 32);
  for (const h of held) w.pool.free(h);
  const before = w.received.length;
  w.host.deliver(hostFrames, 32, 32);
  w.scheduler.runUntilIdle();
  t.is(w.received.length - before, 32);
  t.is(w.pool.inUse, host - w.pool.available);
});

test('netvsc PMD: pool exhausted while the host delivers: rx_nombuf counted, nothing throws, RX recovers', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  const hostFrames = w.frames(64, 128);
  const held: number[] = [];
  for (let h; (h = w.pool.alloc()) >= 0;) held.push(h);
  w.host.deliver(hostFrames, 0, 32);
  for (let h; (h = w.pool.alloc()) >= 0;) held.push(h);
  w.settle();
  let got: number[] = [];
  t.notThrows(() => {
    got = w.receive();
  });
  const nombuf = p.statsGet().rx_nombuf;
  t.true(nombuf > 0);
  t.is(got.length + nombuf, 32);
  for (const h of [...held, ...got]) w.pool.free(h);
  w.host.deliver(hostFrames, 32, 32);
  w.settle();
  const again = w.receive();
  t.is(again.length, 32);
  for (const h of again) w.pool.free(h);
});
