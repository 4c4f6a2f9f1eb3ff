import test from 'ava';
import { BusDevice } from '../../src/bus/BusDevice.js';
import { isBypassError } from '../../src/errors/BypassError.js';
import { NetNamespace } from '../../src/netdev/NetNamespace.js';
import { MacAddress } from '../../src/netdev/MacAddress.js';
import { NetDeviceStats, foldStats64 } from '../../src/netdev/NetDeviceStats.js';
import { RX_HANDLER, type PacketSink } from '../../src/netdev/RxHandler.js';
import { DropReason } from '../../src/packet/DropReason.js';
import { PacketPool } from '../../src/packet/PacketPool.js';
import { VfDevice, type VfDeviceOptions } from '../../src/vf/VfDevice.js';
import { TestNic } from '../helpers/TestNic.js';
import { frames, mac, makeNs, makePool, mcastMac, pciDevice } from '../helpers/world.js';

interface World {
  pool: PacketPool;
  ns: NetNamespace;
  log: string[];
  vf: VfDevice;
  drops: Map<number, number>;
}

/** A registered VF, up with carrier, in a pool whose drops are tallied by reason. */
function world(opts: Partial<VfDeviceOptions> = {}, slots = 512): World {
  const pool = makePool(slots);
  const drops = new Map<number, number>();
  pool.onDrop = (_p, _pk, _s, count, reason) => drops.set(reason, (drops.get(reason) ?? 0) + count);
  const { ns, log } = makeNs();
  const vf = new VfDevice({ pool, permAddr: mac(1), parent: pciDevice(2), ...opts });
  ns.register(vf);
  vf.setLink(true);
  vf.open();
  log.length = 0;
  return { pool, ns, log, vf, drops };
}

/** A sink that keeps the handles it got and frees them. */
function recorder(): { sink: PacketSink; got: number[]; bursts: number[] } {
  const got: number[] = [];
  const bursts: number[] = [];
  const sink: PacketSink = (dev, pkts, start, count) => {
    bursts.push(count);
    for (let i = start; i < start + count; i++) got.push(pkts[i] as number);
    dev.pool.freeBurst(pkts, start, count);
  };
  return { sink, got, bursts };
}

test('defaults: 4 queue pairs of 512 slots, MTU 68..9000, driver vf, PCI parent', (t) => {
  const pool = makePool(4);
  const parent = pciDevice(2);
  const vf = new VfDevice({ pool, permAddr: mac(1), parent });
  t.is(vf.numTxQueues, 4);
  t.is(vf.numRxQueues, 4);
  t.is(vf.ringSize, 512);
  t.is(vf.minMtu, 68);
  t.is(vf.maxMtu, 9000);
  t.is(vf.mtu, 1500);
  t.is(vf.driver, 'vf');
  t.is(vf.parent, parent);
  t.false(vf.counters32);
  t.false(vf.carrier);
  t.deepEqual({ ...vf.vfStats }, { txRingFull: 0, rxRingFull: 0, ringFlushed: 0 });
  const custom = new VfDevice({
    pool,
    permAddr: mac(1),
    parent,
    numQueues: 2,
    ringSize: 8,
    driver: 'mlx5_core',
    maxMtu: 4000,
    mtu: 4000,
    name: 'enP2s2',
  });
  t.is(custom.numTxQueues, 2);
  t.is(custom.ringSize, 8);
  t.is(custom.driver, 'mlx5_core');
  t.is(custom.mtu, 4000);
  t.is(custom.name, 'enP2s2');
});

test('a parent that is not a PCI bus device is refused with ERR_INVALID_ARGUMENT', (t) => {
  const pool = makePool(4);
  const vmbus = new BusDevice({ id: 'v', bus: 'vmbus', vmbus: { classId: 'c', instanceId: 'i' } });
  for (const parent of [vmbus, null, undefined, { bus: 'pci' }]) {
    const err = t.throws(
      () => new VfDevice({ pool, permAddr: mac(1), parent: parent as unknown as BusDevice }),
    );
    t.true(isBypassError(err, 'ERR_INVALID_ARGUMENT'), String(parent));
  }
});

