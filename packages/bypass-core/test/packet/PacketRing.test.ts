import test from 'ava';
import fc from 'fast-check';
import { PacketRing } from '../../src/packet/PacketRing.js';
import { isBypassError } from '../../src/errors/BypassError.js';

function burst(...hs: number[]): Int32Array {
  return Int32Array.from(hs);
}

test('a new ring is empty with all its room free', (t) => {
  const r = new PacketRing(8);
  t.is(r.size, 8);
  t.is(r.mask, 7);
  t.is(r.count, 0);
  t.is(r.free, 8);
  t.true(r.isEmpty);
  t.is(r.peek(), -1);
});

test('sizes that are not a power of two in 2..2^24 throw ERR_INVALID_ARGUMENT', (t) => {
  for (const bad of [0, 1, 3, 6, 100, -4, 2.5, Number.NaN, 2 ** 25]) {
    t.true(
      isBypassError(
        t.throws(() => new PacketRing(bad)),
        'ERR_INVALID_ARGUMENT',
      ),
      `${bad}`,
    );
  }
  t.notThrows(() => new PacketRing(2));
  t.notThrows(() => new PacketRing(2 ** 24));
});

test('handles come out in the order they went in', (t) => {
  const r = new PacketRing(8);
  t.is(r.enqueueBurst(burst(5, 6, 7), 0, 3), 3);
  t.is(r.count, 3);
  t.is(r.peek(0), 5);
  t.is(r.peek(2), 7);
  t.is(r.peek(3), -1);
  t.is(r.peek(-1), -1);
  const out = new Int32Array(4).fill(-9);
  t.is(r.dequeueBurst(out, 1, 3), 3);
  t.deepEqual([...out], [-9, 5, 6, 7]);
  t.true(r.isEmpty);
});

test('enqueue on a full ring moves only what fits and leaves the rest with the caller', (t) => {
  const r = new PacketRing(4);
  t.is(r.enqueueBurst(burst(1, 2, 3, 4, 5, 6), 0, 6), 4);
  t.is(r.free, 0);
  t.is(r.enqueueBurst(burst(7), 0, 1), 0);
  const out = new Int32Array(8);
  t.is(r.dequeueBurst(out, 0, 8), 4, 'dequeue moves only what is there');
  t.deepEqual([...out.subarray(0, 4)], [1, 2, 3, 4]);
  t.is(r.dequeueBurst(out, 0, 8), 0);
});

test('bursts respect the start offset in the caller array', (t) => {
  const r = new PacketRing(8);
  t.is(r.enqueueBurst(burst(0, 0, 10, 11), 2, 2), 2);
  const out = new Int32Array(2);
  r.dequeueBurst(out, 0, 2);
  t.deepEqual([...out], [10, 11]);
});

test('the free-running counters wrap around the slots without losing order', (t) => {
  const r = new PacketRing(4);
  const inb = new Int32Array(3);
  const out = new Int32Array(3);
  let next = 0;
  let expect = 0;
  for (let round = 0; round < 4 * 4 * 10; round++) {
    for (let i = 0; i < 3; i++) inb[i] = next + i;
    const n = r.enqueueBurst(inb, 0, 3);
    next += n;
    const m = r.dequeueBurst(out, 0, 2);
    for (let i = 0; i < m; i++) {
      if (out[i] !== expect) return t.fail(`got ${out[i]} expected ${expect} at round ${round}`);
      expect++;
    }
    t.true(r.count <= r.size);
    t.is(r.count + r.free, r.size);
  }
  t.true(next > 16, 'went round the ring many times');
  t.is(expect + r.count, next);
});

test('property: the ring behaves like a bounded FIFO array', (t) => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('enq' as const), n: fc.integer({ min: 0, max: 20 }) }),
    fc.record({ kind: fc.constant('deq' as const), n: fc.integer({ min: 0, max: 20 }) }),
  );
  fc.assert(
    fc.property(fc.constantFrom(2, 4, 8, 16), fc.array(op, { maxLength: 200 }), (size, ops) => {
      const r = new PacketRing(size);
      const model: number[] = [];
      const buf = new Int32Array(20);
      let next = 0;
      for (const o of ops) {
        if (o.kind === 'enq') {
          for (let i = 0; i < o.n; i++) buf[i] = next + i;
          const moved = r.enqueueBurst(buf, 0, o.n);
          const expected = Math.min(o.n, size - model.length);
          if (moved !== expected) return false;
          for (let i = 0; i < moved; i++) model.push(next + i);
          next += o.n;
        } else {
          const moved = r.dequeueBurst(buf, 0, o.n);
          const want = model.splice(0, o.n);
          if (moved !== want.length) return false;
          for (let i = 0; i < moved; i++) if (buf[i] !== want[i]) return false;
        }
        if (r.count !== model.length || r.free !== size - model.length) return false;
        if (r.isEmpty !== (model.length === 0)) return false;
        if (r.peek() !== (model[0] ?? -1)) return false;
      }
      return true;
    }),
  );
  t.pass();
});

