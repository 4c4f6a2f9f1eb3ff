import test from 'ava';
import {
  SplitVirtqueueLayout,
  VRING_DESC_F,
  VirtqueueDeviceSide,
  VirtqueueDriverSide,
  type VirtqueueFault,
} from '../../src/index.js';

// The device side read against QEMU hw/virtio/virtio.c virtqueue_split_pop and
// virtio_split_should_notify.

function pair(size = 8, memBytes = 4096, eventIdx = false) {
  const drv = new VirtqueueDriverSide({ index: 3, size, eventIdx });
  const memory = new Uint8Array(memBytes);
  const dev = new VirtqueueDeviceSide({ index: 3, size, ring: drv.ring, memory, eventIdx });
  const view = new DataView(drv.ring);
  const mem = new DataView(memory.buffer);
  const L = new SplitVirtqueueLayout(size);
  const faults: VirtqueueFault[] = [];
  drv.onFault = (f) => faults.push(f);
  dev.onFault = (f) => faults.push(f);
  return { drv, dev, view, mem, L, faults };
}

/** Writes a descriptor at byte `at` of `view` (a ring's table or an indirect table). */
function descAt(
  view: DataView,
  at: number,
  addr: number,
  len: number,
  flags: number,
  next: number,
) {
  view.setUint32(at, addr, true);
  view.setUint32(at + 4, 0, true);
  view.setUint32(at + 8, len, true);
  view.setUint16(at + 12, flags, true);
  view.setUint16(at + 14, next, true);
}

/** Makes `heads` available, from available slot 0 on. */
function offer(view: DataView, L: SplitVirtqueueLayout, ...heads: number[]): void {
  heads.forEach((h, i) => view.setUint16(L.availRing(i), h, true));
  view.setUint16(L.availIdx, heads.length, true);
}

const { NEXT, WRITE, INDIRECT } = VRING_DESC_F;

test('a zero-sized buffer is virtio_error, as virtqueue_map_desc refuses it', (t) => {
  const { dev, view, L, faults } = pair();
  descAt(view, L.descAddr(0), 0, 8, NEXT, 1);
  descAt(view, L.descAddr(1), 64, 0, WRITE, 0);
  offer(view, L, 0);
  t.is(dev.pop(), -2);
  t.is(faults[0]?.kind, 'desc-zero-size');
  t.regex(faults[0]?.message ?? '', /zero sized buffers are not allowed/);
});

test('popping more chains than the queue size without pushing any is "Virtqueue size exceeded"', (t) => {
  const { dev, view, L, faults } = pair(4);
  for (let i = 0; i < 4; i++) descAt(view, L.descAddr(i), 16 * i, 16, 0, 0);
  // A driver that makes the same heads available again before the device returned them.
  offer(view, L, 0, 1, 2, 3);
  for (let i = 0; i < 4; i++) t.is(dev.pop(), i);
  view.setUint16(L.availRing(0), 0, true);
  view.setUint16(L.availIdx, 5, true);
  t.is(dev.pop(), -2);
  t.is(faults[0]?.kind, 'queue-size-exceeded');
  t.regex(faults[0]?.message ?? '', /Virtqueue size exceeded/);
});

test('a popped chain put back with unpop does not count as in use', (t) => {
  const { dev, view, L, faults } = pair(2);
  descAt(view, L.descAddr(0), 0, 16, WRITE, 0);
  descAt(view, L.descAddr(1), 16, 16, WRITE, 0);
  offer(view, L, 0, 1);
  t.is(dev.pop(), 0);
  t.is(dev.pop(), 1);
  dev.unpop();
  t.is(dev.pop(), 1);
  t.is(faults.length, 0);
});

test('an INDIRECT head is followed into its table in guest memory (virtqueue_split_pop)', (t) => {
  const { drv, dev, view, mem, L, faults } = pair();
  // Table at 1024: a readable header, then two writable buffers chained 0 -> 2 -> 1.
  descAt(mem, 1024, 100, 12, NEXT, 2);
  descAt(mem, 1024 + 16, 300, 50, WRITE, 0);
  descAt(mem, 1024 + 32, 200, 40, WRITE | NEXT, 1);
  // The head's WRITE and NEXT flags are ignored, as is the feature (not negotiated here).
  descAt(view, L.descAddr(5), 1024, 48, INDIRECT | WRITE | NEXT, 7);
  offer(view, L, 5);
  t.is(dev.pop(), 5);
  t.is(faults.length, 0);
  t.is(dev.outCount, 1);
  t.is(dev.inCount, 2);
  t.deepEqual([...dev.segAddr.subarray(0, 3)], [100, 200, 300]);
  t.deepEqual([...dev.segLen.subarray(0, 3)], [12, 40, 50]);
  t.is(dev.outBytes, 12);
  t.is(dev.inBytes, 90);
  dev.push(5, 90);
  dev.flush();
  t.is(drv.broken, null);
});