test('bad ring sizes and queue counts are refused with ERR_INVALID_ARGUMENT', (t) => {
  const pool = makePool(4);
  for (const o of [{ ringSize: 100 }, { ringSize: 1 }, { numQueues: 0 }, { numQueues: 1.5 }]) {
    const err = t.throws(
      () => new VfDevice({ pool, permAddr: mac(1), parent: pciDevice(2), ...o }),
    );
    t.true(isBypassError(err, 'ERR_INVALID_ARGUMENT'), JSON.stringify(o));
  }
});

test('setLink drives the carrier and its change events', (t) => {
  const { vf, log } = world();
  vf.setLink(false);
  vf.setLink(false);
  t.false(vf.carrier);
  vf.setLink(true);
  t.true(vf.carrier);
  t.deepEqual(log, ['change:eth0', 'change:eth0']);
});

test('xmit queues frames in the TX ring of the queue and counts them; drainTx hands them to the wire', (t) => {
  const { vf, pool } = world();
  const p = frames(pool, 5, 100);
  t.is(vf.xmit(p, 0, 5, 2), 5);
  t.is(vf.txPending(2), 5);
  t.is(vf.txPending(0), 0);
  t.is(vf.stats.txPackets, 5);
  t.is(vf.stats.txBytes, 500);
  const wire = new Int32Array(8);
  t.is(vf.drainTx(0, wire, 0, 8), 0);
  t.is(vf.drainTx(2, wire, 1, 3), 3);
  t.deepEqual([...wire.subarray(1, 4)], [...p.subarray(0, 3)]);
  t.is(vf.drainTx(2, wire, 6, 10), 2, 'never past the end of out');
  t.deepEqual([...wire.subarray(6, 8)], [...p.subarray(3, 5)]);
  t.is(vf.txPending(2), 0);
  t.is(pool.inUse, 5, 'the wire owns them now');
  t.is(vf.xmit(frames(pool, 1), 0, 1, 6), 1, 'the queue number wraps');
  t.is(vf.txPending(2), 1);
});

test('txRing lets the wire take the TX ring in place, in order', (t) => {
  const { vf, pool } = world();
  const p = frames(pool, 5, 100);
  t.is(vf.xmit(p, 0, 5, 1), 5);
  const ring = vf.txRing(1);
  const n = ring.takeInPlace(3);
  t.is(n, 3);
  t.deepEqual([...ring.slotArray.subarray(ring.takenAt, ring.takenAt + n)], [...p.subarray(0, 3)]);
  t.is(vf.txPending(1), 2);
  const wire = new Int32Array(8);
  t.is(vf.drainTx(1, wire, 0, 8), 2, 'drainTx goes on where the take ended');
  t.deepEqual([...wire.subarray(0, 2)], [...p.subarray(3, 5)]);
  t.true(
    isBypassError(
      t.throws(() => vf.txRing(9)),
      'ERR_INVALID_ARGUMENT',
    ),
  );
});

test('a full TX ring drops the rest with ring-full, counting txDropped and txRingFull', (t) => {
  const { vf, pool, drops } = world({ ringSize: 4 });
  const p = frames(pool, 6);
  t.is(vf.xmit(p, 0, 6), 4);
  t.is(vf.stats.txPackets, 4);
  t.is(vf.stats.txDropped, 2);
  t.is(vf.vfStats.txRingFull, 2);
  t.is(drops.get(DropReason.RING_FULL), 2);
  t.false(pool.isAllocated(p[4] as number));
  t.false(pool.isAllocated(p[5] as number));
  t.is(pool.inUse, 4);
});

