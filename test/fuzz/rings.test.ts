/**
 * Fuzz targets: shared-memory rings a hostile peer writes. The VMBus ring buffer (header indices
 * and packet descriptors written by the host), the virtqueue driver side (used ring written by
 * the device) and device side (available ring and descriptor table written by the driver).
 *
 * Each case builds a valid ring by running the real producer and consumer for a few rounds, then
 * applies byte mutations (flips, overwrites, boundary values in the index and descriptor fields,
 * shifted content), then drains the ring under a structural bound on the number of calls.
 */
import { HV_PAGE_SIZE, VM_PKT, VmbusPacket, VmbusRingBuffer } from '@bypass/netvsc';
import { VRING_DESC_F, VirtqueueDeviceSide, VirtqueueDriverSide } from '@bypass/virtio-backup';
import fc from 'fast-check';
import {
  applyByteOps,
  boundaries32,
  byteOps,
  expect,
  fuzzTarget,
  refusedOrOk,
  type ByteOp,
  type Executions,
  type FuzzTarget,
} from './harness.js';

/** Applies `ops` to `mem[from..from+n)` in place (inserts and deletes shift the content). */
function mutateRegion(mem: Uint8Array, from: number, n: number, ops: readonly ByteOp[]): void {
  const region = mem.subarray(from, from + n);
  const m = applyByteOps(region, ops);
  region.set(m.subarray(0, Math.min(m.length, n)));
}

// ------------------------------------------------------------------ VMBus ring

interface VmbusCase {
  /** Payload lengths written (then some read) to build the valid ring. */
  readonly sizes: readonly number[];
  /** How many of those the consumer read before the peer turns hostile. */
  readonly consumed: number;
  readonly ops: readonly ByteOp[];
}

const RING_BYTES = 2 * HV_PAGE_SIZE;

const vmbusTarget: FuzzTarget<VmbusCase> = {
  name: 'vmbus-ring',
  cases: 400,
  arbitrary: fc.record({
    sizes: fc.array(fc.oneof(fc.nat({ max: 64 }), fc.constantFrom(0, 1, 7, 8, 1000, 2000, 4000)), {
      maxLength: 12,
    }),
    consumed: fc.nat({ max: 12 }),
    ops: byteOps(
      [0, 4, 8, 12, 64, HV_PAGE_SIZE, HV_PAGE_SIZE + 2, HV_PAGE_SIZE + 4, HV_PAGE_SIZE + 8],
      boundaries32(HV_PAGE_SIZE, HV_PAGE_SIZE / 8, 16, 24, 0xffff),
    ).chain((ops) =>
      // Also aim at descriptor fields wherever packets landed: offsets are drawn from the data area.
      fc
        .array(
          fc.record({
            op: fc.constantFrom('u16' as const, 'u32' as const),
            at: fc.nat({ max: HV_PAGE_SIZE - 1 }).map((x) => HV_PAGE_SIZE + (x & ~7) + 2 * (x & 3)),
            value: fc.constantFrom(...boundaries32(HV_PAGE_SIZE / 8, 2, 3, 0xffff)),
          }),
          { maxLength: 3 },
        )
        .map((fields) => [...ops, ...fields]),
    ),
  }),
  check: (c, exec) => {
    const mem = new ArrayBuffer(RING_BYTES);
    const ring = new VmbusRingBuffer(mem, 0, RING_BYTES);
    ring.init();
    const pkt = new VmbusPacket(ring.dataSize);
    const payload = new Uint8Array(ring.dataSize);
    for (const [i, n] of c.sizes.entries()) {
      exec.tick();
      ring.write(VM_PKT.DATA_INBAND, 0, i, payload.fill(i & 0xff, 0, n), 0, n);
    }
    for (let i = 0; i < c.consumed; i++) {
      exec.tick();
      ring.read(pkt);
    }
    mutateRegion(new Uint8Array(mem), 0, RING_BYTES, c.ops);
    drainVmbus(ring, pkt, exec);
    // The producer after the peer corrupted the ring: 'ok', 'full' or 'corrupt', each counted.
    const s = { ...ring.stats };
    let r: string | null = null;
    refusedOrOk(() => {
      exec.tick();
      r = ring.write(VM_PKT.DATA_INBAND, 0, 99, payload, 0, 100);
    }, exec);
    exec.note(`write ${String(r)}`);
    if (r === 'ok')
      expect(ring.stats.packetsWritten === s.packetsWritten + 1, 'write ok, not counted');
    if (r === 'full') expect(ring.stats.full === s.full + 1, 'write full, not counted');
    if (r === 'corrupt')
      expect(ring.stats.badIndex === s.badIndex + 1, 'write corrupt, not counted');
    drainVmbus(ring, pkt, exec);
  },
  toJson: (c) => c,
  fromJson: (j) => j as VmbusCase,
};

