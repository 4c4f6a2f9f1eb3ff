import test from 'ava';
import fc from 'fast-check';
import { PacketPool } from '@bypass/core';
import { NetvscTxQueues, QDISC_DROP } from '../../src/kernel/exports.js';

// The qdisc in front of each netvsc TX queue: frames wait in order, a run the driver takes only
// in part stays first, at most `limit` frames are held (1000 by default, not the power of two of
// the ring underneath).

const FLUSHED = 99;

/** Two qdiscs of `limit` frames, a pool that records drops as `mark:reason`, a driver with a budget. */
function rig(limit: number) {
  const pool = new PacketPool({ slots: 4096 });
  const dropped: string[] = [];
  pool.onDrop = (_p, pkts, s, n, reason) => {
    for (let i = s; i < s + n; i++) dropped.push(`${pool.mark[pkts[i] as number]}:${reason}`);
  };
  const txq = new NetvscTxQueues(pool, 2, limit);
  const burst = (first: number, n: number): Int32Array => {
    const b = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      b[i] = pool.alloc();
      pool.mark[b[i] as number] = first + i;
    }
    return b;
  };
  const sent: number[] = [];
  let budget = 0;
  // A driver that sends up to `budget` frames, then stops the queue (busy) and takes no more.
  const xmit = (pkts: Int32Array, s: number, count: number, q: number): number => {
    const k = count < budget ? count : budget;
    for (let i = s; i < s + k; i++) {
      sent.push(pool.mark[pkts[i] as number] as number);
      pool.free(pkts[i] as number);
    }
    budget -= k;
    if (k < count) txq.stop(q);
    return k;
  };
  const wake = (q: number, n: number): void => {
    budget = n;
    txq.wake(q, xmit);
  };
  return { pool, txq, burst, sent, dropped, wake };
}

test('a run the driver takes in part stays first and goes out in order, across the ring end', (t) => {
  const { txq, burst, sent, wake } = rig(1000);
  txq.stop(0);
  let next = 0;
  let expect = 0;
  for (let round = 0; round < 30; round++) {
    t.is(txq.enqueue(burst(next, 100), 0, 100, 0), 100);
    next += 100;
    wake(0, 60 + round); // less than queued: the rest stays, the queue stops again
    for (const m of sent.splice(0)) t.is(m, expect++);
    t.true(txq.isStopped(0));
    t.is(txq.backlog(0), next - expect);
  }
  t.true(expect > 1024, 'went past the end of the 1024-slot ring');
  wake(0, next);
  for (const m of sent.splice(0)) t.is(m, expect++);
  t.is(expect, next);
  t.is(txq.backlog(0), 0);
  t.is(txq.stats.requeues, 30);
});

test('the qdisc holds `limit` frames, not the ring size: the rest are qdisc drops', (t) => {
  const { txq, burst, dropped } = rig(5); // a ring of 8 underneath
  txq.stop(1);
  t.is(txq.enqueue(burst(0, 8), 0, 8, 1), 5);
  t.is(txq.backlog(1), 5);
  t.is(txq.totalBacklog, 5);
  t.deepEqual(dropped, [`5:${QDISC_DROP}`, `6:${QDISC_DROP}`, `7:${QDISC_DROP}`]);
  t.is(txq.stats.dropped, 3);
  t.is(txq.enqueue(burst(8, 1), 0, 1, 0), 1, 'queue 0 has its own room');
  t.is(txq.totalBacklog, 6);
});

test('flush drops what waits, in order and across the ring end, with the reason given', (t) => {
  const { txq, burst, sent, dropped, wake } = rig(6); // a ring of 8
  txq.stop(0);
  txq.enqueue(burst(0, 6), 0, 6, 0);
  wake(0, 5); // slot 5 left
  txq.enqueue(burst(6, 5), 0, 5, 0); // slots 5, 6, 7, 0, 1, 2
  t.deepEqual(sent, [0, 1, 2, 3, 4]);
  t.is(txq.flush(FLUSHED, 0), 6);
  t.deepEqual(
    dropped,
    [5, 6, 7, 8, 9, 10].map((m) => `${m}:${FLUSHED}`),
  );
  t.is(txq.backlog(0), 0);
  t.is(txq.flush(FLUSHED), 0, 'nothing left anywhere');
});

test('property: the qdiscs behave like bounded FIFO arrays', (t) => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('enq' as const),
      n: fc.integer({ min: 0, max: 12 }),
      q: fc.integer({ min: 0, max: 1 }),
    }),
    fc.record({ kind: fc.constant('stop' as const), q: fc.integer({ min: 0, max: 1 }) }),
    fc.record({
      kind: fc.constant('wake' as const),
      n: fc.integer({ min: 0, max: 12 }),
      q: fc.integer({ min: 0, max: 1 }),
    }),
    fc.record({ kind: fc.constant('flush' as const), q: fc.integer({ min: -1, max: 1 }) }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 9 }), fc.array(op, { maxLength: 150 }), (limit, ops) => {
      const { pool, txq, burst, sent, dropped, wake } = rig(limit);
      const model: number[][] = [[], []];
      const wantDropped: string[] = [];
      let next = 0;
      for (const o of ops) {
        if (o.kind === 'enq') {
          const b = burst(next, o.n);
          txq.enqueue(b, 0, o.n, o.q);
          for (let i = 0; i < o.n; i++) {
            const m = next + i;
            if ((model[o.q] as number[]).length < limit) (model[o.q] as number[]).push(m);
            else wantDropped.push(`${m}:${QDISC_DROP}`);
          }
          next += o.n;
        } else if (o.kind === 'stop') {
          txq.stop(o.q);
        } else if (o.kind === 'wake') {
          const running = !txq.isStopped(o.q);
          wake(o.q, o.n);
          const want = running ? [] : (model[o.q] as number[]).splice(0, o.n);
          if (sent.splice(0).join() !== want.join()) return false;
        } else {
          const n = txq.flush(FLUSHED, o.q < 0 ? undefined : o.q);
          let want = 0;
          for (const q of o.q < 0 ? [0, 1] : [o.q]) {
            const gone = (model[q] as number[]).splice(0);
            for (const m of gone) wantDropped.push(`${m}:${FLUSHED}`);
            want += gone.length;
          }
          if (n !== want) return false;
        }
        if (dropped.join() !== wantDropped.join()) return false;
        if (txq.backlog(0) !== model[0]?.length || txq.backlog(1) !== model[1]?.length)
          return false;
        if (pool.inUse !== (model[0]?.length ?? 0) + (model[1]?.length ?? 0)) return false;
      }
      return true;
    }),
  );
  t.pass();
});
