import test from 'ava';
import {
  SplitVirtqueueLayout,
  VRING_FLAGS,
  VirtqueueDeviceSide,
  VirtqueueDriverSide,
} from '../../src/index.js';

// The driver side read against Linux drivers/virtio/virtio_ring.c (split ring).

function pair(size = 8, eventIdx = true) {
  const drv = new VirtqueueDriverSide({ index: 1, size, eventIdx });
  const memory = new Uint8Array(4096);
  const dev = new VirtqueueDeviceSide({ index: 1, size, ring: drv.ring, memory, eventIdx });
  const view = new DataView(drv.ring);
  const L = new SplitVirtqueueLayout(size);
  return { drv, dev, view, L };
}

/** One chain through the device and back, so that the device has signalled once. */
function roundTrip(drv: VirtqueueDriverSide, dev: VirtqueueDeviceSide): void {
  drv.addOne(99, 0, 8, false);
  dev.push(dev.pop(), 0);
  dev.flush();
  drv.getBuf();
}

test('with RING_EVENT_IDX, disabling callbacks writes used_event 0 (virtqueue_disable_cb_split)', (t) => {
  const { drv, dev, view, L } = pair();
  roundTrip(drv, dev);
  drv.setInterrupts(false);
  t.is(view.getUint16(L.usedEvent, true), 0);
  t.is(view.getUint16(L.availFlags, true), 0); // the device ignores the flags with EVENT_IDX
  drv.addOne(1, 0, 8, false);
  dev.push(dev.pop(), 0);
  t.false(dev.flush()); // used index 1 -> 2 does not cross 0
  t.is(drv.getBuf(), 1);
  t.is(view.getUint16(L.usedEvent, true), 0); // getBuf does not re-arm while disabled
});

test('getBuf moves used_event past each chain it takes (virtqueue_get_buf_ctx_split)', (t) => {
  const { drv, dev, view, L } = pair();
  drv.addOne(1, 0, 8, false);
  drv.addOne(2, 0, 8, false);
  dev.push(dev.pop(), 0);
  dev.push(dev.pop(), 0);
  dev.flush();
  t.is(drv.getBuf(), 1);
  t.is(view.getUint16(L.usedEvent, true), 1);
  t.is(drv.getBuf(), 2);
  t.is(view.getUint16(L.usedEvent, true), 2);
});

test('enableCb points used_event at the next buffer and reports buffers already waiting', (t) => {
  const { drv, dev, view, L } = pair();
  roundTrip(drv, dev);
  drv.disableCb();
  drv.addOne(1, 0, 8, false);
  t.true(drv.enableCb());
  t.is(view.getUint16(L.usedEvent, true), 1);
  dev.push(dev.pop(), 0);
  t.true(dev.flush());
  drv.disableCb();
  t.false(drv.enableCb()); // the completion is waiting: poll again
});

test('enableCbDelayed asks for an interrupt after 3/4 of the outstanding chains', (t) => {
  const { drv, dev, view, L } = pair(16);
  roundTrip(drv, dev);
  drv.disableCb();
  for (let i = 0; i < 8; i++) drv.addOne(i, 0, 8, false);
  const heads: number[] = [];
  for (let h; (h = dev.pop()) >= 0;) heads.push(h);
  t.true(drv.enableCbDelayed());
  t.is(view.getUint16(L.usedEvent, true), 1 + 6); // last_used_idx + 8 * 3 / 4
  for (let i = 0; i < 6; i++) dev.push(heads[i] as number, 0);
  t.false(dev.flush()); // used index 1 -> 7 does not pass 7
  dev.push(heads[6] as number, 0);
  t.true(dev.flush()); // 7 -> 8 does
  drv.disableCb();
  t.false(drv.enableCbDelayed()); // 7 used, more than 3/4 of the 8 outstanding
});

test('detachUnused takes the available index back by one per chain (virtqueue_detach_unused_buf_split)', (t) => {
  const { drv, view, L } = pair(8, false);
  drv.addOne(5, 0, 8, false);
  drv.addOne(6, 0, 8, false);
  t.is(view.getUint16(L.availIdx, true), 2);
  t.is(drv.detachUnused(), 5);
  t.is(drv.detachUnused(), 6);
  t.is(drv.detachUnused(), -1);
  t.is(view.getUint16(L.availIdx, true), 0);
});

test('without RING_EVENT_IDX a kick is wanted unless NO_NOTIFY, even with nothing added (virtqueue_kick_prepare_split)', (t) => {
  const { drv, view, L } = pair(8, false);
  drv.addOne(1, 0, 8, false);
  t.true(drv.kickPrepare());
  t.true(drv.kickPrepare());
  view.setUint16(L.usedFlags, VRING_FLAGS.USED_F_NO_NOTIFY, true);
  t.false(drv.kickPrepare());
  t.is(drv.kicksSuppressed, 0); // nothing was added: nothing suppressed
});