function drainVmbus(ring: VmbusRingBuffer, pkt: VmbusPacket, exec: Executions): void {
  // Each accepted packet consumes at least 24 bytes: this many reads empty any ring.
  const bound = Math.ceil(ring.dataSize / 24) + 2;
  for (let i = 0; i < bound; i++) {
    const s = { ...ring.stats };
    let got = false;
    refusedOrOk(() => {
      exec.tick();
      got = ring.read(pkt);
    }, exec);
    if (got) {
      expect(ring.stats.packetsRead === s.packetsRead + 1, 'packet read but not counted');
      expect(pkt.length >= 0 && pkt.length <= pkt.data.length, `payload length ${pkt.length}`);
      const r = ring.readIndex;
      expect(r < ring.dataSize && r % 8 === 0, `read index ${r} left the ring`);
      continue;
    }
    exec.note('drop badIndex', ring.stats.badIndex - s.badIndex);
    exec.note('drop badPacket', ring.stats.badPacket - s.badPacket);
    const counted = ring.stats.badIndex > s.badIndex || ring.stats.badPacket > s.badPacket;
    expect(counted || ring.bytesToRead() === 0, 'read refused without a counter, ring not empty');
    // A refused read of a corrupt packet discards the rest; a second read must be empty or counted.
    if (!counted) return;
  }
  const s = { ...ring.stats };
  exec.tick();
  const again = ring.read(pkt);
  expect(
    !again || ring.stats.badIndex > s.badIndex,
    `the ring still yields packets after ${bound} reads: a consumer loop would not end`,
  );
}

fuzzTarget(vmbusTarget);

// ------------------------------------------------------------------ virtqueues

const QSIZE = 8;

interface VqCase {
  /** Rounds of add / device pop+push / driver getBuf before the peer turns hostile. */
  readonly rounds: number;
  /** Chains left in flight (added, maybe completed by the device, not taken). */
  readonly inFlight: number;
  /** How many of those the device completed (pushed and flushed). */
  readonly completedByDevice: number;
  readonly writable: readonly boolean[];
  readonly ops: readonly ByteOp[];
}

function vqCases(
  fields: (d: VirtqueueDriverSide) => number[],
  chains = false,
): fc.Arbitrary<VqCase> {
  const probe = new VirtqueueDriverSide({ index: 0, size: QSIZE });
  const L = probe.layout;
  const mutations = byteOps(fields(probe), [
    ...boundaries32(QSIZE, 0xffff, 4096),
    VRING_DESC_F.NEXT,
    VRING_DESC_F.WRITE,
    VRING_DESC_F.INDIRECT,
    VRING_DESC_F.NEXT | VRING_DESC_F.WRITE,
  ]);
  // Structure-aware: link descriptors into chains (loops, long chains, next out of range, mixed
  // readable/writable order) by writing flags and next of descriptors the driver set up.
  const links = fc.array(
    fc
      .record({
        d: fc.nat({ max: QSIZE - 1 }),
        next: fc.nat({ max: QSIZE + 1 }),
        write: fc.boolean(),
      })
      .map(({ d, next, write }): ByteOp[] => [
        {
          op: 'u16',
          at: L.descFlags(d),
          value: VRING_DESC_F.NEXT | (write ? VRING_DESC_F.WRITE : 0),
        },
        { op: 'u16', at: L.descNext(d), value: next },
      ]),
    { maxLength: chains ? QSIZE + 2 : 0 },
  );
  return fc.record({
    rounds: fc.nat({ max: 20 }),
    inFlight: fc.nat({ max: QSIZE }),
    completedByDevice: fc.nat({ max: QSIZE }),
    writable: fc.array(fc.boolean(), { minLength: QSIZE, maxLength: QSIZE }),
    ops: fc
      .tuple(links, mutations, fc.boolean())
      .map(([l, m, both]) => (both || !chains ? [...l.flat(), ...m] : l.flat())),
  });
}

const MEM = 4096;
const BUF = 256;

/** A driver and a device on one ring, advanced `c.rounds` times, `c.inFlight` chains pending. */
function buildQueues(c: VqCase, exec: Executions) {
  const drv = new VirtqueueDriverSide({ index: 0, size: QSIZE, eventIdx: c.rounds % 2 === 1 });
  const memory = new Uint8Array(MEM);
  const dev = new VirtqueueDeviceSide({
    index: 0,
    size: QSIZE,
    ring: drv.ring,
    memory,
    eventIdx: c.rounds % 2 === 1,
  });
  const added = new Set<number>();
  let token = 0;
  const add = (w: boolean) => {
    const t = token++;
    exec.tick();
    if (drv.addOne(t, (t % (MEM / BUF)) * BUF, BUF, w)) {
      added.add(t);
    }
  };
  for (let r = 0; r < c.rounds; r++) {
    add(c.writable[r % QSIZE] === true);
    drv.kickPrepare();
    exec.tick(3);
    const head = dev.pop();
    if (head >= 0) dev.push(head, dev.inBytes);
    dev.flush();
    const t = drv.getBuf();
    if (t >= 0) added.delete(t);
  }
  for (let i = 0; i < c.inFlight; i++) add(c.writable[i] === true);
  drv.kickPrepare();
  for (let i = 0; i < Math.min(c.completedByDevice, c.inFlight); i++) {
    exec.tick(2);
    const head = dev.pop();
    if (head >= 0) dev.push(head, dev.inBytes);
  }
  dev.flush();
  return { drv, dev, memory, added };
}

