import test from 'ava';
import { PacketPool } from '../../src/packet/PacketPool.js';
import { DropReason } from '../../src/packet/DropReason.js';
import { isBypassError } from '../../src/errors/BypassError.js';

test('a new pool has all slots free and the configured geometry', (t) => {
  const pool = new PacketPool({ slots: 8, slotSize: 512, headroom: 64 });
  t.is(pool.capacity, 8);
  t.is(pool.available, 8);
  t.is(pool.inUse, 0);
  t.is(pool.maxFrameLength, 448);
  t.is(pool.bytes.length, 8 * 512);
});

test('bad geometry throws ERR_INVALID_ARGUMENT', (t) => {
  const bad = (o: ConstructorParameters<typeof PacketPool>[0]): boolean =>
    isBypassError(
      t.throws(() => new PacketPool(o)),
      'ERR_INVALID_ARGUMENT',
    );
  t.true(bad({ slots: 0 }));
  t.true(bad({ slots: 1.5 }));
  t.true(bad({ slots: 4, slotSize: 64 }));
  t.true(bad({ slots: 4, slotSize: 256, headroom: 200 }));
  t.true(bad({ slots: 4, headroom: -1 }));
});

test('alloc hands out the lowest free handle with reset metadata', (t) => {
  const pool = new PacketPool({ slots: 4 });
  const a = pool.alloc();
  const b = pool.alloc();
  t.deepEqual([a, b], [0, 1]);
  pool.mark[a] = 7;
  pool.flags[a] = PacketPool.F_VLAN;
  pool.setLength(a, 100);
  pool.free(a);
  const c = pool.alloc();
  t.is(c, 0);
  t.is(pool.mark[c], 0);
  t.is(pool.flags[c], 0);
  t.is(pool.length[c], 0);
  t.is(pool.start[c], c * pool.slotSize + pool.headroom);
  t.true(pool.isAllocated(c));
});

test('alloc until exhausted returns -1, counts allocFailures and never grows', (t) => {
  const pool = new PacketPool({ slots: 3 });
  const got = [pool.alloc(), pool.alloc(), pool.alloc()];
  t.deepEqual(got, [0, 1, 2]);
  t.is(pool.alloc(), -1);
  t.is(pool.alloc(), -1);
  t.is(pool.allocFailures, 2);
  t.is(pool.capacity, 3);
  t.is(pool.available, 0);
  t.is(pool.inUse, 3);
  pool.free(1);
  t.is(pool.alloc(), 1);
});

test('allocBurst fills what it can and counts each missing frame', (t) => {
  const pool = new PacketPool({ slots: 5 });
  const out = new Int32Array(10).fill(-7);
  t.is(pool.allocBurst(out, 2, 8), 5);
  t.deepEqual([...out], [-7, -7, 0, 1, 2, 3, 4, -7, -7, -7]);
  t.is(pool.allocFailures, 3);
  t.is(pool.allocBurst(out, 0, 4), 0);
  t.is(pool.allocFailures, 7);
});

test('double free and invalid free are counted and do not corrupt the free list', (t) => {
  const pool = new PacketPool({ slots: 4 });
  const a = pool.alloc();
  pool.alloc();
  pool.free(a);
  pool.free(a);
  pool.free(a);
  pool.free(-1);
  pool.free(4);
  pool.free(Number.NaN);
  t.is(pool.doubleFrees, 2);
  t.is(pool.invalidFrees, 3);
  t.is(pool.available, 3);
  // Every slot comes back exactly once.
  const handles = [pool.alloc(), pool.alloc(), pool.alloc()];
  t.deepEqual([...handles].sort(), [0, 2, 3]);
  t.is(pool.alloc(), -1);
});

// Known gap: PacketPool.free range-checks but does not integer-check, so 1.5 is counted as a
// double free. Harmless for the free list; remove `.failing` once free() checks integers.
test('a non-integer handle is counted as an invalid free', (t) => {
  const pool = new PacketPool({ slots: 4 });
  pool.alloc();
  pool.free(1.5);
  t.is(pool.invalidFrees, 1);
  t.is(pool.doubleFrees, 0);
  t.is(pool.available, 3);
});

