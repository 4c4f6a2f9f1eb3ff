import test from 'ava';
import { VirtqueueDeviceSide, VirtqueueDriverSide } from '../../src/index.js';

function pair(size: number, eventIdx = false, memory = new Uint8Array(1 << 16)) {
  const drv = new VirtqueueDriverSide({ index: 1, size, eventIdx });
  const dev = new VirtqueueDeviceSide({ index: 1, size, ring: drv.ring, memory, eventIdx });
  return { drv, dev, memory };
}

test('a chain added by the driver is popped by the device with its segments in order', (t) => {
  const { drv, dev } = pair(8);
  t.true(drv.addChain(7, [100, 200, 300], [10, 20, 30], 2));
  t.true(drv.kickPrepare());
  const head = dev.pop();
  t.true(head >= 0);
  t.is(dev.outCount, 2);
  t.is(dev.inCount, 1);
  t.deepEqual([...dev.segAddr.subarray(0, 3)], [100, 200, 300]);
  t.deepEqual([...dev.segLen.subarray(0, 3)], [10, 20, 30]);
  t.is(dev.outBytes, 30);
  t.is(dev.inBytes, 30);
  t.is(dev.pop(), -1);
  dev.push(head, 25);
  t.true(dev.flush());
  t.is(drv.getBuf(), 7);
  t.is(drv.lastLen, 25);
  t.is(drv.getBuf(), -1);
  t.is(drv.numFree, 8);
});

test('descriptors are recycled: many more chains than the ring size go through, across index wrap', (t) => {
  const { drv, dev } = pair(4);
  let got = 0;
  for (let i = 0; i < 70_000; i++) {
    t.true(drv.addOne(i, i % 1000, 64, (i & 1) === 1) || t.fail(`add ${i}`));
    const head = dev.pop();
    dev.push(head, (i & 1) === 1 ? 64 : 0);
    dev.flush();
    if (drv.getBuf() === i) got++;
  }
  t.is(got, 70_000);
  t.is(drv.broken, null);
  t.is(dev.broken, null);
});

test('a full ring refuses more buffers until the device returns some', (t) => {
  const { drv, dev } = pair(4);
  for (let i = 0; i < 4; i++) t.true(drv.addOne(i, 0, 8, false));
  t.false(drv.addOne(9, 0, 8, false));
  t.false(drv.addChain(9, [0, 8], [8, 8], 2));
  const h = dev.pop();
  dev.push(h, 0);
  dev.flush();
  t.is(drv.getBuf(), 0);
  t.true(drv.addOne(9, 0, 8, false));
});

test('buffers may be completed out of order', (t) => {
  const { drv, dev } = pair(8);
  drv.addOne(10, 0, 8, true);
  drv.addOne(11, 8, 8, true);
  const a = dev.pop();
  const b = dev.pop();
  dev.push(b, 8);
  dev.push(a, 4);
  dev.flush();
  t.deepEqual([drv.getBuf(), drv.lastLen, drv.getBuf(), drv.lastLen], [11, 8, 10, 4]);
});

test('with RING_EVENT_IDX kicks and interrupts follow avail_event and used_event', (t) => {
  const { drv, dev } = pair(8, true);
  drv.addOne(1, 0, 8, false);
  t.true(drv.kickPrepare()); // first buffer after avail_event 0
  drv.addOne(2, 0, 8, false);
  t.false(drv.kickPrepare()); // the device has not caught up: avail_event still 0
  t.is(drv.kicksSuppressed, 1);
  dev.push(dev.pop(), 0);
  dev.push(dev.pop(), 0);
  t.true(dev.flush()); // used_event 0 crossed
  t.is(drv.getBuf(), 1);
  t.is(drv.getBuf(), 2);
  t.is(drv.getBuf(), -1); // writes used_event = 2
  drv.addOne(3, 0, 8, false);
  t.true(drv.kickPrepare()); // avail_event was published as 2 by flush
  dev.push(dev.pop(), 0);
  t.true(dev.flush());
});

test('without RING_EVENT_IDX the NO_INTERRUPT flag suppresses interrupts', (t) => {
  const { drv, dev } = pair(8);
  drv.setInterrupts(false);
  drv.addOne(1, 0, 8, false);
  dev.push(dev.pop(), 0);
  t.false(dev.flush());
  t.is(dev.interruptsSuppressed, 1);
  t.is(drv.getBuf(), 1);
});

test('detachUnused returns every chain the device never completed', (t) => {
  const { drv } = pair(8);
  drv.addOne(5, 0, 8, false);
  drv.addChain(6, [0, 8], [8, 8], 1);
  const back: number[] = [];
  for (let tok; (tok = drv.detachUnused()) >= 0;) back.push(tok);
  t.deepEqual(back.sort(), [5, 6]);
  t.is(drv.numFree, 8);
});

test('both sides agree on the legacy page-aligned layout too', (t) => {
  const drv = new VirtqueueDriverSide({ index: 0, size: 256, usedAlign: 4096 });
  t.is(drv.ring.byteLength, 10246);
  const dev = new VirtqueueDeviceSide({
    index: 0,
    size: 256,
    ring: drv.ring,
    memory: new Uint8Array(4096),
    usedAlign: 4096,
  });
  drv.addOne(42, 0, 100, true);
  const head = dev.pop();
  dev.push(head, 60);
  t.true(dev.flush());
  t.is(new DataView(drv.ring).getUint16(8192 + 2, true), 1); // used idx at the page boundary
  t.is(drv.getBuf(), 42);
  t.is(drv.lastLen, 60);
});

test('descriptor addresses are written as two little-endian 32-bit halves, above 4 GiB too', (t) => {
  const drv = new VirtqueueDriverSide({ index: 1, size: 8 });
  const view = new DataView(drv.ring);
  const addrs = [0, 0x7fff_ffff, 0xffff_ffff, 0x1_0000_0000, 0x123_4567_89ab, 2 ** 53 - 1];
  addrs.forEach((addr, i) => {
    t.true(drv.addOne(i, addr, 64, false));
    const a = drv.layout.descAddr(i);
    t.is(view.getUint32(a, true) + view.getUint32(a + 4, true) * 0x1_0000_0000, addr);
  });
});