test('frames longer than mtu+18 drop with mtu-exceeded (txErrors); runts with malformed', (t) => {
  const { vf, pool, drops } = world();
  const p = new Int32Array(5);
  p.set(frames(pool, 1, 1518), 0); // 1500 + 14 + 4: fits
  p.set(frames(pool, 1, 1519), 1);
  p.set(frames(pool, 1, 60), 2);
  p.set(frames(pool, 1, 10), 3);
  p.set(frames(pool, 1, 64), 4);
  t.is(vf.xmit(p, 0, 5), 3);
  t.is(vf.stats.txErrors, 2);
  t.is(vf.stats.txPackets, 3);
  t.is(vf.stats.txBytes, 1518 + 60 + 64);
  t.is(drops.get(DropReason.MTU_EXCEEDED), 1);
  t.is(drops.get(DropReason.MALFORMED), 1);
  const wire = new Int32Array(5);
  t.is(vf.drainTx(0, wire, 0, 5), 3);
  t.deepEqual([...wire.subarray(0, 3)], [p[0], p[2], p[4]], 'order is kept');
  vf.setMtu(9000);
  t.is(vf.xmit(frames(pool, 1, 1519), 0, 1), 1, 'the check follows the MTU');
});

test('xmit on a VF that is down or without link drops with the NetDevice reasons', (t) => {
  const { vf, pool, drops } = world();
  vf.setLink(false);
  t.is(vf.xmit(frames(pool, 2), 0, 2), 0);
  t.is(drops.get(DropReason.NO_CARRIER), 2);
  vf.close();
  t.is(vf.xmit(frames(pool, 1), 0, 1), 0);
  t.is(drops.get(DropReason.DEV_DOWN), 1);
  t.is(vf.stats.txDropped, 3);
  t.is(pool.inUse, 0);
});

test('injectRx queues, poll delivers to the bound sink and counts rx and multicast', (t) => {
  const { vf, pool } = world();
  const { sink, got } = recorder();
  vf.bindSink(sink);
  const uni = frames(pool, 3, 100, mac(1));
  const multi = frames(pool, 2, 200, mcastMac(1));
  t.is(vf.injectRx(1, uni, 0, 3), 3);
  t.is(vf.injectRx(1, multi, 0, 2), 2);
  t.is(vf.rxPending(1), 5);
  t.is(vf.stats.rxPackets, 0, 'counted when polled, not when queued');
  t.is(vf.poll(0), 0);
  t.is(vf.poll(1), 5);
  t.deepEqual(got, [...uni, ...multi]);
  t.is(vf.stats.rxPackets, 5);
  t.is(vf.stats.rxBytes, 700);
  t.is(vf.stats.multicast, 2);
  t.is(pool.inUse, 0);
  t.is(pool.port[uni[0] as number], vf.ifindex);
});

test('poll respects its budget and delivers in bursts of at most 64', (t) => {
  const { vf, pool } = world({}, 1024);
  const { sink, got, bursts } = recorder();
  vf.bindSink(sink);
  vf.injectRx(0, frames(pool, 200), 0, 200);
  t.is(vf.poll(0, 10), 10);
  t.deepEqual(bursts, [10]);
  t.is(vf.poll(0, 150), 150);
  t.deepEqual(bursts, [10, 64, 64, 22]);
  t.is(vf.poll(0), 40);
  t.is(got.length, 200);
  t.is(vf.poll(0), 0);
});

test('pollAll polls every queue and returns the total', (t) => {
  const { vf, pool } = world();
  const { sink, got } = recorder();
  vf.bindSink(sink);
  for (let q = 0; q < 4; q++) vf.injectRx(q, frames(pool, q + 1), 0, q + 1);
  t.is(vf.pollAll(), 10);
  t.is(got.length, 10);
});

test('poll goes through the rx handler like any netdev (a bypass slave delivers to its master)', (t) => {
  const { vf, pool, ns } = world();
  const master = new TestNic({ pool, permAddr: mac(1) });
  ns.register(master);
  const { sink, got } = recorder();
  master.bindSink(sink);
  vf.registerRxHandler(() => RX_HANDLER.ANOTHER, master);
  vf.injectRx(0, frames(pool, 3), 0, 3);
  vf.poll(0);
  t.is(got.length, 3);
  t.is(pool.port[got[0] as number], master.ifindex);
});