test('freeBurst returns a range of handles', (t) => {
  const pool = new PacketPool({ slots: 4 });
  const pkts = new Int32Array(4);
  pool.allocBurst(pkts, 0, 4);
  pool.freeBurst(pkts, 1, 2);
  t.is(pool.available, 2);
  t.false(pool.isAllocated(pkts[1]!));
  t.true(pool.isAllocated(pkts[0]!));
});

test('drop calls onDrop with the reason before freeing, counts, and frees', (t) => {
  const pool = new PacketPool({ slots: 4 });
  const pkts = new Int32Array(4);
  pool.allocBurst(pkts, 0, 4);
  const calls: Array<{ handles: number[]; reason: number; allocated: boolean[] }> = [];
  pool.onDrop = (p, hs, start, count, reason) => {
    const handles = [...hs.subarray(start, start + count)];
    calls.push({ handles, reason, allocated: handles.map((h) => p.isAllocated(h)) });
  };
  pool.drop(pkts, 1, 2, DropReason.RING_FULL);
  t.deepEqual(calls, [{ handles: [1, 2], reason: DropReason.RING_FULL, allocated: [true, true] }]);
  t.is(pool.dropped, 2);
  t.is(pool.available, 2);
  pool.drop(pkts, 0, 0, DropReason.NO_PATH);
  t.is(calls.length, 1, 'an empty drop does not call the observer');
});

test('drop without an observer still counts and frees', (t) => {
  const pool = new PacketPool({ slots: 2 });
  const pkts = new Int32Array(2);
  pool.allocBurst(pkts, 0, 2);
  pool.drop(pkts, 0, 2, DropReason.MALFORMED);
  t.is(pool.dropped, 2);
  t.is(pool.available, 2);
});

test('clone copies data and metadata into a new slot', (t) => {
  const pool = new PacketPool({ slots: 2 });
  const h = pool.alloc();
  pool.setLength(h, 60);
  pool.adjustStart(h, -4);
  for (let i = 0; i < 64; i++) pool.bytes[pool.start[h]! + i] = i;
  pool.flags[h] = PacketPool.F_VLAN;
  pool.vlanTci[h] = 100;
  pool.mark[h] = 0xdeadbeef;
  pool.port[h] = 3;
  pool.timestamp[h] = 123456789;
  const c = pool.clone(h);
  t.not(c, h);
  t.is(pool.length[c], 64);
  t.is(pool.start[c]! - c * pool.slotSize, pool.start[h]! - h * pool.slotSize, 'same headroom');
  const data = (x: number): number[] => [
    ...pool.bytes.subarray(pool.start[x]!, pool.start[x]! + pool.length[x]!),
  ];
  t.deepEqual(data(c), data(h));
  t.is(pool.flags[c], PacketPool.F_VLAN);
  t.is(pool.vlanTci[c], 100);
  t.is(pool.mark[c], 0xdeadbeef);
  t.is(pool.port[c], 3);
  t.is(pool.timestamp[c], 123456789);
  pool.bytes[pool.start[c]!] = 0xff;
  t.is(pool.bytes[pool.start[h]!], 0, 'the copy is independent');
  t.is(pool.clone(h), -1, 'pool is empty');
  t.is(pool.allocFailures, 1);
});

test('setLength refuses lengths that do not fit the slot', (t) => {
  const pool = new PacketPool({ slots: 1, slotSize: 256, headroom: 128 });
  const h = pool.alloc();
  pool.setLength(h, 128);
  t.is(pool.length[h], 128);
  for (const bad of [129, -1, Number.NaN]) {
    t.true(
      isBypassError(
        t.throws(() => pool.setLength(h, bad)),
        'ERR_INVALID_ARGUMENT',
      ),
    );
  }
  t.is(pool.length[h], 128);
  // fits states the same rule without setting anything.
  t.true(pool.fits(h, 128));
  t.true(pool.fits(h, 0));
  for (const bad of [129, -1, Number.NaN]) t.false(pool.fits(h, bad));
  t.true(pool.adjustStart(h, -8));
  t.true(pool.fits(h, 136), 'room grows with the headroom taken');
});