const faults = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

const driverTarget: FuzzTarget<VqCase> = {
  name: 'virtqueue-driver-used-ring',
  cases: 400,
  arbitrary: vqCases((d) => {
    const L = d.layout;
    const f = [L.usedFlags, L.usedIdx, L.availEvent];
    for (let i = 0; i < QSIZE; i++) f.push(L.usedRing(i), L.usedRing(i) + 4);
    return f;
  }),
  check: (c, exec) => {
    const { drv, added } = buildQueues(c, exec);
    const L = drv.layout;
    // The device turns hostile: only the part of the ring it writes (the used ring) changes.
    mutateRegion(new Uint8Array(drv.ring), L.usedOffset, L.usedBytes, c.ops);
    const returned = new Set<number>();
    for (let i = 0; i <= QSIZE + 1; i++) {
      const before = faults(drv.faultCounts);
      const completed = drv.completed;
      let t = -1;
      refusedOrOk(() => {
        exec.tick();
        t = drv.getBuf();
      }, exec);
      if (t >= 0) {
        expect(
          added.has(t) && !returned.has(t),
          `token ${t} was never in flight or came back twice`,
        );
        expect(drv.completed === completed + 1, 'completion not counted');
        // The used length is passed on unchecked (virtio_ring.c since f124034faa91): the
        // consumer compares it with its buffer (VirtioNetQueuePair drops the frame).
        returned.add(t);
        continue;
      }
      const counted = faults(drv.faultCounts) > before || drv.broken !== null;
      if (drv.broken !== null) exec.note(`fault ${drv.broken.kind}`);
      expect(counted || !drv.hasUsed(), 'getBuf refused without a fault while entries are pending');
      break;
    }
    exec.tick();
    expect(drv.getBuf() < 0, `getBuf still yields after ${QSIZE + 2} calls: the used ring loops`);
    // Conservation: what the device never completed comes back through detachUnused, once.
    for (let i = 0; i <= QSIZE; i++) {
      exec.tick();
      const t = drv.detachUnused();
      if (t < 0) break;
      expect(added.has(t) && !returned.has(t), `detached token ${t} twice or never added`);
      returned.add(t);
    }
    expect(returned.size === added.size, `${added.size} in flight, ${returned.size} came back`);
    expect(drv.numFree === QSIZE, `${drv.numFree} free descriptors after draining, not ${QSIZE}`);
  },
  toJson: (c) => c,
  fromJson: (j) => j as VqCase,
};
fuzzTarget(driverTarget);

const deviceTarget: FuzzTarget<VqCase> = {
  name: 'virtqueue-device-avail-ring',
  cases: 400,
  arbitrary: vqCases((d) => {
    const L = d.layout;
    const f = [L.availFlags, L.availIdx, L.usedEvent];
    for (let i = 0; i < QSIZE; i++) {
      f.push(
        L.availRing(i),
        L.descAddr(i),
        L.descAddr(i) + 4,
        L.descLen(i),
        L.descFlags(i),
        L.descNext(i),
      );
    }
    return f;
  }, true),
  check: (c, exec) => {
    const { drv, dev } = buildQueues(c, exec);
    const L = dev.layout;
    // The driver turns hostile: descriptor table and available ring change.
    mutateRegion(new Uint8Array(drv.ring), 0, L.usedOffset, c.ops);
    for (let i = 0; i <= QSIZE + 1; i++) {
      const before = faults(dev.faultCounts);
      const popped = dev.popped;
      let head = -1;
      refusedOrOk(() => {
        exec.tick();
        head = dev.pop();
      }, exec);
      if (head >= 0) {
        expect(head < QSIZE && dev.popped === popped + 1, `head ${head}, pop not counted`);
        const n = dev.outCount + dev.inCount;
        expect(n >= 1 && n <= QSIZE, `${n} segments`);
        for (let s = 0; s < n; s++) {
          const a = dev.segAddr[s] as number;
          const l = dev.segLen[s] as number;
          expect(a >= 0 && a + l <= MEM, `segment ${a}+${l} outside guest memory`);
        }
        exec.tick();
        dev.push(head, 0);
        continue;
      }
      if (dev.broken !== null) exec.note(`fault ${dev.broken.kind}`);
      if (head === -2)
        expect(
          dev.broken !== null && faults(dev.faultCounts) > before,
          'broken without a fault counted',
        );
      else expect(dev.availCount === 0, 'pop says empty while chains are available');
      break;
    }
    exec.tick();
    expect(dev.pop() < 0, `pop still yields after ${QSIZE + 2} calls: the avail ring loops`);
    exec.tick();
    refusedOrOk(() => void dev.flush(), exec);
  },
  toJson: (c) => c,
  fromJson: (j) => j as VqCase,
};
fuzzTarget(deviceTarget);
