import test from 'ava';
import { isBypassError } from '@bypass/core';
import { NVSP_MESSAGE_SIZE, NVSP_MSG, VM_PKT, encodeNvsp } from '../../src/kernel/exports.js';
import { PmdWorld, VF_ADDR } from './world.js';

test('TX: with every descriptor in flight the burst ends and the caller keeps the rest', (t) => {
  const w = new PmdWorld();
  const p = w.up('', { txDescriptors: 3 });
  w.host.pause();
  t.is(w.send(5, 1000), 3);
  t.true(p.pmdStats.txNoDescriptor > 0);
  w.host.resume();
  w.settle();
  t.is(w.send(5, 1000), 3, 'the completions read by this burst freed the descriptors');
  t.is(w.hostRx.length, 3);
});

test('multi-queue: queue 1 sends on its own channel and reads its own completions', (t) => {
  const w = new PmdWorld();
  const p = w.probe();
  t.is(p.channels, 2);
  t.is(p.devInfo().maxTxQueues, 2);
  p.configure(2, 2);
  p.start();
  const pkts = w.frames(2, 1000);
  t.is(p.txBurst(1, pkts, 0, 2), 2);
  w.settle();
  t.is(w.hostRx.length, 2);
  t.is(w.pool.inUse, 2, 'held until completed');
  const out = new Int32Array(4);
  p.rxBurst(1, out, 0, 4);
  t.is(p.pmdStats.txCompletions, 2);
  t.is(w.pool.inUse, 0);
  p.stop();
  t.throws(() => p.configure(3, 3), { message: /nb_rx_queues=3 > 2/ });
});

test('hostile host: garbage, unknown completions and bad RNDIS in the ring are counted, never fatal', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  const ep = w.channel.host;
  const junk = new Uint8Array(64).fill(0xab);
  ep.send(VM_PKT.DATA_INBAND, 0, 0, junk, 0, 64);
  const comp = new Uint8Array(NVSP_MESSAGE_SIZE);
  encodeNvsp({ type: NVSP_MSG.SEND_RNDIS_PKT_COMPLETE, status: 1 }, comp, 0);
  ep.send(VM_PKT.COMP, 0, 77, comp, 0, NVSP_MESSAGE_SIZE); // descriptor never used
  ep.send(VM_PKT.COMP, 0, 5 * 8192 + 1, comp, 0, NVSP_MESSAGE_SIZE); // another queue's id
  const data = new Uint8Array(NVSP_MESSAGE_SIZE + 44).fill(0xff);
  encodeNvsp(
    { type: NVSP_MSG.SEND_RNDIS_PKT, channelType: 0, sectionIndex: 0xffffffff, sectionSize: 0 },
    data,
    0,
  );
  ep.send(VM_PKT.DATA_INBAND, 0, 0, data, 0, data.length);
  w.deliver(1);
  w.settle();
  t.is(w.receive().length, 1);
  t.is(p.pmdStats.malformed, 3);
  t.is(p.pmdStats.rxErrors, 1);
  t.is(p.statsGet().ierrors, 1);
});

test('RX: a full RX ring drops (counted in imissed) instead of blocking the channel', (t) => {
  const w = new PmdWorld();
  const p = w.up('', { rxRingSize: 4 });
  w.deliver(10);
  w.settle();
  const out = new Int32Array(2);
  t.is(p.rxBurst(0, out, 0, 2), 2);
  w.pool.freeBurst(out, 0, 2);
  t.is(p.statsGet().imissed, 6);
  t.is(w.drops.get('ring-full'), 6);
  t.is(w.receive().length, 2);
  // hn_rxpkt counts packets and bytes before the enqueue: the 6 ring-full frames are in ipackets
  const st = p.statsGet();
  t.is(st.ipackets, 10);
  t.is(st.ibytes, 10 * 128);
});

test('hot-add gives up when the PCI device disappears before its interface shows up', (t) => {
  const w = new PmdWorld();
  w.up();
  const vf = w.plugVf();
  w.sysfs.removeUnregistered(vf); // no network interface yet
  w.advanceMs(3000);
  w.unplugVf(VF_ADDR);
  w.advanceMs(1000);
  t.true(w.log.some((l) => l.includes(`PCI device ${VF_ADDR} no longer exists`)));
  w.scheduler.runUntilIdle();
  t.is(w.registry.getByName(VF_ADDR), undefined);
});

test('options out of range are refused at probe', (t) => {
  const w = new PmdWorld();
  const e1 = t.throws(() => w.probe('', { maxQueues: 65 }));
  t.true(isBypassError(e1, 'ERR_INVALID_ARGUMENT'));
  const e2 = t.throws(() => w.probe('', { txDescriptors: 0 }));
  t.true(isBypassError(e2, 'ERR_INVALID_ARGUMENT'));
});

test('a host that accepts no NVSP version fails the probe with ERR_REFUSED and allocates no port', (t) => {
  const w = new PmdWorld({ hostVersions: [] });
  const err = t.throws(() => w.probe());
  t.true(isBypassError(err, 'ERR_REFUSED'));
  t.regex(err?.message ?? '', /device init failed/);
  t.is(w.registry.ports().length, 0);
});