test('poll without a sink drops as rx_nohandler: no frame is lost silently', (t) => {
  const { vf, pool, drops } = world();
  vf.injectRx(0, frames(pool, 4), 0, 4);
  vf.poll(0);
  t.is(vf.stats.rxDropped, 4);
  t.is(drops.get(DropReason.RX_NOHANDLER), 4);
  t.is(pool.inUse, 0);
});

test('a full RX ring drops with ring-full, counting rxFifoErrors and rxRingFull', (t) => {
  const { vf, pool, drops } = world({ ringSize: 4 });
  t.is(vf.injectRx(0, frames(pool, 7), 0, 7), 4);
  t.is(vf.stats.rxFifoErrors, 3);
  t.is(vf.vfStats.rxRingFull, 3);
  t.is(drops.get(DropReason.RING_FULL), 3);
  t.is(pool.inUse, 4);
});

test('injectRx drops oversized and runt frames with length errors', (t) => {
  const { vf, pool, drops } = world();
  const p = new Int32Array(3);
  p.set(frames(pool, 1, 1519), 0);
  p.set(frames(pool, 1, 64), 1);
  p.set(frames(pool, 1, 13), 2);
  t.is(vf.injectRx(0, p, 0, 3), 1);
  t.is(vf.stats.rxLengthErrors, 2);
  t.is(vf.stats.rxErrors, 2);
  t.is(drops.get(DropReason.MTU_EXCEEDED), 1);
  t.is(drops.get(DropReason.MALFORMED), 1);
});

test('injectRx on a VF that is down, without link or detached drops everything, counting rxDropped', (t) => {
  const { vf, pool, drops } = world();
  vf.setLink(false);
  t.is(vf.injectRx(0, frames(pool, 1), 0, 1), 0);
  t.is(drops.get(DropReason.NO_CARRIER), 1);
  vf.setLink(true);
  vf.close();
  t.is(vf.injectRx(0, frames(pool, 2), 0, 2), 0);
  t.is(drops.get(DropReason.DEV_DOWN), 2);
  vf.detach();
  t.is(vf.injectRx(0, frames(pool, 3), 0, 3), 0);
  t.is(drops.get(DropReason.NO_DEVICE), 3);
  t.is(vf.stats.rxDropped, 6);
  t.is(pool.inUse, 0);
});

test('wire-side calls refuse unknown queues and ranges outside the array, taking nothing', (t) => {
  const { vf, pool } = world();
  const p = frames(pool, 2);
  for (const q of [-1, 4, 1.5]) {
    t.true(
      isBypassError(
        t.throws(() => vf.injectRx(q, p, 0, 2)),
        'ERR_INVALID_ARGUMENT',
      ),
    );
    t.true(
      isBypassError(
        t.throws(() => vf.poll(q)),
        'ERR_INVALID_ARGUMENT',
      ),
    );
    t.true(
      isBypassError(
        t.throws(() => vf.drainTx(q, p, 0, 2)),
        'ERR_INVALID_ARGUMENT',
      ),
    );
    t.true(
      isBypassError(
        t.throws(() => vf.txPending(q)),
        'ERR_INVALID_ARGUMENT',
      ),
    );
  }
  t.true(
    isBypassError(
      t.throws(() => vf.injectRx(0, p, 1, 2)),
      'ERR_INVALID_ARGUMENT',
    ),
  );
  t.true(
    isBypassError(
      t.throws(() => vf.injectRx(0, p, -1, 1)),
      'ERR_INVALID_ARGUMENT',
    ),
  );
  t.is(pool.inUse, 2);
  t.is(vf.injectRx(0, p, 0, 0), 0);
  t.is(vf.drainTx(0, p, 0, 0), 0);
});

