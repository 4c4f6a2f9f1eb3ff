import test from 'ava';
import fc from 'fast-check';
import { VirtqueueDeviceSide, VirtqueueDriverSide } from '../../src/index.js';

const DEEP = process.env['BYPASS_DEEP'] === '1';
const RUNS = DEEP ? 20_000 : 300;
const SIZE = 8;
const MEM = 512;

/** A write of random bytes somewhere in the shared ring memory (what a hostile peer can do). */
const scribble = fc.record({
  offset: fc.nat(),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
});

const step = fc.oneof(
  fc.record({
    op: fc.constant('add' as const),
    len: fc.integer({ min: 1, max: 64 }),
    writable: fc.boolean(),
  }),
  fc.record({ op: fc.constant('chain' as const), n: fc.integer({ min: 2, max: 4 }) }),
  fc.record({ op: fc.constant('pop' as const) }),
  fc.record({ op: fc.constant('get' as const) }),
  fc.record({ op: fc.constant('scribble' as const), w: scribble }),
);

test('random traffic with random ring corruption never throws, never hangs, never hands out a token twice', (t) => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
      const drv = new VirtqueueDriverSide({ index: 0, size: SIZE, eventIdx: true });
      const memory = new Uint8Array(MEM);
      const dev = new VirtqueueDeviceSide({
        index: 0,
        size: SIZE,
        ring: drv.ring,
        memory,
        eventIdx: true,
      });
      const ring = new Uint8Array(drv.ring);
      const outstanding = new Map<number, number>(); // token -> descriptors
      const popped: number[] = [];
      let token = 0;
      for (const s of steps) {
        if (s.op === 'add') {
          if (drv.addOne(token, 0, s.len, s.writable)) outstanding.set(token, 1);
          token++;
        } else if (s.op === 'chain') {
          const addrs = Array.from({ length: s.n }, (_, i) => i * 16);
          if (
            drv.addChain(
              token,
              addrs,
              addrs.map(() => 16),
              1,
            )
          )
            outstanding.set(token, s.n);
          token++;
        } else if (s.op === 'pop') {
          const head = dev.pop();
          if (head >= 0) {
            // Every segment the device accepted lies inside guest memory.
            for (let i = 0; i < dev.outCount + dev.inCount; i++) {
              if ((dev.segAddr[i] as number) + (dev.segLen[i] as number) > MEM) return false;
            }
            popped.push(head);
          }
        } else if (s.op === 'get') {
          if (popped.length > 0) {
            dev.push(popped.shift() as number, 0);
            dev.flush();
          }
          for (let k = 0; k <= SIZE; k++) {
            const got = drv.getBuf();
            if (got < 0) break;
            if (!outstanding.delete(got)) return false; // never a token that was not outstanding
          }
        } else {
          const o = s.w.offset % ring.length;
          ring.set(s.w.bytes.subarray(0, ring.length - o), o);
        }
      }
      // Bookkeeping stays consistent whatever the peer wrote: free + in use = size.
      let inUse = 0;
      for (const n of outstanding.values()) inUse += n;
      return drv.numFree + inUse === SIZE && drv.inFlight === outstanding.size;
    }),
    { numRuns: RUNS, seed: 4 },
  );
  t.pass();
});
