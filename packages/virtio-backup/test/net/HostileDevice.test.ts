import test from 'ava';
import type { BypassMaster } from '@bypass/core';
import { SplitVirtqueueLayout, VIRTIO_STATUS, type VirtqueueFault } from '../../src/index.js';
import { MAC, seq, world } from '../helpers/world.js';

function setup() {
  const w = world();
  const backend = w.backend({ backup: true });
  const nic = w.probe(backend);
  const master = nic.bypassMaster as BypassMaster;
  const got = w.listen(master);
  master.open();
  const faults: VirtqueueFault[] = [];
  const resets: string[] = [];
  nic.events.on('queue-broken', (f) => faults.push(f));
  nic.events.on('needs-reset', (r) => resets.push(r));
  return { ...w, backend, nic, master, got, faults, resets };
}

test('a used id the driver never made available stops the RX queue, is counted and reported; the carrier stays on (virtio_ring.c BAD_RING)', (t) => {
  const s = setup();
  const vf = s.vf();
  const rx = s.nic.rxQueue(0)!;
  const L = new SplitVirtqueueLayout(rx.size);
  const v = new DataView(rx.ring);
  // The (hostile) device completes id 40... twice, without going through the backend.
  v.setUint32(L.usedRing(0), 40, true);
  v.setUint32(L.usedRing(0) + 4, 60, true);
  v.setUint32(L.usedRing(1), 40, true);
  v.setUint16(L.usedIdx, 2, true);
  s.nic.pollRx(0);
  t.is(s.nic.stats.rxPackets, 1); // the first completion named a real posted buffer
  t.is(s.faults[0]?.kind, 'used-id-not-head');
  t.is(s.resets.length, 1);
  t.true(s.nic.needsReset);
  t.true(s.nic.carrier); // Linux marks the vq broken and leaves the carrier alone
  t.is(s.nic.ethtoolStats()['vq0_fault_used-id-not-head'], 1);
  // The master carries on over the VF.
  t.is(s.master.datapath, 'active');
  s.master.xmit(s.frames(3), 0, 3);
  t.deepEqual(s.drainVf(vf), seq(3));
  // The broken queue is never read again; link changes still drive the carrier
  // (virtnet_config_changed_work reads LINK_UP only).
  s.nic.pollRx(0);
  s.backend.setLink(false);
  t.false(s.nic.carrier);
  s.backend.setLink(true);
  t.true(s.nic.carrier);
  t.is(s.faults.length, 1);
});

test('a used index far ahead is detected without walking the ring', (t) => {
  const s = setup();
  const tx = s.nic.txQueue(0)!;
  const L = new SplitVirtqueueLayout(tx.size);
  new DataView(tx.ring).setUint16(L.usedIdx, 0x8000, true);
  s.master.xmit(s.frames(1), 0, 1); // reclaim at send finds the fault
  t.is(s.faults[0]?.kind, 'used-index-jump');
  t.is(s.drops['virtio-queue-broken'], 1);
  t.true(s.nic.needsReset);
});

test('a driver ring with a descriptor loop makes the device set NEEDS_RESET and stop', (t) => {
  const s = setup();
  const deviceFaults: VirtqueueFault[] = [];
  s.backend.events.on('needs-reset', (f) => deviceFaults.push(f));
  const tx = s.nic.txQueue(0)!;
  const L = new SplitVirtqueueLayout(tx.size);
  const v = new DataView(tx.ring);
  // Corrupt the guest's own TX ring (a buggy driver): descriptor 5 chains to itself.
  v.setUint32(L.descLen(5), 64, true);
  v.setUint16(L.descFlags(5), 1, true);
  v.setUint16(L.descNext(5), 5, true);
  v.setUint16(L.availRing(0), 5, true);
  v.setUint16(L.availIdx, 1, true);
  s.backend.notify(1);
  t.is(deviceFaults[0]?.kind, 'desc-loop');
  t.is(s.backend.getStatus() & VIRTIO_STATUS.NEEDS_RESET, VIRTIO_STATUS.NEEDS_RESET);
  t.true(s.backend.needsReset);
  // The driver got the config interrupt and reports it.
  t.true(s.nic.needsReset);
  t.regex(s.resets[0] ?? '', /NEEDS_RESET/);
  t.true(s.nic.carrier); // nothing in Linux reads NEEDS_RESET; config status still says LINK_UP
  // The stopped device delivers nothing more and counts it.
  t.is(s.backend.receive(0, s.frames(2, MAC.value), 0, 2), 0);
  t.is(s.drops['no-device'], 2);
  // Removal still works on a broken device and leaks nothing.
  s.nic.remove();
  t.is(s.pool.inUse, 0);
});

test('a guest buffer pointing outside guest memory is refused by the device', (t) => {
  const s = setup();
  const rx = s.nic.rxQueue(0)!;
  const L = new SplitVirtqueueLayout(rx.size);
  const v = new DataView(rx.ring);
  // Every posted buffer now claims to sit 8 bytes before the end of guest memory.
  for (let i = 0; i < rx.size; i++) v.setUint32(L.descAddr(i), s.pool.buffer.byteLength - 8, true);
  t.is(s.backend.receive(0, s.frames(1, MAC.value), 0, 1), 0);
  t.true(s.backend.needsReset);
  t.true(s.nic.needsReset);
});

test('a corrupt control queue makes commands fail instead of waiting forever', (t) => {
  const w = world();
  const b = w.backend({ maxQueuePairs: 4 });
  const nic = w.probe(b, { cpus: 1 });
  const resets: string[] = [];
  nic.events.on('needs-reset', (r) => resets.push(r));
  const ctrlIndex = 2 * nic.maxQueuePairs;
  const cvq = nic.controlQueue()!;
  t.is(cvq.index, ctrlIndex);
  // The device (hostile) claims 1000 more used entries on the control queue.
  new DataView(cvq.ring).setUint16(new SplitVirtqueueLayout(cvq.size).usedIdx, 1000, true);
  t.throws(() => nic.setQueuePairs(2), { code: 'ERR_REFUSED' });
  t.is(nic.ethtoolStats()[`vq${ctrlIndex}_fault_used-index-jump`], 1);
  t.is(resets.length, 1);
  t.is(nic.curQueuePairs, 1);
});

test('a device that stopped answering makes control commands time out, counted', (t) => {
  const w = world();
  const b = w.backend({ maxQueuePairs: 4 });
  const nic = w.probe(b, { cpus: 1 });
  const tx = nic.txQueue(0)!;
  const L = new SplitVirtqueueLayout(tx.size);
  new DataView(tx.ring).setUint16(L.availIdx, 500, true); // the device stops (NEEDS_RESET)
  b.notify(1);
  t.true(b.needsReset);
  t.throws(() => nic.setQueuePairs(2), { code: 'ERR_REFUSED' });
  t.is(nic.ethtoolStats()['ctrl_timeouts'], 1);
});
