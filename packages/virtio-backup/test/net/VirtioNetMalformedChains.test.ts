/**
 * Chains a guest driver gets wrong in ways QEMU's virtio-net (`hw/net/virtio-net.c`) answers with
 * `virtio_error`: NEEDS_RESET, the device stops, the chain is not returned. Frames that only look
 * wrong after a valid header stay counted drops.
 */
import test from 'ava';
import {
  SplitVirtqueueLayout,
  VIRTIO_STATUS,
  VRING_DESC_F,
  type VirtqueueFault,
} from '../../src/index.js';
import { MAC, PEER, seq, world } from '../helpers/world.js';

function setup() {
  const w = world();
  const b = w.backend();
  const nic = w.probe(b);
  const got = w.listen(nic);
  nic.open();
  const faults: VirtqueueFault[] = [];
  b.events.on('needs-reset', (f) => faults.push(f));
  return { ...w, b, nic, got, faults };
}

/** A guest buffer of `len` bytes (a pool slot the test owns). */
function buffer(w: ReturnType<typeof world>, len: number): { h: number; addr: number } {
  const h = w.pool.alloc();
  w.pool.setLength(h, len);
  w.pool.bytes.fill(0, w.pool.start[h], w.pool.start[h]! + len);
  return { h, addr: w.pool.start[h] as number };
}

test('a TX chain shorter than the virtio-net header stops the device (virtio_net_flush_tx)', (t) => {
  const s = setup();
  const tx = s.nic.txQueue(0)!;
  // A good frame first: it reaches the host before the bad chain stops the queue.
  s.nic.xmit(s.frames(1), 0, 1);
  const bad = buffer(s, 8);
  t.true(tx.addOne(bad.h, bad.addr, 8, false));
  s.b.notify(1);
  t.deepEqual(s.drainHost(s.b), seq(1));
  t.true(s.b.needsReset);
  t.true((s.b.getStatus() & VIRTIO_STATUS.NEEDS_RESET) !== 0);
  t.is(s.faults.length, 1);
  t.is(s.faults[0]?.kind, 'tx-short-header');
  t.is(s.b.queue(1)?.faultCounts['tx-short-header'], 1);
  t.is(s.b.stats.txMalformed, 0);
  // The bad chain was not returned: the driver still holds it (it frees it when it resets).
  t.is(tx.inFlight, 1);
  // The whole device stopped: more guest TX is not taken, host RX is dropped.
  s.nic.xmit(s.frames(2), 0, 2);
  t.is(s.b.txPending(0), 0);
  t.is(s.b.receive(0, s.frames(1, MAC.value), 0, 1), 0);
  t.is(s.drops['no-device'], 1);
});

test('a TX chain with no readable buffer stops the device (header not in first element)', (t) => {
  const s = setup();
  const tx = s.nic.txQueue(0)!;
  const bad = buffer(s, 64);
  t.true(tx.addOne(bad.h, bad.addr, 64, true)); // device-writable only
  s.b.notify(1);
  t.true(s.b.needsReset);
  t.is(s.faults[0]?.kind, 'tx-no-header');
  t.is(s.b.queue(1)?.faultCounts['tx-no-header'], 1);
});

test('a runt frame after a valid header is a counted drop, the device keeps running', (t) => {
  const s = setup();
  const tx = s.nic.txQueue(0)!;
  const runt = buffer(s, 12 + 10);
  t.true(tx.addOne(runt.h, runt.addr, 22, false));
  s.nic.xmit(s.frames(1), 0, 1);
  t.deepEqual(s.drainHost(s.b), seq(1));
  t.is(s.b.stats.txMalformed, 1);
  t.false(s.b.needsReset);
});

test('a control chain without room for class and command stops the device (ctrl missing headers)', (t) => {
  const s = setup();
  const cvq = s.nic.controlQueue()!;
  const ok = s.b.stats.ctrlOk;
  const cmd = buffer(s, 2);
  // One readable byte and a writable ack byte.
  t.true(cvq.addChain(cmd.h, [cmd.addr, cmd.addr + 1], [1, 1], 1));
  s.b.notify(2);
  t.true(s.b.needsReset);
  t.is(s.faults[0]?.kind, 'ctrl-missing-headers');
  t.is(s.b.queue(2)?.faultCounts['ctrl-missing-headers'], 1);
  t.is(s.b.stats.ctrlOk, ok);
  t.is(cvq.inFlight, 1); // not answered
});

test('a control chain with no writable ack byte stops the device', (t) => {
  const s = setup();
  const cvq = s.nic.controlQueue()!;
  const cmd = buffer(s, 3);
  t.true(cvq.addOne(cmd.h, cmd.addr, 3, false));
  s.b.notify(2);
  t.is(s.faults[0]?.kind, 'ctrl-missing-headers');
});

test('the control ack goes to the first writable byte of the chain', (t) => {
  const s = setup();
  const cvq = s.nic.controlQueue()!;
  const cmd = buffer(s, 8);
  s.pool.bytes[cmd.addr] = 0; // class RX
  s.pool.bytes[cmd.addr + 1] = 0; // PROMISC
  s.pool.bytes[cmd.addr + 2] = 1; // on
  s.pool.bytes.fill(0xff, cmd.addr + 3, cmd.addr + 8);
  // Writable: 2 bytes, then 3: QEMU writes the ack at writable offset 0. (An empty segment
  // would be virtio_error: virtqueue_map_desc refuses zero-sized buffers.)
  t.true(cvq.addChain(cmd.h, [cmd.addr, cmd.addr + 3, cmd.addr + 5], [3, 2, 3], 1));
  s.b.notify(2);
  t.false(s.b.needsReset);
  t.is(s.pool.bytes[cmd.addr + 3], 0); // VIRTIO_NET_OK
  t.is(s.pool.bytes[cmd.addr + 4], 0xff);
  t.true(s.b.filter.promisc);
});

test('an RX chain with nothing writable stops the device (no in buffers)', (t) => {
  const s = setup();
  const rx = s.nic.rxQueue(0)!;
  const L = new SplitVirtqueueLayout(rx.size);
  const v = new DataView(rx.ring);
  // The head the device pops first: turn its buffer device-readable.
  const head = v.getUint16(L.availRing(0), true);
  v.setUint16(L.descFlags(head), v.getUint16(L.descFlags(head), true) & ~VRING_DESC_F.WRITE, true);
  t.is(s.b.receive(0, s.frames(3, MAC.value), 0, 3), 0);
  t.true(s.b.needsReset);
  t.is(s.faults[0]?.kind, 'rx-no-in-buffers');
  t.is(s.b.queue(0)?.faultCounts['rx-no-in-buffers'], 1);
  t.is(s.b.stats.rxDropped, 3);
  t.is(s.drops['no-device'], 3);
  t.deepEqual(s.got, []);
});

test('a reset clears the stop: the driver probes again and traffic flows', (t) => {
  const s = setup();
  const tx = s.nic.txQueue(0)!;
  const bad = buffer(s, 4);
  t.true(tx.addOne(bad.h, bad.addr, 4, false));
  s.b.notify(1);
  t.true(s.b.needsReset);
  s.nic.remove();
  s.pool.free(bad.h);
  const again = s.probe(s.b, { name: 'ens11' });
  const got = s.listen(again);
  again.open();
  t.false(s.b.needsReset);
  again.xmit(s.frames(2, PEER.value), 0, 2);
  t.deepEqual(s.drainHost(s.b), seq(2));
  s.b.receive(0, s.frames(1, MAC.value, 64, 7), 0, 1);
  again.pollRx(0);
  t.deepEqual(got, [7]);
});