test('close flushes both rings with vf-ring-flushed, like ixgbevf_down', (t) => {
  const { vf, pool, drops, log } = world();
  vf.xmit(frames(pool, 3), 0, 3, 0);
  vf.injectRx(1, frames(pool, 2), 0, 2);
  vf.close();
  t.deepEqual(log, ['going-down:eth0', 'down:eth0']);
  t.is(drops.get(DropReason.VF_RING_FLUSHED), 5);
  t.is(vf.vfStats.ringFlushed, 5);
  t.is(vf.stats.txDropped, 3);
  t.is(vf.stats.rxDropped, 2);
  t.is(vf.txPending(0) + vf.rxPending(1), 0);
  t.is(pool.inUse, 0);
  t.true(vf.carrier, 'carrier stays with the link');
  vf.open();
  t.is(vf.xmit(frames(pool, 1), 0, 1), 1);
});

test('hot-unplug with frames in flight counts exactly those as vf-ring-flushed and frees every slot', (t) => {
  const { vf, pool, drops, log, ns } = world({ ringSize: 8 });
  vf.xmit(frames(pool, 5), 0, 5, 0);
  vf.xmit(frames(pool, 2), 0, 2, 3);
  vf.injectRx(2, frames(pool, 4), 0, 4);
  const wire = new Int32Array(1);
  vf.drainTx(0, wire, 0, 1); // one frame already on the wire
  pool.freeBurst(wire, 0, 1);
  t.is(pool.inUse, 10);
  const flushed = vf.hotUnplug({ surprise: true });
  t.is(flushed, 10);
  t.is(drops.get(DropReason.VF_RING_FLUSHED), 10);
  t.is(drops.size, 1, 'no other drop reason');
  t.is(vf.vfStats.ringFlushed, 10);
  t.is(vf.stats.txDropped, 6);
  t.is(vf.stats.rxDropped, 4);
  t.is(pool.inUse, 0);
  t.deepEqual(log, ['change:eth0', 'going-down:eth0', 'down:eth0', 'unregister:eth0']);
  t.is(vf.ns, null);
  t.is(ns.size, 0);
  t.false(vf.present);
  t.false(vf.parent?.present);
  t.is(vf.unplugged, 'surprise');
  t.is(vf.operState, 'notpresent');
});

test('after hot-unplug xmit drops with no-device and injectRx too; a second unplug does nothing', (t) => {
  const { vf, pool, drops } = world();
  vf.hotUnplug();
  t.is(vf.unplugged, 'orderly');
  t.is(vf.xmit(frames(pool, 2), 0, 2), 0);
  t.is(vf.injectRx(0, frames(pool, 1), 0, 1), 0);
  t.is(drops.get(DropReason.NO_DEVICE), 3);
  t.is(vf.poll(0), 0);
  t.is(vf.hotUnplug({ surprise: true }), 0);
  t.is(vf.unplugged, 'orderly');
  t.true(
    isBypassError(
      t.throws(() => vf.open()),
      'ERR_NOT_REGISTERED',
    ),
  );
  t.is(pool.inUse, 0);
});

test('an orderly unplug flushes the TX rings too (no last drain to the wire)', (t) => {
  const { vf, pool, drops } = world();
  vf.xmit(frames(pool, 3), 0, 3);
  t.is(vf.hotUnplug({ surprise: false }), 3);
  t.is(drops.get(DropReason.VF_RING_FLUSHED), 3);
});

test('hot-unplug of a VF that was never registered just detaches and flushes', (t) => {
  const pool = makePool(8);
  const parent = pciDevice(2);
  const vf = new VfDevice({ pool, permAddr: mac(1), parent });
  t.is(vf.hotUnplug(), 0);
  t.false(vf.present);
  t.false(parent.present);
});

test('counters32 reports counters modulo 2^32 and the stats folding follows the wrap', (t) => {
  const { vf, pool } = world({ counters32: true });
  vf.stats.txBytes = 0xffff_fff0;
  const snap = vf.getStats64().clone();
  const acc = new NetDeviceStats();
  vf.xmit(frames(pool, 1, 64), 0, 1);
  t.is(vf.stats.txBytes, 0x1_0000_0030);
  t.is(vf.getStats64().txBytes, 0x30);
  t.is(vf.getStats64().txPackets, 1);
  foldStats64(acc, vf.getStats64(), snap);
  t.is(acc.txBytes, 64);
  const plain = world();
  plain.vf.stats.txBytes = 0x1_0000_0030;
  t.is(plain.vf.getStats64().txBytes, 0x1_0000_0030, 'without counters32 nothing wraps');
});

