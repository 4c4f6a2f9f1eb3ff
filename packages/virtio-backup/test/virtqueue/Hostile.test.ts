import test from 'ava';
import {
  SplitVirtqueueLayout,
  VRING_DESC_F,
  VirtqueueDeviceSide,
  VirtqueueDriverSide,
  type VirtqueueFault,
} from '../../src/index.js';

function pair(size = 8, memBytes = 4096) {
  const drv = new VirtqueueDriverSide({ index: 3, size });
  const memory = new Uint8Array(memBytes);
  const dev = new VirtqueueDeviceSide({ index: 3, size, ring: drv.ring, memory });
  const view = new DataView(drv.ring);
  const L = new SplitVirtqueueLayout(size);
  const faults: VirtqueueFault[] = [];
  drv.onFault = (f) => faults.push(f);
  dev.onFault = (f) => faults.push(f);
  return { drv, dev, view, L, faults };
}

// ---- the device writes a bad used ring; the driver must notice

test('a used index moved by more than the ring size breaks the driver queue', (t) => {
  const { drv, view, L, faults } = pair();
  drv.addOne(1, 0, 8, true);
  view.setUint16(L.usedIdx, 100, true);
  t.is(drv.getBuf(), -1);
  t.is(faults[0]?.kind, 'used-index-jump');
  t.is(faults[0]?.side, 'driver');
  t.is(drv.faultCounts['used-index-jump'], 1);
  t.false(drv.addOne(2, 0, 8, true)); // stopped
  t.is(drv.getBuf(), -1);
  t.is(faults.length, 1); // reported once
});

test('a used id beyond the ring breaks the driver queue', (t) => {
  const { drv, view, L, faults } = pair();
  drv.addOne(1, 0, 8, true);
  view.setUint32(L.usedRing(0), 8, true);
  view.setUint16(L.usedIdx, 1, true);
  t.is(drv.getBuf(), -1);
  t.is(faults[0]?.kind, 'used-id-out-of-range');
  t.regex(faults[0]?.message ?? '', /id 8 out of range/);
});

test('a used id that was never made available, or is returned twice, breaks the driver queue', (t) => {
  const a = pair();
  a.drv.addOne(1, 0, 8, true); // head 0
  a.view.setUint32(a.L.usedRing(0), 5, true);
  a.view.setUint16(a.L.usedIdx, 1, true);
  t.is(a.drv.getBuf(), -1);
  t.is(a.faults[0]?.kind, 'used-id-not-head');

  const b = pair();
  b.drv.addOne(1, 0, 8, true);
  b.view.setUint32(b.L.usedRing(0), 0, true);
  b.view.setUint32(b.L.usedRing(1), 0, true);
  b.view.setUint16(b.L.usedIdx, 2, true);
  t.is(b.drv.getBuf(), 1);
  t.is(b.drv.getBuf(), -1);
  t.is(b.faults[0]?.kind, 'used-id-not-head');
});

test('a used length beyond the writable buffer is passed on, not a ring fault (f124034faa91 reverted the check)', (t) => {
  const { drv, view, L, faults } = pair();
  drv.addOne(1, 0, 64, true);
  view.setUint32(L.usedRing(0), 0, true);
  view.setUint32(L.usedRing(0) + 4, 65, true);
  view.setUint16(L.usedIdx, 1, true);
  t.is(drv.getBuf(), 1);
  t.is(drv.lastLen, 65); // the caller (virtio_net receive_small) checks it against its buffer
  t.is(faults.length, 0);
  t.is(drv.broken, null);
  t.true(drv.addOne(2, 0, 64, true));
});

// ---- the driver writes a bad available ring or descriptor table; the device must notice

test('an available index moved by more than the ring size breaks the device queue', (t) => {
  const { dev, view, L, faults } = pair();
  view.setUint16(L.availIdx, 9, true);
  t.is(dev.pop(), -2);
  t.is(faults[0]?.kind, 'avail-index-jump');
  t.is(faults[0]?.side, 'device');
  t.is(dev.pop(), -2);
  t.is(dev.availCount, 0);
});

test('an available head beyond the table breaks the device queue', (t) => {
  const { dev, view, L, faults } = pair();
  view.setUint16(L.availRing(0), 8, true);
  view.setUint16(L.availIdx, 1, true);
  t.is(dev.pop(), -2);
  t.is(faults[0]?.kind, 'avail-head-out-of-range');
});

function desc(
  view: DataView,
  L: SplitVirtqueueLayout,
  i: number,
  addr: number,
  len: number,
  flags: number,
  next: number,
): void {
  view.setUint32(L.descAddr(i), addr, true);
  view.setUint32(L.descAddr(i) + 4, 0, true);
  view.setUint32(L.descLen(i), len, true);
  view.setUint16(L.descFlags(i), flags, true);
  view.setUint16(L.descNext(i), next, true);
}

function offer(view: DataView, L: SplitVirtqueueLayout, head: number): void {
  view.setUint16(L.availRing(0), head, true);
  view.setUint16(L.availIdx, 1, true);
}

test('a descriptor chain loop is detected within the queue size, never walked forever', (t) => {
  const { dev, view, L, faults } = pair();
  desc(view, L, 0, 0, 8, VRING_DESC_F.NEXT, 1);
  desc(view, L, 1, 0, 8, VRING_DESC_F.NEXT, 0);
  offer(view, L, 0);
  t.is(dev.pop(), -2);
  t.is(faults[0]?.kind, 'desc-loop');
  t.regex(faults[0]?.message ?? '', /Looped descriptor/);
});

test('a next index beyond the table breaks the device queue', (t) => {
  const { dev, view, L, faults } = pair();
  desc(view, L, 0, 0, 8, VRING_DESC_F.NEXT, 200);
  offer(view, L, 0);
  t.is(dev.pop(), -2);
  t.is(faults[0]?.kind, 'desc-next-out-of-range');
});

test('a buffer beyond guest memory is refused before any byte is read', (t) => {
  const { dev, view, L, faults } = pair(8, 4096);
  desc(view, L, 0, 4000, 97, 0, 0);
  offer(view, L, 0);
  t.is(dev.pop(), -2);
  t.is(faults[0]?.kind, 'desc-out-of-bounds');
  const b = pair(8, 4096);
  b.view.setUint32(b.L.descAddr(0) + 4, 1, true); // high 32 bits of the address
  b.view.setUint32(b.L.descLen(0), 8, true);
  offer(b.view, b.L, 0);
  t.is(b.dev.pop(), -2);
  t.is(b.faults[0]?.kind, 'desc-out-of-bounds');
});

test('readable-after-writable chains are refused (indirect tables: QemuPop.test.ts)', (t) => {
  const b = pair();
  desc(b.view, b.L, 0, 0, 8, VRING_DESC_F.WRITE | VRING_DESC_F.NEXT, 1);
  desc(b.view, b.L, 1, 8, 8, 0, 0);
  offer(b.view, b.L, 0);
  t.is(b.dev.pop(), -2);
  t.is(b.faults[0]?.kind, 'desc-order');
});