test('takeInPlace takes in order without copying, up to the ring end at a time', (t) => {
  const r = new PacketRing(8);
  const buf = Int32Array.from([10, 11, 12, 13, 14, 15]);
  r.enqueueBurst(buf, 0, 6);
  const a = r.takeInPlace(4);
  t.is(a, 4);
  t.deepEqual(Array.from(r.slotArray.subarray(r.takenAt, r.takenAt + a)), [10, 11, 12, 13]);
  r.enqueueBurst(Int32Array.from([16, 17, 18, 19]), 0, 4); // 14 .. 19, wrapping at 8
  const b = r.takeInPlace(8);
  t.is(b, 4, 'stops at the end of the ring');
  t.deepEqual(Array.from(r.slotArray.subarray(r.takenAt, r.takenAt + b)), [14, 15, 16, 17]);
  const c = r.takeInPlace(8);
  t.is(c, 2);
  t.deepEqual(Array.from(r.slotArray.subarray(r.takenAt, r.takenAt + c)), [18, 19]);
  t.is(r.takeInPlace(8), 0);
  t.true(r.isEmpty);
});

test('property: takeInPlace takes what dequeueBurst would, in the same order', (t) => {
  fc.assert(
    fc.property(
      fc.constantFrom(2, 4, 8, 16),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 })), {
        maxLength: 100,
      }),
      (size, steps) => {
        const a = new PacketRing(size);
        const b = new PacketRing(size);
        const buf = new Int32Array(20);
        const out = new Int32Array(20);
        let next = 0;
        for (const [enq, deq] of steps) {
          for (let i = 0; i < enq; i++) buf[i] = next++;
          if (a.enqueueBurst(buf, 0, enq) !== b.enqueueBurst(buf, 0, enq)) return false;
          const want = a.dequeueBurst(out, 0, deq);
          const got: number[] = [];
          for (let n; got.length < deq && (n = b.takeInPlace(deq - got.length)) > 0;) {
            for (let i = 0; i < n; i++) got.push(b.slotArray[b.takenAt + i] as number);
          }
          if (got.length !== want) return false;
          for (let i = 0; i < want; i++) if (got[i] !== out[i]) return false;
          if (a.count !== b.count) return false;
        }
        return true;
      },
    ),
  );
  t.pass();
});

function looked(r: PacketRing, n: number): number[] {
  return Array.from(r.slotArray.subarray(r.takenAt, r.takenAt + n));
}

test('startTake looks in place without taking; finishTake takes the first k, the rest stay', (t) => {
  const r = new PacketRing(8);
  r.enqueueBurst(burst(10, 11, 12, 13, 14), 0, 5);
  const n = r.startTake(4);
  t.is(n, 4);
  t.deepEqual(looked(r, n), [10, 11, 12, 13]);
  t.is(r.count, 5, 'what startTake looked at is still queued');
  r.finishTake(3);
  t.is(r.count, 2);
  t.is(r.peek(0), 13, 'the handle not taken is first again');
  const m = r.startTake(8);
  t.is(m, 2);
  t.deepEqual(looked(r, m), [13, 14]);
  r.finishTake(2);
  t.true(r.isEmpty);
});

test('finishTake(0) takes none, and startTake on an empty ring looks at none', (t) => {
  const r = new PacketRing(4);
  t.is(r.startTake(4), 0);
  r.finishTake(0);
  r.enqueueBurst(burst(1, 2), 0, 2);
  t.is(r.startTake(2), 2);
  r.finishTake(0);
  t.is(r.count, 2);
  t.is(r.startTake(1), 1);
  t.deepEqual(looked(r, 1), [1]);
  r.finishTake(1);
  t.deepEqual([r.count, r.peek(0)], [1, 2]);
});

test('startTake stops at the ring end; what is left there is looked at again before the wrap', (t) => {
  const r = new PacketRing(8);
  const out = new Int32Array(8);
  r.enqueueBurst(burst(0, 1, 2, 3, 4, 5), 0, 6);
  r.dequeueBurst(out, 0, 5); // tail at slot 5
  r.enqueueBurst(burst(6, 7, 8, 9), 0, 4); // 5 .. 9 in slots 5, 6, 7, 0, 1
  const a = r.startTake(8);
  t.is(a, 3, 'slots 5..7, up to the end');
  t.is(r.takenAt, 5);
  t.deepEqual(looked(r, a), [5, 6, 7]);
  r.finishTake(2);
  const b = r.startTake(8);
  t.is(b, 1, 'the handle left before the end comes first, alone');
  t.is(r.takenAt, 7);
  t.deepEqual(looked(r, b), [7]);
  r.finishTake(1);
  const c = r.startTake(8);
  t.is(r.takenAt, 0, 'then the run goes on from the ring start');
  t.deepEqual(looked(r, c), [8, 9]);
  r.finishTake(c);
  t.true(r.isEmpty);
});