test('resetStats zeroes stats64 and VF counters; resetStatsOnOpen does it on every open', (t) => {
  const { vf, pool } = world({ resetStatsOnOpen: true, ringSize: 2 });
  vf.xmit(frames(pool, 3), 0, 3);
  t.is(vf.stats.txPackets, 2);
  t.is(vf.vfStats.txRingFull, 1);
  vf.close();
  t.is(vf.vfStats.ringFlushed, 2);
  vf.open();
  t.is(vf.stats.txPackets, 0);
  t.is(vf.stats.txDropped, 0);
  t.deepEqual({ ...vf.vfStats }, { txRingFull: 0, rxRingFull: 0, ringFlushed: 0 });
  const keep = world();
  keep.vf.xmit(frames(keep.pool, 1), 0, 1);
  keep.vf.close();
  keep.vf.open();
  t.is(keep.vf.stats.txPackets, 1, 'counters survive down/up by default');
  keep.vf.resetStats();
  t.is(keep.vf.stats.txPackets, 0);
  t.is(keep.vf.vfStats.ringFlushed, 0);
});

test('a sink that closes the VF during poll sees intact handles and nothing leaks', (t) => {
  const { vf, pool, drops } = world({}, 1024);
  let firstBurst: number[] | null = null;
  vf.bindSink((dev, pkts, start, count) => {
    if (firstBurst === null) {
      const before = [...pkts.subarray(start, start + count)];
      vf.close(); // flushes the RX ring while this burst is being delivered
      firstBurst = [...pkts.subarray(start, start + count)];
      t.deepEqual(firstBurst, before);
    }
    dev.pool.freeBurst(pkts, start, count);
  });
  vf.injectRx(0, frames(pool, 100), 0, 100);
  t.is(vf.poll(0, 100), 64);
  t.is(drops.get(DropReason.VF_RING_FLUSHED), 36);
  t.is(pool.inUse, 0);
});

test('a PMD-bound VF moves bursts with DPDK ownership: the caller keeps what does not fit', (t) => {
  const pool = new PacketPool({ slots: 64 });
  const fn = new BusDevice({ id: '0000:00:07.0', bus: 'pci', pci: { address: '0000:00:07.0' } });
  const vf = new VfDevice({
    pool,
    permAddr: MacAddress.parse('00:15:5d:00:00:07'),
    parent: fn,
    ringSize: 4,
    numQueues: 1,
  });
  const pkts = new Int32Array(6);
  t.is(pool.allocBurst(pkts, 0, 6), 6);
  for (const h of pkts) pool.setLength(h, 64);
  t.is(vf.txBurst(0, pkts, 0, 6), 0); // not started
  vf.startPmd();
  vf.setLink(true);
  t.is(vf.txBurst(0, pkts, 0, 6), 4);
  t.is(vf.stats.txPackets, 4);
  t.is(pool.inUse, 6); // the two that did not fit are still the caller's
  pool.freeBurst(pkts, 4, 2);
  const wire = new Int32Array(8);
  const n = vf.drainTx(0, wire, 0, 8);
  t.is(vf.injectRx(0, wire, 0, n), 4);
  const out = new Int32Array(8);
  t.is(vf.rxBurst(0, out, 0, 8), 4);
  t.is(vf.stats.rxPackets, 4);
  pool.freeBurst(out, 0, 4);
  t.is(pool.inUse, 0);
});