test('an indirect table of length 0 or not a multiple of 16 is "Invalid size for indirect buffer table"', (t) => {
  for (const len of [0, 24]) {
    const { dev, view, L, faults } = pair();
    descAt(view, L.descAddr(0), 1024, len, INDIRECT, 0);
    offer(view, L, 0);
    t.is(dev.pop(), -2);
    t.is(faults[0]?.kind, 'desc-indirect');
    t.regex(faults[0]?.message ?? '', /Invalid size for indirect buffer table/);
  }
});

test('an indirect table outside guest memory is "Cannot map indirect buffer"', (t) => {
  const { dev, view, L, faults } = pair(8, 4096);
  descAt(view, L.descAddr(0), 4096 - 16, 32, INDIRECT, 0);
  offer(view, L, 0);
  t.is(dev.pop(), -2);
  t.is(faults[0]?.kind, 'desc-out-of-bounds');
  t.regex(faults[0]?.message ?? '', /Cannot map indirect buffer/);
});

test('inside an indirect table next and loops are bounded by the table, not the ring', (t) => {
  const a = pair(8);
  descAt(a.mem, 1024, 0, 8, NEXT, 2); // the table has 2 entries: next 2 is out of it
  descAt(a.mem, 1024 + 16, 0, 8, 0, 0);
  descAt(a.view, a.L.descAddr(0), 1024, 32, INDIRECT, 0);
  offer(a.view, a.L, 0);
  t.is(a.dev.pop(), -2);
  t.is(a.faults[0]?.kind, 'desc-next-out-of-range');

  const b = pair(8);
  descAt(b.mem, 1024, 0, 8, NEXT, 1);
  descAt(b.mem, 1024 + 16, 0, 8, NEXT, 0); // 0 -> 1 -> 0
  descAt(b.view, b.L.descAddr(0), 1024, 32, INDIRECT, 0);
  offer(b.view, b.L, 0);
  t.is(b.dev.pop(), -2);
  t.is(b.faults[0]?.kind, 'desc-loop');

  // A table longer than the ring is fine: its own length bounds it.
  const c = pair(2);
  for (let i = 0; i < 5; i++) descAt(c.mem, 1024 + 16 * i, 8 * i, 8, i < 4 ? NEXT : 0, i + 1);
  descAt(c.view, c.L.descAddr(0), 1024, 80, INDIRECT, 0);
  offer(c.view, c.L, 0);
  t.is(c.dev.pop(), 0);
  t.is(c.dev.outCount, 5);
});

test('an INDIRECT flag on a chained or nested descriptor is ignored, as QEMU does', (t) => {
  const a = pair();
  descAt(a.view, a.L.descAddr(0), 0, 8, NEXT, 1);
  descAt(a.view, a.L.descAddr(1), 64, 16, INDIRECT | WRITE, 0);
  offer(a.view, a.L, 0);
  t.is(a.dev.pop(), 0);
  t.deepEqual([a.dev.outCount, a.dev.inCount, a.dev.segAddr[1], a.dev.segLen[1]], [1, 1, 64, 16]);

  const b = pair();
  descAt(b.mem, 1024, 512, 32, INDIRECT | WRITE, 0);
  descAt(b.view, b.L.descAddr(0), 1024, 16, INDIRECT, 0);
  offer(b.view, b.L, 0);
  t.is(b.dev.pop(), 0);
  t.deepEqual([b.dev.inCount, b.dev.segAddr[0], b.dev.segLen[0]], [1, 512, 32]);
  t.is(a.faults.length + b.faults.length, 0);
});

test('a readable descriptor after a writable one is reported before its address is checked', (t) => {
  const { dev, view, L, faults } = pair(8, 4096);
  descAt(view, L.descAddr(0), 0, 8, WRITE | NEXT, 1);
  descAt(view, L.descAddr(1), 10_000, 8, 0, 0); // readable and outside memory
  offer(view, L, 0);
  t.is(dev.pop(), -2);
  t.is(faults[0]?.kind, 'desc-order');
});

test('with RING_EVENT_IDX the first flush after setup interrupts whatever used_event says', (t) => {
  const { drv, dev, view, L } = pair(8, 4096, true);
  view.setUint16(L.usedEvent, 5, true); // a driver that asked for an interrupt at 6 only
  drv.addOne(1, 0, 8, false);
  dev.push(dev.pop(), 0);
  t.true(dev.flush()); // virtio_split_should_notify: !signalled_used_valid
  drv.addOne(2, 0, 8, false);
  dev.push(dev.pop(), 0);
  t.false(dev.flush()); // from now on used_event counts: 5 is not crossed by 1 -> 2
});