test('adjustStart moves the start within the slot and refuses to leave it', (t) => {
  const pool = new PacketPool({ slots: 2, slotSize: 256, headroom: 8 });
  const h = pool.alloc();
  pool.setLength(h, 20);
  const s = pool.start[h]!;
  t.true(pool.adjustStart(h, -8));
  t.is(pool.start[h], s - 8);
  t.is(pool.length[h], 28);
  t.false(pool.adjustStart(h, -1), 'no headroom left');
  t.true(pool.adjustStart(h, 28));
  t.is(pool.length[h], 0);
  t.false(pool.adjustStart(h, 1), 'length would go negative');
  t.is(pool.start[h], s + 20);
});

test('slotAt finds the slot holding a byte; copyMeta carries the flow tags; reportDrop notifies without freeing', (t) => {
  const pool = new PacketPool({ slots: 4, slotSize: 256, headroom: 32 });
  const a = pool.alloc();
  const b = pool.alloc();
  t.is(pool.slotAt(pool.start[b] as number), b);
  t.is(pool.slotAt(-1), -1);
  t.is(pool.slotAt(4 * 256), -1);
  pool.mark[a] = 7;
  pool.timestamp[a] = 1234;
  pool.copyMeta(a, b);
  t.is(pool.mark[b], 7);
  t.is(pool.timestamp[b], 1234);
  const seen: number[] = [];
  pool.onDrop = (_p, pkts, s, n, reason) => {
    for (let i = s; i < s + n; i++) seen.push(pkts[i] as number, reason);
  };
  pool.reportDrop(Int32Array.of(b), 0, 1, 3);
  t.deepEqual(seen, [b, 3]);
  t.true(pool.isAllocated(b), 'the owner still frees it');
  t.is(pool.dropped, 1);
});

test('imported tells the onImport observer about a frame a device built from foreign memory', (t) => {
  const pool = new PacketPool({ slots: 2 });
  const h = pool.alloc();
  const seen: number[] = [];
  pool.imported(h); // no observer: nothing happens
  pool.onImport = (p, x) => {
    t.is(p, pool);
    seen.push(x);
    p.mark[x] = 9;
  };
  pool.imported(h);
  t.deepEqual(seen, [h]);
  t.is(pool.mark[h], 9);
});

test('dropForeign counts a frame that never got a slot and tells onForeignDrop its bytes', (t) => {
  const pool = new PacketPool({ slots: 1 });
  const ring = Uint8Array.of(9, 9, 1, 2, 3, 9);
  pool.dropForeign(ring, 2, 3, DropReason.POOL_EXHAUSTED); // no observer: only counted
  const seen: number[][] = [];
  pool.onForeignDrop = (bytes, offset, length, reason) =>
    seen.push([...bytes.subarray(offset, offset + length), reason]);
  pool.dropForeign(ring, 2, 3, DropReason.POOL_EXHAUSTED);
  t.deepEqual(seen, [[1, 2, 3, DropReason.POOL_EXHAUSTED]]);
  t.is(pool.dropped, 2);
  t.is(pool.inUse, 0);
});

test('onClone hears every clone with the original and its copy, after the copy is made', (t) => {
  const pool = new PacketPool({ slots: 3 });
  const h = pool.alloc();
  pool.setLength(h, 60);
  pool.mark[h] = 7;
  const heard: Array<[number, number, number]> = [];
  pool.onClone = (p, original, copy) => heard.push([original, copy, p.mark[copy] as number]);
  const c = pool.clone(h);
  t.deepEqual(heard, [[h, c, 7]], 'the copy already carries the metadata');
  pool.clone(h);
  t.is(pool.clone(h), -1);
  t.is(heard.length, 2, 'a clone that could not be made is not heard');
});