test('a PMD-bound VF without carrier still takes what its free descriptors hold (mlx4_tx_burst), and loses it: no-carrier, never on the wire', (t) => {
  const pool = new PacketPool({ slots: 64 });
  const drops = new Map<number, number>();
  pool.onDrop = (_p, _pk, _s, count, reason) => drops.set(reason, (drops.get(reason) ?? 0) + count);
  const fn = new BusDevice({ id: '0000:00:09.0', bus: 'pci', pci: { address: '0000:00:09.0' } });
  const vf = new VfDevice({
    pool,
    permAddr: MacAddress.parse('00:15:5d:00:00:09'),
    parent: fn,
    ringSize: 4,
    numQueues: 1,
  });
  vf.startPmd();
  vf.setLink(true);
  const sent = new Int32Array(2);
  pool.allocBurst(sent, 0, 2);
  for (const h of sent) pool.setLength(h, 64);
  t.is(vf.txBurst(0, sent, 0, 2), 2); // in the ring, not drained yet: 2 descriptors left
  vf.setLink(false);
  const pkts = new Int32Array(6);
  pool.allocBurst(pkts, 0, 6);
  for (const h of pkts) pool.setLength(h, 100);
  t.is(vf.txBurst(0, pkts, 0, 6), 2, 'the link is not looked at: bounded by free descriptors');
  t.is(drops.get(DropReason.NO_CARRIER), 2);
  t.is(vf.stats.txPackets, 4, 'counted as posted');
  t.is(vf.stats.txBytes, 2 * 64 + 2 * 100);
  t.is(vf.stats.txDropped, 2);
  t.is(pool.inUse, 2 + 4, "the 4 not taken are the caller's");
  const wire = new Int32Array(8);
  t.is(vf.drainTx(0, wire, 0, 8), 2, 'only what was posted with the link up reaches the wire');
  pool.freeBurst(wire, 0, 2);
  pool.freeBurst(pkts, 2, 4);
  t.is(pool.inUse, 0);
});

test('a VF registered as a kernel netdev cannot be started by a PMD, and stopPmd flushes the rings', (t) => {
  const pool = new PacketPool({ slots: 16 });
  const fn = new BusDevice({ id: '0000:00:08.0', bus: 'pci', pci: { address: '0000:00:08.0' } });
  const vf = new VfDevice({
    pool,
    permAddr: MacAddress.parse('00:15:5d:00:00:08'),
    parent: fn,
    numQueues: 1,
  });
  const ns = new NetNamespace('k');
  ns.register(vf);
  t.throws(() => vf.startPmd(), { code: 'ERR_BUSY' });
  ns.unregister(vf);
  vf.startPmd();
  vf.setLink(true);
  const pkts = new Int32Array(3);
  pool.allocBurst(pkts, 0, 3);
  for (const h of pkts) pool.setLength(h, 64);
  vf.txBurst(0, pkts, 0, 3);
  vf.stopPmd();
  t.is(vf.vfStats.ringFlushed, 3);
  t.is(pool.inUse, 0);
});

test('adminMac: the PF keeps the host-assigned MAC; without it the guest may change it', (t) => {
  const locked = world({ adminMac: true }).vf;
  const err = t.throws(() => locked.setMacAddress(mac(7)));
  t.true(isBypassError(err, 'ERR_REFUSED'));
  t.true(locked.devAddr.equals(mac(1)));
  locked.setMacAddress(mac(1)); // its own address is accepted
  const free = world().vf;
  free.setMacAddress(mac(7));
  t.true(free.devAddr.equals(mac(7)));
});

test('trusted: the PF accepts a change away from the host-assigned MAC and is told of every change it accepts', (t) => {
  const told: string[] = [];
  const onMacChange = (m: MacAddress): void => void told.push(m.toString());
  const trusted = world({ adminMac: true, trusted: true, onMacChange }).vf;
  trusted.setMacAddress(mac(7));
  t.true(trusted.devAddr.equals(mac(7)));
  trusted.setMacAddress(mac(7)); // no change: the PF hears nothing
  trusted.setMacAddress(mac(1));
  t.deepEqual(told, [mac(7).toString(), mac(1).toString()]);
  // Untrusted, the refused change reaches nobody.
  const locked = world({ adminMac: true, onMacChange }).vf;
  t.throws(() => locked.setMacAddress(mac(8)), { code: 'ERR_REFUSED', message: /trust on/ });
  t.is(told.length, 2);
  t.false(locked.trusted);
  t.true(trusted.trusted);
});