test('what startTake looked at cannot be overwritten before finishTake', (t) => {
  const r = new PacketRing(4);
  r.enqueueBurst(burst(1, 2, 3, 4), 0, 4);
  t.is(r.startTake(4), 4);
  r.finishTake(1); // frees one slot
  t.is(r.startTake(4), 3);
  t.is(r.enqueueBurst(burst(5, 6), 0, 2), 1, 'only the slot taken before is free');
  t.deepEqual(looked(r, 3), [2, 3, 4]);
  r.finishTake(3);
  t.is(r.peek(0), 5);
});

test('misuse of startTake and finishTake throws a BypassError and changes nothing', (t) => {
  const r = new PacketRing(8);
  r.enqueueBurst(burst(1, 2, 3), 0, 3);
  const state = (e: unknown) => isBypassError(e, 'ERR_STATE');
  const arg = (e: unknown) => isBypassError(e, 'ERR_INVALID_ARGUMENT');
  t.true(state(t.throws(() => r.finishTake(0))), 'finish without start');
  for (const bad of [-1, 1.5, Number.NaN, 2 ** 32]) {
    t.true(arg(t.throws(() => r.startTake(bad))), `startTake(${bad})`);
  }
  t.is(r.startTake(2), 2);
  const err = t.throws(() => r.finishTake(3));
  t.true(arg(err), 'finish more than was looked at');
  t.regex(err?.message ?? '', /0\.\.2/);
  for (const bad of [-1, 0.5, Number.NaN]) {
    t.true(arg(t.throws(() => r.finishTake(bad))), `finishTake(${bad})`);
  }
  t.true(state(t.throws(() => r.startTake(1))), 'start twice');
  t.true(state(t.throws(() => r.takeInPlace(1))), 'takeInPlace while open');
  t.true(state(t.throws(() => r.dequeueBurst(new Int32Array(1), 0, 1))), 'dequeue while open');
  t.is(r.count, 3, 'nothing was taken by the refused calls');
  r.finishTake(2);
  t.true(state(t.throws(() => r.finishTake(0))), 'finish twice');
  t.deepEqual([r.count, r.peek(0)], [1, 3]);
});

test('property: startTake and finishTake take what the FIFO array model says', (t) => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('enq' as const), n: fc.integer({ min: 0, max: 20 }) }),
    fc.record({
      kind: fc.constant('take' as const),
      n: fc.integer({ min: 0, max: 20 }),
      k: fc.integer({ min: 0, max: 20 }),
      enq: fc.integer({ min: 0, max: 20 }), // enqueued between start and finish
    }),
  );
  fc.assert(
    fc.property(fc.constantFrom(2, 4, 8, 16), fc.array(op, { maxLength: 200 }), (size, ops) => {
      const r = new PacketRing(size);
      const model: number[] = [];
      const buf = new Int32Array(20);
      let next = 0;
      let taken = 0;
      const enqueue = (n: number): boolean => {
        for (let i = 0; i < n; i++) buf[i] = next + i;
        const moved = r.enqueueBurst(buf, 0, n);
        if (moved !== Math.min(n, size - model.length)) return false;
        for (let i = 0; i < moved; i++) model.push(next + i);
        next += n;
        return true;
      };
      for (const o of ops) {
        if (o.kind === 'enq') {
          if (!enqueue(o.n)) return false;
        } else {
          const n = r.startTake(o.n);
          // As many as asked and queued, but never past the ring's end (handed out in place).
          const at = taken % size;
          if (r.takenAt !== at || n !== Math.min(o.n, model.length, size - at)) return false;
          const seen = looked(r, n);
          if (!enqueue(o.enq)) return false;
          for (let i = 0; i < n; i++) if (r.slotArray[r.takenAt + i] !== model[i]) return false;
          if (seen.some((h, i) => h !== model[i])) return false;
          const k = Math.min(o.k, n);
          r.finishTake(k);
          model.splice(0, k);
          taken += k;
        }
        if (r.count !== model.length || r.free !== size - model.length) return false;
        if (r.peek() !== (model[0] ?? -1)) return false;
      }
      return true;
    }),
  );
  t.pass();
});
